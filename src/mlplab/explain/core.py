"""Trace SGD steps of a small network through the engine, layer by layer.

``trace`` runs the engine's own modules one at a time, exactly as ``Sequential.forward`` and
``Sequential.backward`` do, and records what passes between them: for each layer l the input
a^[l-1], the pre-activation z^[l], the activation a^[l], and on the way back dLoss/da^[l], the
activation's derivative da^[l]/dz^[l] (the activation module's own ``backward`` applied to
ones), delta^[l] = dLoss/dz^[l], the parameter gradients the Linear accumulated and
dLoss/da^[l-1]. The update is ``mlplab.optim.SGD``'s. Nothing here computes a number a
second way: the renderers only write the products out beside the engine's results.

``explain_network`` is the command line's entry: it parses ``--x``/``--y``, builds the model
from a spec and refuses, with an ``ExplainError`` naming the problem, what explain cannot show.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlplab import nn
from mlplab.errors import ExplainError  # re-exported here
from mlplab.kinds import get_loss
from mlplab.optim import SGD
from mlplab.registry import LAYERS, LOSSES
from mlplab.spec import ModelSpec, SpecError

MAX_PARAMETERS = 300
MAX_SAMPLES = 16
MAX_STEPS = 50

# The activations explain can write out: those with an explain form in the registry (the
# elementwise ones; Softmax is not).
def _activation_names() -> dict[type, str]:
    """module class -> name of every elementwise activation (read now: a kind registered
    later is written out too)."""
    return {k.module: k.name for k in LAYERS.values() if k.explain is not None}



# -- the trace ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    """Layer l of the course's notation: a Linear and the elementwise activation after it.

    ``linear`` and ``act`` are positions in the Sequential (``act`` is None when no activation
    follows, i.e. a^[l] = z^[l]); ``key`` is the Linear's state_dict prefix (``"0"``).
    """

    index: int
    key: str
    linear: int
    activation: str
    act: int | None
    in_features: int
    out_features: int


@dataclass
class LayerStep:
    """One layer in one step; arrays have the batch first: (N, in) or (N, out).

    The backward fields stay None when the backward pass did not reach the layer.
    """

    a_prev: np.ndarray
    weight: np.ndarray            # W^[l], (out, in), as it was in this step's forward pass
    bias: np.ndarray              # b^[l], (out,)
    z: np.ndarray
    a: np.ndarray
    dL_da: np.ndarray | None = None
    da_dz: np.ndarray | None = None
    dL_dz: np.ndarray | None = None
    dW: np.ndarray | None = None      # (out, in), summed over the batch
    db: np.ndarray | None = None      # (out,)
    dL_da_prev: np.ndarray | None = None


@dataclass
class LossStep:
    """The loss of one step: its value and dLoss/da^[L] from the engine's loss.

    ``probs`` is softmax(a^[L]) for cross_entropy and sigmoid(a^[L]) for bce_logits (the
    probabilities inside the loss), else None.
    """

    name: str
    value: float
    prediction: np.ndarray
    target: np.ndarray
    grad: np.ndarray
    probs: np.ndarray | None = None


@dataclass
class ParamUpdate:
    """theta := theta - lr * grad for one parameter tensor."""

    key: str          # state_dict key, "0.weight"
    layer: int        # l
    kind: str         # "weight" or "bias"
    old: np.ndarray
    grad: np.ndarray
    new: np.ndarray


@dataclass
class StepTrace:
    number: int
    layers: list[LayerStep]
    loss: LossStep | None
    updates: list[ParamUpdate] = field(default_factory=list)
    refused: str | None = None       # the engine's message when backward could not pass
    refused_layer: int | None = None


@dataclass
class Trace:
    """Every number of ``len(steps)`` SGD steps; ``final_loss`` is the loss after the last."""

    layers: list[Layer]
    x: np.ndarray
    y: np.ndarray | None
    loss_name: str | None
    lr: float
    steps: list[StepTrace]
    final_loss: float | None
    num_parameters: int
    upstream: np.ndarray | None = None

    @property
    def losses(self) -> list[float]:
        return [s.loss.value for s in self.steps if s.loss is not None]

    @property
    def trainable(self) -> bool:
        return all(s.refused is None for s in self.steps)

    @property
    def n_samples(self) -> int:
        return self.x.shape[0]


def layers_of(model: nn.Sequential) -> list[Layer]:
    """Group a Sequential into the course's layers; refuse what explain cannot write out."""
    mods, names = list(model), list(model._modules)
    elementwise = _activation_names()
    for mod in mods:
        if not isinstance(mod, nn.Linear) and type(mod) not in elementwise:
            hint = (" (cross_entropy applies softmax inside the loss: end the spec with the "
                    "logits)" if isinstance(mod, nn.Softmax) else "")
            raise ExplainError(f"explain writes out Linear layers and elementwise activations "
                               f"only, not {type(mod).__name__}{hint}")
    layers, i = [], 0
    while i < len(mods):
        lin = mods[i]
        if not isinstance(lin, nn.Linear):
            raise ExplainError(f"explain writes out layers of the form Linear then at most one "
                               f"activation; {type(lin).__name__} at position {i} does not "
                               "follow a Linear")
        act_name, act = "identity", None
        if i + 1 < len(mods) and not isinstance(mods[i + 1], nn.Linear):
            act_name, act = elementwise[type(mods[i + 1])], i + 1
        layers.append(Layer(len(layers) + 1, names[i], i, act_name, act, lin.in_features,
                            lin.out_features))
        i += 2 if act is not None else 1
    return layers


def _probabilities(loss_name: str, a_last: np.ndarray) -> np.ndarray | None:
    """The probabilities a logits loss computes inside itself; None for other losses."""
    kind = LOSSES[loss_name]
    if kind.outputs != "logits":
        return None
    return (nn.Softmax(dim=-1) if kind.probabilities == "softmax" else nn.Sigmoid())(a_last)


def _one_step(model, layers, x, y, loss_fn, loss_name, opt, upstream, number) -> StepTrace:
    mods = list(model)
    # Forward: Sequential.forward, one module at a time.
    outs, h = [], x
    for mod in mods:
        h = mod.forward(h)
        outs.append(h)
    steps = []
    for lay in layers:
        lin = mods[lay.linear]
        a_prev = x if lay.linear == 0 else outs[lay.linear - 1]
        z = outs[lay.linear]
        a = outs[lay.act] if lay.act is not None else z
        steps.append(LayerStep(a_prev.copy(), lin.weight.data.copy(), lin.bias.data.copy(),
                               z.copy(), a.copy()))
    loss = None
    if loss_fn is not None:
        try:
            value = float(loss_fn(h, y))
        except ValueError as e:
            raise ExplainError(str(e)) from None
        grad = loss_fn.backward().copy()
        loss = LossStep(loss_name, value, h.copy(), y.copy(), grad,
                        _probabilities(loss_name, h))
    else:
        grad = upstream.astype(h.dtype).copy()
    step = StepTrace(number, steps, loss)

    # Backward: Sequential.backward, one module at a time in reverse.
    opt.zero_grad()
    by_module = {}
    for lay, ls in zip(layers, steps, strict=True):
        by_module[lay.linear] = (lay, ls)
        if lay.act is not None:
            by_module[lay.act] = (lay, ls)
    for pos in reversed(range(len(mods))):
        mod = mods[pos]
        lay, ls = by_module[pos]
        if pos == lay.act or (lay.act is None and pos == lay.linear):
            ls.dL_da = grad.copy()
        if pos == lay.act:
            try:
                ls.da_dz = mod.backward(np.ones_like(grad))
                grad = mod.backward(grad)
            except RuntimeError as e:
                if not isinstance(mod, nn.Step):
                    raise
                step.refused, step.refused_layer = str(e), lay.index
                return step
            ls.dL_dz = grad.copy()
        else:  # the Linear
            if lay.act is None:
                ls.da_dz = np.ones_like(grad)
                ls.dL_dz = grad.copy()
            grad = mod.backward(grad)
            ls.dW, ls.db = mod.weight.grad.copy(), mod.bias.grad.copy()
            ls.dL_da_prev = grad.copy()

    # Update: the optimizer's step, old and new values recorded.
    params = [(lay, kind, getattr(mods[lay.linear], kind)) for lay in layers
              for kind in ("weight", "bias")]
    old = [p.data.copy() for _, _, p in params]
    opt.step()
    step.updates = [ParamUpdate(f"{lay.key}.{kind}", lay.index, kind, o, p.grad.copy(),
                                p.data.copy())
                    for (lay, kind, p), o in zip(params, old, strict=True)]
    return step


def trace(model: nn.Sequential, x: np.ndarray, y: np.ndarray | None = None, *,
          loss: str | None = None, lr: float = 0.1, steps: int = 1,
          upstream: np.ndarray | None = None) -> Trace:
    """Run ``steps`` SGD steps of ``model`` on the batch ``x`` and record every number.

    model : a Sequential of Linear layers, each optionally followed by one elementwise
        activation; updated in place, as a Trainer would.
    x : ndarray of shape (n_samples, in_features).
    y : the loss's target: (n_samples, out) floats, or (n_samples,) class indices for
        ``loss="cross_entropy"``.
    loss : a name in ``mlplab.registry.LOSSES``; or None with ``upstream`` (n_samples, out), a
        gradient dLoss/da^[L] handed in from a network above this one.
    """
    layers = layers_of(model)
    if (loss is None) == (upstream is None):
        raise ValueError("trace: give either loss (with y) or upstream, not both or neither")
    if loss is not None and y is None:
        raise ValueError(f"trace: loss {loss!r} needs the target y")
    if not isinstance(steps, int) or not 1 <= steps <= MAX_STEPS:
        raise ExplainError(f"--steps must be an integer from 1 to {MAX_STEPS}, got {steps!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ExplainError(f"--lr must be a positive number, got {lr!r}")
    loss_fn = get_loss(loss) if loss is not None else None
    opt = SGD(model.parameters(), lr=lr)
    records = []
    for k in range(steps):
        st = _one_step(model, layers, x, y, loss_fn, loss, opt, upstream, k + 1)
        records.append(st)
        if st.refused is not None:
            break
    final = None
    if loss_fn is not None and records[-1].refused is None:
        final = float(loss_fn(model.forward(x), y))
    return Trace(layers, x.copy(), None if y is None else y.copy(), loss, float(lr), records,
                 final, model.num_parameters(),
                 None if upstream is None else np.array(upstream, dtype=x.dtype))


# -- what the command line hands in ---------------------------------------------------------
def parse_rows(text: str, what: str) -> list[list[float]]:
    """``"1,2;3,4"`` -> [[1.0, 2.0], [3.0, 4.0]]: samples split by ';', values by ','."""
    rows = []
    for i, row in enumerate(str(text).split(";")):
        if not row.strip():
            raise ExplainError(f"{what} {text!r}: sample {i + 1} is empty; write samples as "
                               "1,2;3,4")
        vals = []
        for tok in row.split(","):
            try:
                v = float(tok)
            except ValueError:
                raise ExplainError(f"{what} {text!r}: {tok.strip()!r} is not a number") from None
            if not math.isfinite(v):
                raise ExplainError(f"{what} {text!r}: values must be finite, got {tok.strip()}")
            vals.append(v)
        rows.append(vals)
    return rows


def parse_x(text: str, in_features: int, spec: str) -> np.ndarray:
    """--x as an (n_samples, in_features) float64 array."""
    rows = parse_rows(text, "--x")
    for i, r in enumerate(rows):
        if len(r) != in_features:
            raise ExplainError(f"--x: sample {i + 1} has {len(r)} feature(s), but {spec} takes "
                               f"{in_features}")
    if len(rows) > MAX_SAMPLES:
        raise ExplainError(f"--x has {len(rows)} samples; explain writes every sample out, so "
                           f"at most {MAX_SAMPLES}")
    return np.array(rows, dtype=np.float64)


def parse_y(text: str, loss: str, n_samples: int, out_features: int) -> np.ndarray:
    """--y as the loss expects it: (n,) class indices for cross_entropy, else (n, out) floats."""
    rows = parse_rows(text, "--y")
    kind = LOSSES[loss]
    if kind.targets == "indices":
        flat = [v for r in rows for v in r]
        if len(flat) != n_samples or (len(rows) != n_samples and len(rows) != 1):
            raise ExplainError(f"--y: {loss} takes one class index per sample; "
                               f"{n_samples} sample(s), got {text!r}")
        if any(v != int(v) or not 0 <= v < out_features for v in flat):
            raise ExplainError(f"--y {text!r}: class indices must be integers from 0 to "
                               f"{out_features - 1} (the network has {out_features} outputs)")
        return np.array([int(v) for v in flat], dtype=np.int64)
    if len(rows) == 1 and out_features == 1 and len(rows[0]) == n_samples:
        rows = [[v] for v in rows[0]]  # "0,1,1" for three one-output samples
    if len(rows) != n_samples or any(len(r) != out_features for r in rows):
        raise ExplainError(f"--y {text!r}: expected {n_samples} sample(s) of {out_features} "
                           f"value(s) each, like the network's output")
    y = np.array(rows, dtype=np.float64)
    low, high = kind.target_range or (-np.inf, np.inf)
    if ((y < low) | (y > high)).any():
        what = ("be 0 or 1 (or a probability between them)" if (low, high) == (0.0, 1.0)
                else f"lie in [{low:g}, {high:g}]")
        raise ExplainError(f"--y {text!r}: {loss} targets must {what}")
    return y


def default_loss(layers: list[Layer]) -> str:
    """sigmoid (or step) output -> bce; one linear output -> mse; otherwise cross_entropy."""
    last = layers[-1]
    if last.activation in ("sigmoid", "step"):
        return "bce"
    if last.out_features == 1:
        return "mse"
    return "cross_entropy"


def load_weights_file(path: str | Path) -> dict[str, np.ndarray]:
    """``{"0.weight": [[...]], "0.bias": [...], ...}`` (state_dict keys) from a JSON file."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except OSError as e:
        raise ExplainError(f"--weights-file {str(path)!r}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise ExplainError(f"--weights-file {str(path)!r} is not valid JSON: {e}") from None
    if not isinstance(data, dict):
        raise ExplainError(f"--weights-file {str(path)!r}: expected an object like "
                           '{"0.weight": [[...]], "0.bias": [...]}')
    state = {}
    for key, value in data.items():
        try:
            arr = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            raise ExplainError(f"--weights-file: {key!r} is not a list of numbers (or lists of "
                               "equal length)") from None
        if not np.isfinite(arr).all():
            raise ExplainError(f"--weights-file: {key!r} has values that are not finite")
        state[key] = arr
    return state


def too_large_message(spec: str, n: int) -> str:
    return (f"explain prints every number by hand; {spec} has {n} parameters, and explain "
            f"takes at most {MAX_PARAMETERS}; use `mlplab summary {spec}` for large networks")


def build_model(spec: str, *, weights: float | None = None,
                weights_file: str | Path | None = None, seed: int = 0) -> nn.Sequential:
    """The float64 model of ``spec``: constant ``weights``, a state_dict JSON file, or
    torch-default init from ``seed``. Refuses networks above MAX_PARAMETERS."""
    try:
        ms = ModelSpec.parse(spec)
    except SpecError as e:
        raise ExplainError(str(e)) from None
    if len(ms.input_shape) != 1:
        raise ExplainError(f"explain takes flat inputs; {spec} has input shape "
                           f"{'x'.join(map(str, ms.input_shape))}")
    n = ms.num_parameters()
    if n > MAX_PARAMETERS:
        raise ExplainError(too_large_message(str(ms), n))
    if weights is not None and weights_file is not None:
        raise ExplainError("give --weights or --weights-file, not both")
    if weights is not None and not math.isfinite(weights):
        raise ExplainError(f"--weights must be a finite number, got {weights!r}")
    model = ms.build(seed=seed, dtype=np.float64)
    layers_of(model)  # refuse dropout, layernorm, softmax, ... before anything else
    if weights is not None:
        nn.constant_all_(model, weights)
    elif weights_file is not None:
        state = load_weights_file(weights_file)
        try:
            model.load_state_dict(state)
        except KeyError as e:
            raise ExplainError(f"--weights-file does not fit {ms}: {e.args[0]}") from None
        except ValueError as e:
            raise ExplainError(f"--weights-file does not fit {ms}: {e}") from None
    return model


# -- what gets rendered ---------------------------------------------------------------------
@dataclass
class Part:
    """One traced network with its title and notes (a preset may chain two, as unit 003 does).

    ``show_input_grad`` also writes out dLoss/da^[0] (when a network below needs it).
    """

    trace: Trace
    title: str | None = None
    notes: list[str] = field(default_factory=list)
    show_input_grad: bool = False
    upstream_from: tuple[str, str] | None = None  # where it comes from: (text, LaTeX)


@dataclass
class Comparison:
    """A number the slide prints beside the engine's.

    ``rule`` says how the slide wrote it: "round" (to the decimals it shows) or "truncate".
    ``also`` holds further (label, value) pairs the note refers to. ``differs`` is what a
    disagreement means: a slip by default, or the cause where it is known (weights printed
    rounded, a layout transposed).
    """

    what: str
    slide: float | np.ndarray
    computed: float | np.ndarray
    note: str = ""
    rule: str = "round"
    also: list[tuple[str, float | np.ndarray]] = field(default_factory=list)
    differs: str = "the slide slipped"

    @property
    def decimals(self) -> int:
        vals = np.atleast_1d(np.asarray(self.slide, dtype=np.float64)).ravel()
        return max(len(repr(float(v)).partition(".")[2].rstrip("0")) for v in vals)

    @property
    def agrees(self) -> bool:
        slide = np.asarray(self.slide, dtype=np.float64)
        comp = np.asarray(self.computed, dtype=np.float64)
        if slide.shape != comp.shape:
            return False
        k = self.decimals
        if self.rule == "truncate":
            scale = 10.0**k
            return bool(np.all(np.abs(np.trunc(comp * scale + np.sign(comp) * 1e-9) / scale
                                      - slide) < 0.5 / scale))
        return bool(np.all(np.abs(comp - slide) <= 0.5 * 10.0**-k + 1e-9))


@dataclass
class ExtraTable:
    title: str
    header: list[str]
    rows: list[list]


@dataclass
class Explanation:
    title: str
    parts: list[Part]
    intro: list[str] = field(default_factory=list)
    comparisons: list[Comparison] = field(default_factory=list)
    tables: list[ExtraTable] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)


def explain_network(spec: str, x: str, y: str, *, loss: str | None = None,
                    weights: float | None = None, weights_file: str | Path | None = None,
                    lr: float = 0.1, steps: int = 1, seed: int = 0) -> Explanation:
    """The command line's ``mlplab explain SPEC --x ... --y ...``: parse, build, trace."""
    model = build_model(spec, weights=weights, weights_file=weights_file, seed=seed)
    spec = str(ModelSpec.parse(spec))
    layers = layers_of(model)
    if loss is None:
        loss = default_loss(layers)
    elif loss not in LOSSES:
        raise ExplainError(f"unknown loss {loss!r}; choose one of {', '.join(LOSSES)}")
    xs = parse_x(x, layers[0].in_features, spec)
    ys = parse_y(y, loss, xs.shape[0], layers[-1].out_features)
    tr = trace(model, xs, ys, loss=loss, lr=lr, steps=steps)
    if weights is not None:
        init = f"every weight and bias set to {weights:g}"
    elif weights_file is not None:
        init = f"weights from {Path(weights_file).name}"
    else:
        init = f"PyTorch's default initialisation (uniform on +-1/sqrt(fan_in)), seed {seed}"
    n = xs.shape[0]
    batch = f"a batch of {n} samples (the loss averages over it)" if n > 1 else "one sample"
    intro = [f"{spec} with {init}; {batch}; loss {loss}; SGD with lr {lr:g}, "
             f"{steps} step{'s' if steps > 1 else ''}."]
    return Explanation(f"mlplab explain {spec}", [Part(tr)], intro=intro)

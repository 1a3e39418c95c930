"""One record per layer kind and per loss: the only tables of them in mlplab.

``LAYERS`` holds a :class:`LayerKind` per spec token kind ("linear" is written as its width,
every other kind by its name). The spec parser (``mlplab.spec``), the spec's summary and
parameter count, the NumPy builder, the PyTorch twin (``mlplab.torch.builder``) and
``mlplab explain`` all read these records, so adding a layer or an activation is its module
class plus one record here; ``tests/unit/test_registry.py`` walks the tables and fails when a
record lacks a part.

``LOSSES`` holds a :class:`LossKind` per loss name: the task it serves, the NumPy class, the
``torch.nn`` class name and the name ``explain`` prints.

This module imports only ``mlplab.nn`` and ``mlplab.errors`` (and ``mlplab.util``'s lookup):
torch builders import torch when called, so ``import mlplab.registry`` never imports torch.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlplab.errors import SpecError
from mlplab.nn import activations as act
from mlplab.nn import layers as lay
from mlplab.nn import losses as lo
from mlplab.util import load_attr, lookup, unknown_name

Shape = tuple  # a shape without the batch dimension: (784,), (28, 28), (3, 32, 32)


@dataclass(frozen=True)
class ExplainForm:
    """How ``mlplab explain`` writes an elementwise activation f.

    text, latex : its name, e.g. "sigmoid" and ``\\sigma``.
    derivative : "f'(z) = ..." as the engine's backward computes it, in text and LaTeX; None
        when the module has no backward pass (the step function), so explain shows none.
    """

    text: str
    latex: str
    derivative: tuple[str, str] | None


def _torch_nn():
    import torch  # lazily: importing the registry never imports torch

    return torch.nn


def _same_shape(args: tuple, shape: Shape) -> Shape:
    return shape


def _no_parameter_shapes(args: tuple, shape: Shape) -> dict[str, tuple[int, ...]]:
    return {}


def resolve(ref):
    """A callable given as itself or lazily as ``"package.module:name"`` (so a record can name
    an ONNX converter or a torch helper without importing onnx or torch)."""
    if not isinstance(ref, str):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class LayerKind:
    """Everything mlplab knows about one kind of layer.

    name : the spec token ("relu", "dropout", "conv"); "linear" is written as its width.
    example : a small spec using this kind (with its argument when it takes one);
        ``tests/unit/test_registry.py`` builds it in both engines and checks the record.
    summary_name : its name in torchsummary's style ("Linear", "ReLU", "Conv2d"): the class
        name of the module both engines build.
    module : the NumPy engine's module class (None for layers only the twin builds).
    numpy : builder ``(args, input shape, rng, dtype) -> mlplab.nn.Module``; None means "twin
        only": ``ModelSpec.build`` refuses it and points to ``--engine torch``.
    torch : builder ``(args, input shape, ctx) -> torch.nn.Module``; imports torch when called.
        ``ctx["dropout_seed"]()`` gives a seed for a layer that draws randomness.
    argument : converts the token's ":argument" (ValueError when it does not fit); None: the
        kind takes no argument. Ignored when ``parse`` is given.
    parse : ``(argument text, input shape) -> args`` for kinds whose arguments depend on the
        incoming shape; raises SpecError (without the "model spec" prefix).
    format : ``args -> token`` when the token is not ``name`` or ``name:args[0]``.
    output_shape : ``(args, input shape) -> output shape`` (without the batch dimension).
    parameter_shapes : ``(args, input shape) -> {state_dict suffix: shape}`` of the NumPy
        module's parameters ("weight" (out, in), "bias" (out,)), known without building it;
        the parameter count and a run folder's weight check derive from it.
    count : ``(args, input shape) -> count`` for a twin-only kind whose torch module defines
        its own parameters (the MLP-Mixer trunk); None: the count is that of the shapes.
    activation : a nonlinearity (``mlplab.kinds.ACTIVATIONS`` lists these).
    explain : for elementwise activations, how explain writes them; None for every other kind
        (explain writes out Linear layers and elementwise activations only).
    label : the display name on pages and in plots ("Leaky ReLU"); default ``summary_name``.
    hidden : an activation a hidden layer can use (``mlplab train``, the playground,
        ``MLPClassifier``); False for Step (no gradient) and Softmax (an output).
    aliases : other names a user may write for it (TensorFlow Playground's "linear").
    plot_args : the arguments of the activation in the course's activation plot.
    sklearn : scikit-learn's name of the same activation ("logistic"), None without one.
    onnx : the ONNX converter ``(graph, layer, x, shape, params) -> (output, shape)``, as a
        callable or a lazy ``"module:name"``; None: no converter (``onnx_refused`` says why).
    """

    name: str
    summary_name: str
    module: type | None
    numpy: Callable[..., Any] | None
    torch: Callable[..., Any]
    example: str
    argument: Callable[[str], Any] | None = None
    parse: Callable[[str, Shape], tuple] | None = None
    format: Callable[[tuple], str] | None = None
    output_shape: Callable[[tuple, Shape], Shape] = _same_shape
    parameter_shapes: Callable[[tuple, Shape], dict] = _no_parameter_shapes
    count: Callable[[tuple, Shape], int] | None = None
    activation: bool = False
    explain: ExplainForm | None = None
    label: str = ""
    hidden: bool = False
    aliases: tuple[str, ...] = ()
    plot_args: tuple = ()
    sklearn: str | None = None
    onnx: Callable[..., Any] | str | None = None
    onnx_refused: str = "it has no ONNX converter"

    def num_parameters(self, args: tuple, shape: Shape) -> int:
        """The number of parameters of a layer of this kind, computed without building it."""
        if self.count is not None:
            return self.count(args, shape)
        return sum(math.prod(s) for s in self.parameter_shapes(args, shape).values())

    @property
    def display(self) -> str:
        """The name shown to people: ``label``, else the class name."""
        return self.label or self.summary_name

    def onnx_converter(self) -> Callable[..., Any] | None:
        """The ONNX converter (imported on first use), None when the kind has none."""
        return resolve(self.onnx) if self.onnx is not None else None

    @property
    def twin_only(self) -> bool:
        """True when only the PyTorch twin builds this kind."""
        return self.numpy is None

    def read(self, arg: str, shape: Shape) -> tuple:
        """The LayerSpec args of a token ``name:arg`` (``arg`` is "" when absent) whose input
        has ``shape``; SpecError (without the "model spec" prefix) when ``arg`` does not fit."""
        if self.parse is not None:
            return self.parse(arg, shape)
        if not arg:
            return ()
        if self.argument is None:
            raise SpecError(f"{self.name} takes no argument")
        try:
            return (self.argument(arg),)
        except ValueError:
            raise SpecError(f"bad argument {arg!r} for {self.name}") from None

    def token(self, args: tuple) -> str:
        """The spec token of a layer of this kind with ``args`` (``read``'s inverse)."""
        if self.format is not None:
            return self.format(args)
        return self.name + (f":{args[0]}" if args else "")


# -- activations ----------------------------------------------------------------------------
_ONNX = "mlplab.export.onnx_ops:"   # the converters' module (imports onnx only when run)


def activation(module: type, torch: Callable[..., Any], explain: ExplainForm | None, *,
               argument: Callable[[str], Any] | None = None, example_arg: str = "",
               hidden: bool = True, **facts) -> LayerKind:
    """The record of an activation named after its class ("relu" for ReLU): built as
    ``module(*args)`` in NumPy and ``torch(*args)`` in torch; ``facts`` are LayerKind's
    display and export fields (label, aliases, plot_args, sklearn, onnx)."""
    name = module.__name__.lower()
    facts.setdefault("onnx", _ONNX + name)
    return LayerKind(
        name=name, summary_name=module.__name__, module=module,
        numpy=lambda args, shape, rng, dtype: module(*args),
        torch=lambda args, shape, ctx: torch(*args),
        example=f"3-4-{name}{example_arg}-2", argument=argument, activation=True,
        explain=explain, hidden=hidden, **facts)


# mlplab.torch's modules by name: the twin's package imports this registry, not the reverse
def _torch_step():
    return load_attr("mlplab.torch.layers:Step")()


def _torch_gelu(approximate: str = "none"):
    return load_attr("mlplab.torch.layers:gelu")(approximate)


def _finite(arg: str) -> float:
    """A finite float (a nan or inf slope would make every output nan)."""
    value = float(arg)
    if not math.isfinite(value):
        raise ValueError(arg)
    return value


def _positive_finite(arg: str) -> float:
    value = _finite(arg)
    if value <= 0:
        raise ValueError(arg)
    return value


def _probability(arg: str) -> float:
    """A dropout probability in [0, 1), as Dropout itself requires."""
    value = float(arg)
    if not 0.0 <= value < 1.0:
        raise ValueError(arg)
    return value


def _gelu_argument(arg: str) -> str:
    if arg not in ("none", "tanh"):
        raise ValueError(arg)
    return arg


_ACTIVATIONS = [
    activation(act.Identity, lambda: _torch_nn().Identity(),
                ExplainForm("identity", r"\operatorname{id}",
                            ("identity'(z) = 1", r"\operatorname{id}'(z) = 1")),
               label="Identity", aliases=("linear",), sklearn="identity"),
    activation(act.Step, _torch_step,
                ExplainForm("step", r"\operatorname{step}", None), hidden=False, label="Step"),
    activation(act.Sigmoid, lambda: _torch_nn().Sigmoid(),
                ExplainForm("sigmoid", r"\sigma",
                            ("sigmoid'(z) = a (1 - a)", r"\sigma'(z) = a\,(1 - a)")),
               sklearn="logistic"),
    activation(act.Tanh, lambda: _torch_nn().Tanh(),
                ExplainForm("tanh", r"\tanh", ("tanh'(z) = 1 - a²", r"\tanh'(z) = 1 - a^2")),
               sklearn="tanh"),
    activation(act.ReLU, lambda: _torch_nn().ReLU(),
                ExplainForm("relu", r"\operatorname{ReLU}",
                            ("relu'(z) = 1 if z > 0, else 0",
                             r"\operatorname{ReLU}'(z) = 1 \text{ if } z > 0\text{, else } 0")),
               sklearn="relu"),
    activation(act.LeakyReLU,
                lambda negative_slope=0.01: _torch_nn().LeakyReLU(negative_slope),
                ExplainForm("leakyrelu", r"\operatorname{LReLU}",
                            ("leakyrelu'(z) = 1 if z > 0, else the slope",
                             r"\operatorname{LReLU}'(z) = 1 \text{ if } z > 0 \text{, else the "
                             r"slope}")),
                argument=_finite, example_arg=":0.2", label="Leaky ReLU", plot_args=(0.1,)),
    activation(act.Softplus, lambda beta=1.0: _torch_nn().Softplus(beta=beta),
                ExplainForm("softplus", r"\operatorname{softplus}",
                            ("softplus'(z) = sigmoid(beta z)",
                             r"\operatorname{softplus}'(z) = \sigma(\beta z)")),
                argument=_positive_finite, example_arg=":2.0"),
    activation(act.GELU, _torch_gelu,
                ExplainForm("gelu", r"\operatorname{GELU}",
                            ("gelu'(z) = Phi(z) + z phi(z)",
                             r"\operatorname{GELU}'(z) = \Phi(z) + z\,\phi(z)")),
                argument=_gelu_argument, example_arg=":tanh"),
    activation(act.SiLU, lambda: _torch_nn().SiLU(),
                ExplainForm("silu", r"\operatorname{SiLU}",
                            ("silu'(z) = s (1 + z (1 - s)), s = sigmoid(z)",
                             r"\operatorname{SiLU}'(z) = s\,(1 + z\,(1 - s)),\ s = \sigma(z)"))),
    # Not elementwise, so explain does not write it out (cross_entropy has it inside the loss).
    activation(act.Softmax, lambda dim=-1: _torch_nn().Softmax(dim=dim), None, argument=int,
               example_arg=":1", hidden=False),
]


# -- layers with parameters or shape logic --------------------------------------------------
def _parse_linear(arg: str, shape: Shape) -> tuple:
    """``arg`` is the width itself (the token "256")."""
    if len(shape) != 1:
        raise SpecError(f"input of shape {shape} must be flattened before Linear(..., {arg}); "
                        "add 'flatten'")
    try:
        width = int(arg)
    except ValueError:  # over Python's 4300-digit limit for int(): no width is that large
        raise SpecError(f"layer width of {len(arg)} digits is too large") from None
    if width <= 0:
        raise SpecError("layer width must be positive")
    return (shape[0], width)


def _torch_dropout(args: tuple, shape: Shape, ctx: dict):
    return load_attr("mlplab.torch.layers:Dropout")(*args, seed=ctx["dropout_seed"]())


_SHAPE_LAYERS = [
    LayerKind(
        "linear", "Linear", lay.Linear,
        numpy=lambda args, shape, rng, dtype: lay.Linear(*args, rng=rng, dtype=dtype),
        torch=lambda args, shape, ctx: _torch_nn().Linear(*args), example="3-4-2",
        parse=_parse_linear, format=lambda args: str(args[1]),
        output_shape=lambda args, shape: (args[1],),
        parameter_shapes=lambda args, shape: {"weight": (args[1], args[0]), "bias": (args[1],)},
        onnx=_ONNX + "linear"),
    LayerKind(
        "flatten", "Flatten", lay.Flatten,
        numpy=lambda args, shape, rng, dtype: lay.Flatten(),
        torch=lambda args, shape, ctx: _torch_nn().Flatten(), example="2x3-flatten-2",
        output_shape=lambda args, shape: (math.prod(shape),), onnx=_ONNX + "flatten"),
    LayerKind(
        "dropout", "Dropout", lay.Dropout,
        numpy=lambda args, shape, rng, dtype: lay.Dropout(*args, rng=rng),
        torch=_torch_dropout, example="3-4-dropout:0.25-2", argument=_probability,
        onnx=_ONNX + "dropout"),
    LayerKind(
        "layernorm", "LayerNorm", lay.LayerNorm,
        numpy=lambda args, shape, rng, dtype: lay.LayerNorm(shape[-1], dtype=dtype),
        torch=lambda args, shape, ctx: _torch_nn().LayerNorm(shape[-1]),
        example="3-4-layernorm-2",
        parameter_shapes=lambda args, shape: {"weight": (shape[-1],), "bias": (shape[-1],)},
        onnx=_ONNX + "layernorm"),
]


# -- layers only the PyTorch twin builds ----------------------------------------------------
MIXER_DEFAULTS = {"patch": 7, "dim": 64, "depth": 4, "tokens_hidden": 32, "channels_hidden": 128,
                  "dropout": 0.0}


def _image_shape(name: str, shape: Shape) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise SpecError(f"{name} needs a CxHxW input (e.g. 1x28x28 or 3x32x32), got shape "
                        f"{shape}")
    return shape


def _positive_int(name: str, arg: str) -> int:
    try:
        value = int(arg)
    except ValueError:
        value = 0
    if value <= 0:
        raise SpecError(f"bad argument {arg!r} for {name}; expected a positive integer")
    return value


def _parse_conv(arg: str, shape: Shape) -> tuple:
    c, _, _ = _image_shape("conv", shape)
    if not arg:
        raise SpecError("conv needs its output channels, e.g. conv:32")
    return (c, _positive_int("conv", arg))


def _parse_maxpool(arg: str, shape: Shape) -> tuple:
    _, h, w = _image_shape("maxpool", shape)
    k = _positive_int("maxpool", arg) if arg else 2
    if h // k < 1 or w // k < 1:
        raise SpecError(f"maxpool:{k} does not fit a {h}x{w} input")
    return (k,) if arg else ()


def _parse_mixer(arg: str, shape: Shape) -> tuple:
    c, h, w = _image_shape("mixer", shape)
    opts = dict(MIXER_DEFAULTS)
    for item in filter(None, arg.split(",")):
        key, _, value = item.partition("=")
        if key not in MIXER_DEFAULTS:
            raise SpecError(unknown_name(MIXER_DEFAULTS, key, "mixer option"))
        if key == "dropout":   # after each MLP's GELU and its output, as the paper's block
            try:
                opts[key] = _probability(value)
            except ValueError:
                raise SpecError(f"bad argument {value!r} for mixer option dropout; expected a "
                                "probability in [0, 1)") from None
        else:
            opts[key] = _positive_int(f"mixer option {key}", value)
    p = opts["patch"]
    if h % p or w % p:
        raise SpecError(f"mixer patch={p} does not divide the {h}x{w} input")
    return ((c, h, w), tuple(opts.items()))


def _mixer_parameters(args: tuple, shape: Shape) -> int:
    (c, h, w), opts = args[0], dict(args[1])
    p, d, t_h, c_h = opts["patch"], opts["dim"], opts["tokens_hidden"], opts["channels_hidden"]
    tokens = (h // p) * (w // p)
    block = (2 * d + tokens * t_h + t_h + t_h * tokens + tokens   # norm1, token-mixing MLP
             + 2 * d + d * c_h + c_h + c_h * d + d)               # norm2, channel-mixing MLP
    return c * p * p * d + d + opts["depth"] * block + 2 * d      # embedding, blocks, norm


def _torch_mixer(args: tuple, shape: Shape, ctx: dict):
    in_shape, opts = args
    return load_attr("mlplab.torch.mixer:MLPMixer")(in_shape, **dict(opts),
                                                    seeds=ctx["dropout_seed"])


_TWIN_LAYERS = [
    LayerKind(  # conv:C = Conv2d(in, C, 3, padding=1); args (in_channels, out_channels)
        "conv", "Conv2d", None, numpy=None,
        torch=lambda args, shape, ctx: _torch_nn().Conv2d(*args, 3, padding=1),
        example="2x6x6-conv:3-flatten-2",
        parse=_parse_conv, format=lambda args: f"conv:{args[1]}",
        output_shape=lambda args, shape: (args[1], *shape[1:]),
        parameter_shapes=lambda args, shape: {"weight": (args[1], args[0], 3, 3),
                                              "bias": (args[1],)},
        onnx=_ONNX + "conv"),
    LayerKind(  # maxpool[:k] = MaxPool2d(k), k = 2 by default; args () or (k,)
        "maxpool", "MaxPool2d", None, numpy=None,
        torch=lambda args, shape, ctx: _torch_nn().MaxPool2d(*(args or (2,))),
        example="2x6x6-maxpool:3-maxpool-flatten-2",
        parse=_parse_maxpool,
        output_shape=lambda args, shape: (shape[0], *(d // (args[0] if args else 2)
                                                       for d in shape[1:])),
        onnx=_ONNX + "maxpool"),
    LayerKind(  # an MLP-Mixer trunk (mlplab.torch.mixer); args ((C, H, W), options)
        "mixer", "MLPMixer", None, numpy=None, torch=_torch_mixer,
        example="1x8x8-mixer:patch=4,dim=6,depth=2,tokens_hidden=5,channels_hidden=7-2",
        parse=_parse_mixer,
        format=lambda args: "mixer:" + ",".join(f"{k}={v}" for k, v in args[1]
                                                if k != "dropout" or v),
        output_shape=lambda args, shape: (dict(args[1])["dim"],),
        count=_mixer_parameters,
        onnx_refused="the MLP-Mixer trunk (mlplab.torch.mixer) has no ONNX converter; export "
                     "it with torch.onnx from the torch twin, or use a model without mixer"),
]

LAYERS: dict[str, LayerKind] = {k.name: k for k in (*_ACTIVATIONS, *_SHAPE_LAYERS,
                                                     *_TWIN_LAYERS)}


def layer_kind(name: str) -> LayerKind:
    """The record of a layer kind; SpecError "unknown layer ..." listing the valid tokens."""
    try:
        return LAYERS[name]
    except KeyError:
        raise SpecError(unknown_layer_message(name)) from None


def unknown_layer_message(name: str) -> str:
    tokens = ", ".join(k for k in LAYERS if k != "linear")
    return f"unknown layer {name!r}; choose one of a width (e.g. 256), {tokens}"


# -- losses ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LossKind:
    """Everything mlplab knows about one loss.

    task : "regression" or "classification" (the course's output/loss pairs, course unit 004).
    numpy : the ``mlplab.nn`` loss class.
    torch_name : the ``torch.nn`` class with the same meaning and keyword arguments.
    explain : how ``mlplab explain`` names it.
    label : its short name on plots' axes ("cross-entropy").
    targets : "indices" (one class index per sample, shape (n,)) or "values" (shape (n, k)).
    outputs : what the network's outputs are to this loss: "logits" (softmax or sigmoid
        inside the loss), "probabilities" (already through a sigmoid) or "values".
    probabilities : how the outputs (n, k) become class probabilities: "softmax",
        "sigmoid", "identity" (outputs already are probabilities), None for regression.
    threshold : a one-column output above it is class 1: 0.5 for a probability, 0.0 for a
        logit; None for a loss whose predictions are an argmax or values.
    target_range : the closed interval the targets must lie in, None for any value.
    gradient : dL/da^[L] as explain writes it, (text, LaTeX) with ``<L>`` for the output
        layer's index, without the 1/n of the mean; None: explain shows the engine's numbers.
    """

    name: str
    task: str
    numpy: type
    torch_name: str
    explain: str
    label: str = ""
    targets: str = "values"
    outputs: str = "values"
    probabilities: str | None = None
    threshold: float | None = None
    target_range: tuple[float, float] | None = None
    gradient: tuple[str, str] | None = None

    def build(self, **kwargs) -> lo.Loss:
        return self.numpy(**kwargs)

    def torch_class(self):
        return getattr(_torch_nn(), self.torch_name)

    @property
    def display(self) -> str:
        return self.label or self.name


_BINARY = dict(task="classification", target_range=(0.0, 1.0), label="binary cross-entropy")
LOSSES: dict[str, LossKind] = {k.name: k for k in (
    LossKind("mse", "regression", lo.MSELoss, "MSELoss", "mean squared error (MSELoss)",
             label="MSE", gradient=("2 (a^[<L>] - y)", r"2\,(a^{[<L>]} - y)")),
    LossKind("bce", numpy=lo.BCELoss, torch_name="BCELoss",
             explain="binary cross-entropy (BCELoss)", outputs="probabilities",
             probabilities="identity", threshold=0.5,
             gradient=("(a^[<L>] - y) / (a^[<L>] (1 - a^[<L>]))",
                       r"\frac{a^{[<L>]} - y}{a^{[<L>]}\,(1 - a^{[<L>]})}"), **_BINARY),
    LossKind("bce_logits", numpy=lo.BCEWithLogitsLoss, torch_name="BCEWithLogitsLoss",
             explain="binary cross-entropy on logits (BCEWithLogitsLoss)", outputs="logits",
             probabilities="sigmoid", threshold=0.0,
             gradient=("sigmoid(a^[<L>]) - y", r"\sigma(a^{[<L>]}) - y"), **_BINARY),
    LossKind("cross_entropy", "classification", lo.CrossEntropyLoss, "CrossEntropyLoss",
             "softmax + cross-entropy (CrossEntropyLoss)", label="cross-entropy",
             targets="indices", outputs="logits", probabilities="softmax",
             gradient=("softmax(a^[<L>]) - onehot(y)",
                       r"\operatorname{softmax}(a^{[<L>]}) - \operatorname{onehot}(y)")),
)}


def register_loss(kind: LossKind) -> LossKind:
    """Add a loss to ``LOSSES`` (every face reads the table when it runs); returns it."""
    if kind.name in LOSSES:
        raise ValueError(f"a loss named {kind.name!r} is already registered")
    if kind.task not in ("regression", "classification"):
        raise ValueError(f"loss {kind.name!r}: task must be regression or classification")
    LOSSES[kind.name] = kind
    return kind


def register_layer(kind: LayerKind) -> LayerKind:
    """Add a layer or activation kind to ``LAYERS``; returns it."""
    if kind.name in LAYERS or any(a in LAYERS for a in kind.aliases):
        raise ValueError(f"a layer named {kind.name!r} is already registered")
    LAYERS[kind.name] = kind
    return kind


def activations(hidden: bool | None = None) -> dict[str, LayerKind]:
    """The activation records by name; ``hidden=True``: those a hidden layer can use."""
    return {n: k for n, k in LAYERS.items()
            if k.activation and (hidden is None or k.hidden == hidden)}


def activation_named(name: str) -> LayerKind | None:
    """The activation record called ``name`` or one of its aliases, else None."""
    kind = LAYERS.get(name)
    if kind is not None and kind.activation:
        return kind
    return next((k for k in activations().values() if name in k.aliases), None)


def names(table, last: str = "or") -> str:
    """``a, b, c or d``: a table's names for help texts and error messages."""
    keys = list(table)
    return keys[0] if len(keys) == 1 else ", ".join(keys[:-1]) + f" {last} " + keys[-1]


def loss_kind(name: str) -> LossKind:
    """The record of a loss; "unknown loss ..." (mlplab.util.lookup's error) otherwise."""
    return lookup(LOSSES, name, "loss")


def task_of(loss: str) -> str:
    """Which task ``loss`` serves: "regression" or "classification"."""
    return loss_kind(loss).task

"""ModelSpec: a network described as data, built by either engine.

Text form: widths and layer names joined by ``-``. The first token is the input shape; every
later integer is a Linear layer's output width. Names are activations or shape layers, with an
optional ``:argument``::

    784-256-relu-10                 Linear(784, 256), ReLU, Linear(256, 10)
    9-64-relu-64-relu-1             the course's Auto-MPG MLP
    28x28-flatten-256-relu-10       image input, flattened first
    784-512-gelu:tanh-dropout:0.2-10
    2-2-sigmoid-1-sigmoid           the slides' 2-2-1 network

Layers that only the PyTorch twin builds (``--engine torch``; the NumPy engine refuses them
with a SpecError) take a ``CxHxW`` input::

    3x32x32-conv:32-relu-maxpool-conv:64-relu-maxpool-flatten-256-relu-dropout:0.5-10
                                    conv:C = Conv2d(in, C, 3, padding=1); maxpool = MaxPool2d(2)
    1x28x28-mixer:patch=7,dim=64,depth=4,tokens_hidden=32,channels_hidden=128-10
                                    an MLP-Mixer trunk (mlplab.torch.mixer), (dim,) features out

The list form takes the same tokens: ``[784, 256, "relu", 10]``.

Every token kind is a record in :data:`mlplab.registry.LAYERS` (how its argument is read and
written, its output shape, its parameter count, its builders); this module only walks them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from mlplab import nn
from mlplab.errors import SpecError  # re-exported here
from mlplab.limits import check_params
from mlplab.nn.summary import SummaryRow
from mlplab.registry import LAYERS, LayerKind, unknown_layer_message


@dataclass(frozen=True)
class LayerSpec:
    kind: str            # a key of mlplab.registry.LAYERS: "linear", "relu", "dropout", "conv"
    args: tuple = ()     # linear: (in_features, out_features); conv: (in_channels,
    #                      out_channels); mixer: ((C, H, W), options); others: their argument

    @property
    def record(self) -> LayerKind:
        """This kind's record in ``mlplab.registry.LAYERS``."""
        return LAYERS[self.kind]

    def __str__(self) -> str:
        return self.record.token(self.args)


AUTO = "auto"   # a spec's first token: the input width is the data's (experiment files)


def with_input_width(spec, width: int):
    """``spec`` (text or token list) with a first token ``auto`` replaced by ``width``; any
    other spec as it is. An experiment whose images are resized (``image_size``) keeps one
    spec for every size: ``auto-1024-tanh-7``."""
    if isinstance(spec, ModelSpec):
        return spec
    tokens = spec.split("-") if isinstance(spec, str) else list(spec)
    if not tokens or str(tokens[0]).strip().lower() != AUTO:
        return spec
    tokens[0] = str(int(width))
    return "-".join(str(t) for t in tokens) if isinstance(spec, str) else tokens


@dataclass(frozen=True)
class Head:
    """A network's last layer and loss for a task: ``width`` outputs, trained with ``loss``,
    then ``activation`` (a spec token; None: the outputs are the last Linear's)."""

    width: int
    loss: str
    activation: str | None = None


def head_for(task: str, classes: int = 0, *, binary: Literal["softmax", "logit"] = "softmax",
             targets: int = 1) -> Head:
    """The output head every face builds its MLP with.

    regression: ``targets`` outputs (one per target column), mse. Classification with
    ``classes`` classes: that many logits and cross_entropy, but for 2 classes ``binary``
    chooses: ``"softmax"`` keeps two logits and cross_entropy (``mlplab train``, the
    scikit-learn estimators), ``"logit"`` one logit and bce_logits (the playground, whose
    page draws that one output as the probability of class 1).
    """
    if task == "regression":
        if targets < 1:
            raise ValueError(f"head_for: a regression needs at least one target, got {targets}")
        return Head(int(targets), "mse")
    if task != "classification":
        raise ValueError(f"head_for: task must be 'regression' or 'classification', "
                         f"got {task!r}")
    if classes < 1:
        raise ValueError(f"head_for: a classification needs at least one class, got {classes}")
    if binary not in ("softmax", "logit"):
        raise ValueError(f"head_for: binary must be 'softmax' or 'logit', got {binary!r}")
    if classes == 2 and binary == "logit":
        return Head(1, "bce_logits")
    return Head(int(classes), "cross_entropy")


def mlp_text(inputs: int, hidden: Sequence[int], activation: str, head: Head,
             dropout: float = 0.0) -> str:
    """The spec text ``inputs-h1-act[-dropout:p]-...-width[-head activation]``: each hidden
    width followed by ``activation`` (a spec token, written as given) and, when ``dropout``
    is not 0, a dropout layer (its rate written as ``str`` writes it, as given)."""
    tokens = [str(int(inputs))]
    for width in hidden:
        tokens += [str(int(width)), str(activation)]
        if dropout:
            tokens.append(f"dropout:{dropout}")
    tokens.append(str(head.width))
    if head.activation:
        tokens.append(head.activation)
    return "-".join(tokens)


@dataclass(frozen=True)
class ModelSpec:
    input_shape: tuple[int, ...]
    layers: tuple[LayerSpec, ...]

    # -- parsing --------------------------------------------------------------------------
    @classmethod
    def parse(cls, spec) -> ModelSpec:
        """Parse the text or list form (see the module docstring); a ModelSpec passes through."""
        if isinstance(spec, ModelSpec):
            return spec
        text = spec if isinstance(spec, str) else "-".join(str(t) for t in spec)
        tokens = [t.strip().lower() for t in text.split("-")]
        if not text.strip() or any(not t for t in tokens):
            raise SpecError(f"model spec {text!r}: empty layer between '-' separators; "
                            "write it like 784-256-relu-10")
        if tokens[0] == AUTO:
            raise SpecError(f"model spec {text!r}: 'auto' takes the input width from the "
                            "data, which only an experiment's run knows; give the width here "
                            "(e.g. 2304-...)")
        try:
            input_shape = tuple(int(d) for d in tokens[0].split("x"))
        except ValueError:
            raise SpecError(f"model spec {text!r}: must start with the input size (e.g. 784 "
                            f"or 28x28), got {tokens[0]!r}") from None
        if any(d <= 0 for d in input_shape):
            raise SpecError(f"model spec {text!r}: input size must be positive")
        layers, shape = [], input_shape
        for tok in tokens[1:]:
            name, _, arg = tok.partition(":")
            if name.isascii() and name.isdigit():  # a width: Linear(in, width)
                if arg:
                    raise SpecError(f"model spec {text!r}: a layer width takes no argument, "
                                    f"got {tok!r}")
                name, arg = "linear", name
            elif name not in LAYERS or name == "linear":
                raise SpecError(f"model spec {text!r}: {unknown_layer_message(name)}")
            kind = LAYERS[name]
            try:
                args = kind.read(arg, shape)
            except SpecError as e:
                raise SpecError(f"model spec {text!r}: {e}") from None
            layers.append(LayerSpec(name, args))
            shape = kind.output_shape(args, shape)
        if not any(layer.kind == "linear" for layer in layers):
            raise SpecError(f"model spec {text!r}: needs at least one layer width after the "
                            "input size, e.g. 784-10")
        result = cls(input_shape, tuple(layers))
        # Counted from the records, nothing allocated: a mistyped width is refused here, at
        # every entry point (summary, train, run, predict, explain), with its size.
        result.check_size(f"model spec {text!r}")
        return result

    @classmethod
    def mlp(cls, inputs: int, hidden: Sequence[int], activation: str, task: str,
            classes: int = 0, *, dropout: float = 0.0,
            binary: Literal["softmax", "logit"] = "softmax", targets: int = 1) -> ModelSpec:
        """The MLP ``inputs -> hidden widths (each with activation, dropout) -> head``, the
        head from :func:`head_for` (``task``, ``classes``, ``binary``, ``targets``); its text
        is :func:`mlp_text`'s and its loss ``head_for(...).loss``."""
        head = head_for(task, classes, binary=binary, targets=targets)
        return cls.parse(mlp_text(inputs, hidden, activation, head, dropout))

    def check_size(self, what: str | None = None) -> None:
        """SpecError when the model is above ``mlplab.limits.MAX_PARAMS`` (the message gives
        the parameter count, the bytes as float32 and the variable that raises the limit)."""
        check_params(self.num_parameters(), what or f"model spec {str(self)!r}")

    def __str__(self) -> str:
        head = "x".join(str(d) for d in self.input_shape)
        return "-".join([head, *(str(layer) for layer in self.layers)])

    # -- facts ----------------------------------------------------------------------------
    @property
    def in_features(self) -> int:
        return int(np.prod(self.input_shape))

    @property
    def out_features(self) -> int:
        return [layer for layer in self.layers if layer.kind == "linear"][-1].args[1]

    @property
    def linear_layers(self) -> list[tuple[int, int]]:
        return [layer.args for layer in self.layers if layer.kind == "linear"]

    @property
    def twin_only(self) -> bool:
        """True when a layer (conv, maxpool, mixer) runs only on the PyTorch twin."""
        return any(layer.record.twin_only for layer in self.layers)

    def layer_table(self) -> list[tuple[LayerSpec, tuple[int, ...], int]]:
        """(layer, output shape without the batch dimension, parameter count) per layer."""
        rows, shape = [], self.input_shape
        for layer in self.layers:
            kind = layer.record
            params = kind.num_parameters(layer.args, shape)
            shape = kind.output_shape(layer.args, shape)
            rows.append((layer, shape, params))
        return rows

    def num_parameters(self) -> int:
        return sum(params for _, _, params in self.layer_table())

    def summary(self) -> nn.ModelSummary:
        """A torchsummary-style table computed from the spec alone (no model is built, so no
        weights are allocated); the same table as ``nn.summary`` of the built model."""
        result = nn.ModelSummary(input_shape=self.input_shape)
        for i, (layer, shape, params) in enumerate(self.layer_table(), 1):
            name = layer.record.summary_name
            result.rows.append(SummaryRow(f"{name}-{i}", (-1, *shape), params))
        result.total_params = result.trainable_params = self.num_parameters()
        return result

    # -- building -------------------------------------------------------------------------
    def build(self, seed: int | None = None, *, rng: np.random.Generator | None = None,
              dtype=np.float32) -> nn.Sequential:
        """A NumPy ``Sequential`` with torch-default initial weights drawn from ``rng`` (or a
        generator seeded with ``seed``)."""
        twin = sorted({layer.kind for layer in self.layers if layer.record.twin_only})
        if twin:
            raise SpecError(f"model spec {str(self)!r}: {' and '.join(twin)} layers run only on "
                            "the torch engine: use --engine torch")
        self.check_size()
        rng = rng if rng is not None else np.random.default_rng(seed)
        mods, shape = [], self.input_shape
        for layer in self.layers:
            kind = layer.record
            mods.append(kind.numpy(layer.args, shape, rng, dtype))
            shape = kind.output_shape(layer.args, shape)
        return nn.Sequential(*mods)

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
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlplab import nn
from mlplab.errors import SpecError  # re-exported here
from mlplab.nn.summary import SummaryRow

# Layer names other than activations, and how their ":argument" is read.
SHAPE_LAYERS = ("flatten", "dropout", "layernorm")
_ARG_PARSERS = {"leakyrelu": float, "dropout": float, "gelu": str, "softplus": float,
                "softmax": int}



# -- layers only the PyTorch twin builds ---------------------------------------------------
# TWIN_PARSERS read a token's ":argument" against the incoming shape and return the LayerSpec
# and its output shape; TWIN_PARAMS and TWIN_SHAPES give parameters and output shape from the
# LayerSpec's args (and the incoming shape).
MIXER_DEFAULTS = {"patch": 7, "dim": 64, "depth": 4, "tokens_hidden": 32, "channels_hidden": 128}


def _image_shape(name: str, shape: tuple, text: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise SpecError(f"model spec {text!r}: {name} needs a CxHxW input (e.g. 1x28x28 or "
                        f"3x32x32), got shape {shape}")
    return shape


def _positive_int(name: str, arg: str, text: str) -> int:
    try:
        value = int(arg)
    except ValueError:
        value = 0
    if value <= 0:
        raise SpecError(f"model spec {text!r}: bad argument {arg!r} for {name}; expected a "
                        "positive integer")
    return value


def _parse_conv(arg: str, shape: tuple, text: str):
    c, h, w = _image_shape("conv", shape, text)
    if not arg:
        raise SpecError(f"model spec {text!r}: conv needs its output channels, e.g. conv:32")
    out = _positive_int("conv", arg, text)
    return LayerSpec("conv", (c, out)), (out, h, w)


def _parse_maxpool(arg: str, shape: tuple, text: str):
    c, h, w = _image_shape("maxpool", shape, text)
    k = _positive_int("maxpool", arg, text) if arg else 2
    if h // k < 1 or w // k < 1:
        raise SpecError(f"model spec {text!r}: maxpool:{k} does not fit a {h}x{w} input")
    return LayerSpec("maxpool", (k,) if arg else ()), (c, h // k, w // k)


def _parse_mixer(arg: str, shape: tuple, text: str):
    c, h, w = _image_shape("mixer", shape, text)
    opts = dict(MIXER_DEFAULTS)
    for item in filter(None, arg.split(",")):
        key, _, value = item.partition("=")
        if key not in MIXER_DEFAULTS:
            raise SpecError(f"model spec {text!r}: unknown mixer option {key!r}; valid: "
                            f"{', '.join(MIXER_DEFAULTS)}")
        opts[key] = _positive_int(f"mixer option {key}", value, text)
    p = opts["patch"]
    if h % p or w % p:
        raise SpecError(f"model spec {text!r}: mixer patch={p} does not divide the {h}x{w} "
                        "input")
    return LayerSpec("mixer", ((c, h, w), tuple(opts.items()))), (opts["dim"],)


def _mixer_params(args) -> int:
    (c, h, w), opts = args[0], dict(args[1])
    p, d, t_h, c_h = opts["patch"], opts["dim"], opts["tokens_hidden"], opts["channels_hidden"]
    tokens = (h // p) * (w // p)
    block = (2 * d + tokens * t_h + t_h + t_h * tokens + tokens   # norm1, token-mixing MLP
             + 2 * d + d * c_h + c_h + c_h * d + d)               # norm2, channel-mixing MLP
    return c * p * p * d + d + opts["depth"] * block + 2 * d      # embedding, blocks, norm


TWIN_PARSERS = {"conv": _parse_conv, "maxpool": _parse_maxpool, "mixer": _parse_mixer}
TWIN_PARAMS = {"conv": lambda a: a[0] * a[1] * 9 + a[1], "maxpool": lambda a: 0,
               "mixer": _mixer_params}
TWIN_SHAPES = {"conv": lambda a, s: (a[1], *s[1:]),
               "maxpool": lambda a, s: (s[0], *(d // (a[0] if a else 2) for d in s[1:])),
               "mixer": lambda a, s: (dict(a[1])["dim"],)}
_TWIN_FORMAT = {"conv": lambda a: f"conv:{a[1]}",
                "mixer": lambda a: "mixer:" + ",".join(f"{k}={v}" for k, v in a[1])}
# Names in torchsummary's style, for ModelSpec.summary().
_LAYER_NAMES = {"linear": "Linear", "flatten": "Flatten", "dropout": "Dropout",
                "layernorm": "LayerNorm", "conv": "Conv2d", "maxpool": "MaxPool2d",
                "mixer": "MLPMixer"}


@dataclass(frozen=True)
class LayerSpec:
    kind: str            # "linear", an activation name (nn.ACTIVATIONS), a SHAPE_LAYERS name or
    #                      a twin-only name (TWIN_PARSERS)
    args: tuple = ()     # linear: (in_features, out_features); conv: (in_channels,
    #                      out_channels); mixer: ((C, H, W), options); others: their argument

    def __str__(self) -> str:
        if self.kind == "linear":
            return str(self.args[1])
        if self.kind in _TWIN_FORMAT:
            return _TWIN_FORMAT[self.kind](self.args)
        return self.kind + (f":{self.args[0]}" if self.args else "")


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
            if name.isdigit():
                if len(shape) != 1:
                    raise SpecError(f"model spec {text!r}: input of shape {shape} must be "
                                    f"flattened before Linear(..., {name}); add 'flatten'")
                width = int(name)
                if width <= 0:
                    raise SpecError(f"model spec {text!r}: layer width must be positive")
                layers.append(LayerSpec("linear", (shape[0], width)))
                shape = (width,)
            elif name in nn.ACTIVATIONS or name in SHAPE_LAYERS:
                args = ()
                if arg:
                    parse = _ARG_PARSERS.get(name)
                    if parse is None:
                        raise SpecError(f"model spec {text!r}: {name} takes no argument")
                    try:
                        args = (parse(arg),)
                    except ValueError:
                        raise SpecError(f"model spec {text!r}: bad argument {arg!r} for "
                                        f"{name}") from None
                if name == "flatten":
                    shape = (int(np.prod(shape)),)
                layers.append(LayerSpec(name, args))
            elif name in TWIN_PARSERS:
                layer, shape = TWIN_PARSERS[name](arg, shape, text)
                layers.append(layer)
            else:
                raise SpecError(
                    f"model spec {text!r}: unknown layer {name!r}; use a width, one of "
                    f"{', '.join(sorted(nn.ACTIVATIONS))}, {', '.join(SHAPE_LAYERS)}, or "
                    f"(torch engine) {', '.join(TWIN_PARSERS)}")
        if not any(layer.kind == "linear" for layer in layers):
            raise SpecError(f"model spec {text!r}: needs at least one layer width after the "
                            "input size, e.g. 784-10")
        return cls(input_shape, tuple(layers))

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
        return any(layer.kind in TWIN_PARSERS for layer in self.layers)

    def layer_table(self) -> list[tuple[LayerSpec, tuple[int, ...], int]]:
        """(layer, output shape without the batch dimension, parameter count) per layer."""
        rows, shape = [], self.input_shape
        for layer in self.layers:
            params = 0
            if layer.kind == "linear":
                params = layer.args[0] * layer.args[1] + layer.args[1]
                shape = (layer.args[1],)
            elif layer.kind == "flatten":
                shape = (int(np.prod(shape)),)
            elif layer.kind == "layernorm":
                params = 2 * shape[-1]
            elif layer.kind in TWIN_PARSERS:
                params = TWIN_PARAMS[layer.kind](layer.args)
                shape = TWIN_SHAPES[layer.kind](layer.args, shape)
            rows.append((layer, shape, params))
        return rows

    def num_parameters(self) -> int:
        return sum(params for _, _, params in self.layer_table())

    def summary(self) -> nn.ModelSummary:
        """A torchsummary-style table computed from the spec alone (no model is built), for
        specs the NumPy engine cannot build."""
        result = nn.ModelSummary(input_shape=self.input_shape)
        for i, (layer, shape, params) in enumerate(self.layer_table(), 1):
            name = _LAYER_NAMES.get(layer.kind) or nn.ACTIVATIONS[layer.kind].__name__
            result.rows.append(SummaryRow(f"{name}-{i}", (-1, *shape), params))
        result.total_params = result.trainable_params = self.num_parameters()
        return result

    # -- building -------------------------------------------------------------------------
    def build(self, seed: int | None = None, *, rng: np.random.Generator | None = None,
              dtype=np.float32) -> nn.Sequential:
        """A NumPy ``Sequential`` with torch-default initial weights drawn from ``rng`` (or a
        generator seeded with ``seed``)."""
        twin = sorted({layer.kind for layer in self.layers if layer.kind in TWIN_PARSERS})
        if twin:
            raise SpecError(f"model spec {str(self)!r}: {' and '.join(twin)} layers run only on "
                            "the torch engine: use --engine torch")
        rng = rng if rng is not None else np.random.default_rng(seed)
        mods, shape = [], self.input_shape
        for layer in self.layers:
            if layer.kind == "linear":
                mods.append(nn.Linear(*layer.args, rng=rng, dtype=dtype))
                shape = (layer.args[1],)
            elif layer.kind == "flatten":
                mods.append(nn.Flatten())
                shape = (int(np.prod(shape)),)
            elif layer.kind == "dropout":
                mods.append(nn.Dropout(*layer.args, rng=rng))
            elif layer.kind == "layernorm":
                mods.append(nn.LayerNorm(shape[-1], dtype=dtype))
            else:
                mods.append(nn.ACTIVATIONS[layer.kind](*layer.args))
        return nn.Sequential(*mods)

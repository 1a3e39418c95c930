"""ModelSpec: a network described as data, built by either engine.

Text form: widths and layer names joined by ``-``. The first token is the input shape; every
later integer is a Linear layer's output width. Names are activations or shape layers, with an
optional ``:argument``::

    784-256-relu-10                 Linear(784, 256), ReLU, Linear(256, 10)
    9-64-relu-64-relu-1             the course's Auto-MPG MLP
    28x28-flatten-256-relu-10       image input, flattened first
    784-512-gelu:tanh-dropout:0.2-10
    2-2-sigmoid-1-sigmoid           the slides' 2-2-1 network

The list form takes the same tokens: ``[784, 256, "relu", 10]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlplab import nn

# Layer names other than activations, and how their ":argument" is read.
SHAPE_LAYERS = ("flatten", "dropout", "layernorm")
_ARG_PARSERS = {"leakyrelu": float, "dropout": float, "gelu": str, "softplus": float,
                "softmax": int}


class SpecError(ValueError):
    """A model spec that cannot be parsed or does not fit together."""


@dataclass(frozen=True)
class LayerSpec:
    kind: str            # "linear", an activation name (nn.ACTIVATIONS) or a SHAPE_LAYERS name
    args: tuple = ()     # linear: (in_features, out_features); others: their one argument, if any

    def __str__(self) -> str:
        if self.kind == "linear":
            return str(self.args[1])
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
            else:
                raise SpecError(
                    f"model spec {text!r}: unknown layer {name!r}; use a width, one of "
                    f"{', '.join(sorted(nn.ACTIVATIONS))}, or {', '.join(SHAPE_LAYERS)}")
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

    def num_parameters(self) -> int:
        total = sum(i * o + o for i, o in self.linear_layers)
        shape = self.input_shape
        for layer in self.layers:
            if layer.kind == "linear":
                shape = (layer.args[1],)
            elif layer.kind == "flatten":
                shape = (int(np.prod(shape)),)
            elif layer.kind == "layernorm":
                total += 2 * shape[-1]
        return total

    # -- building -------------------------------------------------------------------------
    def build(self, seed: int | None = None, *, rng: np.random.Generator | None = None,
              dtype=np.float32) -> nn.Sequential:
        """A NumPy ``Sequential`` with torch-default initial weights drawn from ``rng`` (or a
        generator seeded with ``seed``)."""
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

"""torch modules for every LayerSpec kind, looked up by name.

``ACTIVATIONS`` mirrors :data:`mlplab.nn.ACTIVATIONS` name for name (with the same ``:argument``
meaning); ``LAYERS`` builds the other kinds from a LayerSpec and its input shape. Two modules
are mlplab's own: :class:`Step` (forward only, as in the NumPy engine) and :class:`Dropout`,
which draws its masks from its own ``torch.Generator`` instead of torch's global RNG.
"""

from __future__ import annotations

from mlplab.torch import require_torch

torch = require_torch()


class _StepFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        raise RuntimeError(
            "Step: the step function has zero gradient almost everywhere, so backpropagation "
            "cannot train through it; use Sigmoid or ReLU to train, and Step only with "
            "hand-set weights")


class Step(torch.nn.Module):
    """Heaviside step, f(z) = 1 if z >= 0 else 0, shape preserved. Forward only: a backward
    pass through it raises RuntimeError, as the NumPy engine's Step does."""

    def forward(self, x):
        return _StepFunction.apply(x)


class Dropout(torch.nn.Dropout):
    """Inverted dropout (zero with probability ``p``, scale survivors by 1/(1-p)) whose masks
    come from a ``torch.Generator`` seeded with ``seed`` (a fresh random seed when None), so a
    seeded run repeats exactly and torch's global RNG is neither read nor advanced.

    x : (N, *) -> (N, *); identity in ``eval()`` mode.
    """

    def __init__(self, p: float = 0.5, seed: int | None = None):
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        super().__init__(p)
        self.seed = seed
        self._generator = None

    def extra_repr(self) -> str:
        return f"p={self.p}, seed={self.seed}"

    def _gen(self, device):
        g = self._generator
        if g is None or g.device != device:
            g = torch.Generator(device=device)
            if self.seed is None:
                g.seed()
            else:
                g.manual_seed(int(self.seed))
            self._generator = g
        return g

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        keep = torch.empty_like(x).bernoulli_(1.0 - self.p, generator=self._gen(x.device))
        return x * keep / (1.0 - self.p)


def _gelu(approximate: str = "none"):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
    return torch.nn.GELU(approximate=approximate)


# name -> factory taking the spec token's argument, if any (same meaning as in mlplab.nn)
ACTIVATIONS = {
    "identity": torch.nn.Identity,
    "step": Step,
    "sigmoid": torch.nn.Sigmoid,
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "leakyrelu": lambda negative_slope=0.01: torch.nn.LeakyReLU(negative_slope),
    "softplus": lambda beta=1.0: torch.nn.Softplus(beta=beta),
    "gelu": _gelu,
    "silu": torch.nn.SiLU,
    "softmax": lambda dim=-1: torch.nn.Softmax(dim=dim),
}


def _mixer(layer, shape, ctx):
    from mlplab.torch.mixer import MLPMixer

    in_shape, opts = layer.args
    return MLPMixer(in_shape, **dict(opts))


# kind -> builder(layer, input shape without the batch dimension, ctx) -> torch.nn.Module;
# ctx carries the seed a Dropout draws from.
LAYERS = {
    "linear": lambda layer, shape, ctx: torch.nn.Linear(*layer.args),
    "flatten": lambda layer, shape, ctx: torch.nn.Flatten(),
    "dropout": lambda layer, shape, ctx: Dropout(*layer.args, seed=ctx["dropout_seed"]()),
    "layernorm": lambda layer, shape, ctx: torch.nn.LayerNorm(shape[-1]),
    "conv": lambda layer, shape, ctx: torch.nn.Conv2d(*layer.args, 3, padding=1),
    "maxpool": lambda layer, shape, ctx: torch.nn.MaxPool2d(*(layer.args or (2,))),
    "mixer": _mixer,
}

"""The torch modules mlplab adds to torch.nn for its layer kinds.

Each kind's torch builder is its record in :data:`mlplab.registry.LAYERS`. Two modules are
mlplab's own: :class:`Step` (forward only, as in the NumPy engine) and :class:`Dropout`, which
draws its masks from its own ``torch.Generator`` instead of torch's global RNG. ``ACTIVATIONS``
and ``LAYERS`` below are views of the registry for code that looks builders up by name.
"""

from __future__ import annotations

from mlplab.registry import LAYERS as _KINDS
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


def gelu(approximate: str = "none"):
    """torch.nn.GELU, refusing an ``approximate`` other than "none" or "tanh" as mlplab.nn does."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
    return torch.nn.GELU(approximate=approximate)


# A view of mlplab.registry.LAYERS: ACTIVATIONS[name](*argument) builds a torch activation.
ACTIVATIONS = {name: (lambda *args, k=kind: k.torch(args, (), {}))
               for name, kind in _KINDS.items() if kind.activation}

"""Weight initialisation: torch's default for Linear, and constants for worked examples."""

from __future__ import annotations

import math

import numpy as np

from mlplab.nn.module import Module, Parameter

# float64 values drawn at a time (8 MiB): the only memory beside the target array.
DRAW_CHUNK = 1 << 20


def default_uniform(shape, fan_in: int, rng: np.random.Generator, dtype,
                    order: str = "C") -> np.ndarray:
    """Uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)], torch's default for Linear; an array of
    ``shape`` (1-D or 2-D when ``order`` is "F"), ``dtype`` and memory ``order``.

    torch draws the weight with ``kaiming_uniform_(a=sqrt(5))``, whose bound
    ``sqrt(6 / ((1 + a^2) fan_in))`` is exactly ``1/sqrt(fan_in)``, and the bias from the
    same interval.

    The values are those of ``rng.uniform(-bound, bound, size=shape).astype(dtype)`` bit for
    bit (each draw is one float64 from one 64-bit step of the generator, rounded to ``dtype``),
    but drawn ``DRAW_CHUNK`` at a time in row-major order straight into the target array:
    the peak is the array itself plus 8 MiB, not a float64 copy (twice a float32 model) and
    its cast. Drawing in float32 directly (``rng.random(dtype=np.float32)``) would change
    every seeded weight, and every number measured from them.
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    out = np.empty(shape, dtype=dtype, order=order)
    if out.size == 0:
        return out
    if out.ndim == 1:
        view = out.reshape(1, -1)
    elif out.ndim == 2:
        view = out
    else:   # a C-ordered array of higher rank: rows of its flattened trailing dimensions
        view = np.ascontiguousarray(out).reshape(out.shape[0], -1)
        out = view.reshape(out.shape)
    n_rows, width = view.shape
    if width >= DRAW_CHUNK:
        for r in range(n_rows):
            for c in range(0, width, DRAW_CHUNK):
                view[r, c:c + DRAW_CHUNK] = rng.uniform(-bound, bound,
                                                        size=min(DRAW_CHUNK, width - c))
    else:
        step = DRAW_CHUNK // width
        for r in range(0, n_rows, step):
            m = min(step, n_rows - r)
            view[r:r + m] = rng.uniform(-bound, bound, size=(m, width))
    return out


def constant_(param: Parameter, value: float) -> Parameter:
    """Set every entry of ``param`` to ``value`` in place."""
    param.data.fill(value)
    return param


def constant_all_(module: Module, value: float) -> Module:
    """Set every parameter of ``module`` to ``value``: the slides' "all weights 0.1" networks."""
    for p in module.parameters():
        p.data.fill(value)
    return module

"""Weight initialisation: torch's default for Linear, and constants for worked examples."""

from __future__ import annotations

import math

import numpy as np

from mlplab.nn.module import Module, Parameter


def default_uniform(shape, fan_in: int, rng: np.random.Generator, dtype) -> np.ndarray:
    """Uniform on [-1/sqrt(fan_in), 1/sqrt(fan_in)], torch's default for Linear.

    torch draws the weight with ``kaiming_uniform_(a=sqrt(5))``, whose bound
    ``sqrt(6 / ((1 + a^2) fan_in))`` is exactly ``1/sqrt(fan_in)``, and the bias from the
    same interval.
    """
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


def constant_(param: Parameter, value: float) -> Parameter:
    """Set every entry of ``param`` to ``value`` in place."""
    param.data.fill(value)
    return param


def constant_all_(module: Module, value: float) -> Module:
    """Set every parameter of ``module`` to ``value``: the slides' "all weights 0.1" networks."""
    for p in module.parameters():
        p.data.fill(value)
    return module

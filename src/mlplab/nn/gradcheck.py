"""Finite-difference gradient checks: the hand-written backward against central differences.

For a module f, the check differentiates the scalar L = sum(f(x) * R) for a fixed random R, so
every output element contributes; for a loss it differentiates the loss itself.
"""

from __future__ import annotations

import copy

import numpy as np

from mlplab.nn.losses import Loss
from mlplab.nn.module import Module


class GradcheckError(AssertionError):
    """Raised when an analytic gradient disagrees with the numerical one."""


def _numeric(f, x: np.ndarray, eps: float) -> np.ndarray:
    g = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        up = f()
        x[i] = old - eps
        down = f()
        x[i] = old
        g[i] = (up - down) / (2 * eps)
    return g


def _compare(what: str, analytic, numeric, atol, rtol):
    if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
        err = np.abs(analytic - numeric).max()
        raise GradcheckError(f"gradcheck: {what} differs from finite differences by up to "
                             f"{err:.3g} (atol={atol}, rtol={rtol})\nanalytic={analytic}\n"
                             f"numeric={numeric}")


def gradcheck(module_or_loss, inputs, target=None, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-4, seed: int = 0) -> bool:
    """Compare ``backward`` with central differences, in float64.

    module_or_loss : a ``Module`` (checked for dLoss/dinput and every parameter's gradient) or
        a ``Loss`` (checked for dLoss/dprediction; ``target`` required).
    inputs : ndarray of the input shape, e.g. (N, in_features).
    Returns True, or raises ``GradcheckError`` naming what disagreed. Modules are deep-copied
    and cast to float64, so the caller's object is untouched; dropout should be in eval mode.
    """
    x = np.array(inputs, dtype=np.float64)
    if isinstance(module_or_loss, Loss):
        loss = copy.deepcopy(module_or_loss)
        t = np.asarray(target)
        if np.issubdtype(t.dtype, np.floating):
            t = t.astype(np.float64)
        loss(x, t)
        analytic = loss.backward().copy()
        numeric = _numeric(lambda: float(loss(x, t)), x, eps)
        _compare(f"{type(loss).__name__} dLoss/dinput", analytic, numeric, atol, rtol)
        return True
    if not isinstance(module_or_loss, Module):
        raise TypeError(f"gradcheck takes a Module or a Loss, got {type(module_or_loss).__name__}")
    mod = copy.deepcopy(module_or_loss).double()
    r = np.random.default_rng(seed).standard_normal(mod.forward(x.copy()).shape)

    def f():
        return float((mod.forward(x) * r).sum())

    mod.zero_grad()
    mod.forward(x)
    dx = mod.backward(r.copy())
    _compare(f"{type(mod).__name__} dL/dinput", dx, _numeric(f, x, eps), atol, rtol)
    for name, p in mod.named_parameters():
        _compare(f"{type(mod).__name__} dL/d{name}", p.grad.copy(), _numeric(f, p.data, eps),
                 atol, rtol)
    return True

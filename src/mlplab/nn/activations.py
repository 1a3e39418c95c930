"""Activation functions as modules, each with its derivative written next to it.

All act elementwise except ``Softmax``; shapes are preserved: x (N, *) -> y (N, *).
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.nn.module import Module

try:  # scipy's erf is vectorised; math.erf gives the same doubles, one at a time.
    from scipy.special import erf as _erf
except ImportError:  # pragma: no cover - exercised by test_gelu_erf_fallback
    _erf = None


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, elementwise, in ``x``'s dtype."""
    if _erf is not None:
        return _erf(x).astype(x.dtype, copy=False)
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)) without overflow: exp is only taken of -|x|."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)


class Identity(Module):
    """f(z) = z. The output layer of a regression network."""

    def forward(self, x):
        return x

    def backward(self, grad):
        return grad


class Step(Module):
    """Heaviside step: f(z) = 1 if z >= 0 else 0. The perceptron's threshold unit (the XOR
    network of hand-set weights). Its derivative is 0 almost everywhere, so it cannot be
    trained by backpropagation and ``backward`` refuses."""

    def forward(self, x):
        return (x >= 0).astype(x.dtype)

    def backward(self, grad):
        raise RuntimeError(
            f"{self._label()}: the step function has zero gradient almost everywhere, so "
            "backpropagation cannot train through it; use Sigmoid or ReLU to train, and Step "
            "only with hand-set weights"
        )


class Sigmoid(Module):
    """f(z) = 1/(1+e^-z); f'(z) = f(z)(1 - f(z)), at most 0.25: why deep sigmoid nets stall."""

    def forward(self, x):
        self._y = sigmoid(x)
        return self._y

    def backward(self, grad):
        y = self._y
        return grad * y * (1 - y)


class Tanh(Module):
    """f(z) = tanh z; f'(z) = 1 - f(z)^2."""

    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, grad):
        return grad * (1 - self._y * self._y)


class ReLU(Module):
    """f(z) = max(z, 0); f'(z) = 1 for z > 0, else 0 (torch's choice at 0)."""

    def forward(self, x):
        self._y = np.maximum(x, 0)
        return self._y

    def backward(self, grad):
        return grad * (self._y > 0)


class LeakyReLU(Module):
    """f(z) = z for z > 0, else negative_slope * z."""

    def __init__(self, negative_slope: float = 0.01):
        super().__init__()
        self.negative_slope = float(negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"

    def forward(self, x):
        self._pos = x > 0
        return np.where(self._pos, x, x * x.dtype.type(self.negative_slope))

    def backward(self, grad):
        return np.where(self._pos, grad, grad * grad.dtype.type(self.negative_slope))


class Softplus(Module):
    """f(z) = log(1 + e^(beta z)) / beta, and z itself where beta z > threshold (torch's rule);
    f'(z) = sigmoid(beta z)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta, self.threshold = float(beta), float(threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"

    def forward(self, x):
        bx = x * self.beta
        self._bx = bx
        return np.where(bx > self.threshold, x, np.logaddexp(0, bx) / self.beta).astype(x.dtype)

    def backward(self, grad):
        bx = self._bx
        return np.where(bx > self.threshold, grad, grad * sigmoid(bx))


class GELU(Module):
    """f(z) = z * Phi(z) (``approximate="none"``, the erf form) or its tanh approximation
    0.5 z (1 + tanh(sqrt(2/pi)(z + 0.044715 z^3))) (``approximate="tanh"``)."""

    def __init__(self, approximate: str = "none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"

    def forward(self, x):
        self._x = x
        if self.approximate == "tanh":
            self._t = np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3))
            return 0.5 * x * (1 + self._t)
        self._cdf = 0.5 * (1 + erf(x / math.sqrt(2)))
        return x * self._cdf

    def backward(self, grad):
        x = self._x
        if self.approximate == "tanh":
            t = self._t
            dinner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * x * x)
            return grad * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * dinner)
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)
        return grad * (self._cdf + x * pdf)


class SiLU(Module):
    """f(z) = z sigmoid(z) (Swish); f'(z) = s (1 + z (1 - s)) with s = sigmoid(z)."""

    def forward(self, x):
        self._x, self._s = x, sigmoid(x)
        return x * self._s

    def backward(self, grad):
        s = self._s
        return grad * s * (1 + self._x * (1 - s))


class Softmax(Module):
    """softmax along ``dim``: e^(z_i - max z) / sum_j e^(z_j - max z).

    Backward is the Jacobian-vector product y * (g - sum(g * y)). For training a classifier,
    prefer logits with ``CrossEntropyLoss``, which fuses the two and is stabler.
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = dim

    def extra_repr(self) -> str:
        return f"dim={self.dim}"

    def forward(self, x):
        e = np.exp(x - x.max(axis=self.dim, keepdims=True))
        self._y = e / e.sum(axis=self.dim, keepdims=True)
        return self._y

    def backward(self, grad):
        y = self._y
        return y * (grad - (grad * y).sum(axis=self.dim, keepdims=True))

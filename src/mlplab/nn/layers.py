"""Layers with parameters or shape logic: Linear, Flatten, Dropout, LayerNorm.

Each ``backward`` takes dLoss/doutput (same shape as the forward's output), adds the
parameter gradients into ``.grad`` and returns dLoss/dinput.
"""

from __future__ import annotations

import numpy as np

from mlplab.errors import SpecError  # the input does not fit the model: the user's spec or data
from mlplab.nn.init import default_uniform
from mlplab.nn.module import BackwardBeforeForward, Module, Parameter


def _rng(rng: np.random.Generator | None) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


class Linear(Module):
    """y = x @ W.T + b.

    x : (..., in_features) -> y : (..., out_features). ``weight`` is (out_features,
    in_features) and ``bias`` (out_features,), torch's layout, initialised uniformly on
    +-1/sqrt(in_features) from ``rng``.

    The weight's shape and values are torch's, but its memory is column-major: ``W.T`` is a
    contiguous (in, out) array, so both large products, ``x @ W.T`` forward and
    ``dW.T = x.T @ dy`` backward, run on BLAS's fastest path without a transposed operand
    (about 8% of an epoch of 784-256-10 on 2 cores).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 rng: np.random.Generator | None = None, dtype=np.float32):
        super().__init__()
        for arg, v in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(v, (int, np.integer)) or v <= 0:
                raise ValueError(f"Linear: {arg} must be a positive integer, got {v!r}")
        self.in_features, self.out_features = int(in_features), int(out_features)
        rng = _rng(rng)
        # drawn straight into the column-major float32 array: no float64 copy of the weight
        self.weight = Parameter(default_uniform((out_features, in_features), in_features, rng,
                                                dtype, order="F"))
        self.bias = (Parameter(default_uniform((out_features,), in_features, rng, dtype))
                     if bias else None)
        self._x = None

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")

    def forward(self, x):
        if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc":
            # integers, booleans, lists: cast at the door to the weights' dtype, so that an
            # int64 batch into a float32 model computes (and returns) float32, not float64
            x = np.asarray(x, dtype=self.weight.data.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise SpecError(f"{self._label()}: expected input of shape (N, {self.in_features}), "
                            f"got {tuple(x.shape)}")
        self._x = x
        y = x @ self.weight.data.T
        if self.bias is not None:
            y += self.bias.data
        return y

    def backward(self, grad):
        self.parameter_backward(grad)
        return grad @ self.weight.data          # dL/dx = dL/dy W

    def parameter_backward(self, grad) -> None:
        """dL/dW += dL/dy^T x (written as dL/dW^T += x^T dL/dy, see the class docstring) and
        dL/db += sum over rows of dL/dy, nothing else."""
        x = self._x
        if x is None:
            raise BackwardBeforeForward(self._label())
        g2 = grad.reshape(-1, self.out_features)
        self.weight.accumulate(np.matmul, x.reshape(-1, self.in_features).T, g2,
                               transposed=True)
        if self.bias is not None:
            self.bias.accumulate(np.add.reduce, g2, 0)


class Flatten(Module):
    """(N, d1, d2, ...) -> (N, d1*d2*...), dims from ``start_dim`` on merged (torch's default 1)."""

    def __init__(self, start_dim: int = 1):
        super().__init__()
        self.start_dim = start_dim
        self._shape = None

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}"

    def forward(self, x):
        self._shape = x.shape
        return x.reshape(*x.shape[: self.start_dim], -1)

    def backward(self, grad):
        return grad.reshape(self._shape)


class Dropout(Module):
    """Inverted dropout: in training, zero each entry with probability ``p`` and scale the
    survivors by 1/(1-p), so evaluation needs no rescaling. Identity in ``eval()`` mode."""

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.rng = _rng(rng)
        self._mask = None

    def extra_repr(self) -> str:
        return f"p={self.p}"

    def forward(self, x):
        if not self.training or self.p == 0.0:
            self._mask = None
            return x
        keep = self.rng.random(x.shape, dtype=np.float32) >= self.p
        self._mask = keep.astype(x.dtype) / x.dtype.type(1.0 - self.p)
        return x * self._mask

    def backward(self, grad):
        return grad if self._mask is None else grad * self._mask


class LayerNorm(Module):
    """Normalise over the trailing ``normalized_shape`` dims, then scale and shift.

    y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance, as torch does.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 *, dtype=np.float32):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (int(normalized_shape),)
        self.normalized_shape = tuple(normalized_shape)
        if eps <= 0:
            raise ValueError(f"LayerNorm: eps must be positive, got {eps!r}")
        self.eps = eps
        if elementwise_affine:
            self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype))
            self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype))
        else:
            self.weight = self.bias = None
        self._cache = None

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"

    def forward(self, x):
        if not isinstance(x, np.ndarray) or x.dtype.kind not in "fc":   # as Linear's door
            x = np.asarray(x, dtype=np.float32 if self.weight is None else self.weight.dtype)
        k = len(self.normalized_shape)
        if tuple(x.shape[-k:]) != self.normalized_shape:
            raise SpecError(f"{self._label()}: expected input ending in "
                            f"{self.normalized_shape}, got {tuple(x.shape)}")
        axes = tuple(range(x.ndim - k, x.ndim))
        mu = x.mean(axis=axes, keepdims=True)
        xc = x - mu
        rstd = 1.0 / np.sqrt((xc * xc).mean(axis=axes, keepdims=True) + self.eps)
        xhat = xc * rstd
        self._cache = (xhat, rstd, axes)
        if self.weight is None:
            return xhat
        return xhat * self.weight.data + self.bias.data

    def backward(self, grad):
        xhat, rstd, axes = self._cache
        lead = tuple(range(grad.ndim - len(axes)))
        if self.weight is not None:
            self.weight.grad += (grad * xhat).sum(axis=lead)
            self.bias.grad += grad.sum(axis=lead)
            grad = grad * self.weight.data
        # d xhat -> d x: the mean and variance depend on every entry, hence the two sums.
        m1 = grad.mean(axis=axes, keepdims=True)
        m2 = (grad * xhat).mean(axis=axes, keepdims=True)
        return (grad - m1 - xhat * m2) * rstd

"""Conv2d and MaxPool2d in NumPy, for the course's filtering and pooling examples
(``mlplab explain --example cnn-filter``).

Both work on batches (N, C, H, W) as torch's do. Model specs build ``conv`` and ``maxpool``
with the PyTorch twin only (mlplab.registry), so these modules are for reading and checking
the arithmetic, not for training image models fast: the products are written as one
``einsum`` over all windows.
"""

from __future__ import annotations

import numpy as np

from mlplab.nn.init import default_uniform
from mlplab.nn.module import Module, Parameter


def _windows(x: np.ndarray, k: int, stride: int) -> np.ndarray:
    """Every k x k window of x (N, C, H, W), as a view (N, C, H_out, W_out, k, k)."""
    n, c, h, w = x.shape
    s = x.strides
    shape = (n, c, (h - k) // stride + 1, (w - k) // stride + 1, k, k)
    return np.lib.stride_tricks.as_strided(
        x, shape, (s[0], s[1], s[2] * stride, s[3] * stride, s[2], s[3]), writeable=False)


class Conv2d(Module):
    """y[n, o] = b[o] + sum over c, i, j of W[o, c, i, j] x[n, c, r + i, q + j] (cross-
    correlation, as torch computes it), stride 1, ``padding`` zeros on every side.

    x : (N, C_in, H, W) -> y : (N, C_out, H + 2 padding - k + 1, W + 2 padding - k + 1).
    ``weight`` (C_out, C_in, k, k) and ``bias`` (C_out,) start uniform on +-1/sqrt(C_in k k).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 3,
                 padding: int = 0, bias: bool = True, *, rng=None, dtype=np.float32):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.padding = kernel_size, padding
        rng = rng if rng is not None else np.random.default_rng()
        fan_in = in_channels * kernel_size * kernel_size
        self.weight = Parameter(default_uniform(
            (out_channels, in_channels, kernel_size, kernel_size), fan_in, rng, dtype))
        self.bias = Parameter(default_uniform((out_channels,), fan_in, rng, dtype)) \
            if bias else None

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"padding={self.padding}")

    def _pad(self, x):
        p = self.padding
        return np.pad(x, ((0, 0), (0, 0), (p, p), (p, p))) if p else x

    def forward(self, x):
        self._xp = np.ascontiguousarray(self._pad(np.asarray(x, self.weight.data.dtype)))
        y = np.einsum("ncrqij,ocij->norq",
                      _windows(self._xp, self.kernel_size, 1), self.weight.data)
        return y + self.bias.data[:, None, None] if self.bias is not None else y

    def backward(self, grad):
        k, p = self.kernel_size, self.padding
        win = _windows(self._xp, k, 1)
        self.weight.grad += np.einsum("norq,ncrqij->ocij", grad, win)
        if self.bias is not None:
            self.bias.grad += grad.sum(axis=(0, 2, 3))
        dxp = np.zeros_like(self._xp)
        h, w = grad.shape[2:]
        for i in range(k):          # each kernel offset adds W[:, :, i, j] to its slice
            for j in range(k):
                dxp[:, :, i:i + h, j:j + w] += np.einsum("norq,oc->ncrq", grad,
                                                         self.weight.data[:, :, i, j])
        return dxp[:, :, p:dxp.shape[2] - p, p:dxp.shape[3] - p] if p else dxp


class MaxPool2d(Module):
    """The largest value of each ``kernel_size`` window, moved by ``stride`` (default: the
    kernel size); ``padding`` zeros added on the bottom and right so the last partial window
    counts (the course pads 7x7 to 8x8 to pool it 2x2 into 4x4).

    x : (N, C, H, W) -> (N, C, (H + padding - k) // stride + 1, (W + padding - k) // stride + 1).
    Backward sends each window's gradient to its (first) largest input.
    """

    def __init__(self, kernel_size: int = 2, stride: int | None = None, padding: int = 0):
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride or kernel_size, padding

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    def forward(self, x):
        p = self.padding
        x = np.asarray(x)
        self._shape = x.shape
        xp = np.pad(x, ((0, 0), (0, 0), (0, p), (0, p))) if p else x
        win = _windows(np.ascontiguousarray(xp), self.kernel_size, self.stride)
        flat = win.reshape(*win.shape[:4], -1)
        self._arg, self._padded = flat.argmax(axis=-1), xp.shape
        return flat.max(axis=-1)

    def backward(self, grad):
        k, s = self.kernel_size, self.stride
        dx = np.zeros(self._padded, dtype=grad.dtype)
        n, c, h, w = grad.shape
        i, j = np.divmod(self._arg, k)
        rows = np.arange(h)[:, None] * s + i
        cols = np.arange(w)[None, :] * s + j
        nn_, cc = np.ogrid[:n, :c]
        np.add.at(dx, (nn_[:, :, None, None], cc[:, :, None, None], rows, cols), grad)
        return dx[:, :, :self._shape[2], :self._shape[3]]

"""mlplab.nn.conv: Conv2d and MaxPool2d by finite differences and against torch."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.nn import gradcheck
from mlplab.nn.conv import Conv2d, MaxPool2d


@pytest.mark.parametrize("padding", [0, 1])
def test_conv2d_backward_is_its_derivative(padding):
    rng = np.random.default_rng(0)
    conv = Conv2d(2, 3, 3, padding=padding, rng=rng, dtype=np.float64)
    assert gradcheck(conv, rng.normal(size=(2, 2, 5, 6)))


@pytest.mark.parametrize("padding, shape", [(0, (2, 2, 6, 6)), (1, (1, 2, 7, 7))])
def test_maxpool_backward_is_its_derivative(padding, shape):
    x = np.random.default_rng(1).normal(size=shape)   # distinct values: no ties in a window
    assert gradcheck(MaxPool2d(2, padding=padding), x)


def test_both_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    conv = Conv2d(2, 3, 3, padding=1, rng=rng, dtype=np.float64)
    x = rng.normal(size=(2, 2, 5, 6))
    t = torch.nn.Conv2d(2, 3, 3, padding=1).double()
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(conv.weight.data))
        t.bias.copy_(torch.from_numpy(conv.bias.data))
    np.testing.assert_allclose(conv(x), t(torch.from_numpy(x)).detach().numpy(), atol=1e-12)
    y = rng.normal(size=(1, 2, 7, 7)) + 10   # positive: zero padding equals ceil_mode's window
    np.testing.assert_array_equal(MaxPool2d(2, padding=1)(y),
                                  torch.nn.MaxPool2d(2, ceil_mode=True)(torch.from_numpy(y)))
    assert MaxPool2d(2, padding=1)(y).shape == (1, 2, 4, 4)

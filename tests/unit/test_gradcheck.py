"""Central finite differences against every hand-written backward (float64)."""

import numpy as np
import pytest

from mlplab import nn
from mlplab.spec import ModelSpec

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core

rng = np.random.default_rng(0)

MODULES = {
    "linear": (lambda: nn.Linear(4, 3, rng=np.random.default_rng(1)), (5, 4)),
    "linear_3d": (lambda: nn.Linear(4, 3, rng=np.random.default_rng(1)), (2, 3, 4)),
    "flatten": (nn.Flatten, (2, 3, 2)),
    "layernorm": (lambda: nn.LayerNorm(5), (3, 5)),
    "identity": (nn.Identity, (3, 4)),
    "sigmoid": (nn.Sigmoid, (3, 4)),
    "tanh": (nn.Tanh, (3, 4)),
    "relu": (nn.ReLU, (3, 4)),
    "leakyrelu": (lambda: nn.LeakyReLU(0.2), (3, 4)),
    "softplus": (nn.Softplus, (3, 4)),
    "gelu": (nn.GELU, (3, 4)),
    "gelu_tanh": (lambda: nn.GELU("tanh"), (3, 4)),
    "silu": (nn.SiLU, (3, 4)),
    "softmax": (nn.Softmax, (3, 4)),
    "dropout_eval": (lambda: nn.Dropout(0.5).eval(), (3, 4)),
    "mlp": (lambda: ModelSpec.parse("4-6-tanh-layernorm-5-gelu-3").build(0), (4, 4)),
}


def _away_from_kinks(shape):
    # ReLU-like kinks at 0 make finite differences meaningless within eps of 0
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < 1e-3, 0.5, x)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_gradients(name):
    make, shape = MODULES[name]
    assert nn.gradcheck(make(), _away_from_kinks(shape))


def test_layernorm_with_random_affine():
    ln = nn.LayerNorm(4)
    ln.weight.data[...] = rng.standard_normal(4)
    ln.bias.data[...] = rng.standard_normal(4)
    assert nn.gradcheck(ln, rng.standard_normal((3, 4)))


LOSSES = {
    "mse": (nn.MSELoss(), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))),
    "mse_sum": (nn.MSELoss("sum"), rng.standard_normal((4, 2)), rng.standard_normal((4, 2))),
    "bce": (nn.BCELoss(), rng.uniform(0.05, 0.95, (5, 1)), rng.integers(0, 2, (5, 1)) * 1.0),
    "bce_logits": (nn.BCEWithLogitsLoss(), rng.standard_normal((5, 2)),
                   rng.integers(0, 2, (5, 2)) * 1.0),
    "cross_entropy": (nn.CrossEntropyLoss(), rng.standard_normal((6, 4)), rng.integers(0, 4, 6)),
    "cross_entropy_sum": (nn.CrossEntropyLoss("sum"), rng.standard_normal((6, 4)),
                          rng.integers(0, 4, 6)),
    "cross_entropy_smooth": (nn.CrossEntropyLoss(label_smoothing=0.2),
                             rng.standard_normal((6, 4)), rng.integers(0, 4, 6)),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_gradients(name):
    loss, x, y = LOSSES[name]
    assert nn.gradcheck(loss, x, y)


def test_gradcheck_catches_a_wrong_backward():
    class BadTanh(nn.Tanh):
        def backward(self, grad):
            return grad * (1 - self._y)  # forgot the square

    with pytest.raises(nn.GradcheckError, match="BadTanh dL/dinput"):
        nn.gradcheck(BadTanh(), rng.standard_normal((3, 3)))


def test_gradcheck_leaves_the_callers_module_alone():
    lin = nn.Linear(3, 2, rng=np.random.default_rng(0))
    before = lin.state_dict()
    nn.gradcheck(lin, rng.standard_normal((2, 3)))
    assert lin.weight.dtype == np.float32
    assert not lin.weight.grad.any()
    np.testing.assert_array_equal(lin.weight.data, before["weight"])

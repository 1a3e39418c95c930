"""The Python API at the door (issue 13, class 7): what a careless call passes in is refused
or made right where it enters, with one clear MlplabError, not a nan three steps later.

* every optimizer refuses a learning rate (and every other hyperparameter) that is nan,
  infinite, negative or not a number;
* integer (and boolean) input to a float32 model computes in float32, not float64;
* ``backward`` before ``forward`` is the same error for every layer of the registry, for a
  whole model and for every loss.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from mlplab import nn
from mlplab.errors import MlplabError, UsageError
from mlplab.nn.module import BackwardBeforeForward
from mlplab.optim import OPTIMIZERS
from mlplab.registry import LAYERS, LOSSES
from mlplab.spec import ModelSpec
from mlplab.train import NumpyEngine

BAD_NUMBERS = [math.nan, math.inf, -math.inf, np.float32("nan"), np.float64("inf"), "0.1",
               None, [0.1]]


def _params():
    return nn.Linear(3, 2, rng=np.random.default_rng(0)).parameters()


@pytest.mark.parametrize("lr", [*BAD_NUMBERS, -1.0, 0, -0.0, True],
                         ids=lambda v: f"lr={v!r}")
@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_refuses_a_learning_rate_that_is_not_a_positive_finite_number(name, lr):
    with pytest.raises(UsageError, match=r"^(Invalid learning rate: |\w+: lr is required)"):
        OPTIMIZERS[name](_params(), lr=lr)


# (optimizer, hyperparameter) for every numeric hyperparameter the optimizers check
HYPER = [("sgd", "momentum"), ("sgd", "weight_decay"), ("adagrad", "lr_decay"),
         ("adagrad", "eps"), ("adagrad", "initial_accumulator_value"), ("adadelta", "rho"),
         ("adadelta", "eps"), ("rmsprop", "alpha"), ("rmsprop", "eps"),
         ("rmsprop", "momentum"), ("adam", "eps"), ("adamw", "weight_decay")]


@pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "x"], ids=repr)
@pytest.mark.parametrize("name,key", HYPER)
def test_every_hyperparameter_is_checked_for_nan_inf_and_sign(name, key, bad):
    with pytest.raises(UsageError, match="^Invalid "):
        OPTIMIZERS[name](_params(), lr=0.1, **{key: bad})


@pytest.mark.parametrize("betas", [(math.nan, 0.9), (0.9, math.inf), (1.0, 0.9), (0.9,),
                                   "0.9"], ids=repr)
def test_adam_betas(betas):
    for name in ("adam", "adamw"):
        with pytest.raises(UsageError, match="^Invalid beta"):
            OPTIMIZERS[name](_params(), lr=0.1, betas=betas)


def test_good_values_still_pass_and_the_torch_wording_is_kept():
    for cls in OPTIMIZERS.values():
        cls(_params(), lr=np.float32(0.01))
        cls(_params(), lr=1)
    with pytest.raises(UsageError) as e:
        OPTIMIZERS["sgd"](_params(), lr=math.nan)
    assert str(e.value) == "Invalid learning rate: nan (it must be a finite number above 0)"
    assert isinstance(e.value, ValueError)   # code written for ValueError keeps working


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.bool_])
def test_integer_input_to_a_float32_model_stays_float32(dtype):
    X = (np.arange(12).reshape(4, 3) % 2).astype(dtype)
    lin = nn.Linear(3, 2, rng=np.random.default_rng(0))
    y = lin(X)
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, lin(X.astype(np.float32)))
    model = ModelSpec.parse("3-8-layernorm-relu-2").build(seed=0)
    assert model(X).dtype == np.float32
    image = ModelSpec.parse("2x2-flatten-4-tanh-2").build(seed=0)
    assert image((np.arange(16).reshape(4, 2, 2)).astype(dtype)).dtype == np.float32
    grad = model.backward(np.ones((4, 2), np.float32))
    assert grad.dtype == np.float32
    engine = NumpyEngine.from_spec("3-8-relu-2", "cross_entropy", "sgd", 0.1, seed=0)
    assert engine.predict(X).dtype == np.float32


def test_integer_input_to_a_float64_model_is_float64():
    lin = nn.Linear(3, 2, rng=np.random.default_rng(0), dtype=np.float64)
    assert lin(np.ones((2, 3), np.int64)).dtype == np.float64
    assert lin([[1, 2, 3]]).dtype == np.float64      # a list goes through the same door


def _expected(module) -> str:
    return (f"{module._label()}: backward called before forward; call it on a batch first "
            "(forward), then backward")


NUMPY_LAYERS = sorted(k for k, kind in LAYERS.items() if kind.numpy is not None)


@pytest.mark.parametrize("kind", NUMPY_LAYERS)
def test_backward_before_forward_is_the_same_error_for_every_layer(kind):
    record = LAYERS[kind]
    spec = ModelSpec.parse(record.example)
    model = spec.build(seed=0)
    layers = [m for m in model if isinstance(m, record.module)]
    assert layers, f"{record.example} has no {kind} layer"
    for layer in layers:
        out_shape = (2, *spec.layer_table()[list(model).index(layer)][1])
        with pytest.raises(BackwardBeforeForward) as e:
            layer.backward(np.ones(out_shape, np.float32))
        assert str(e.value) == _expected(layer)
        assert isinstance(e.value, MlplabError) and isinstance(e.value, RuntimeError)
    with pytest.raises(BackwardBeforeForward, match="^Sequential"):
        model.backward(np.ones((2, spec.out_features), np.float32))
    # after a forward, backward runs (the step function's own refusal comes only then)
    x = np.ones((2, *spec.input_shape), np.float32)
    out = model(x)
    if kind == "step":
        with pytest.raises(RuntimeError, match="zero gradient almost everywhere"):
            model.backward(np.ones_like(out))
    else:
        assert model.backward(np.ones_like(out)).shape == x.shape


def test_a_users_own_module_gets_the_same_error():
    class Double(nn.Module):
        def forward(self, x):
            return 2 * x

        def backward(self, grad):
            return 2 * grad

    d = Double()
    with pytest.raises(BackwardBeforeForward, match=r"^Double\(\): backward called before"):
        d.backward(np.ones(3))
    d(np.ones(3))
    np.testing.assert_array_equal(d.backward(np.ones(3)), 2 * np.ones(3))


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_backward_before_forward_is_the_same_error_for_every_loss(name):
    loss = LOSSES[name].build()
    with pytest.raises(BackwardBeforeForward) as e:
        loss.backward()
    assert str(e.value) == (f"{loss!r}: backward called before forward; call it on a batch "
                            "first (forward), then backward")

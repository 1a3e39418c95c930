"""The engine interface and registry: every engine is a class named in mlplab.engines, the
Engine protocol lists everything the rest of mlplab uses of one, and the shared behaviour
(chunked predict, thresholds, labels, targets, the learning rate) holds for the NumPy engine.
The twin's side is in tests/torch/test_twin.py."""

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import mlplab
from mlplab import engines, train
from mlplab.errors import UsageError
from mlplab.spec import ModelSpec
from mlplab.train.engine import BaseEngine, Engine, NumpyEngine, prepare_targets

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core

SRC = Path(mlplab.__file__).parent


def numpy_engine(spec="4-8-relu-3", loss="cross_entropy", **kw):
    return engines.build_engine("numpy", spec=spec, loss=loss, optimizer="sgd", lr=0.1, seed=0,
                                **kw)


def protocol_members() -> set[str]:
    return set(Engine.__annotations__) | {k for k in vars(Engine) if not k.startswith("_")}


def test_the_registry_names_classes_lazily():
    assert engines.ENGINES == {"numpy": "mlplab.train.engine:NumpyEngine",
                               "torch": "mlplab.torch.engine:TorchEngine"}
    assert train.ENGINES is engines.ENGINES and train.build_engine is engines.build_engine
    assert engines.engine_class("numpy") is NumpyEngine
    with pytest.raises(UsageError, match=r"^unknown engine 'jax'; choose one of numpy, torch$"):
        engines.engine_class("jax")
    with pytest.raises(UsageError, match="unknown engine 'jax'"):
        engines.build_engine("jax", spec="2-1", loss="mse", optimizer="sgd", lr=0.1)


def test_importing_training_and_the_numpy_engine_never_imports_torch():
    code = ("import sys\nfrom mlplab.train import build_engine\n"
            "build_engine('numpy', spec='2-1', loss='mse', optimizer='sgd', lr=0.1)\n"
            "print(sorted(m for m in sys.modules if m == 'torch' or m.startswith('mlplab.torch')"
            "))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_the_numpy_engine_follows_the_protocol():
    e = numpy_engine()
    assert isinstance(e, Engine) and isinstance(e, BaseEngine)
    for member in protocol_members():
        assert hasattr(e, member), member
    assert (e.name, e.task, e.threshold, e.dtype) == ("numpy", "classification", 0.0,
                                                     np.float32)
    assert e.num_parameters() == ModelSpec.parse("4-8-relu-3").num_parameters() == 67


def test_the_protocol_lists_everything_mlplab_uses_of_an_engine():
    """Every ``engine.<name>`` outside the engines themselves is an Engine member, or the
    concrete engine's ``model`` / ``optimizer`` that BaseEngine declares (used only where the
    NumPy engine is built by name)."""
    allowed = protocol_members() | set(BaseEngine.__annotations__)
    pattern = re.compile(r"(?:(?<![\w.])|(?<=self\.))engine\.(\w+)")
    used = {}
    for path in SRC.rglob("*.py"):
        if path.name in ("engine.py", "engines.py"):
            continue
        for name in pattern.findall(path.read_text(encoding="utf-8")):
            used.setdefault(name, path.relative_to(SRC).as_posix())
    assert {"train_step", "predict", "threshold", "task", "save"} <= set(used)
    unknown = {k: v for k, v in used.items() if k not in allowed}
    assert not unknown, f"engine attributes used but not in the Engine protocol: {unknown}"


def test_predict_in_chunks_equals_one_pass_and_keeps_no_view():
    e = numpy_engine(dtype=np.float64)
    X = np.random.default_rng(0).standard_normal((50, 4))
    whole = e.predict(X)
    assert whole.shape == (50, 3) and whole.dtype == np.float64
    chunked = e.predict(X, batch_size=7)
    np.testing.assert_allclose(chunked, whole, rtol=1e-13, atol=1e-15)
    assert not np.shares_memory(e.model[0]._x, X)      # the last chunk was copied
    assert not e.model[0].training
    seen = []
    out = e.predict(X, batch_size=20, transform=lambda c: seen.append(len(c)) or c * 2)
    assert seen == [20, 20, 10]
    np.testing.assert_allclose(out, e.predict(X * 2), rtol=1e-13, atol=1e-15)
    e = numpy_engine(spec="4-3-sigmoid", loss="mse", dtype=np.float64)
    single = e.predict(X[:3])                            # one chunk: returned as a copy
    kept = [v for layer in e.model for v in vars(layer).values() if isinstance(v, np.ndarray)]
    assert kept and not any(np.shares_memory(single, v) for v in kept)


@pytest.mark.parametrize("spec, loss, threshold, task", [
    ("4-1-sigmoid", "bce", 0.5, "classification"),
    ("4-1", "bce_logits", 0.0, "classification"),
    ("4-3", "cross_entropy", 0.0, "classification"),
    ("4-1", "mse", 0.0, "regression"),
])
def test_threshold_task_and_labels_follow_the_loss(spec, loss, threshold, task):
    e = numpy_engine(spec=spec, loss=loss)
    assert (e.threshold, e.task) == (threshold, task)
    one = np.array([[0.2], [0.5], [0.7], [-0.1]])
    np.testing.assert_array_equal(e.labels(one), [0, 0, 1, 0] if threshold == 0.5
                                  else [1, 1, 1, 0])
    np.testing.assert_array_equal(e.labels(np.array([[0.1, 0.7, 0.2], [3.0, 1.0, 2.0]])),
                                  [1, 0])


def test_prepare_targets_shapes_and_dtypes():
    y = np.array([0, 2, 1])
    t = numpy_engine().prepare_targets(y)
    assert t.dtype == np.int64 and t.shape == (3,)
    t = numpy_engine(spec="4-1", loss="mse", dtype=np.float64).prepare_targets(y)
    assert t.dtype == np.float64 and t.shape == (3, 1)
    np.testing.assert_array_equal(t[:, 0], y)
    t = prepare_targets("bce", np.ones((3, 2)))
    assert t.dtype == np.float32 and t.shape == (3, 2)


def test_lr_reads_the_first_group_and_sets_every_group():
    e = numpy_engine()
    e.optimizer.param_groups.append({**e.optimizer.param_groups[0], "params": []})
    assert e.lr == 0.1
    e.lr = 0.025
    assert [g["lr"] for g in e.optimizer.param_groups] == [0.025, 0.025]


def test_an_engine_must_implement_the_abstract_parts():
    class Half(BaseEngine):
        name = "half"

    with pytest.raises(TypeError, match="abstract"):
        Half(None, "mse", None)


def test_l1_adds_its_subgradient_before_the_step():
    """One plain SGD step with l1: p - lr * (dLoss/dp + l1 * sign(p)), for every parameter
    (biases included, as weight_decay does for L2)."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(5, 4)), rng.integers(0, 3, size=5)
    plain, pen = numpy_engine(dtype=np.float64), numpy_engine(dtype=np.float64, l1=0.05)
    before = plain.state_dict()
    plain.train_step(x, plain.prepare_targets(y))
    pen.train_step(x, pen.prepare_targets(y))
    after_plain, after_pen = plain.state_dict(), pen.state_dict()
    for k, w in before.items():
        # plain's step is -lr * grad; the penalty moves each entry 0.1 * 0.05 towards zero
        expected = after_plain[k] - 0.1 * 0.05 * np.sign(w)
        np.testing.assert_allclose(after_pen[k], expected, rtol=0, atol=1e-15)
    assert pen.l1 == 0.05 and plain.l1 == 0.0


def test_l1_zero_is_bit_identical_to_no_penalty():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(16, 4)).astype(np.float32), rng.integers(0, 3, size=16)
    a, b = numpy_engine(), numpy_engine(l1=0)
    for _ in range(3):
        a.train_step(x, a.prepare_targets(y))
        b.train_step(x, b.prepare_targets(y))
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k])


@pytest.mark.parametrize("bad", [-0.1, float("nan"), float("inf")])
def test_a_bad_l1_is_refused(bad):
    with pytest.raises(ValueError, match="l1 must be a finite number >= 0"):
        numpy_engine(l1=bad)

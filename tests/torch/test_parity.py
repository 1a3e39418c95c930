"""The twin's acceptance test: from the same initial weights and the same batches, one epoch of
auto-mpg and of nonlinear gives per-batch losses equal to the NumPy engine's within 1e-5 and
final weights within 1e-5 relative (float64). In practice both are about 1e-13 or smaller.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from mlplab import data  # noqa: E402
from mlplab.data.batching import iter_batches  # noqa: E402
from mlplab.experiments import load_experiment  # noqa: E402
from mlplab.experiments.preprocess import fit_preprocess  # noqa: E402
from mlplab.spec import ModelSpec  # noqa: E402
from mlplab.torch.engine import TorchEngine  # noqa: E402
from mlplab.train import Trainer  # noqa: E402
from mlplab.train.engine import NumpyEngine  # noqa: E402

LOSS_TOL = 1e-5
WEIGHT_RTOL = 1e-5


def rel_err(a, b) -> float:
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def experiment_cases(name):
    """(model name, spec, loss, optimizer, lr, batch size, train X float64, train y) of every
    trained model of a shipped experiment, with its data and preprocessing."""
    exp = load_experiment(name)
    (d,) = exp.data
    ds = data.load(d["name"], **d["args"])
    X, y = ds.split(d["train"])
    for m in exp.models:
        spec = ModelSpec.parse(m["spec"])
        prep = fit_preprocess(m.get("preprocess", d["preprocess"]), X, spec)
        yield (m["name"], m["spec"], m["loss"], m["optimizer"], m["lr"], m["batch_size"],
               prep(X).astype(np.float64), y)


CASES = [(exp, *case) for exp in ("auto-mpg", "nonlinear") for case in experiment_cases(exp)]


def one_epoch(engine, X, y, batch_size, seed=0):
    yt = engine.prepare_targets(y)
    rng = np.random.default_rng(seed)
    return [engine.train_step(xb, yb)[0] for xb, yb in iter_batches(X, yt, batch_size, rng=rng)]


def engines(spec, loss, optimizer, lr, **kw):
    common = dict(spec=spec, loss=loss, optimizer=optimizer, lr=lr, seed=0, dtype=np.float64,
                  **kw)
    return NumpyEngine.from_spec(**common), TorchEngine.from_spec(device="cpu", **common)


@pytest.mark.parametrize("exp,model,spec,loss,optimizer,lr,batch_size,X,y", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_one_epoch_matches_the_numpy_engine(exp, model, spec, loss, optimizer, lr, batch_size,
                                            X, y):
    a, b = engines(spec, loss, optimizer, lr)
    for k, v in a.state_dict().items():  # the same initial weights, bit for bit
        np.testing.assert_array_equal(v, b.state_dict()[k])
    la, lb = one_epoch(a, X, y, batch_size), one_epoch(b, X, y, batch_size)
    assert len(la) == len(lb) == -(-len(X) // batch_size)
    assert np.abs(np.array(la) - np.array(lb)).max() <= LOSS_TOL
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert rel_err(sb[k], sa[k]) <= WEIGHT_RTOL, k


@pytest.mark.parametrize("optimizer,kwargs", [("sgd", {"momentum": 0.9, "nesterov": True}),
                                              ("adam", {}), ("rmsprop", {}), ("adagrad", {}),
                                              ("adadelta", {}), ("adamw", {})])
def test_every_optimizer_matches_on_nonlinear(optimizer, kwargs):
    (_, _, spec, loss, _, _, batch_size, X, y) = [c for c in CASES if c[1] == "mlp"
                                                 and c[0] == "nonlinear"][0]
    a, b = engines(spec, loss, optimizer, 0.01, optimizer_kwargs=kwargs)
    la, lb = one_epoch(a, X, y, batch_size), one_epoch(b, X, y, batch_size)
    assert np.abs(np.array(la) - np.array(lb)).max() <= LOSS_TOL
    for k, v in a.state_dict().items():
        assert rel_err(b.state_dict()[k], v) <= WEIGHT_RTOL, k


def test_the_trainer_gives_the_same_history_on_both_engines():
    (_, _, spec, loss, optimizer, lr, batch_size, X, y) = [c for c in CASES
                                                          if c[0] == "auto-mpg"][-1]
    hist = []
    for engine in engines(spec, loss, optimizer, lr):
        hist.append(Trainer(engine, epochs=3, batch_size=batch_size, progress=False)
                    .fit((X, y), {"train": (X, y)}))
    for col in ("train_loss", "train_r2", "train_mse"):
        np.testing.assert_allclose(hist[0].column(col), hist[1].column(col), rtol=1e-10)

"""TrainingDynamics: per-layer gradient norms, saturation, inactive units and histograms,
checked against the same quantities computed by hand on a replay of the training."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.data.batching import iter_batches
from mlplab.engines import build_engine
from mlplab.train import Trainer
from mlplab.train.callbacks import TrainingDynamics


def data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 2)).astype(np.float64)
    return X, (X[:, 0] * X[:, 1] > 0).astype(np.int64)


def fit(spec, *, lr=0.1, epochs=2, engine="numpy", seed=0, callbacks=()):
    e = build_engine(engine, spec=spec, loss="cross_entropy", optimizer="sgd", lr=lr,
                     seed=seed, dtype=np.float64)
    dyn = TrainingDynamics()
    Trainer(e, epochs=epochs, batch_size=16, seed=seed, progress=False,
            callbacks=[dyn, *callbacks]).fit(data())
    return e, dyn


def test_gradient_norms_are_the_mean_of_each_batchs_norm():
    spec = "2-5-tanh-4-relu-2"
    _, dyn = fit(spec, epochs=1)
    # replay: the same engine, seed and batches, norms taken by hand after each step
    e = build_engine("numpy", spec=spec, loss="cross_entropy", optimizer="sgd", lr=0.1, seed=0,
                     dtype=np.float64)
    X, y = data()
    norms = []
    # the Trainer shuffles with np.random.default_rng(seed)
    for xb, yb in iter_batches(X, e.prepare_targets(y), 16, rng=np.random.default_rng(0)):
        e.train_step(xb, yb)
        norms.append([np.linalg.norm(e.model[i].weight.grad) for i in (0, 2, 4)])
    np.testing.assert_allclose(dyn.records[0]["grad_norm"], np.mean(norms, axis=0), rtol=1e-12)
    assert dyn.names == ["1 tanh", "2 relu", "3 identity"]


def test_a_unit_that_is_never_positive_counts_as_inactive():
    e, dyn = fit("2-4-relu-2", epochs=1)
    # a forced dead unit: its bias far below anything the inputs reach
    e.model[0].bias.data[0] = -100.0
    dyn2 = TrainingDynamics()
    Trainer(e, epochs=1, batch_size=16, progress=False, callbacks=[dyn2]).fit(data())
    assert dyn2.records[0]["inactive"][0] >= 0.25
    assert dyn2.records[0]["saturated"][0] is None   # ReLU has no bounds


def test_saturation_is_the_share_of_outputs_near_the_bounds():
    e, _ = fit("2-3-sigmoid-2", epochs=1)
    e.model[0].weight.data[...] = 1000.0              # every output at 0 or 1
    dyn = TrainingDynamics()
    Trainer(e, epochs=1, batch_size=16, progress=False, callbacks=[dyn]).fit(data())
    assert dyn.records[0]["saturated"][0] > 0.9
    hist = dyn.records[0]["histogram"][0]
    assert hist["range"] == [0.0, 1.0] and sum(hist["counts"]) == 16 * 3


def test_it_changes_nothing_and_removes_its_hooks():
    X, y = data()
    runs = []
    for cbs in ((), (TrainingDynamics(),)):
        e = build_engine("numpy", spec="2-6-relu-2", loss="cross_entropy", optimizer="sgd",
                         lr=0.1, seed=3, dtype=np.float64)
        h = Trainer(e, epochs=3, batch_size=16, seed=3, progress=False,
                    callbacks=list(cbs)).fit((X, y))
        runs.append([r["train_loss"] for r in h.records])
        assert all(not m._forward_hooks for m in e.model)
    assert runs[0] == runs[1]


def test_the_twin_records_the_same_numbers():
    pytest.importorskip("torch")
    spec = "2-5-sigmoid-4-relu-2"
    e_np, d_np = fit(spec, epochs=2)
    e_t = build_engine("torch", spec=spec, loss="cross_entropy", optimizer="sgd", lr=0.1,
                       seed=0, dtype=np.float64)
    fresh = build_engine("numpy", spec=spec, loss="cross_entropy", optimizer="sgd", lr=0.1,
                         seed=0, dtype=np.float64)
    e_t.load_state_dict(fresh.state_dict())
    d_t = TrainingDynamics()
    Trainer(e_t, epochs=2, batch_size=16, seed=0, progress=False, callbacks=[d_t]).fit(data())
    for a, b in zip(d_np.records, d_t.records):
        np.testing.assert_allclose(a["grad_norm"], b["grad_norm"], rtol=1e-9)
        assert a["saturated"][0] == pytest.approx(b["saturated"][0])
        assert a["inactive"][1] == pytest.approx(b["inactive"][1])


def test_a_fit_stopped_within_its_first_epoch_keeps_the_batches_it_trained():
    from mlplab.train.callbacks import Callback

    class StopAtBatch2(Callback):
        def on_batch_end(self, fit):
            return fit.batch == 2

    dyn = TrainingDynamics()
    e = build_engine("numpy", spec="2-4-relu-2", loss="cross_entropy", optimizer="sgd",
                     lr=0.1, seed=0, dtype=np.float64)
    Trainer(e, epochs=2, batch_size=16, progress=False,
            callbacks=[dyn, StopAtBatch2()]).fit(data())
    assert len(dyn.records) == 1
    rec = dyn.records[0]
    assert rec["epoch"] == 1 and rec["batches"] == 2
    assert rec["first_grad_norm"][0] > 0 and rec["grad_norm"][0] > 0

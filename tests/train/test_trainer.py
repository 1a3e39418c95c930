"""The Trainer: reproducibility, early stopping, checkpoints and resume, Ctrl-C, divergence."""

import os
import signal

import numpy as np
import pytest

from mlplab import data
from mlplab.train import EarlyStopping, History, NumpyEngine, Trainer
from mlplab.train import metrics as M

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core


def spiral():
    ds = data.load("nonlinear", seed=0)
    return ds.X, ds.y


def engine(spec="2-16-relu-3", loss="cross_entropy", opt="sgd", lr=0.1, seed=0, **kw):
    return NumpyEngine.from_spec(spec, loss, opt, lr, seed=seed, **kw)


def weights(e):
    return e.state_dict()


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


def test_same_seed_bit_identical():
    X, y = spiral()
    runs = []
    for _ in range(2):
        e = engine(opt="adam", lr=0.01)
        h = Trainer(e, epochs=3, batch_size=32, seed=4, progress=False).fit((X, y), {"val": (X, y)})
        runs.append((weights(e), h))
    assert_same_weights(runs[0][0], runs[1][0])
    assert runs[0][1].records[-1]["train_loss"] == runs[1][1].records[-1]["train_loss"]
    e = engine(opt="adam", lr=0.01)
    Trainer(e, epochs=3, batch_size=32, seed=5, progress=False).fit((X, y))
    assert not np.array_equal(weights(e)["0.weight"], runs[0][0]["0.weight"])


def test_history_records_train_and_eval_metrics(tmp_path):
    X, y = spiral()
    h = Trainer(engine(), epochs=2, batch_size=32, progress=False).fit((X, y), {"test": (X, y)})
    assert h.status == "ok" and h.epochs == 2
    assert {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy",
            "seconds"} <= set(h.columns)
    h.to_csv(tmp_path / "h.csv")
    h.to_json(tmp_path / "h.json")
    assert (tmp_path / "h.csv").read_text().splitlines()[0].startswith("epoch,train_loss")
    assert History.from_json(tmp_path / "h.json").records == h.records


def test_evaluate_matches_the_engine():
    X, y = spiral()
    e = engine()
    t = Trainer(e, epochs=1, batch_size=32, progress=False)
    t.fit((X, y))
    scores = t.evaluate(X, y)
    out = e.predict(X)
    assert scores["accuracy"] == (out.argmax(1) == y).mean()
    assert scores["loss"] == pytest.approx(float(e.loss_fn(out, y)), rel=1e-6)


def test_early_stopping_restores_best_weights():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = rng.standard_normal(64).astype(np.float32)          # pure noise: val loss rises
    Xv = rng.standard_normal((64, 5)).astype(np.float32)
    yv = rng.standard_normal(64).astype(np.float32)
    e = engine("5-64-relu-64-relu-1", loss="mse", opt="adam", lr=0.01)
    t = Trainer(e, epochs=200, batch_size=16, progress=False,
                early_stopping=EarlyStopping(patience=3))
    h = t.fit((X, y), {"val": (Xv, yv)})
    assert h.status == "early_stopped" and h.epochs < 200
    assert "restored the best weights" in h.message
    best = min(h.column("val_loss"))
    assert h.column("val_loss").index(best) == h.epochs - 4   # 3 epochs of patience after it
    assert t.evaluate(Xv, yv)["loss"] == pytest.approx(best, rel=1e-6)


def test_early_stopping_needs_its_split():
    X, y = spiral()
    with pytest.raises(ValueError, match="EarlyStopping monitors 'val'"):
        Trainer(engine(), epochs=2, batch_size=32, progress=False,
                early_stopping=EarlyStopping(patience=2)).fit((X, y))


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_resume_from_checkpoint_is_exact(tmp_path, opt):
    X, y = spiral()
    straight = engine(opt=opt, lr=0.01, optimizer_kwargs={"momentum": 0.9} if opt == "sgd"
                      else None)
    h1 = Trainer(straight, epochs=4, batch_size=32, seed=1, progress=False).fit((X, y))
    ck = tmp_path / "ck.npz"
    first = engine(opt=opt, lr=0.01, optimizer_kwargs={"momentum": 0.9} if opt == "sgd"
                   else None)
    Trainer(first, epochs=2, batch_size=32, seed=1, progress=False, checkpoint=ck,
            checkpoint_seconds=0).fit((X, y))
    resumed = engine(opt=opt, lr=0.01, seed=99, optimizer_kwargs={"momentum": 0.9}
                     if opt == "sgd" else None)  # other initial weights: the checkpoint wins
    h2 = Trainer(resumed, epochs=4, batch_size=32, seed=1, progress=False,
                 checkpoint=ck).fit((X, y), resume_from=ck)
    assert_same_weights(weights(straight), weights(resumed))
    assert h2.column("train_loss") == h1.column("train_loss")
    assert [p.name for p in tmp_path.iterdir()] == ["ck.npz"]  # atomic: no temp files left


class _CtrlC:
    """Wraps an engine and sends the process a real SIGINT after ``at`` training steps."""

    def __init__(self, inner, at):
        self.inner, self.at, self.n = inner, at, 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    @property
    def lr(self):
        return self.inner.lr

    @lr.setter
    def lr(self, value):
        self.inner.lr = value

    def train_step(self, xb, yb):
        self.n += 1
        if self.n == self.at:
            os.kill(os.getpid(), signal.SIGINT)
        return self.inner.train_step(xb, yb)


def test_ctrl_c_finishes_the_batch_checkpoints_and_resumes_exactly(tmp_path):
    X, y = spiral()   # 300 samples, batch 32: 10 batches per epoch
    straight = engine()
    Trainer(straight, epochs=3, batch_size=32, seed=2, progress=False).fit((X, y))
    ck = tmp_path / "ck.npz"
    e = engine()
    before = signal.getsignal(signal.SIGINT)   # SIG_IGN in a background job, else Python's
    h = Trainer(_CtrlC(e, at=15), epochs=3, batch_size=32, seed=2, progress=False,
                checkpoint=ck).fit((X, y))
    assert h.status == "interrupted"
    assert "during epoch 2, after batch 5 of 10" in h.message
    resumed = engine(seed=7)
    Trainer(resumed, epochs=3, batch_size=32, seed=2, progress=False).fit(
        (X, y), resume_from=ck)
    assert_same_weights(weights(straight), weights(resumed))
    assert signal.getsignal(signal.SIGINT) is before   # the Trainer's handler is removed


def test_divergence_stops_with_a_diagnosis():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (256, 20)).astype(np.float32)
    y = rng.standard_normal(256).astype(np.float32)
    h = Trainer(engine("20-1", loss="mse", lr=0.01), epochs=5, batch_size=32,
                progress=False).fit((X, y))
    assert h.status == "diverged"
    assert h.message.startswith("loss became")
    assert "at epoch 1, batch" in h.message
    assert "inputs range over [" in h.message and "lr is 0.01" in h.message
    assert h.message.endswith("normalise the inputs or lower the learning rate")


def test_bad_checkpoint_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"garbage")
    X, y = spiral()
    with pytest.raises(ValueError, match="bad.npz: not a checkpoint"):
        Trainer(engine(), epochs=1, batch_size=32, progress=False).fit((X, y), resume_from=bad)


@pytest.mark.parametrize("kw, message", [
    (dict(epochs=0, batch_size=1), "epochs must be at least 1, got 0"),
    (dict(epochs=1, batch_size=0), "batch_size must be at least 1, got 0"),
])
def test_bad_trainer_arguments(kw, message):
    with pytest.raises(ValueError, match=message):
        Trainer(engine(), **kw)


def test_regression_metrics_exact():
    y = np.array([1.0, 2.0, 3.0, 4.0])
    p = np.array([[1.5], [2.0], [2.0], [5.0]])
    assert M.mse(p, y) == pytest.approx((0.25 + 0 + 1 + 1) / 4)
    assert M.mae(p, y) == pytest.approx((0.5 + 0 + 1 + 1) / 4)
    assert M.r2(p, y) == pytest.approx(1 - 2.25 / 5.0)


def test_classification_metrics_exact():
    y = np.array([0, 0, 1, 2, 2, 2])
    pred = np.array([0, 1, 1, 2, 0, 2])
    cm = M.confusion_matrix(y, pred, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_allclose(M.per_class_accuracy(cm), [0.5, 1.0, 2 / 3])
    logits = np.eye(3)[pred]
    assert M.accuracy(logits, y) == pytest.approx(4 / 6)
    # one binary column: logits split at 0, probabilities at 0.5
    assert M.accuracy(np.array([[-1.0], [0.3]]), np.array([0, 1])) == 1.0
    assert M.accuracy(np.array([[0.2], [0.7]]), np.array([0, 1]), threshold=0.5) == 1.0


def test_cosine_schedule_warms_up_then_decays():
    from mlplab.train.callbacks import make_schedule

    f = make_schedule({"kind": "cosine", "warmup": 0.1})
    assert f(0.05) == pytest.approx(0.5)
    assert f(0.1) == pytest.approx(1.0)
    assert f(0.55) == pytest.approx(0.5)
    assert f(0.999) < 1e-4
    assert make_schedule(None) is None
    with pytest.raises(ValueError, match="unknown learning-rate schedule 'step'"):
        make_schedule("step")


def test_schedule_sets_the_engines_lr_per_batch():
    X, y = spiral()
    e = engine(lr=0.2)
    Trainer(e, epochs=2, batch_size=32, progress=False, schedule="cosine").fit((X, y))
    # last of 20 steps: t = 19/20, multiplier 0.5 (1 + cos(0.95 pi))
    assert e.lr == pytest.approx(0.2 * 0.5 * (1 + np.cos(0.95 * np.pi)))


def test_resume_with_schedule_and_augmentation_is_exact(tmp_path):
    from mlplab.experiments.preprocess import make_augment

    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (96, 36)).astype(np.float32)
    y = rng.integers(0, 3, 96)
    aug = make_augment("flip+shift:1", (6, 6))

    def fit(e, **kw):
        return Trainer(e, epochs=4, batch_size=16, seed=3, progress=False, schedule="cosine",
                       augment=aug, **kw)

    straight = engine("36-8-relu-3", opt="adam", lr=0.01)
    fit(straight).fit((X, y))
    ck = tmp_path / "ck.npz"
    h = fit(_CtrlC(engine("36-8-relu-3", opt="adam", lr=0.01), at=9), checkpoint=ck).fit((X, y))
    assert h.status == "interrupted"
    resumed = engine("36-8-relu-3", opt="adam", lr=0.01)
    fit(resumed).fit((X, y), resume_from=ck)
    assert_same_weights(weights(straight), weights(resumed))
    assert resumed.lr == straight.lr


def test_augmentations_move_pixels_not_values():
    from mlplab.experiments.preprocess import make_augment

    img = np.zeros((1, 5, 5), np.float32)
    img[0, 2, 0] = 1.0
    flat = img.reshape(1, -1)
    flipped = make_augment("flip", (5, 5))(np.repeat(flat, 64, 0), np.random.default_rng(0))
    seen = {tuple(np.argwhere(f.reshape(5, 5) == 1)[0]) for f in flipped}
    assert seen == {(2, 0), (2, 4)}
    shifted = make_augment("shift:1", (5, 5))(np.repeat(flat, 64, 0), np.random.default_rng(0))
    assert shifted.shape == (64, 25) and shifted.dtype == np.float32
    assert set(np.unique(shifted.sum(axis=1))) <= {0.0, 1.0}   # moved, or shifted out
    with pytest.raises(ValueError, match="unknown augmentation 'rotate'"):
        make_augment("rotate", (5, 5))
    with pytest.raises(ValueError, match="needs image data"):
        make_augment("flip", (25,))

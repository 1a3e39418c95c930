"""The Trainer's callback protocol, each built-in callback, the structured outcome and the
optimizers' own state loading."""

import io
import json
import math
import signal

import numpy as np
import pytest
from rich.console import Console

from mlplab import data
from mlplab.nn.module import Parameter
from mlplab.optim import Adam, AdamW
from mlplab.train import EarlyStopping, History, NumpyEngine, Trainer
from mlplab.train.callbacks import Callback, Checkpoint, LRSchedule, ProgressBar
from mlplab.train.history import PRECEDENCE, Outcome

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core


def spiral():
    ds = data.load("nonlinear", seed=0)   # 300 samples: 10 batches of 32 per epoch
    return ds.X, ds.y


def engine(spec="2-16-relu-3", loss="cross_entropy", opt="sgd", lr=0.1, seed=0, **kw):
    return NumpyEngine.from_spec(spec, loss, opt, lr, seed=seed, **kw)


HOOKS = ("on_fit_start", "on_epoch_start", "on_batch_start", "on_batch_end", "on_epoch_end",
         "on_fit_end", "teardown")


class Counter(Callback):
    """Counts every hook, keeps the epoch records it was given and the lr of every batch."""

    def __init__(self):
        self.calls = dict.fromkeys(HOOKS, 0)
        self.logs, self.lrs, self.losses = [], [], []

    def on_fit_start(self, fit):
        self.calls["on_fit_start"] += 1

    def on_epoch_start(self, fit):
        self.calls["on_epoch_start"] += 1

    def on_batch_start(self, fit):
        self.calls["on_batch_start"] += 1

    def on_batch_end(self, fit):
        self.calls["on_batch_end"] += 1
        self.lrs.append(fit.engine.lr)
        self.losses.append(fit.loss)

    def on_epoch_end(self, fit, logs):
        self.calls["on_epoch_end"] += 1
        self.logs.append(logs)

    def on_fit_end(self, fit):
        self.calls["on_fit_end"] += 1

    def teardown(self, fit):
        self.calls["teardown"] += 1


def test_user_callback_sees_every_hook_and_changes_no_number():
    X, y = spiral()
    plain = Trainer(engine(), epochs=3, batch_size=32, seed=1, progress=False).fit(
        (X, y), {"val": (X, y)})
    c = Counter()
    h = Trainer(engine(), epochs=3, batch_size=32, seed=1, progress=False,
                callbacks=[c]).fit((X, y), {"val": (X, y)})
    assert c.calls == {"on_fit_start": 1, "on_epoch_start": 3, "on_batch_start": 30,
                       "on_batch_end": 30, "on_epoch_end": 3, "on_fit_end": 1, "teardown": 1}
    assert c.logs == h.records                      # the History's own records

    def numbers(hist):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in hist.records]

    assert numbers(h) == numbers(plain)
    assert h.status == Outcome.OK and h.message == ""


class StopAt(Callback):
    def __init__(self, epoch=None, batch=None):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, fit):
        return fit.epoch == self.epoch and fit.batch == self.batch

    def on_epoch_end(self, fit, logs):
        return self.batch is None and fit.epoch == self.epoch


def test_a_callback_returning_true_stops_after_the_epoch():
    X, y = spiral()
    c = Counter()
    h = Trainer(engine(), epochs=5, batch_size=32, progress=False,
                callbacks=[StopAt(epoch=2), c]).fit((X, y))
    assert h.epochs == 2 and h.status == Outcome.EARLY_STOPPED == "early_stopped"
    assert h.message == "stopped after epoch 2 by StopAt"
    assert c.calls["on_epoch_end"] == 2 and c.calls["on_fit_end"] == c.calls["teardown"] == 1


def test_a_stop_within_an_epoch_ends_after_that_batch_and_records_no_epoch():
    X, y = spiral()
    c = Counter()
    h = Trainer(engine(), epochs=5, batch_size=32, progress=False,
                callbacks=[StopAt(epoch=3, batch=4), c]).fit((X, y))
    assert h.epochs == 2 and c.calls["on_batch_end"] == 24 and c.calls["on_epoch_end"] == 2
    assert h.message == "stopped during epoch 3, after batch 4 of 10, by StopAt"


def test_teardown_runs_after_an_exception():
    class Boom(Callback):
        def on_epoch_end(self, fit, logs):
            raise RuntimeError("boom")

    X, y = spiral()
    c = Counter()
    before = signal.getsignal(signal.SIGINT)
    t = Trainer(engine(), epochs=3, batch_size=32, progress=True,
                console=Console(file=io.StringIO()), callbacks=[Boom(), c])
    with pytest.raises(RuntimeError, match="boom"):
        t.fit((X, y))
    assert c.calls["teardown"] == 1 and c.calls["on_fit_end"] == 0
    assert signal.getsignal(signal.SIGINT) is before          # CtrlC's handler removed
    assert next(cb for cb in t.callbacks if isinstance(cb, ProgressBar)).p is None


def test_default_callbacks_follow_the_arguments(tmp_path):
    user = Counter()
    t = Trainer(engine(), epochs=1, batch_size=8, progress=True, schedule="cosine",
                early_stopping=EarlyStopping(patience=2), checkpoint=tmp_path / "c.npz",
                callbacks=[user])
    assert [type(c).__name__ for c in t.callbacks] == [
        "LRSchedule", "DivergenceGuard", "EarlyStopping", "WorseThanStart", "Counter", "CtrlC",
        "Checkpoint", "ProgressBar"]
    bare = Trainer(engine(), epochs=1, batch_size=8, progress=False)
    assert [type(c).__name__ for c in bare.callbacks] == ["DivergenceGuard", "WorseThanStart",
                                                          "CtrlC"]


# -- LRSchedule --------------------------------------------------------------------------------
def test_lr_schedule_sets_every_batch_from_the_starting_lr():
    X, y = spiral()
    c = Counter()
    e = engine(lr=0.2)
    Trainer(e, epochs=2, batch_size=32, progress=False,
            callbacks=[LRSchedule(lambda t: 1 - t), c]).fit((X, y))
    # the user's schedule runs before the counter: step s of 20 trains with 0.2 * (1 - s/20)
    assert c.lrs == [0.2 * (1 - s / 20) for s in range(20)]
    c2 = Counter()
    Trainer(engine(lr=0.2), epochs=2, batch_size=32, progress=False, schedule="cosine",
            callbacks=[c2]).fit((X, y))
    assert c2.lrs == pytest.approx([0.2 * 0.5 * (1 + math.cos(math.pi * s / 20))
                                    for s in range(20)], rel=1e-14)


# -- DivergenceGuard -----------------------------------------------------------------------------
def test_divergence_records_no_epoch_and_writes_no_checkpoint(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (256, 20)).astype(np.float32)
    y = rng.standard_normal(256).astype(np.float32)
    c = Counter()
    h = Trainer(engine("20-1", loss="mse", lr=0.01), epochs=5, batch_size=32, progress=False,
                checkpoint=tmp_path / "ck.npz", callbacks=[c]).fit((X, y))
    assert h.status == Outcome.DIVERGED and h.epochs == 0
    assert h.message.startswith(f"loss became inf at epoch 1, batch {len(c.losses)}; ")
    assert not math.isfinite(c.losses[-1]) and all(map(math.isfinite, c.losses[:-1]))
    assert c.calls["on_fit_end"] == 1 and c.calls["on_epoch_end"] == 0
    assert not (tmp_path / "ck.npz").exists()


# -- WorseThanStart ------------------------------------------------------------------------------
def test_worse_than_start_is_an_outcome_with_its_diagnosis():
    # the initial and the final weights on the same rows, evaluated as the Trainer evaluates
    X, y = spiral()
    t = Trainer(engine(lr=5.0), epochs=3, batch_size=32, progress=False)
    start = t.evaluate(X, y)["loss"]
    h = t.fit((X, y))
    end = t.evaluate(X, y)["loss"]
    assert h.status == Outcome.WORSE_THAN_START == "worse_than_start"
    assert end > start
    assert h.message == (f"training loss ended above where it started ({start:.4g} -> "
                         f"{end:.4g}, the initial and final weights on all {len(X)} training "
                         f"rows) at epoch 3; inputs range over [{X.min():.4g}, {X.max():.4g}] "
                         "and lr is 5: lower the learning rate")


def test_worse_than_start_outranks_early_stopping_and_keeps_its_sentence():
    X, y = spiral()
    h = Trainer(engine(lr=5.0), epochs=20, batch_size=32, progress=False,
                early_stopping=EarlyStopping(patience=1)).fit((X, y), {"val": (X, y)})
    assert h.status == Outcome.WORSE_THAN_START and h.epochs == 2
    best = h.records[0]["val_loss"]
    assert h.message.startswith("stopped after epoch 2: val loss has not improved for 1 epochs "
                                f"(best {best:.4g} at epoch 1); restored the best weights; "
                                "training loss ended above where it started (")


# -- EarlyStopping -------------------------------------------------------------------------------
def noise(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((64, 5)).astype(np.float32)
    y = rng.standard_normal(64).astype(np.float32)
    Xv = rng.standard_normal((64, 5)).astype(np.float32)
    yv = rng.standard_normal(64).astype(np.float32)
    return (X, y), {"val": (Xv, yv)}


def test_early_stopping_without_restore_keeps_the_last_weights():
    train, ev = noise()
    e = engine("5-64-relu-64-relu-1", loss="mse", opt="adam", lr=0.01)
    es = EarlyStopping(patience=3, restore_best=False)
    t = Trainer(e, epochs=200, batch_size=16, progress=False, early_stopping=es)
    h = t.fit(train, ev)
    assert h.status == Outcome.EARLY_STOPPED
    assert h.message.endswith(f"(best {es.best_loss:.4g} at epoch {es.best_epoch})")
    assert es.best_state is None and es.waited == 3 and h.epochs == es.best_epoch + 3
    assert t.evaluate(*ev["val"])["loss"] == h.last("val_loss")


def test_early_stopping_state_round_trips_through_a_checkpoint(tmp_path):
    """Interrupted by a user stop after epoch 3, resumed: the patience count and the best
    weights carry over, so the resumed run stops where the straight one does."""
    train, ev = noise()
    straight = Trainer(engine("5-64-relu-64-relu-1", loss="mse", opt="adam", lr=0.01),
                       epochs=200, batch_size=16, progress=False,
                       early_stopping=EarlyStopping(patience=3)).fit(train, ev)
    ck = tmp_path / "ck.npz"
    first_es = EarlyStopping(patience=3)
    Trainer(engine("5-64-relu-64-relu-1", loss="mse", opt="adam", lr=0.01), epochs=200,
            batch_size=16, progress=False, early_stopping=first_es, checkpoint=ck,
            callbacks=[StopAt(epoch=3)]).fit(train, ev)
    e = engine("5-64-relu-64-relu-1", loss="mse", opt="adam", lr=0.01, seed=5)
    es = EarlyStopping(patience=3)

    class Probe(Callback):
        seen = None

        def on_epoch_start(self, fit):
            self.seen = self.seen or (es.best_loss, es.best_epoch, es.waited)

    probe = Probe()
    h = Trainer(e, epochs=200, batch_size=16, progress=False, early_stopping=es,
                callbacks=[probe]).fit(train, ev, resume_from=ck)
    assert straight.status == Outcome.EARLY_STOPPED and straight.epochs > 4
    assert h.column("val_loss") == straight.column("val_loss")
    assert probe.seen == (first_es.best_loss, first_es.best_epoch, first_es.waited)
    # the same early stop and the same message: WorseThanStart's starting loss is in the
    # checkpoint, so the resumed fit compares with epoch 1 as the straight one does
    assert h.message == straight.message


# -- Checkpoint ----------------------------------------------------------------------------------
class CountingCheckpoint(Checkpoint):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.saved = []

    def save(self, fit, epoch, rng_state, batches_done=0):
        self.saved.append((epoch, batches_done))
        super().save(fit, epoch, rng_state, batches_done)


@pytest.mark.parametrize("every, saved", [(0, [(1, 0), (2, 0), (3, 0), (4, 0)]),
                                          (1e9, [(1, 0), (4, 0)])])
def test_checkpoint_after_epochs_at_most_every_so_many_seconds(tmp_path, every, saved):
    X, y = spiral()
    ck = CountingCheckpoint(tmp_path / "ck.npz", every_seconds=every)
    Trainer(engine(), epochs=4, batch_size=32, progress=False, callbacks=[ck]).fit((X, y))
    assert ck.saved == saved


def test_checkpoint_on_a_stop_and_within_an_epoch(tmp_path):
    X, y = spiral()
    ck = CountingCheckpoint(tmp_path / "a.npz", every_seconds=1e9)
    Trainer(engine(), epochs=4, batch_size=32, progress=False,
            callbacks=[StopAt(epoch=2), ck]).fit((X, y))
    assert ck.saved == [(1, 0), (2, 0)]
    ck = CountingCheckpoint(tmp_path / "b.npz", every_seconds=1e9)
    Trainer(engine(), epochs=4, batch_size=32, progress=False,
            callbacks=[StopAt(epoch=3, batch=6), ck]).fit((X, y))
    assert ck.saved == [(1, 0), (2, 6)]    # after epoch 2, plus 6 batches of epoch 3


# -- ProgressBar ---------------------------------------------------------------------------------
def test_progress_bar_draws_its_label_and_closes():
    X, y = spiral()
    buf = io.StringIO()
    t = Trainer(engine(), epochs=2, batch_size=32, label="spiral", progress=True,
                console=Console(file=buf, force_terminal=True, width=100))
    h = t.fit((X, y))
    assert h.status == Outcome.OK
    assert "spiral epochs" in buf.getvalue() and "batches" in buf.getvalue()
    assert t.callbacks[-1].p is None


# -- History's outcome ---------------------------------------------------------------------------
def test_outcome_precedence_and_the_first_reason_wins():
    assert PRECEDENCE == ("ok", "early_stopped", "worse_than_start", "diverged", "interrupted")
    h = History()
    assert h.conclude(Outcome.EARLY_STOPPED, "a") and h.message == "a"
    assert not h.conclude(Outcome.EARLY_STOPPED, "b") and h.message == "a"
    assert h.conclude("interrupted", "c") and h.status == "interrupted"
    assert not h.conclude(Outcome.DIVERGED, "d") and h.message == "c"
    with pytest.raises(ValueError, match="'done' is not a valid Outcome"):
        h.conclude("done", "e")


@pytest.mark.parametrize("status", list(Outcome))
def test_history_json_round_trips_the_outcome(tmp_path, status):
    h = History([{"epoch": 1, "train_loss": 0.1 + 0.2, "seconds": 0.5}], status, "why")
    h.to_json(tmp_path / "h.json")
    assert json.loads((tmp_path / "h.json").read_text())["status"] == status.value
    back = History.from_json(tmp_path / "h.json")
    assert back == h and back.status is status
    h.to_csv(tmp_path / "h.csv")
    assert (tmp_path / "h.csv").read_text() == "epoch,train_loss,seconds\n1,0.3,0.5\n"


# -- optimizers restore their own state ----------------------------------------------------------
@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_optimizer_state_through_json_gets_its_tuples_back(cls):
    def opt():
        p = Parameter(np.arange(6, dtype=np.float64).reshape(2, 3))
        return p, cls([p], lr=0.1, betas=(0.8, 0.9))

    p1, a = opt()
    for _ in range(3):
        p1.grad = np.ones_like(p1.data)
        a.step()
    sd = a.state_dict()
    groups = json.loads(json.dumps(sd["param_groups"]))   # what a checkpoint stores
    assert groups[0]["betas"] == [0.8, 0.9]
    p2, b = opt()
    p2.data[...] = p1.data
    b.load_state_dict({"state": sd["state"], "param_groups": groups})
    assert b.param_groups[0]["betas"] == (0.8, 0.9)
    for p in (p1, p2):
        p.grad = np.full_like(p.data, 0.5)
    a.step()
    b.step()
    np.testing.assert_array_equal(p1.data, p2.data)

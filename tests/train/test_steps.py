"""Trainer.steps (fit in slices, for the playground) and the hook table that keeps the batch
loop to the callbacks that do something."""

import numpy as np
import pytest

from mlplab import data
from mlplab.train import Callback, NumpyEngine, Trainer
from mlplab.train.callbacks import CtrlC, DivergenceGuard, WorseThanStart
from mlplab.train.trainer import HOOKS, hook_table


def spiral():
    ds = data.load("nonlinear", seed=0)
    return ds.X, ds.y


def engine():
    return NumpyEngine.from_spec("2-16-relu-3", "cross_entropy", "adam", 0.01, seed=0)


def without_seconds(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def test_steps_train_the_same_weights_and_history_as_fit():
    X, y = spiral()
    a, b = engine(), engine()
    fitted = Trainer(a, epochs=3, batch_size=32, seed=4, progress=False).fit(
        (X, y), {"val": (X, y)})
    slices = Trainer(b, epochs=3, batch_size=32, seed=4, progress=False).steps(
        (X, y), {"val": (X, y)}, every=5)
    seen = []
    while True:
        try:
            fit = next(slices)
        except StopIteration as done:
            history = done.value
            break
        seen.append((fit.epoch, fit.batch, len(fit.history.records)))
    for k, v in a.state_dict().items():
        np.testing.assert_array_equal(v, b.state_dict()[k], err_msg=k)
    assert without_seconds(history.records) == without_seconds(fitted.records)
    assert history.status == fitted.status == "ok"
    n = -(-len(X) // 32)
    # every 5th batch but the epoch's last, then the epoch's end with its record
    per_epoch = [(b_, 0) for b_ in range(5, n, 5)] + [(n, 1)]
    assert seen == [(e, b_, e - 1 + r) for e in (1, 2, 3) for b_, r in per_epoch]


class Record(Callback):
    def __init__(self):
        self.calls = []

    def on_epoch_end(self, fit, logs):
        self.calls.append("on_epoch_end")

    def on_fit_end(self, fit):
        self.calls.append("on_fit_end")

    def teardown(self, fit):
        self.calls.append("teardown")


def test_closing_steps_tears_down_without_ending_the_fit():
    X, y = spiral()
    rec = Record()
    slices = Trainer(engine(), epochs=5, batch_size=32, progress=False,
                     callbacks=[rec]).steps((X, y))
    for fit in slices:
        if fit.epoch == 2:
            break
    slices.close()
    assert rec.calls == ["on_epoch_end", "teardown"]


def test_steps_keep_numpys_warnings_to_each_slice():
    X, y = spiral()
    slices = Trainer(engine(), epochs=1, batch_size=32, progress=False).steps((X, y))
    with np.errstate(over="raise", invalid="warn"):
        before = np.geterr()
        next(slices)
        # the slice ran with overflow ignored; between slices the caller's state holds
        assert np.geterr() == before
    slices.close()


@pytest.mark.parametrize("every", [0, -1, 1.5, True])
def test_steps_refuse_a_bad_slice(every):
    with pytest.raises(ValueError, match="every"):
        next(Trainer(engine(), epochs=1, batch_size=8).steps(spiral(), every=every))


def test_hook_table_holds_only_the_hooks_a_callback_overrides():
    rec, guard = Record(), DivergenceGuard()
    own = Callback()
    own.on_batch_start = lambda fit: None      # a function set on the instance counts
    table = hook_table([rec, guard, own])
    assert set(table) == set(HOOKS)
    assert [cb for cb, _ in table["on_epoch_end"]] == [rec]
    assert [cb for cb, _ in table["on_batch_end"]] == [guard]
    assert [cb for cb, _ in table["on_batch_start"]] == [own]
    assert [cb for cb, _ in table["teardown"]] == [rec]
    assert table["on_epoch_start"] == []


def test_a_callback_added_after_construction_is_called():
    X, y = spiral()
    rec = Record()
    t = Trainer(engine(), epochs=2, batch_size=32, progress=False)
    t.callbacks.append(rec)
    t.fit((X, y))
    assert rec.calls == ["on_epoch_end", "on_epoch_end", "on_fit_end", "teardown"]


def test_guards_false_leaves_out_the_guards():
    kinds = (DivergenceGuard, WorseThanStart, CtrlC)
    on = Trainer(engine(), epochs=1, batch_size=8, progress=False)
    off = Trainer(engine(), epochs=1, batch_size=8, progress=False, guards=False)
    assert sum(isinstance(cb, kinds) for cb in on.callbacks) == 3
    assert not any(isinstance(cb, kinds) for cb in off.callbacks)

"""The one Trainer: epochs and batches for any engine, evaluation after each epoch; early
stopping, checkpoints with resume, the divergence guard, Ctrl-C, the learning-rate schedule
and the progress bars are callbacks (:mod:`mlplab.train.callbacks`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator
from pathlib import Path

import numpy as np

from mlplab.data.batching import iter_batches, num_batches
from mlplab.train import metrics as M
from mlplab.train.callbacks import (
    Callback,
    Checkpoint,
    CtrlC,
    DivergenceGuard,
    EarlyStopping,
    FitState,
    LRSchedule,
    ProgressBar,
    WorseThanStart,
    load_checkpoint,
)
from mlplab.train.history import History

__all__ = ["EarlyStopping", "Trainer"]


class Trainer:
    """Fits one engine on (X, y), evaluating named splits after every epoch.

    X : (n_samples, ...) float array, already preprocessed, or raw (uint8 images, say) with a
    ``transform`` that preprocesses each batch; y : (n_samples,) targets.
    Shuffling uses ``np.random.default_rng(seed)``: the same seed gives the same batches, and
    with the NumPy engine bit-identical results.

    The arguments build the built-in callbacks (``schedule``: LRSchedule, ``early_stopping``,
    ``checkpoint`` every ``checkpoint_seconds``, ``progress`` with ``console`` and ``label``);
    ``callbacks`` adds the caller's own, run after the built-in ones that decide outcomes
    and before CtrlC, Checkpoint and ProgressBar (see :mod:`mlplab.train.callbacks`).
    ``guards=False`` leaves out DivergenceGuard, WorseThanStart and CtrlC, for an
    interactive caller of :meth:`steps` that watches the loss and owns Ctrl-C itself.
    """

    def __init__(self, engine, *, epochs: int, batch_size: int, seed: int = 0,
                 shuffle: bool = True, drop_last: bool = False,
                 early_stopping: EarlyStopping | None = None, checkpoint: str | Path | None = None,
                 checkpoint_seconds: float = 10.0, progress: bool = True, console=None,
                 label: str = "", schedule: str | dict | None = None, augment=None,
                 transform=None, callbacks: list[Callback] | tuple = (), guards: bool = True):
        if epochs < 1:
            raise ValueError(f"Trainer: epochs must be at least 1, got {epochs}")
        if batch_size < 1:
            raise ValueError(f"Trainer: batch_size must be at least 1, got {batch_size}")
        self.engine, self.epochs, self.batch_size = engine, int(epochs), int(batch_size)
        self.seed, self.shuffle, self.drop_last = seed, shuffle, drop_last
        self.checkpoint = Path(checkpoint) if checkpoint else None
        # augment(xb, rng) -> xb; its generator is derived from (seed, epoch, batch), so a
        # resumed run draws the same transformations without saving any state
        self.augment = augment
        # transform(xb) -> float array: the model's preprocessing, applied to each batch as it
        # is drawn, so uint8 images never exist as one float32 copy of the whole set
        self.transform = transform
        built = [LRSchedule(schedule) if schedule is not None else None,
                 DivergenceGuard() if guards else None, early_stopping,
                 WorseThanStart() if guards else None, *callbacks, CtrlC() if guards else None,
                 Checkpoint(self.checkpoint, checkpoint_seconds) if self.checkpoint else None,
                 ProgressBar(label, console) if progress else None]
        self.callbacks: list[Callback] = [c for c in built if c is not None]

    # -- evaluation -------------------------------------------------------------------------
    def evaluate(self, X, y) -> dict[str, float]:
        """Loss and the task's metrics of the current weights on (X, y), in eval mode."""
        out = self.engine.predict(X, transform=self.transform)
        yt = self.engine.prepare_targets(y)
        scores = M.compute(self.engine.task, out, yt, self.engine.threshold)
        return {"loss": self.engine.loss(out, yt), **scores}

    # -- training ---------------------------------------------------------------------------
    def fit(self, train, eval_sets: dict | None = None, resume_from=None) -> History:
        """Train for ``epochs`` on ``train = (X, y)``; ``eval_sets`` maps names such as
        ``"val"`` or ``"test"`` to (X, y) evaluated after each epoch. Returns the History;
        its ``status`` (an ``Outcome``) says how training ended and ``message`` why."""
        run = self._run(train, eval_sets, resume_from, every=None)
        while True:   # nothing is yielded when every is None: this runs the whole fit
            try:
                next(run)
            except StopIteration as done:
                return done.value

    def steps(self, train, eval_sets: dict | None = None, resume_from=None, *,
              every: int = 1) -> Generator[FitState, None, History]:
        """``fit`` one slice at a time, for a caller that draws between slices (the
        playground): yields the :class:`FitState` after every ``every`` batches within an
        epoch and after every epoch, whose record is then ``fit.history.records[-1]`` and
        ``fit.batch == fit.n_batches``; returns the History when training ends. The caller
        may stop between slices with ``close()`` (the callbacks' ``teardown`` runs, not
        ``on_fit_end``). Each slice runs with NumPy's overflow warnings off, as ``fit``'s
        epochs do. The same batches and arithmetic as ``fit``: after E epochs, the same
        weights."""
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"Trainer.steps: every must be a positive number of batches, "
                             f"got {every!r}")
        run = self._run(train, eval_sets, resume_from, every=every)
        try:
            while True:
                # per slice, not around the generator: a context held across a yield would
                # leak into the caller's code between slices
                with np.errstate(over="ignore", invalid="ignore"):
                    try:
                        fit = next(run)
                    except StopIteration as done:
                        return done.value
                yield fit
        finally:
            run.close()

    def _run(self, train, eval_sets, resume_from, every: int | None):
        """The one training loop, as a generator: yields only when ``every`` is set (see
        :meth:`steps`); returns the History."""
        X, y = train
        yt = self.engine.prepare_targets(y)
        fit = FitState(self, X, eval_sets or {}, History(), np.random.default_rng(self.seed),
                       num_batches(len(X), self.batch_size, self.drop_last), y=yt)
        # each hook's list holds only the callbacks that override it, so a batch pays for the
        # hooks that do something; read at each fit: callers may change ``callbacks``
        hooks = self._hooks = hook_table(self.callbacks)
        try:
            self._call("on_fit_start", fit)
            skip = load_checkpoint(resume_from, fit) if resume_from is not None else 0
            # overflow is expected when training diverges; DivergenceGuard reports it instead
            # (steps() sets the same per slice)
            with np.errstate(over="ignore", invalid="ignore") if every is None \
                    else contextlib.nullcontext():
                for epoch in range(fit.start_epoch + 1, self.epochs + 1):
                    fit.epoch = epoch
                    record = yield from self._train_epoch(fit, X, yt, skip, every)
                    skip = 0  # batches of a half-done epoch trained before an interrupt
                    if record is None:
                        break
                    fit.history.append(record)
                    if hooks["on_epoch_end"]:
                        self._call("on_epoch_end", fit, record)
                    if every is not None:
                        yield fit
                    if fit.stopping:
                        break
            self._call("on_fit_end", fit)
        finally:
            self._call("teardown", fit)
        return fit.history

    def _train_epoch(self, fit: FitState, X, yt, skip: int, every: int | None):
        """One epoch's batches (the first ``skip`` drawn but not trained), then evaluation, as
        a generator that yields after every ``every`` batches but the last (None: never);
        returns the epoch's record, or None when a callback stopped training within it."""
        t0 = time.perf_counter()
        fit.epoch_rng = fit.rng.bit_generator.state  # the permutation is drawn from here
        fit.batch = 0
        hooks = self._hooks
        batch_start, batch_end = hooks["on_batch_start"], hooks["on_batch_end"]
        if hooks["on_epoch_start"]:
            self._call("on_epoch_start", fit)
        prepare = self.transform is not None or self.augment is not None
        train_step, n_batches = self.engine.train_step, fit.n_batches
        total, seen, outs, targets = 0.0, 0, [], []
        batches = iter_batches(X, yt, self.batch_size, rng=fit.rng if self.shuffle else None,
                               drop_last=self.drop_last)
        for b, (xb, yb) in enumerate(batches, 1):
            fit.batch = b
            if b <= skip:
                continue
            if batch_start:
                self._call("on_batch_start", fit)
            fit.loss, out = train_step(self._batch_inputs(xb, fit) if prepare else xb, yb)
            if batch_end:
                self._call("on_batch_end", fit)
            if fit.stopping:
                return None
            n = len(xb)
            total += fit.loss * n
            seen += n
            outs.append(np.array(out, copy=True))
            targets.append(yb)
            if every is not None and b % every == 0 and b < n_batches:
                yield fit
        record = {"epoch": fit.epoch, "train_loss": total / max(seen, 1)}
        engine = self.engine
        scores = M.compute(engine.task, np.concatenate(outs), np.concatenate(targets),
                           engine.threshold)
        record.update({f"train_{k}": v for k, v in scores.items()})
        for name, (Xe, ye) in fit.eval_sets.items():
            record.update({f"{name}_{k}": v for k, v in self.evaluate(Xe, ye).items()})
        record["seconds"] = time.perf_counter() - t0
        return record

    def _batch_inputs(self, xb, fit: FitState):
        """A drawn batch as the model trains on it: the model's preprocessing, then the
        augmentation with a generator derived from (seed, epoch, batch)."""
        if self.transform is not None:
            xb = self.transform(xb)
        if self.augment is not None:
            xb = self.augment(xb, np.random.default_rng((self.seed, fit.epoch, fit.batch)))
        return xb

    def _call(self, hook: str, fit: FitState, *args) -> None:
        """Run one hook of every callback that overrides it, in order; a True return stops
        training."""
        for cb, method in self._hooks[hook]:
            if method(fit, *args) and not fit.stopping:
                where = (f"after epoch {fit.epoch}" if hook == "on_epoch_end" else
                         f"during epoch {fit.epoch}, after batch {fit.batch} of {fit.n_batches},")
                fit.stop(message=f"stopped {where} by {type(cb).__name__}")


HOOKS = ("on_fit_start", "on_epoch_start", "on_batch_start", "on_batch_end", "on_epoch_end",
         "on_fit_end", "teardown")


def hook_table(callbacks) -> dict[str, list[tuple[Callback, Callable]]]:
    """Hook name -> (callback, its bound method) for the callbacks, in order, whose method is
    not :class:`Callback`'s own do-nothing one (a function set on the instance counts)."""
    table: dict[str, list] = {hook: [] for hook in HOOKS}
    for cb in callbacks:
        for hook in HOOKS:
            method = getattr(cb, hook)
            if getattr(method, "__func__", None) is not getattr(Callback, hook):
                table[hook].append((cb, method))
    return table

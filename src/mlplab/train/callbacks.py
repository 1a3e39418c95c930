"""Callbacks: what the Trainer does around its loop, one small class per concern.

The Trainer owns the loop (epochs, batches, evaluation, the History); everything else hooks in
through one protocol, as in Keras and Lightning. Each hook gets the :class:`FitState` of the
running ``fit``; ``on_batch_end`` and ``on_epoch_end`` may stop training by calling
``fit.stop(outcome, message)`` or by returning True. A stop requested in ``on_batch_end``
ends training right after that batch (its epoch is not recorded); one requested in
``on_epoch_end`` ends it after that epoch. The Trainer builds the built-in ones from its
arguments, in this order, with the user's ``callbacks=[...]`` before the last three:

    LRSchedule       the learning rate of every batch from a schedule (``schedule=``)
    DivergenceGuard  stops on a nan or inf loss with a diagnosis ("diverged")
    EarlyStopping    stops when the monitored loss stops improving, restores the best weights
    WorseThanStart   compares the training loss of the initial and the final weights: flags
                     one that ended above the start, stops one that grew a thousandfold
    CtrlC            the first Ctrl-C finishes the batch and stops ("interrupted")
    Checkpoint       atomic checkpoints after epochs and on a stop, for ``resume_from``
    ProgressBar      the rich progress bars (``progress=True``)
"""

from __future__ import annotations

import io
import json
import math
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mlplab.errors import DataError, ExperimentError, UsageError
from mlplab.train.history import History, Outcome
from mlplab.util import atomic_write_bytes

if TYPE_CHECKING:
    from mlplab.train.trainer import Trainer


SAMPLE_ROWS = 4096   # training rows the diagnoses look at (all of a smaller training set)


@dataclass
class FitState:
    """What one ``Trainer.fit`` call knows, shared with its callbacks.

    ``X`` : (n_samples, ...) the training inputs as given to ``fit`` (raw when the trainer has
    a ``transform``). ``epoch`` is 1-based; ``batch`` counts the batches of the current epoch
    done so far and ``loss`` is the last one's loss.
    """

    trainer: Trainer
    X: np.ndarray
    eval_sets: dict
    history: History
    rng: np.random.Generator          # draws each epoch's permutation
    n_batches: int
    start_epoch: int = 0              # epochs done before this call (resumed from a checkpoint)
    epoch: int = 0
    batch: int = 0
    loss: float = math.nan
    epoch_rng: dict | None = None     # ``rng``'s state before this epoch's permutation
    stopping: bool = False
    y: np.ndarray | None = None       # (n_samples, ...) the prepared targets of ``X``

    @property
    def engine(self):
        return self.trainer.engine

    @property
    def epochs(self) -> int:
        return self.trainer.epochs

    def stop(self, status: str = Outcome.EARLY_STOPPED, message: str = "") -> bool:
        """Ask the loop to stop, with the outcome to report (a stronger outcome already
        recorded is kept: see ``History.conclude``). True when this one was recorded."""
        self.stopping = True
        return self.history.conclude(status, message)

    def sample_index(self, n: int = SAMPLE_ROWS) -> np.ndarray:
        """Indices of up to ``n`` evenly spaced training rows (all of them, in order, when
        there are at most ``n``): the same rows every time they are asked for."""
        return np.linspace(0, len(self.X) - 1, min(n, len(self.X))).astype(int)

    def sample_inputs(self, n: int = SAMPLE_ROWS) -> np.ndarray:
        """Up to ``n`` evenly spaced training rows as the model sees them (transformed),
        for the diagnoses' input ranges."""
        rows = self.X[self.sample_index(n)]
        transform = self.trainer.transform
        return transform(rows) if transform is not None else rows

    def sample_loss(self, n: int = SAMPLE_ROWS) -> float:
        """The loss of the current weights on the rows of :meth:`sample_index`, computed as
        the Trainer evaluates a split (eval mode, the model's preprocessing, one loss over
        the rows): with at most ``n`` training rows, the training-set loss that metrics.json
        reports for final weights. nan when the targets are not known (``y`` is None)."""
        if self.y is None or not len(self.X):
            return math.nan
        idx = self.sample_index(n)
        engine = self.engine
        # the weights may have exploded: overflow is what the diagnosis is about
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = engine.predict(self.X[idx], transform=self.trainer.transform)
            return float(engine.loss(out, engine.prepare_targets(self.y[idx])))


class Callback:
    """Base class: every hook does nothing. ``state_key`` names a callback whose state a
    checkpoint keeps (``state_dict`` / ``load_state_dict``: numbers and arrays)."""

    state_key: ClassVar[str | None] = None

    def on_fit_start(self, fit: FitState) -> None:
        """Before the first epoch, and before a checkpoint given as ``resume_from`` is read."""

    def on_epoch_start(self, fit: FitState) -> None:
        pass

    def on_batch_start(self, fit: FitState) -> None:
        """Before the batch's preprocessing and training step."""

    def on_batch_end(self, fit: FitState) -> bool | None:
        """After the training step; ``fit.loss`` is the batch's loss. True stops training."""

    def on_epoch_end(self, fit: FitState, logs: dict) -> bool | None:
        """After evaluation; ``logs`` is the epoch's History record. True stops training."""

    def on_fit_end(self, fit: FitState) -> None:
        """After the loop, however it ended (not after an exception)."""

    def teardown(self, fit: FitState) -> None:
        """Always last, also after an exception: release what ``on_fit_start`` took."""

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


# -- learning-rate schedule ------------------------------------------------------------------
def make_schedule(spec: str | dict | None):
    """A learning-rate multiplier of the fraction of training done, t in [0, 1).

    ``"cosine"`` (or ``{"kind": "cosine", "warmup": 0.05}``): linear warm-up over the first
    ``warmup`` of the steps, then half a cosine from 1 down to 0. ``None`` keeps lr fixed.
    """
    if spec is None:
        return None
    spec = {"kind": spec} if isinstance(spec, str) else dict(spec)
    kind, warmup = spec.pop("kind", None), float(spec.pop("warmup", 0.0))
    if kind != "cosine" or spec or not 0 <= warmup < 1:
        raise ExperimentError(f"unknown learning-rate schedule {kind!r} {spec or ''}; use "
                              "'cosine' or {kind = 'cosine', warmup = 0.05}")

    def cosine(t: float) -> float:
        if t < warmup:
            return (t + 1e-12) / warmup
        return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (1 - warmup)))

    return cosine


class LRSchedule(Callback):
    """Sets ``engine.lr`` before every batch to the lr the engine had when ``fit`` began times
    ``schedule(t)``, t the fraction of all ``epochs * n_batches`` steps done. ``schedule`` is
    what :func:`make_schedule` takes, or a function of t."""

    def __init__(self, schedule):
        self.schedule = schedule if callable(schedule) else make_schedule(schedule)

    def on_fit_start(self, fit):
        self.base_lr = fit.engine.lr   # before a checkpoint's scheduled lr replaces it

    def on_batch_start(self, fit):
        n = fit.n_batches
        done = ((fit.epoch - 1) * n + fit.batch - 1) / (fit.epochs * n)
        fit.engine.lr = self.base_lr * self.schedule(done)


# -- diagnoses -------------------------------------------------------------------------------
def diagnose(kind: str, epoch: int, batch: int, X: np.ndarray, lr: float) -> str:
    """One line saying what went wrong and what to try, e.g. for raw 0..255 pixels."""
    lo, hi = float(np.min(X)), float(np.max(X))
    where = f"epoch {epoch}, batch {batch}" if batch else f"epoch {epoch}"
    span = f"inputs range over [{lo:.4g}, {hi:.4g}] and lr is {lr:g}"
    if max(abs(lo), abs(hi)) > 10:
        advice = "normalise the inputs or lower the learning rate"
    else:
        advice = "lower the learning rate"
    return f"{kind} at {where}; {span}: {advice}"


class DivergenceGuard(Callback):
    """Stops at the first nan or inf batch loss: outcome "diverged", with a diagnosis. (A
    loss that stays finite but grows by orders of magnitude is :class:`WorseThanStart`'s.)"""

    def on_batch_end(self, fit):
        if not math.isfinite(fit.loss):
            kind = "loss became nan" if math.isnan(fit.loss) else "loss became inf"
            fit.stop(Outcome.DIVERGED, diagnose(kind, fit.epoch, fit.batch, fit.sample_inputs(),
                                                fit.engine.lr))


class WorseThanStart(Callback):
    """Compares the training loss before and after training, like with like.

    The reference is the loss of the initial weights on the training rows of
    :meth:`FitState.sample_index` (all of them for up to 4096 rows), evaluated as the
    Trainer evaluates a split; at the end the final weights (the restored best ones after an
    early stop) are evaluated on the same rows the same way. An epoch's ``train_loss`` is no
    fit for either end: it is a running mean over batches while the weights move, so a
    healthy run whose first batches fall fast has an epoch mean far above its first batch's
    loss only by accident of when each was taken, and a first batch says nothing about the
    other rows. Evaluating ``min(n, 4096)`` rows twice costs two forward passes, and changes
    no weight, no random state and no number of the run.

    Outcomes, each with a diagnosis naming the inputs' range and the learning rate:

    * "diverged" as soon as an epoch's mean training loss is ``GROWTH`` (1000) times the
      reference or more (a loss that exploded but stayed finite, e.g. lr 1e9), and at the
      end when the final weights' loss is that far above it or not finite;
    * "worse_than_start" when the final weights' loss is above the reference (an early
      stop's sentence is kept in front of the diagnosis).

    The reference is kept in checkpoints, so a resumed fit compares with the start of the
    whole training, not of its own part.
    """

    GROWTH = 1000.0
    state_key: ClassVar[str] = "start"

    def on_fit_start(self, fit):
        self.start = fit.sample_loss()   # before a checkpoint's weights (and start) are loaded

    def _exploded(self, loss: float) -> bool:
        return self.start > 0 and not loss < self.GROWTH * self.start

    def _diverged(self, fit, loss: float, epoch: int, what: str):
        kind = f"{what} grew from {self.start:.4g} to {loss:.4g}"
        if math.isfinite(loss):
            kind += f" ({loss / self.start:.2g} times the start)"
        fit.stop(Outcome.DIVERGED, diagnose(kind, epoch, 0, fit.sample_inputs(), fit.engine.lr))

    def on_epoch_end(self, fit, logs):
        loss = logs.get("train_loss", math.nan)
        if math.isfinite(loss) and self._exploded(loss):
            self._diverged(fit, loss, fit.epoch, "mean training loss")

    def on_fit_end(self, fit):
        h = fit.history
        if h.status not in (Outcome.OK, Outcome.EARLY_STOPPED) or not h.records \
                or not math.isfinite(self.start):
            return
        end = fit.sample_loss()
        rows = len(fit.sample_index())
        if self._exploded(end):
            return self._diverged(fit, end, h.epochs, f"training loss on {rows} rows")
        if not end > self.start:
            return
        where = (f"all {rows} training rows" if rows == len(fit.X) else
                 f"{rows} of the {len(fit.X)} training rows")
        text = diagnose(f"training loss ended above where it started ({self.start:.4g} -> "
                        f"{end:.4g}, the initial and final weights on {where})", h.epochs, 0,
                        fit.sample_inputs(), fit.engine.lr)
        h.conclude(Outcome.WORSE_THAN_START, f"{h.message}; {text}" if h.message else text)

    def state_dict(self):
        return {"loss": self.start}

    def load_state_dict(self, state):
        self.start = float(state["loss"])


# -- early stopping --------------------------------------------------------------------------
@dataclass
class EarlyStopping(Callback):
    """Stop when the monitored evaluation loss has not improved by ``min_delta`` for
    ``patience`` epochs; with ``restore_best`` the best epoch's weights are put back."""

    patience: int
    monitor: str = "val"
    min_delta: float = 0.0
    restore_best: bool = True

    state_key: ClassVar[str] = "best"

    def __post_init__(self):
        if self.patience < 1:
            raise UsageError(f"EarlyStopping: patience must be at least 1, got "
                             f"{self.patience}")

    def on_fit_start(self, fit):
        if self.monitor not in fit.eval_sets:
            raise ExperimentError(f"EarlyStopping monitors {self.monitor!r}, but the "
                                  f"evaluation sets are {sorted(fit.eval_sets) or 'none'}")
        self.best_loss, self.best_epoch, self.waited = math.inf, 0, 0
        self.best_state, self.stopped = None, False

    def on_epoch_end(self, fit, logs):
        current = logs[f"{self.monitor}_loss"]
        if current < self.best_loss - self.min_delta:
            self.best_loss, self.best_epoch, self.waited = current, fit.epoch, 0
            self.best_state = fit.engine.state_dict() if self.restore_best else None
            return
        self.waited += 1
        if self.waited >= self.patience:
            self.stopped = fit.stop(
                Outcome.EARLY_STOPPED,
                f"stopped after epoch {fit.epoch}: {self.monitor} loss has not improved for "
                f"{self.patience} epochs (best {self.best_loss:.4g} at epoch {self.best_epoch})")

    def on_fit_end(self, fit):
        if self.stopped and fit.history.status == Outcome.EARLY_STOPPED \
                and self.best_state is not None:
            fit.engine.load_state_dict(self.best_state)
            fit.history.message += "; restored the best weights"

    def state_dict(self):
        """``loss``, ``epoch``, ``waited`` and the best weights under their own names."""
        return {"loss": self.best_loss, "epoch": self.best_epoch, "waited": self.waited,
                **(self.best_state or {})}

    def load_state_dict(self, state):
        state = dict(state)
        self.best_loss, self.best_epoch = float(state.pop("loss")), int(state.pop("epoch"))
        self.waited = int(state.pop("waited"))
        self.best_state = state or None


# -- Ctrl-C ----------------------------------------------------------------------------------
class CtrlC(Callback):
    """Turns the first Ctrl-C into a flag polled after each batch: training stops there
    (outcome "interrupted"; :class:`Checkpoint` saves where it stands). A second Ctrl-C
    raises KeyboardInterrupt at once. Only in the main thread (signals arrive there). The
    CLI forwards SIGTERM to this handler (mlplab.util.TerminateAsInterrupt): ``by`` names
    the signal that stopped training in the message."""

    def __init__(self):
        self.requested, self._old, self.by = False, None, "Ctrl-C"

    def on_fit_start(self, fit):
        self.requested = False
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            self.by = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"

        self._old = signal.signal(signal.SIGINT, handler)

    def on_batch_end(self, fit):
        # a batch that diverged is reported as such; after the last batch the epoch is
        # finished (evaluated, recorded) and on_epoch_end stops
        if self.requested and not fit.stopping and fit.batch < fit.n_batches:
            fit.stop(Outcome.INTERRUPTED, f"interrupted by {self.by} during epoch {fit.epoch}, "
                                          f"after batch {fit.batch} of {fit.n_batches}")

    def on_epoch_end(self, fit, logs):
        if self.requested:
            fit.stop(Outcome.INTERRUPTED, f"interrupted by {self.by} after epoch {fit.epoch}")

    def teardown(self, fit):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


# -- checkpoints -----------------------------------------------------------------------------
class Checkpoint(Callback):
    """Writes ``path`` atomically after every epoch, but for epochs of milliseconds at most
    one per ``every_seconds``; the last epoch and any stop (but divergence) always write one.
    A stop within an epoch (Ctrl-C) saves the batches done, so a resume continues there."""

    def __init__(self, path: str | Path, every_seconds: float = 10.0):
        self.path, self.every_seconds = Path(path), every_seconds
        self._last = -math.inf

    def on_batch_end(self, fit):
        if fit.stopping and fit.history.status != Outcome.DIVERGED \
                and fit.batch < fit.n_batches:
            self.save(fit, fit.epoch - 1, fit.epoch_rng, batches_done=fit.batch)

    def on_epoch_end(self, fit, logs):
        if (fit.epoch == fit.epochs or fit.stopping
                or time.perf_counter() - self._last >= self.every_seconds):
            self.save(fit, fit.epoch, fit.rng.bit_generator.state)

    def save(self, fit: FitState, epoch: int, rng_state: dict, batches_done: int = 0) -> None:
        save_checkpoint(self.path, fit, epoch, rng_state, batches_done)
        self._last = time.perf_counter()


def save_checkpoint(path, fit: FitState, epoch: int, rng_state: dict,
                    batches_done: int = 0) -> None:
    """Weights, optimizer state, History, shuffling state and the state of every callback
    with a ``state_key``, after ``epoch`` (and ``batches_done`` batches of the next), as one
    ``.npz`` (no pickle) written atomically."""
    engine = fit.engine
    arrays = {f"model.{k}": v for k, v in engine.state_dict().items()}
    opt = engine.optimizer_state_dict()
    scalars = {}
    for idx, st in opt["state"].items():
        for name, v in st.items():
            if isinstance(v, np.ndarray):
                arrays[f"opt.{idx}.{name}"] = v
            else:
                scalars[f"{idx}.{name}"] = v
    meta = {"epoch": epoch, "batches_done": batches_done, "history": fit.history.to_dict(),
            "rng": rng_state, "param_groups": opt["param_groups"], "opt_scalars": scalars}
    for cb in fit.trainer.callbacks:
        if cb.state_key:
            st = cb.state_dict()
            arrays.update({f"{cb.state_key}.{k}": v for k, v in st.items()
                           if isinstance(v, np.ndarray)})
            meta[cb.state_key] = {k: v for k, v in st.items() if not isinstance(v, np.ndarray)}
    arrays["meta"] = np.array(json.dumps(meta, default=_json_default))
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path, fit: FitState) -> int:
    """Put a checkpoint's weights, optimizer state, shuffling state, History and callback
    states into ``fit``; returns how many batches of the next epoch it had trained."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
        meta = json.loads(str(arrays.pop("meta")))
    except (OSError, ValueError, KeyError) as e:
        raise DataError(f"{path}: not a checkpoint written by mlplab's Trainer "
                        f"({e})") from None
    engine = fit.engine
    engine.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
    state: dict[int, dict] = {}
    for k, v in arrays.items():
        if k.startswith("opt."):
            _, idx, name = k.split(".", 2)
            state.setdefault(int(idx), {})[name] = v
    for k, v in meta["opt_scalars"].items():
        idx, name = k.split(".", 1)
        state.setdefault(int(idx), {})[name] = v
    # JSON gave lists for tuples (Adam's betas): each optimizer's load_state_dict mends them
    engine.load_optimizer_state_dict({"state": state, "param_groups": meta["param_groups"]})
    fit.rng.bit_generator.state = meta["rng"]
    for cb in fit.trainer.callbacks:
        key = cb.state_key
        if key and key in meta:
            prefix = f"{key}."
            cb.load_state_dict({**meta[key], **{k[len(prefix):]: v for k, v in arrays.items()
                                                if k.startswith(prefix)}})
    fit.history = History.from_dict(meta["history"])
    fit.history.status, fit.history.message = Outcome.OK, ""
    fit.start_epoch = int(meta["epoch"])
    return int(meta.get("batches_done", 0))


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint")


# -- progress --------------------------------------------------------------------------------
class ProgressBar(Callback):
    """Progress of a fit. On a terminal: two rich bars, epochs (with the last epoch's scores,
    time elapsed and remaining) and batches within the current epoch with the running loss.
    No refresh thread (on a 2-core machine it competes with BLAS's two threads): the hooks
    redraw, at most ``REFRESH_SECONDS`` apart. Anywhere else (a pipe, a CI log, a notebook's
    ``!mlplab``): plain log lines, one after the first and the last epoch and otherwise at
    most one per ``LOG_SECONDS``, also within an epoch that takes longer than that; each says
    the model, epoch, losses and metric, time elapsed and the estimate of time remaining."""

    REFRESH_SECONDS = 0.25
    LOG_SECONDS = 5.0

    def __init__(self, label: str = "", console=None):
        self.label, self.console, self.p = label, console, None

    def on_fit_start(self, fit):
        if self.console is None:
            from rich import get_console

            self.console = get_console()
        self.n = fit.n_batches
        self._start = self._drawn = self._logged = time.monotonic()
        if not self.console.is_terminal:
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[time]}"),
                          TextColumn("{task.fields[info]}"),
                          console=self.console, transient=True, auto_refresh=False)
        self.p.start()
        self.epochs = self.p.add_task(f"{self.label} epochs".strip(), total=fit.epochs,
                                      info="", time="0:00, ETA ?")
        self.batches = self.p.add_task("  batches", total=self.n, info="", time="")
        self.p.refresh()

    def _done(self, fit, batches: int) -> float:
        """Share of this call's work done: epochs (of those left at the start) and batches."""
        todo = max(fit.epochs - fit.start_epoch, 1)
        return (fit.epoch - 1 - fit.start_epoch + batches / max(self.n, 1)) / todo

    def _times(self, fit, batches: int, elapsed_word: str = " elapsed") -> str:
        elapsed = time.monotonic() - self._start
        done = self._done(fit, batches)
        eta = elapsed * (1 - done) / done if done > 0 else math.nan
        return f"{clock(elapsed)}{elapsed_word}, ETA {clock(eta)}"

    def _draw(self, fit, batches: int):
        now = time.monotonic()
        if now - self._drawn >= self.REFRESH_SECONDS:
            self._drawn = now
            self.p.update(self.epochs, time=self._times(fit, batches, ""))
            self.p.refresh()

    def _log(self, fit, where: str, what: str, batches: int) -> None:
        """One log line: ``mlp epoch 3/100: <what> (0:02 elapsed, ETA 1:05)``; shortened to
        ``mlp 3/100: <what> (0:02, ETA 1:05)`` when that is wider than the console."""
        self._logged = time.monotonic()
        text = f"{self.label} epoch {where}: {what} ({self._times(fit, batches)})".strip()
        if len(text) > self.console.width:
            text = f"{self.label} {where}: {what} ({self._times(fit, batches, '')})".strip()
        self.console.print(text, markup=False, highlight=False)

    def on_epoch_start(self, fit):
        if self.p is None:
            return
        self.p.update(self.epochs, completed=fit.epoch - 1)
        self.p.update(self.batches, completed=0, total=self.n)
        self._draw(fit, 0)

    def on_batch_end(self, fit):
        b = fit.batch
        if self.p is None:
            if time.monotonic() - self._logged >= self.LOG_SECONDS and b < self.n:
                self._log(fit, f"{fit.epoch}/{fit.epochs}, batch {b}/{self.n}",
                          f"loss {fit.loss:.4g}", b)
        elif b % 16 == 0 or b == self.n:
            self.p.update(self.batches, completed=b, info=f"loss {fit.loss:.4f}")
            self._draw(fit, b)

    def on_epoch_end(self, fit, logs):
        if self.p is None:
            first, last = fit.epoch == fit.start_epoch + 1, fit.epoch == fit.epochs
            if first or last or fit.stopping or \
                    time.monotonic() - self._logged >= self.LOG_SECONDS:
                self._log(fit, f"{fit.epoch}/{fit.epochs}", scores(logs), self.n)
            return
        info = "  ".join(f"{k} {v:.4g}" for k, v in logs.items()
                         if k.endswith(("loss", "accuracy")) and isinstance(v, float))
        self.p.update(self.epochs, advance=1, info=info)
        self._draw(fit, self.n)

    def teardown(self, fit):
        if self.p is not None:
            self.p.stop()
            self.p = None


def clock(seconds: float) -> str:
    """``75.2`` -> ``"1:15"``, ``3725`` -> ``"1:02:05"``; ``"?"`` when not known yet."""
    if not math.isfinite(seconds):
        return "?"
    m, s = divmod(int(round(seconds)), 60)
    h, m = divmod(m, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


# the History columns a log line shows per split, and how
_SHOWN = (("loss", "loss", "{:.4g}"), ("accuracy", "acc", "{:.2%}"), ("r2", "R²", "{:.3f}"))


def scores(logs: dict) -> str:
    """An epoch's record in a few words: ``loss 0.41 acc 85.10%, val loss 0.45 acc 84.20%``
    (the training split and the validation split; the test split waits for the table)."""
    parts = []
    for split, prefix in (("train", ""), ("val", "val ")):
        cells = [f"{name} {fmt.format(logs[f'{split}_{key}'])}" for key, name, fmt in _SHOWN
                 if isinstance(logs.get(f"{split}_{key}"), float)]
        if cells:
            parts.append(prefix + " ".join(cells))
    return ", ".join(parts)

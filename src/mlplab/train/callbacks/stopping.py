"""The callbacks that decide how training ends: divergence, a loss worse than at the start,
and early stopping on an evaluation loss."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from mlplab.errors import ExperimentError, UsageError
from mlplab.train.callbacks.base import Callback
from mlplab.train.history import Outcome


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

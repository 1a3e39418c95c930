"""The callback protocol and the state of one ``fit`` its hooks share."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from mlplab.train.history import History, Outcome

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
        # the gathered rows are this call's own: the model may keep them, no copy
        transform = self.trainer.transform or _same
        # the weights may have exploded: overflow is what the diagnosis is about
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            out = engine.predict(self.X[idx], transform=transform)
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


def _same(rows: np.ndarray) -> np.ndarray:
    """The identity as a ``transform``: rows that are already a fresh array."""
    return rows

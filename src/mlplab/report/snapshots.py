"""The decision boundary during training, for the report's small multiples on 2-D data.

:class:`BoundarySnapshots` is a Trainer callback: at a few epochs it classifies every point of
the report's region grid (:func:`mlplab.report.plots.region_grid` of the training points) with
the network as it is then, and keeps the predicted classes. Predicting changes neither the
weights nor any random state, so a run with the callback trains exactly as one without; it
costs one forward pass over STEPS² points per snapshot (five snapshots per model), on a
grid coarser than the final figure's since its panels are small.
"""

from __future__ import annotations

import numpy as np

from mlplab.report.plots import region_grid
from mlplab.train.callbacks import Callback

STEPS = 120   # grid points per axis: the small multiples' panels are about 260 pixels wide


def snapshot_epochs(epochs: int) -> list[int]:
    """0 (the initial weights), 1, two geometric steps and the last epoch:
    500 -> [0, 1, 8, 63, 500], 2 -> [0, 1, 2]."""
    epochs = max(int(epochs), 0)
    points = {0, min(1, epochs), epochs} | {round(epochs ** f) for f in (1 / 3, 2 / 3)}
    return sorted(points)


def wants_snapshots(dataset) -> bool:
    """Whether the report draws the boundary over training: 2-D, non-image classification."""
    return (dataset.task == "classification" and not dataset.is_image
            and dataset.n_features == 2)


class BoundarySnapshots(Callback):
    """Predicted classes on ``region_grid(X)`` at the epochs of :func:`snapshot_epochs`;
    ``frames`` maps epoch -> (STEPS, STEPS) int8. X : (n, 2) the raw training inputs
    (the trainer's ``transform`` is applied, as in training). When training stops early the
    last frame is the model it ends with, under the epoch it stopped at."""

    def __init__(self, X: np.ndarray, epochs: int):
        self.grid_x, _, self.grid = region_grid(X, STEPS)
        self.at = set(snapshot_epochs(epochs))
        self.frames: dict[int, np.ndarray] = {}

    def _take(self, fit, epoch: int) -> None:
        engine = fit.engine
        out = engine.predict(self.grid, transform=fit.trainer.transform)
        self.frames[epoch] = engine.labels(out).reshape(self.grid_x.shape).astype(np.int8)

    def on_fit_start(self, fit):
        self._take(fit, 0)

    def on_epoch_end(self, fit, logs):
        if fit.epoch in self.at:
            self._take(fit, fit.epoch)

    def on_fit_end(self, fit):
        last = fit.history.epochs
        if last and fit.stopping:   # stopped early: the model as it ends (best restored)
            self._take(fit, last)


def boundary_snapshots(dataset, X: np.ndarray, epochs: int) -> BoundarySnapshots | None:
    """The callback for a model trained on ``dataset`` when the report draws its boundary
    over training, else None."""
    return BoundarySnapshots(X, epochs) if wants_snapshots(dataset) else None

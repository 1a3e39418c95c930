"""The learning-rate schedule: a multiplier of the fraction of training done, and the
callback that sets each batch's learning rate from it."""

from __future__ import annotations

import math

from mlplab.errors import ExperimentError
from mlplab.train.callbacks.base import Callback


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

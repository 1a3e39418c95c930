"""How a fit shows its progress: rich bars on a terminal, log lines anywhere else."""

from __future__ import annotations

import math
import time

from mlplab.train.callbacks.base import Callback


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
        # tasks first: add_task on a started display redraws it, and one draw costs
        # milliseconds; start() draws both once
        self.epochs = self.p.add_task(f"{self.label} epochs".strip(), total=fit.epochs,
                                      info="", time="0:00, ETA ?")
        self.batches = self.p.add_task("  batches", total=self.n, info="", time="")
        self.p.start()

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

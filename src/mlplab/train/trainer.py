"""The one Trainer: epochs and batches for any engine, evaluation after each epoch, early
stopping, atomic checkpoints with resume, a divergence guard and a clean Ctrl-C."""

from __future__ import annotations

import io
import json
import math
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.data.batching import iter_batches, num_batches
from mlplab.train import metrics as M
from mlplab.train.history import History
from mlplab.util import atomic_write_bytes


@dataclass
class EarlyStopping:
    """Stop when the monitored evaluation loss has not improved by ``min_delta`` for
    ``patience`` epochs; with ``restore_best`` the best epoch's weights are put back."""

    patience: int
    monitor: str = "val"
    min_delta: float = 0.0
    restore_best: bool = True

    def __post_init__(self):
        if self.patience < 1:
            raise ValueError(f"EarlyStopping: patience must be at least 1, got {self.patience}")


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
        raise ValueError(f"unknown learning-rate schedule {kind!r} {spec or ''}; use 'cosine' "
                         "or {kind = 'cosine', warmup = 0.05}")

    def cosine(t: float) -> float:
        if t < warmup:
            return (t + 1e-12) / warmup
        return 0.5 * (1 + math.cos(math.pi * (t - warmup) / (1 - warmup)))

    return cosine


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


class _Interrupt:
    """Turns the first Ctrl-C into a flag the batch loop polls; a second one stops at once."""

    def __init__(self):
        self.requested = False

    @contextmanager
    def armed(self):
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True

        old = signal.signal(signal.SIGINT, handler)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old)


class Trainer:
    """Fits one engine on (X, y), evaluating named splits after every epoch.

    X : (n_samples, ...) float array, already preprocessed, or raw (uint8 images, say) with a
    ``transform`` that preprocesses each batch; y : (n_samples,) targets.
    Shuffling uses ``np.random.default_rng(seed)``: the same seed gives the same batches, and
    with the NumPy engine bit-identical results.
    """

    def __init__(self, engine, *, epochs: int, batch_size: int, seed: int = 0,
                 shuffle: bool = True, drop_last: bool = False,
                 early_stopping: EarlyStopping | None = None, checkpoint: str | Path | None = None,
                 checkpoint_seconds: float = 10.0, progress: bool = True, console=None,
                 label: str = "", schedule: str | dict | None = None, augment=None,
                 transform=None):
        if epochs < 1:
            raise ValueError(f"Trainer: epochs must be at least 1, got {epochs}")
        if batch_size < 1:
            raise ValueError(f"Trainer: batch_size must be at least 1, got {batch_size}")
        self.engine, self.epochs, self.batch_size = engine, int(epochs), int(batch_size)
        self.seed, self.shuffle, self.drop_last = seed, shuffle, drop_last
        self.early_stopping = early_stopping
        self.checkpoint = Path(checkpoint) if checkpoint else None
        # A checkpoint after every epoch, but for epochs of milliseconds at most one per
        # ``checkpoint_seconds``; the last epoch and a Ctrl-C always write one.
        self.checkpoint_seconds = checkpoint_seconds
        self._last_checkpoint = -math.inf
        self.progress, self.console, self.label = progress, console, label
        self.interrupt = _Interrupt()
        self.schedule = make_schedule(schedule)
        # augment(xb, rng) -> xb; its generator is derived from (seed, epoch, batch), so a
        # resumed run draws the same transformations without saving any state
        self.augment = augment
        # transform(xb) -> float array: the model's preprocessing, applied to each batch as it
        # is drawn, so uint8 images never exist as one float32 copy of the whole set
        self.transform = transform

    def _sample(self, X, n: int = 4096):
        """Inputs as the model sees them (a sample of rows), for the diagnoses' ranges."""
        rows = X[np.linspace(0, len(X) - 1, min(n, len(X))).astype(int)]
        return self.transform(rows) if self.transform is not None else rows

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
        its ``status`` says whether training ended normally, diverged or was interrupted."""
        X, y = train
        yt = self.engine.prepare_targets(y)
        eval_sets = eval_sets or {}
        es = self.early_stopping
        if es and es.monitor not in eval_sets:
            raise ValueError(f"EarlyStopping monitors {es.monitor!r}, but the evaluation sets "
                             f"are {sorted(eval_sets) or 'none'}")
        rng = np.random.default_rng(self.seed)
        base_lr = self.engine.lr   # before a checkpoint's scheduled lr replaces it
        history, start = History(), 0
        best = {"loss": math.inf, "epoch": 0, "state": None, "waited": 0}
        skip = 0  # batches of a half-done epoch already trained before an interrupt
        if resume_from is not None:
            start, skip, history, best = self._load_checkpoint(resume_from, rng)
        n_batches = num_batches(len(X), self.batch_size, self.drop_last)
        first_loss = None
        # overflow is expected when training diverges; the guard below reports it instead
        with self.interrupt.armed(), self._bar(n_batches) as bar, \
                np.errstate(over="ignore", invalid="ignore"):
            for epoch in range(start + 1, self.epochs + 1):
                t0 = time.perf_counter()
                total, seen, outs, targets = 0.0, 0, [], []
                bar.start_epoch(epoch)
                epoch_rng = rng.bit_generator.state  # the permutation is drawn from here
                batches = iter_batches(X, yt, self.batch_size,
                                       rng=rng if self.shuffle else None,
                                       drop_last=self.drop_last)
                for b, (xb, yb) in enumerate(batches, 1):
                    if b <= skip:
                        continue
                    if self.schedule is not None:
                        done = ((epoch - 1) * n_batches + b - 1) / (self.epochs * n_batches)
                        self.engine.lr = base_lr * self.schedule(done)
                    if self.transform is not None:
                        xb = self.transform(xb)
                    if self.augment is not None:
                        xb = self.augment(xb, np.random.default_rng((self.seed, epoch, b)))
                    loss, out = self.engine.train_step(xb, yb)
                    if not math.isfinite(loss):
                        history.status = "diverged"
                        kind = "loss became nan" if math.isnan(loss) else "loss became inf"
                        history.message = diagnose(kind, epoch, b, self._sample(X),
                                                   self.engine.lr)
                        return history
                    if first_loss is None:
                        first_loss = loss
                    total += loss * len(xb)
                    seen += len(xb)
                    outs.append(np.array(out, copy=True))
                    targets.append(yb)
                    bar.batch(b, loss)
                    if self.interrupt.requested:
                        break
                if self.interrupt.requested and b < n_batches:
                    history.status = "interrupted"
                    history.message = (f"interrupted by Ctrl-C during epoch {epoch}, after "
                                       f"batch {b} of {n_batches}")
                    self._save_checkpoint(epoch - 1, history, best, epoch_rng, batches_done=b)
                    return history
                skip = 0
                record = {"epoch": epoch, "train_loss": total / max(seen, 1)}
                run_out, run_y = np.concatenate(outs), np.concatenate(targets)
                for k, v in M.compute(self.engine.task, run_out, run_y,
                                                self.engine.threshold).items():
                    record[f"train_{k}"] = v
                for name, (Xe, ye) in eval_sets.items():
                    for k, v in self.evaluate(Xe, ye).items():
                        record[f"{name}_{k}"] = v
                record["seconds"] = time.perf_counter() - t0
                history.append(record)
                bar.end_epoch(record)
                stop = False
                if es:
                    current = record[f"{es.monitor}_loss"]
                    if current < best["loss"] - es.min_delta:
                        best.update(loss=current, epoch=epoch, waited=0,
                                    state=self.engine.state_dict() if es.restore_best else None)
                    else:
                        best["waited"] += 1
                        stop = best["waited"] >= es.patience
                if (epoch == self.epochs or stop or self.interrupt.requested
                        or time.perf_counter() - self._last_checkpoint >= self.checkpoint_seconds):
                    self._save_checkpoint(epoch, history, best, rng.bit_generator.state)
                if self.interrupt.requested:
                    history.status = "interrupted"
                    history.message = f"interrupted by Ctrl-C after epoch {epoch}"
                    return history
                if stop:
                    history.status = "early_stopped"
                    history.message = (f"stopped after epoch {epoch}: {es.monitor} loss has not "
                                       f"improved for {es.patience} epochs (best "
                                       f"{best['loss']:.4g} at epoch {best['epoch']})")
                    if best["state"] is not None:
                        self.engine.load_state_dict(best["state"])
                        history.message += "; restored the best weights"
                    break
        last = history.last("train_loss")
        if history.status == "ok" and first_loss is not None and last > first_loss:
            history.message = diagnose(
                f"training loss ended above where it started ({first_loss:.4g} -> {last:.4g})",
                history.epochs, 0, self._sample(X), self.engine.lr)
        return history

    # -- checkpoints ------------------------------------------------------------------------
    def _save_checkpoint(self, epoch: int, history: History, best: dict, rng_state: dict,
                         batches_done: int = 0) -> None:
        """Weights, optimizer state, history and shuffling state after ``epoch`` (and
        ``batches_done`` batches of the next, for an interrupt), written atomically."""
        if self.checkpoint is None:
            return
        arrays = {f"model.{k}": v for k, v in self.engine.state_dict().items()}
        opt = self.engine.optimizer_state_dict()
        scalars = {}
        for idx, st in opt["state"].items():
            for name, v in st.items():
                if isinstance(v, np.ndarray):
                    arrays[f"opt.{idx}.{name}"] = v
                else:
                    scalars[f"{idx}.{name}"] = v
        if best.get("state") is not None:
            arrays.update({f"best.{k}": v for k, v in best["state"].items()})
        self._last_checkpoint = time.perf_counter()
        meta = {"epoch": epoch, "batches_done": batches_done, "history": history.to_dict(),
                "rng": rng_state,
                "param_groups": opt["param_groups"], "opt_scalars": scalars,
                "best": {k: v for k, v in best.items() if k != "state"}}
        arrays["meta"] = np.array(json.dumps(meta, default=_json_default))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        atomic_write_bytes(self.checkpoint, buf.getvalue())

    def _load_checkpoint(self, path, rng):
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as f:
                arrays = {k: f[k] for k in f.files}
            meta = json.loads(str(arrays.pop("meta")))
        except (OSError, ValueError, KeyError) as e:
            raise ValueError(f"{path}: not a checkpoint written by mlplab's Trainer "
                             f"({e})") from None
        self.engine.load_state_dict({k[6:]: v for k, v in arrays.items() if k.startswith("model.")})
        state: dict[int, dict] = {}
        for k, v in arrays.items():
            if k.startswith("opt."):
                _, idx, name = k.split(".", 2)
                state.setdefault(int(idx), {})[name] = v
        for k, v in meta["opt_scalars"].items():
            idx, name = k.split(".", 1)
            state.setdefault(int(idx), {})[name] = v
        groups = [{**g, "betas": tuple(g["betas"])} if "betas" in g else g
                  for g in meta["param_groups"]]
        self.engine.load_optimizer_state_dict({"state": state, "param_groups": groups})
        rng.bit_generator.state = meta["rng"]
        best = dict(meta["best"])
        best_state = {k[5:]: v for k, v in arrays.items() if k.startswith("best.")}
        best["state"] = best_state or None
        history = History.from_dict(meta["history"])
        history.status, history.message = "ok", ""
        return int(meta["epoch"]), int(meta.get("batches_done", 0)), history, best

    # -- progress ---------------------------------------------------------------------------
    @contextmanager
    def _bar(self, n_batches: int):
        if not self.progress:
            yield _NoBar()
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        # no refresh thread: on a 2-core machine it competes with BLAS's two threads; the
        # loop redraws instead, at most REFRESH_SECONDS apart
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[info]}"), TimeElapsedColumn(),
                            console=self.console, transient=True, auto_refresh=False)
        with progress:
            yield _RichBar(progress, self.label, self.epochs, n_batches)


def _json_default(o):
    if isinstance(o, np.integer):
        return int(o)
    if isinstance(o, np.floating):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"cannot store {type(o).__name__} in a checkpoint")


class _NoBar:
    def start_epoch(self, epoch):
        pass

    def batch(self, b, loss):
        pass

    def end_epoch(self, record):
        pass


class _RichBar:
    """Two bars: epochs, and batches within the current epoch with the running loss, redrawn
    by the training loop itself at most every ``REFRESH_SECONDS``."""

    REFRESH_SECONDS = 0.25

    def __init__(self, progress, label, epochs, n_batches):
        self.p, self.n = progress, n_batches
        self.epochs = progress.add_task(f"{label} epochs".strip(), total=epochs, info="")
        self.batches = progress.add_task("  batches", total=n_batches, info="")
        self._drawn = time.monotonic()
        self.p.refresh()

    def _draw(self):
        now = time.monotonic()
        if now - self._drawn >= self.REFRESH_SECONDS:
            self._drawn = now
            self.p.refresh()

    def start_epoch(self, epoch):
        self.p.update(self.epochs, completed=epoch - 1)
        self.p.update(self.batches, completed=0, total=self.n)
        self._draw()

    def batch(self, b, loss):
        if b % 16 == 0 or b == self.n:
            self.p.update(self.batches, completed=b, info=f"loss {loss:.4f}")
            self._draw()

    def end_epoch(self, record):
        info = "  ".join(f"{k} {v:.4g}" for k, v in record.items()
                         if k.endswith(("loss", "accuracy")) and isinstance(v, float))
        self.p.update(self.epochs, advance=1, info=info)
        self._draw()

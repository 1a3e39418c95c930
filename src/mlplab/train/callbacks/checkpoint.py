"""The Trainer's checkpoint file (one ``.npz``, no pickle: weights, optimizer state, History,
shuffling state and callback states) and the callback that decides when to write it."""

from __future__ import annotations

import io
import json
import math
import time
from pathlib import Path

import numpy as np

from mlplab.errors import DataError
from mlplab.train.callbacks.base import Callback, FitState
from mlplab.train.history import History, Outcome
from mlplab.util import atomic_write_bytes


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

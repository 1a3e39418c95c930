"""Weights to and from ``.npz``: plain arrays keyed like ``state_dict``, no pickle."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlplab.nn.module import Module
from mlplab.util import create_temp_file


def save(model: Module, path, **metadata: str) -> Path:
    """Write ``model.state_dict()`` to ``path`` (.npz), atomically (temp file, then rename).

    ``metadata`` strings (e.g. ``spec="784-256-relu-10"``) are stored as ``__meta__.<key>``.
    """
    path = Path(path)
    arrays = dict(model.state_dict())
    for k, v in metadata.items():
        arrays[f"__meta__.{k}"] = np.array(str(v))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temp_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, **arrays)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load(path, model: Module | None = None):
    """Read a file written by ``save``.

    Returns ``(state_dict, metadata)``; when ``model`` is given, its weights are loaded first
    (shapes and keys must match).
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: no such weights file") from None
    except (ValueError, OSError) as e:
        raise ValueError(f"{path}: not a weights file written by mlplab.nn.save ({e})") from None
    meta = {k[len("__meta__."):]: str(v) for k, v in arrays.items() if k.startswith("__meta__.")}
    state = {k: v for k, v in arrays.items() if not k.startswith("__meta__.")}
    if model is not None:
        model.load_state_dict(state)
    return state, meta

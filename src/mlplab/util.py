"""Small shared helpers: registry look-ups and atomic file writes."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from mlplab.errors import MlplabError, UsageError


def unknown_name(registry, name, what: str) -> str:
    """The one wording for a name that is not in ``registry`` (any iterable of names):
    "unknown optimizer 'adamax'; choose one of sgd, adagrad, ..."."""
    return f"unknown {what} {name!r}; choose one of {', '.join(map(str, registry))}"


def lookup(registry: dict, name, what: str, error: type[MlplabError] = UsageError):
    """``registry[name]``, or ``error`` (a :class:`UsageError` unless the caller's contract
    names another :class:`MlplabError`) naming the bad value and listing the valid ones:
    "unknown optimizer 'adamax'; choose one of sgd, adagrad, ..."."""
    try:
        return registry[name]
    except (KeyError, TypeError):
        raise error(unknown_name(registry, name, what)) from None


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename, so a
    reader never sees half a file and an interrupted write leaves the old one intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))

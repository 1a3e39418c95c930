"""The one set of input checks that every entry point runs: ``mlplab train`` and ``mlplab
predict`` (CSV tables, .npz arrays, image folders), ``mlplab run`` and ``mlplab data show``
(the registered loaders and their options).

Each check raises :class:`~mlplab.errors.DataError` with one line naming the file or option,
what is wrong and what to do:

- :func:`regular_file` -- a data file is a regular file (not a device, FIFO, socket or
  folder) no larger than ``mlplab.limits.MAX_FILE_BYTES``; ``/dev/zero`` is refused before a
  byte is read.
- :func:`check_features` -- inputs are numeric and never infinite (after the cast to float32,
  so 1e300 counts as infinite too); NaN marks a missing value, which the caller's
  ``--missing`` policy handles.
- :func:`check_target` -- a regression target is finite.
- :func:`check_classes` -- classification needs at least two classes (a one-class image
  folder or table would train to a meaningless "100%").
- :func:`check_loader_args` -- the options of a registered loader (``--set KEY=VALUE``, a TOML
  ``[data] args`` table) have the types the loader declares, and numbers are finite.
"""

from __future__ import annotations

import math
import os
import stat
import types
import typing
from pathlib import Path

import numpy as np

from mlplab.errors import DataError
from mlplab.limits import check_file_bytes


# --------------------------------------------------------------------------- files
def _kind_of(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a regular file"


def regular_file(path, what: str = "a data file") -> Path:
    """``path`` as a Path, after checking that it is a regular file (symlinks followed) within
    the input-file limit; DataError otherwise. ``what`` says what was expected ("a CSV
    table")."""
    path = Path(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e}); check the path and "
                        "its permissions") from None
    if not stat.S_ISREG(st.st_mode):
        raise DataError(f"{path}: is {_kind_of(st.st_mode)}, not a regular file; pass {what}")
    check_file_bytes(st.st_size, str(path))
    return path


# --------------------------------------------------------------------------- arrays
def _first(mask: np.ndarray) -> str:
    """Where the first True of ``mask`` (n, ...) is: "row 5" or "row 5, column 2"."""
    pos = np.unravel_index(int(np.flatnonzero(mask)[0]), mask.shape)
    where = f"row {pos[0]}"
    if len(pos) == 2:
        where += f", column {pos[1]}"
    elif len(pos) > 2:
        where += f", position {tuple(int(p) for p in pos[1:])}"
    return where


def check_features(X: np.ndarray, source: str, name: str = "X") -> np.ndarray:
    """``X`` (n, ...) as float32, refused when it is not numeric or holds an infinite value
    (also one that float32 cannot hold, like 1e300). NaN stays: it marks a missing value."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise DataError(f"{source}: {name} holds {X.dtype} values; it must be numeric")
    with np.errstate(over="ignore", invalid="ignore"):
        X32 = X.astype(np.float32)
    inf = np.isinf(X32)
    if inf.any():
        big = "" if np.isinf(X).any() else " (beyond float32's range of 3.4e38)"
        raise DataError(f"{source}: {name} holds {int(inf.sum())} infinite value(s){big}, the "
                        f"first at {_first(inf)}; fix them, or make them NaN to mark them "
                        "missing")
    return X32


def check_target(y: np.ndarray, source: str, name: str = "y") -> None:
    """A numeric regression target (n,): NaN marks a missing target; infinity is refused,
    also a value that float32 (what training uses) cannot hold, as in check_features."""
    y = np.asarray(y)
    with np.errstate(over="ignore", invalid="ignore"):
        inf = np.isinf(y.astype(np.float32))
    if inf.any():
        big = "" if np.isinf(y.astype(np.float64)).any() else " (beyond float32's range of 3.4e38)"
        raise DataError(f"{source}: target {name!r} holds {int(inf.sum())} infinite value(s)"
                        f"{big}, the first at {_first(inf)}; fix or empty them (rows without a "
                        "target are dropped)")


def check_classes(source, target: str, classes, fix: str = "add rows of another class, or "
                  "pick another --target") -> None:
    """Classification needs at least two classes; ``fix`` says how to get them."""
    classes = list(classes)
    if len(classes) < 2:
        which = f"a single class ({classes[0]!r})" if classes else "no class"
        raise DataError(f"{source}: target {target!r} has {which}; classification needs at "
                        f"least two ({fix})")


# --------------------------------------------------------------------------- loader options
def _allowed(annotation) -> tuple[type, ...] | None:
    """The plain types an annotation admits, or None when it is not one we check."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = typing.get_args(annotation)
    else:
        members = (annotation,)
    out = []
    for m in members:
        if m is type(None):
            out.append(type(None))
        elif m is os.PathLike:
            out.append(os.PathLike)
        elif isinstance(m, type):
            out.append(m)
        else:   # a generic (list[str]) or a forward reference: the loader checks it itself
            return None
    return tuple(out)


def _type_words(allowed: tuple[type, ...]) -> str:
    names = {int: "an integer", float: "a number", bool: "true or false", str: "text",
             type(None): "none", os.PathLike: "a path", tuple: "a tuple", list: "a list"}
    words = [names.get(t, t.__name__) for t in allowed if t is not np.random.Generator]
    if str in allowed and os.PathLike in allowed:
        words = [w for w in words if w != "a path"]
    return " or ".join(dict.fromkeys(words))


def _fits(value, allowed: tuple[type, ...]) -> bool:
    if isinstance(value, bool):
        return bool in allowed
    if isinstance(value, int | np.integer):
        return int in allowed or float in allowed
    if isinstance(value, float | np.floating):
        return float in allowed
    return isinstance(value, tuple(t for t in allowed if t not in (int, float, bool)))


def _hints(loader) -> dict:
    try:
        return typing.get_type_hints(loader)
    except Exception:  # an annotation that does not evaluate: nothing to check against
        return {}


def loader_text_value(loader, key: str, value, text: str):
    """``value`` (parsed from the command-line ``text``), or ``text`` itself when ``key``'s
    parameter takes text and ``value`` is not of a type it takes."""
    allowed = _allowed(_hints(loader)[key]) if key in _hints(loader) else None
    if allowed and str in allowed and not _fits(value, allowed):
        return text
    return value


def check_loader_args(name: str, loader, kwargs: dict) -> None:
    """Check each of ``kwargs`` against the annotation of the parameter of ``loader`` it goes
    to: ``noise='abc'`` for a ``noise: float`` is refused in one line naming the option, the
    value and the type wanted; a float must be finite. Parameters without an annotation
    (or with one this check does not read) are left to the loader."""
    hints = _hints(loader)
    for key, value in kwargs.items():
        allowed = _allowed(hints[key]) if key in hints else None
        if allowed is None:
            continue
        if not _fits(value, allowed):
            raise DataError(f"Invalid {key}: {value!r} ({name} needs {_type_words(allowed)} "
                            "there; `mlplab data list` shows each data set's options)")
        if isinstance(value, float | np.floating) and not math.isfinite(value):
            raise DataError(f"Invalid {key}: {value!r} ({name} needs a finite number there)")

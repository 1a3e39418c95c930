"""Small shared helpers: registry look-ups, atomic file writes that honour the umask, output
paths checked before anything is written, and SIGTERM handled as Ctrl-C."""

from __future__ import annotations

import errno
import os
import secrets
import signal
import threading
from pathlib import Path

from mlplab.errors import MlplabError, UsageError


def is_int(v) -> bool:
    """An integer (Python's or NumPy's), not a bool."""
    import numpy as np

    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def is_number(v) -> bool:
    """A finite integer or float (Python's or NumPy's), not a bool."""
    import math

    import numpy as np

    return (is_int(v) or isinstance(v, float | np.floating)) and math.isfinite(v)


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


# ---- files ---------------------------------------------------------------------------------

def load_attr(target: str):
    """The object a ``"module:attribute"`` string names, importing the module now: how a table
    names code above it (an engine class, a torch builder) without importing it."""
    import importlib

    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)


def create_temp_file(dir, prefix: str = "", suffix: str = "") -> tuple[int, str]:
    """``tempfile.mkstemp``'s contract (a new file, opened for writing, its descriptor and
    path) but with the permissions every other file gets: 0o666 less the user's umask.
    mkstemp's 0o600 would survive the rename of an atomic write and leave run folders that
    no one else in the group can read."""
    for _ in range(100):
        path = os.path.join(dir, f"{prefix}{secrets.token_hex(6)}{suffix}")
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                         | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(errno.EEXIST, "no unused temporary file name", str(dir))


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file in the same folder and a rename, so a
    reader never sees half a file and an interrupted write leaves the old one intact. The
    file gets the user's umask (0o644 under the usual 0o022)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = create_temp_file(path.parent, prefix=f".{path.name}.", suffix=".tmp")
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


def os_error_text(e: OSError) -> str:
    """An OSError as a short phrase: "No space left on device (runs/x/report.html)"."""
    what = e.strerror or str(e) or type(e).__name__
    return f"{what} ({e.filename})" if e.filename else what


def check_out_folder(out, option: str = "--out") -> Path:
    """Refuse, before anything is loaded or written, an output folder that cannot receive a
    run: an existing file, a path under a file, a folder (or the nearest existing parent of
    one to be made) that this user cannot write. Creates nothing."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{option} {out}: is a file, not a folder; pass a folder (it is made "
                         "when missing)")
    _check_can_make(out, out, option)
    return out


def _check_can_make(folder: Path, shown: Path, option: str) -> None:
    """``folder`` exists and is writable, or can be made: its nearest existing parent is a
    writable folder. The error names ``shown`` (what the user passed)."""
    parent = folder
    while not parent.exists():
        if parent.is_symlink():   # a dangling link: mkdir would fail on it
            raise UsageError(f"{option} {shown}: {parent} is a broken symbolic link; pass "
                             "another path")
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{option} {shown}: {parent} is a file, so no folder can be made "
                         "below it; pass another path")
    if not os.access(parent, os.W_OK | os.X_OK):
        why = "is on a read-only file system" if _read_only(parent) else \
            "is not writable by this user"
        raise UsageError(f"{option} {shown}: {parent} {why}; pass a path you can write to")


def _read_only(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False


def check_output_file(out, option: str = "--out", *, inputs=(), folders=()) -> Path:
    """Refuse an output file that would destroy what the command reads: one of ``inputs``
    (the same file, also through a link) or a file inside one of ``folders`` (a run folder,
    an input folder of images); also a folder, or a path no file can be made at. Creates
    nothing."""
    out = Path(out).expanduser()
    if out.is_dir():
        raise UsageError(f"{option} {out}: is a folder; name the file to write, e.g. "
                         f"{out / 'predictions.csv'}")
    target = out.resolve()
    for src in inputs:
        src = Path(src).expanduser()
        if src.is_file() and (target == src.resolve() or _same_file(out, src)):
            raise UsageError(f"{option} {out}: is the input file {src}, which would be "
                             "overwritten; name another output file")
    for folder in folders:
        folder = Path(folder).expanduser()
        if folder.is_dir() and target.is_relative_to(folder.resolve()):
            raise UsageError(f"{option} {out}: is inside {folder}, which this command reads; "
                             "write the output somewhere else")
    _check_can_make(out.parent, out, option)
    return out


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_file_name(name: str, what: str) -> str:
    """``name`` when it can be one file or folder name (it becomes ``<name>-<stamp>``): no
    path separator, not ``.``/``..``, no control characters, not empty, at most 200
    characters; otherwise a UsageError, so a run can never land outside its ``--out``."""
    why = None
    if not isinstance(name, str) or not name.strip():
        why = "it is empty"
    elif "/" in name or "\\" in name or name in (".", ".."):
        why = "it is a path, not a plain name"
    elif any(ord(c) < 32 or ord(c) == 127 for c in name):
        why = "it holds a control character"
    elif len(name.encode("utf-8")) > 200:
        why = f"it is {len(name.encode('utf-8'))} bytes long (200 at most)"
    if why:
        raise UsageError(f"{what} {name!r} cannot name a run folder: {why}; use a plain name "
                         "such as 'my-run'")
    return name


# ---- signals -------------------------------------------------------------------------------

class TerminateAsInterrupt:
    """Within the ``with`` block SIGTERM does what Ctrl-C does: it calls the SIGINT handler
    in force (the Trainer's, which finishes the batch and stops training, or Python's, which
    raises KeyboardInterrupt). ``received`` says whether a SIGTERM came, so the command can
    exit with 143 (128 + 15) instead of Ctrl-C's 130. Only in the main thread (signals
    arrive there); elsewhere it does nothing."""

    def __init__(self):
        self.received, self._old = False, None

    def _handler(self, signum, frame):
        self.received = True
        current = signal.getsignal(signal.SIGINT)
        if callable(current):
            current(signum, frame)
        else:   # SIGINT ignored (a background job) or default: SIGTERM still stops the run
            raise KeyboardInterrupt

    def __enter__(self) -> TerminateAsInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGTERM, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGTERM, self._old)
            self._old = None

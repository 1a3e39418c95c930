"""Where data files are looked for, and verified downloads into the cache.

Search order for a data set called ``name`` (e.g. ``"fashion-mnist"``) when no explicit path is
given: ``$MLPLAB_DATA/name``, ``$MLPLAB_DATA``, ``<cache>/name``, then any system folders the
loader adds (Debian's ``/usr/share/datasets/fashion-mnist``). ``<cache>`` is ``$MLPLAB_CACHE``,
else ``$XDG_CACHE_HOME/mlplab``, else ``~/.cache/mlplab``. An explicit path is authoritative:
only it (and ``path/name``) is searched, and downloads go there.

Downloads go to a hidden temporary file in the destination folder, are hashed while they
stream, and are renamed into place (atomically) only once the checksum matches; a failed or
corrupted download leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import http.client
import importlib.util
import os
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from mlplab.data.dataset import DataError
from mlplab.util import create_temp_file

ENV_DATA = "MLPLAB_DATA"
ENV_CACHE = "MLPLAB_CACHE"
_CHUNK = 1 << 20


def cache_root() -> Path:
    """The folder downloads go to: ``$MLPLAB_CACHE``, ``$XDG_CACHE_HOME/mlplab`` or
    ``~/.cache/mlplab``."""
    if os.environ.get(ENV_CACHE):
        return Path(os.environ[ENV_CACHE]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "mlplab"
    return Path.home() / ".cache" / "mlplab"


def search_dirs(
    name: str, path: str | os.PathLike | None = None, system: Iterable[str | os.PathLike] = ()
) -> list[Path]:
    """Folders to look in for data set ``name``, in order (see the module docstring)."""
    if path is not None:
        p = Path(path).expanduser()
        return [p, p / name]
    dirs: list[Path] = []
    if os.environ.get(ENV_DATA):
        root = Path(os.environ[ENV_DATA]).expanduser()
        dirs += [root / name, root]
    dirs.append(cache_root() / name)
    dirs += [Path(s) for s in system]
    return dirs


def download_dir(name: str, path: str | os.PathLike | None = None) -> Path:
    """Where a download of data set ``name`` goes: the explicit path, else ``<cache>/name``."""
    return Path(path).expanduser() if path is not None else cache_root() / name


def find_in(folder: Path, alternatives: Sequence[str]) -> Path | None:
    """The first of ``alternatives`` (file names) that exists as a file in ``folder``."""
    for alt in alternatives:
        candidate = folder / alt
        if candidate.is_file():
            return candidate
    return None


def locate(
    wanted: Mapping[str, Sequence[str]], dirs: Sequence[Path]
) -> tuple[Path, dict[str, Path]] | None:
    """Find the first folder of ``dirs`` that holds every wanted file.

    Parameters
    ----------
    wanted : mapping of key to file-name alternatives
        e.g. ``{"train-images": ["train-images-idx3-ubyte.gz", "train-images-idx3-ubyte"]}``.
    dirs : folders to search, in order.

    Returns
    -------
    ``(folder, {key: path})`` or None when no folder holds them all.
    """
    for folder in dirs:
        if not folder.is_dir():
            continue
        found = {key: find_in(folder, alts) for key, alts in wanted.items()}
        if all(p is not None for p in found.values()):
            return folder, found  # type: ignore[return-value]
    return None


def package_data_file(package: str, *parts: str) -> Path | None:
    """Path of a data file shipped inside ``package``, found WITHOUT importing the package
    (importing vega_datasets pulls in pandas; sklearn takes seconds). None when absent."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for root in spec.submodule_search_locations:
        candidate = Path(root).joinpath(*parts)
        if candidate.is_file():
            return candidate
    return None


# --------------------------------------------------------------------------- checksums
def _algorithm(checksum: str) -> tuple[str, str]:
    """Split ``"sha256:hex"`` / ``"md5:hex"`` / bare hex (by length) into (algorithm, hex)."""
    if ":" in checksum:
        algo, hexdigest = checksum.split(":", 1)
    else:
        hexdigest = checksum
        algo = {32: "md5", 40: "sha1", 64: "sha256"}.get(len(checksum), "")
    algo = algo.lower()
    if algo not in ("md5", "sha1", "sha256"):
        raise ValueError(f"Invalid checksum: {checksum!r} (expected md5/sha256 hex digest)")
    return algo, hexdigest.lower()


def digest(data_or_path: bytes | os.PathLike | str, algorithm: str = "sha256") -> str:
    """Hex digest of a bytes object or of a file's contents."""
    h = hashlib.new(algorithm)
    if isinstance(data_or_path, bytes | bytearray | memoryview):
        h.update(data_or_path)
    else:
        with open(data_or_path, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    return h.hexdigest()


def matches(data_or_path: bytes | os.PathLike | str, checksum: str) -> bool:
    """True when the data (or file) has the given checksum (``md5``/``sha256`` hex)."""
    algo, expected = _algorithm(checksum)
    return digest(data_or_path, algo) == expected


# --------------------------------------------------------------------------- downloads
def download(
    url: str, dest: Path, checksum: str, *, timeout: float = 60.0, hint: str = ""
) -> Path:
    """Download ``url`` to the file ``dest``, verified against ``checksum``.

    The data stream into a hidden temporary file beside ``dest``; it is renamed to ``dest``
    only when the checksum matches, and removed on any failure.
    """
    algo, expected = _algorithm(checksum)
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = create_temp_file(dest.parent, prefix=f".{dest.name}.", suffix=".part")
    except OSError as e:
        raise DataError(
            f"{dest.parent}: cannot write the download there ({e.strerror or e}); pass a folder "
            f"you can write to (path=DIR, CLI: --data-dir DIR) or set ${ENV_CACHE}"
        ) from e
    tmp = Path(tmp_name)
    fix = f"; {hint}" if hint else ""
    ok = False
    try:
        h = hashlib.new(algo)
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=timeout) as resp:
                    while chunk := resp.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
            except urllib.error.HTTPError as e:
                raise DataError(f"{url}: download failed, HTTP {e.code} {e.reason}{fix}") from e
            except urllib.error.URLError as e:
                raise DataError(f"{url}: cannot reach the server ({e.reason}){fix}") from e
            except (http.client.HTTPException, OSError) as e:
                raise DataError(
                    f"{url}: download interrupted ({type(e).__name__}: {e}){fix}"
                ) from e
        got = h.hexdigest()
        if got != expected:
            raise DataError(
                f"{url}: checksum mismatch ({algo} {got}, expected {expected}), the download was "
                f"discarded; try again, or use another mirror{fix}"
            )
        os.replace(tmp, dest)
        ok = True
        return dest
    finally:
        if not ok:
            tmp.unlink(missing_ok=True)


def fetch(
    filenames: Iterable[str],
    dest_dir: Path,
    mirror: str,
    checksums: Mapping[str, str],
    *,
    timeout: float = 60.0,
    hint: str = "",
) -> dict[str, Path]:
    """Download each file name from ``mirror`` into ``dest_dir`` unless it is already there.

    Every name must have a checksum in ``checksums``: unverified data are never written.
    Returns ``{filename: path}``.
    """
    base = mirror if mirror.endswith("/") else mirror + "/"
    out: dict[str, Path] = {}
    for name in filenames:
        if name not in checksums:
            raise DataError(
                f"{name}: no checksum known, so it will not be downloaded; pass checksums "
                f"with an entry for {name}, or put the file in {dest_dir} yourself"
            )
        target = dest_dir / name
        out[name] = (
            target if target.is_file()
            else download(base + name, target, checksums[name], timeout=timeout, hint=hint)
        )
    return out

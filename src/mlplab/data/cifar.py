"""CIFAR-10: 50,000 train / 10,000 test 32x32 colour images, 10 classes.

The binary version (``data_batch_1.bin`` .. ``data_batch_5.bin``, ``test_batch.bin``: records of
1 label byte + 3072 pixel bytes, channel-major 3x32x32) is read by default. The python version
(``data_batch_1`` .. ``data_batch_5``, ``test_batch``: pickled dicts with ``b"data"`` and
``b"labels"``) is read only with ``trust_pickle=True``, because unpickling can run code. Either
may sit in ``root/`` or in ``root/cifar-10-batches-bin/`` (``-py/``). X is uint8 (n, 3, 32, 32).
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.registry import register
from mlplab.limits import check_data_bytes

CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]
RECORD = 1 + 3 * 32 * 32
TRAIN_BIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_BIN = ["test_batch.bin"]
TRAIN_PY = [f"data_batch_{i}" for i in range(1, 6)]
TEST_PY = ["test_batch"]


def parse_cifar_bin(data: bytes, source: str = "<bytes>") -> tuple[np.ndarray, np.ndarray]:
    """Parse one binary batch file.

    Returns images uint8 (n, 3, 32, 32) and labels int64 (n,). Raises DataError when the length
    is not a whole number of 3073-byte records or a label is not 0..9.
    """
    if len(data) == 0 or len(data) % RECORD:
        raise DataError(
            f"{source}: {len(data)} bytes is not a whole number of {RECORD}-byte CIFAR-10 "
            f"records; the file is truncated or not a CIFAR-10 binary batch, replace it"
        )
    rec = np.frombuffer(data, dtype=np.uint8).reshape(-1, RECORD)
    labels = rec[:, 0].astype(np.int64)
    if labels.max() >= len(CLASSES):
        bad = int(np.argmax(labels >= len(CLASSES)))
        raise DataError(
            f"{source}: record {bad} has label {int(labels[bad])}, outside 0..9; the file is "
            f"not a CIFAR-10 binary batch, replace it"
        )
    return rec[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def write_cifar_bin(path: str | os.PathLike, images: np.ndarray, labels: np.ndarray) -> Path:
    """Write one batch file of the binary version: per record 1 label byte, then the 3072
    pixel bytes channel-major (R plane, G plane, B plane). images : uint8 (n, 3, 32, 32)."""
    images = np.asarray(images, dtype=np.uint8).reshape(len(labels), 3072)
    records = np.column_stack([np.asarray(labels, dtype=np.uint8), images])
    path = Path(path)
    path.write_bytes(records.tobytes())
    return path


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e}); check the file") from e


def _unpickle(path: Path) -> tuple[np.ndarray, np.ndarray, dict]:
    try:
        with open(path, "rb") as f:
            obj = pickle.load(f, encoding="bytes")
    except Exception as e:  # a damaged or foreign pickle can raise nearly anything
        raise DataError(
            f"{path}: cannot unpickle ({type(e).__name__}: {e}); replace the file"
        ) from e
    if not isinstance(obj, dict):
        raise DataError(f"{path}: expected a pickled dict, found {type(obj).__name__}")
    obj = {k.decode() if isinstance(k, bytes) else k: v for k, v in obj.items()}
    if "data" not in obj or "labels" not in obj:
        raise DataError(f"{path}: the dict has no 'data' and 'labels' entries; replace the file")
    try:
        data = np.asarray(obj["data"], dtype=np.uint8)
        labels = np.asarray(obj["labels"], dtype=np.int64)
    except (TypeError, ValueError, OverflowError) as e:
        raise DataError(f"{path}: 'data' or 'labels' is not numeric ({e})") from e
    if data.ndim != 2 or data.shape[1] != RECORD - 1 or labels.shape != (len(data),):
        raise DataError(
            f"{path}: 'data' has shape {data.shape} and 'labels' {labels.shape}; expected "
            f"(n, 3072) and (n,)"
        )
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise DataError(f"{path}: labels outside 0..9; replace the file")
    return data.reshape(-1, 3, 32, 32), labels, obj


def _find(root: Path, sub: str, names: list[str]) -> Path | None:
    for folder in (root, root / sub):
        if all((folder / n).is_file() for n in names):
            return folder
    return None


def _meta_names_bin(folder: Path) -> list[str]:
    meta = folder / "batches.meta.txt"
    if meta.is_file():
        names = [line.strip() for line in meta.read_text(errors="replace").splitlines()]
        names = [n for n in names if n]
        if len(names) == len(CLASSES):
            return names
    return list(CLASSES)


@register("cifar10", "CIFAR-10: 50k/10k 32x32 colour images, 10 classes, from your copy")
def cifar10(path: str | os.PathLike | None = None, trust_pickle: bool = False) -> Dataset:
    """X uint8 (n, 3, 32, 32), train rows first; splits train/test.

    ``path``: the folder holding the batches (or their cifar-10-batches-bin/-py folder).
    ``trust_pickle``: allow reading the python (pickle) version.
    """
    if path is None:
        raise DataError(
            "cifar10: no data folder given; pass path=DIR (CLI: --data-dir DIR) holding the "
            "binary batches (data_batch_1.bin ... test_batch.bin)"
        )
    root = Path(path).expanduser()
    if not root.is_dir():
        raise DataError(f"{root}: no such folder; pass the folder holding the CIFAR-10 batches")
    names = TRAIN_BIN + TEST_BIN
    folder = _find(root, "cifar-10-batches-bin", names)
    if folder is not None:
        sizes = []
        for n in names:
            size = (folder / n).stat().st_size
            if size == 0 or size % RECORD:
                raise DataError(
                    f"{folder / n}: {size} bytes is not a whole number of {RECORD}-byte records; "
                    f"the file is truncated, replace it"
                )
            sizes.append(size // RECORD)
        check_data_bytes(sum(sizes) * 3 * 32 * 32, str(folder), f"{sum(sizes):,} images of "
                         "3x32x32 bytes", "pass the folder of the official batches")
        X = np.empty((sum(sizes), 3, 32, 32), dtype=np.uint8)
        y = np.empty(sum(sizes), dtype=np.int64)
        start = 0
        for n, m in zip(names, sizes, strict=True):
            X[start : start + m], y[start : start + m] = parse_cifar_bin(
                _read_bytes(folder / n), str(folder / n)
            )
            start += m
        class_names = _meta_names_bin(folder)
        n_train = sum(sizes[:-1])
    else:
        py_names = TRAIN_PY + TEST_PY
        folder = _find(root, "cifar-10-batches-py", py_names)
        if folder is None:
            raise DataError(
                f"{root}: no CIFAR-10 batches found (looked for data_batch_1.bin ... "
                f"test_batch.bin, or the python version, in {root} and "
                f"{root / 'cifar-10-batches-bin'}); pass the folder that holds them"
            )
        if not trust_pickle:
            raise DataError(
                f"{folder}: only the python (pickle) version of CIFAR-10 is here, and unpickling "
                f"can run arbitrary code; if you trust its origin pass trust_pickle=True "
                f"(CLI: --trust-pickle), or use the binary version"
            )
        parts = [_unpickle(folder / n)[:2] for n in py_names]
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        n_train = sum(len(p[1]) for p in parts[:-1])
        class_names = list(CLASSES)
        meta = folder / "batches.meta"
        if meta.is_file():
            try:
                with open(meta, "rb") as f:
                    m = pickle.load(f, encoding="bytes")
                names_meta = [v.decode() if isinstance(v, bytes) else str(v)
                              for v in m.get(b"label_names", m.get("label_names", []))]
                if len(names_meta) == len(CLASSES):
                    class_names = names_meta
            except Exception as e:
                raise DataError(f"{meta}: cannot unpickle ({e}); replace or remove it") from e
    return Dataset(
        name="cifar10", task="classification", X=X, y=y, feature_names=None,
        class_names=class_names, source=str(folder),
        splits={
            "train": np.arange(n_train, dtype=np.int64),
            "test": np.arange(n_train, len(y), dtype=np.int64),
        },
    )

"""Fashion-MNIST and MNIST: 60,000 train / 10,000 test 28x28 grayscale images in IDX files.

Files are searched for (see :mod:`mlplab.data.cache`) and, when no folder holds all four,
downloaded from the official mirror with md5 verification unless ``offline=True``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.data import cache
from mlplab.data.dataset import DataError, Dataset
from mlplab.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx
from mlplab.data.registry import register

FILES = {
    "train-images": "train-images-idx3-ubyte.gz",
    "train-labels": "train-labels-idx1-ubyte.gz",
    "test-images": "t10k-images-idx3-ubyte.gz",
    "test-labels": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class IdxSource:
    """Where a set of IDX files lives and how to check it.

    ``md5_gz`` are the md5s of the official .gz files (what a download is checked against);
    ``md5_raw`` those of the decompressed contents (what ``verify=True`` checks, since
    repackagers such as Debian recompress the files and change the .gz bytes).
    """

    name: str
    mirror: str
    mirror_env: str
    md5_gz: Mapping[str, str]
    md5_raw: Mapping[str, str]
    class_names: list[str]
    system_dirs: tuple[str, ...] = ()
    layouts: tuple[str, ...] = ()


FASHION_MNIST = IdxSource(
    name="fashion-mnist",
    mirror="http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    mirror_env="MLPLAB_FASHION_MNIST_MIRROR",
    # From the Fashion-MNIST README (github.com/zalandoresearch/fashion-mnist).
    md5_gz={
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
    md5_raw={
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    class_names=[
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
    system_dirs=("/usr/share/datasets/fashion-mnist",),
    layouts=("FashionMNIST/raw",),
)

MNIST = IdxSource(
    name="mnist",
    mirror="https://ossci-datasets.s3.amazonaws.com/mnist/",
    mirror_env="MLPLAB_MNIST_MIRROR",
    # torchvision's table for the official files.
    md5_gz={
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    md5_raw={
        "train-images-idx3-ubyte.gz": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    },
    class_names=[str(d) for d in range(10)],
    layouts=("MNIST/raw",),
)


def _alternatives(gz_name: str) -> list[str]:
    """Accepted names for one file: gzipped, or decompressed under its plain name."""
    return [gz_name, gz_name.removesuffix(".gz")]


def _check_raw_md5(path: os.PathLike, expected: str) -> None:
    data = Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    got = hashlib.md5(data).hexdigest()
    if got != expected:
        raise DataError(
            f"{path}: contents differ from the official file (md5 {got}, expected {expected}); "
            f"delete it to download a fresh copy, or pass verify=False to use it anyway"
        )


def load_idx_dataset(
    src: IdxSource,
    path: str | os.PathLike | None = None,
    offline: bool = False,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    verify: bool = False,
    timeout: float = 60.0,
) -> Dataset:
    """Find (or download) and read the four IDX files of ``src``.

    Returns a Dataset with X uint8 ``(70000, 28, 28)`` (train rows first), y int64,
    splits ``{"train": 0..59999, "test": 60000..69999}`` (sizes follow the files).
    """
    if path is not None and Path(path).expanduser().is_file():
        raise DataError(
            f"{path}: not a folder; pass the folder that holds {', '.join(FILES.values())}"
        )
    wanted = {gz: _alternatives(gz) for gz in FILES.values()}
    dirs = cache.search_dirs(src.name, path, src.system_dirs)
    dirs = [d for base in dirs for d in (base, *(base / lay for lay in src.layouts))]
    hit = cache.locate(wanted, dirs)
    if hit is None:
        dest = cache.download_dir(src.name, path)
        if offline:
            raise DataError(
                f"{src.name}: files not found (looked in {', '.join(map(str, dirs))}) and "
                f"offline=True; put {', '.join(FILES.values())} in {dest}, pass path=DIR "
                f"(CLI: --data-dir DIR), or allow the download"
            )
        base = mirror or os.environ.get(src.mirror_env) or src.mirror
        table = dict(src.md5_gz if checksums is None else checksums)
        missing = [gz for gz in FILES.values() if cache.find_in(dest, wanted[gz]) is None]
        cache.fetch(
            missing, dest, base, table, timeout=timeout,
            hint=f"or put the files in {dest} by hand, or use another mirror "
                 f"(mirror=URL or ${src.mirror_env})",
        )
        hit = cache.locate(wanted, [dest])
        assert hit is not None
    folder, found = hit
    arrays = {}
    for key, gz in FILES.items():
        magic = IMAGES_MAGIC if key.endswith("images") else LABELS_MAGIC
        arrays[key] = read_idx(found[gz], expect_magic=magic)
    if verify:  # after read_idx, so the gzip streams are known to be sound
        for gz, p in found.items():
            _check_raw_md5(p, src.md5_raw[gz])
    for part in ("train", "test"):
        images, labels = arrays[f"{part}-images"], arrays[f"{part}-labels"]
        img_path, lab_path = found[FILES[f"{part}-images"]], found[FILES[f"{part}-labels"]]
        if images.ndim != 3:
            raise DataError(f"{img_path}: expected 3-D images, got shape {images.shape}")
        if len(images) != len(labels):
            raise DataError(
                f"{lab_path}: {len(labels)} labels for {len(images)} images in {img_path}; "
                f"the two files do not belong together, replace them with the official pair"
            )
        if labels.size and labels.max() >= len(src.class_names):
            raise DataError(
                f"{lab_path}: label {int(labels.max())} out of range 0..{len(src.class_names) - 1}"
                f"; replace it with the official file"
            )
    n_train = len(arrays["train-images"])
    if arrays["train-images"].shape[1:] != arrays["test-images"].shape[1:]:
        raise DataError(
            f"{found[FILES['test-images']]}: image size {arrays['test-images'].shape[1:]} differs "
            f"from the training images' {arrays['train-images'].shape[1:]}"
        )
    X = np.concatenate([arrays["train-images"], arrays["test-images"]])
    y = np.concatenate([arrays["train-labels"], arrays["test-labels"]]).astype(np.int64)
    return Dataset(
        name=src.name,
        task="classification",
        X=X,
        y=y,
        feature_names=None,
        class_names=list(src.class_names),
        source=str(folder),
        splits={
            "train": np.arange(n_train, dtype=np.int64),
            "test": np.arange(n_train, len(X), dtype=np.int64),
        },
    )


@register("fashion-mnist", "Zalando's Fashion-MNIST: 60k/10k 28x28 grayscale clothes, 10 classes")
def fashion_mnist(
    path: str | os.PathLike | None = None,
    offline: bool = False,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    verify: bool = False,
    timeout: float = 60.0,
) -> Dataset:
    """Fashion-MNIST, X uint8 ``(70000, 28, 28)``; see :func:`load_idx_dataset`.

    ``path``: folder holding the IDX files (downloads go there too). ``offline``: never download.
    ``mirror``: base URL (default the official one, or ``$MLPLAB_FASHION_MNIST_MIRROR``).
    ``checksums``: ``{file name: md5 or sha256}`` for downloads. ``verify``: check the
    decompressed contents against the official md5s.
    """
    return load_idx_dataset(FASHION_MNIST, path, offline, mirror, checksums, verify, timeout)


@register("mnist", "LeCun's MNIST handwritten digits: 60k/10k 28x28 grayscale, 10 classes")
def mnist(
    path: str | os.PathLike | None = None,
    offline: bool = False,
    mirror: str | None = None,
    checksums: Mapping[str, str] | None = None,
    verify: bool = False,
    timeout: float = 60.0,
) -> Dataset:
    """MNIST, X uint8 ``(70000, 28, 28)``; arguments as for :func:`fashion_mnist`
    (mirror variable ``$MLPLAB_MNIST_MIRROR``)."""
    return load_idx_dataset(MNIST, path, offline, mirror, checksums, verify, timeout)

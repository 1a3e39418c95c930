"""Image folders: ``root/{train,val,test}/<class>/<image>`` (or ``root/<class>/<image>``).

Images are read with Pillow (imported only here, when needed), converted to grayscale (or RGB),
optionally resized, and kept as uint8: X is (n, H, W) for grayscale, (n, 3, H, W) for colour.
Class order is the sorted class-folder names of the training folder, so a test folder that
lacks a class (FER-2013's course copy has no test/fear) still maps every label correctly.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.registry import register
from mlplab.data.validate import check_classes
from mlplab.limits import check_data_bytes

IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm", ".pbm"}
)
SPLIT_DIRS = ("train", "val", "test")
FER2013_CLASSES = ["angry", "disgust", "fear", "happy", "neutral", "sad", "surprise"]


def _pil():
    try:
        from PIL import Image
    except ImportError as e:  # pragma: no cover - Pillow is installed in the dev venv
        raise DataError("reading image folders needs Pillow; run `pip install pillow`") from e
    return Image


def _size_hw(image_size) -> tuple[int, int] | None:
    """None, an int (square) or (height, width) -> (height, width) or None."""
    if image_size is None:
        return None
    if isinstance(image_size, int | np.integer) and not isinstance(image_size, bool):
        h = w = int(image_size)
    else:
        try:
            h, w = (int(v) for v in image_size)
        except (TypeError, ValueError):
            raise DataError(
                f"Invalid image_size: {image_size!r} (need an int or (height, width))"
            ) from None
    if h < 1 or w < 1:
        raise DataError(f"Invalid image_size: {image_size!r} (need positive sizes)")
    return h, w


def _images_in(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def _class_dirs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def scan(root: Path) -> tuple[list[str], dict[str, list[tuple[Path, int]]]]:
    """Find the images under ``root``.

    Returns ``(class_names, {split: [(file, label), ...]})``; with no split folders the only
    split is "train". Raises DataError for empty class folders, unknown test classes, etc.
    """
    if not root.is_dir():
        what = "not a folder" if root.exists() else "no such folder"
        raise DataError(f"{root}: {what}; pass the data folder (CLI: --data-dir DIR)")
    present = [s for s in SPLIT_DIRS if (root / s).is_dir()]
    if present and "train" not in present:
        raise DataError(
            f"{root}: has {', '.join(present)} but no train/ folder; class names are taken from "
            f"train/, so add it"
        )
    split_roots = {s: root / s for s in present} if present else {"train": root}
    classes = [d.name for d in _class_dirs(split_roots["train"])]
    if not classes:
        raise DataError(
            f"{split_roots['train']}: no class folders; expected "
            f"{split_roots['train']}/<class>/<image>"
        )
    # one class folder would train to a meaningless "100%"
    check_classes(split_roots["train"], "class", classes,
                  "one folder of images per class: add a folder of another class")
    index = {c: k for k, c in enumerate(classes)}
    files: dict[str, list[tuple[Path, int]]] = {}
    for split, folder in split_roots.items():
        entries: list[tuple[Path, int]] = []
        for d in _class_dirs(folder):
            if d.name not in index:
                raise DataError(
                    f"{d}: class {d.name!r} is not among the training classes "
                    f"({', '.join(classes)}); rename or remove that folder"
                )
            images = _images_in(d)
            if not images:
                raise DataError(
                    f"{d}: class folder holds no images "
                    f"({', '.join(sorted(IMAGE_EXTENSIONS))}); add images or remove the folder"
                )
            entries += [(p, index[d.name]) for p in images]
        if not entries:
            raise DataError(f"{folder}: no class folders with images; expected {folder}/<class>/")
        files[split] = entries
    return classes, files


def _eight_bit(im, path: Path):
    """An image of more than 8 bits per pixel as 8-bit grayscale ("L"), scaled from its type's
    range rather than clipped (``convert("L")`` turns every 16-bit value above 255 white):
    16-bit and 32-bit integer pixels (modes "I;16...", "I") as ``round(x * 255 / 65535)``,
    float pixels (mode "F") in [0, 1] as ``round(x * 255)``. Other modes pass unchanged."""
    if not (im.mode.startswith("I") or im.mode == "F"):
        return im
    a = np.asarray(im, dtype=np.float64)
    top = 1.0 if im.mode == "F" else 65535.0
    if a.size and not (np.isfinite(a).all() and a.min() >= 0 and a.max() <= top):
        span = "0..1 (float pixels)" if im.mode == "F" else "0..65535 (16 bits)"
        raise DataError(f"{path}: pixel values {a.min():g}..{a.max():g} are outside {span}; "
                        "save the image with 8 or 16 bits per channel")
    return _pil().fromarray(np.rint(a * (255.0 / top)).astype(np.uint8), "L")


def read_image(path: Path, size_hw: tuple[int, int] | None, grayscale: bool = True) -> np.ndarray:
    """One image as uint8, (H, W) grayscale or (3, H, W) RGB, resized (bilinear) if asked;
    16-bit and float images are scaled to 8 bits from their range (``_eight_bit``)."""
    Image = _pil()
    try:
        with Image.open(path) as im:
            im = _eight_bit(im, path).convert("L" if grayscale else "RGB")
            if size_hw is not None and im.size != (size_hw[1], size_hw[0]):
                im = im.resize((size_hw[1], size_hw[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(im, dtype=np.uint8)
    except DataError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as e:
        raise DataError(
            f"{path}: cannot read the image ({type(e).__name__}: {e}); replace or remove the file"
        ) from e
    return arr if grayscale else np.ascontiguousarray(arr.transpose(2, 0, 1))


def _check_stack(root: Path, n: int, shape: tuple[int, ...], fix: str) -> None:
    """The (n, *shape) uint8 stack within the data limit."""
    size = int(np.prod(shape, dtype=np.int64)) if len(shape) else 1
    dims = "x".join(str(d) for d in shape[-2:])
    if len(shape) == 3 and shape[0] > 1:
        dims += f"x{shape[0]}"
    check_data_bytes(n * size, str(root), f"{n:,} images of {dims} pixels (uint8)", fix)


def load_image_tree(
    name: str,
    path: str | os.PathLike | None,
    image_size=None,
    grayscale: bool = True,
    workers: int | None = None,
) -> Dataset:
    """Read every image under ``path`` into one uint8 array; see the module docstring.

    Splits are the split folders' rows (train first, then val, then test), contiguous.
    """
    if path is None:
        raise DataError(
            f"{name}: no data folder given; pass path=DIR (CLI: --data-dir DIR) holding "
            f"train/<class>/<image> and test/<class>/<image>"
        )
    root = Path(path).expanduser()
    size_hw = _size_hw(image_size)
    classes, files = scan(root)
    ordered = [(split, p, label) for split, entries in files.items() for p, label in entries]
    channels = 1 if grayscale else 3
    if size_hw is not None:   # before any image is resized to it
        _check_stack(root, len(ordered), (channels, *size_hw),
                     "use a smaller image_size=N (CLI: --set image_size=N)")
    first = read_image(ordered[0][1], size_hw, grayscale)
    shape = first.shape
    _check_stack(root, len(ordered), shape,
                 "resize them with image_size=N (CLI: --set image_size=N)")
    X = np.empty((len(ordered), *shape), dtype=np.uint8)
    X[0] = first

    def read_one(i: int) -> None:
        img = read_image(ordered[i][1], size_hw, grayscale)
        if img.shape != shape:
            h, w = img.shape[-2:]
            raise DataError(
                f"{ordered[i][1]}: image is {w}x{h} but {ordered[0][1].name} is "
                f"{shape[-1]}x{shape[-2]}; pass image_size=N (CLI: --set image_size=N) to "
                f"resize all images to one size"
            )
        X[i] = img

    n_workers = workers or min(8, os.cpu_count() or 1)
    if n_workers > 1 and len(ordered) > 64:
        pool = ThreadPoolExecutor(n_workers)
        try:
            for _ in pool.map(read_one, range(1, len(ordered))):
                pass
        finally:  # on the first bad image, do not go on reading the rest
            pool.shutdown(wait=True, cancel_futures=True)
    else:
        for i in range(1, len(ordered)):
            read_one(i)

    y = np.array([label for _, _, label in ordered], dtype=np.int64)
    splits, start = {}, 0
    for split, entries in files.items():
        splits[split] = np.arange(start, start + len(entries), dtype=np.int64)
        start += len(entries)
    return Dataset(
        name=name, task="classification", X=X, y=y, feature_names=None,
        class_names=classes, source=str(root), splits=splits,
    )


@register("image-folder", "your own images: root/{train,test}/<class>/<image>, grayscale uint8")
def image_folder(
    path: str | os.PathLike | None = None,
    image_size=None,
    grayscale: bool = True,
) -> Dataset:
    """Any image tree. ``image_size``: None (all images must share one size), an int, or
    (height, width). ``grayscale=False`` gives RGB as (n, 3, H, W)."""
    return load_image_tree("image-folder", path, image_size, grayscale)


@register("fer2013", "FER-2013 facial expressions, 7 classes, from your copy (--data-dir)")
def fer2013(path: str | os.PathLike | None = None, image_size=48) -> Dataset:
    """FER-2013 as the course lays it out: ``FER-2013/{train,test}/<emotion>/<image>``.
    ``image_size`` 48 is native; the course resizes to 180 (32,400 inputs)."""
    return load_image_tree("fer2013", path, image_size, grayscale=True)

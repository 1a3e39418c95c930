"""The three kinds of data ``mlplab train`` reads, each turned into a Dataset with train,
val and test splits, a JSON ``schema`` (what ``mlplab predict`` needs to read new rows the same
way) and notes for the report.

    csv     a table with a header row, any of the usual delimiters (mlplab.data.table)
    npz     arrays ``X`` (n, ...) and ``y`` (n,), read without pickle
    images  ``root/<class>/<image>`` or ``root/{train,test}/<class>/<image>``

``SOURCES`` maps each kind to its reader; ``detect`` picks the kind of a path.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlplab.byod.options import TrainOptions
from mlplab.data import table as T
from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import split_indices, train_val_test_split
from mlplab.data.validate import check_features, check_target, regular_file
from mlplab.limits import check_data_bytes


@dataclass
class Prepared:
    """A user's data, ready for the runner.

    dataset : Dataset with splits "train" and, when their fractions are above 0, "val" and
        "test". X is float32 (n, n_features) for tables and arrays, with NaN for missing
        values under ``--missing mean``; uint8 (n, H, W) or (n, 3, H, W) for images.
    schema : JSON-ready dict; ``schema["format"]`` is the SOURCES key.
    preprocess : the runner's preprocessing name for these inputs.
    """

    kind: str
    name: str
    dataset: Dataset
    schema: dict
    preprocess: str
    notes: list[str] = field(default_factory=list)


def detect(path: Path) -> str:
    """``images`` for a folder, ``npz`` for a .npz file, ``csv`` for any other file."""
    if path.is_dir():
        return "images"
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; check the path")
    # a device, FIFO or socket is refused before a byte is read (/dev/zero never ends)
    regular_file(path, "a CSV or .npz file, or an image folder")
    return "npz" if path.suffix.lower() == ".npz" else "csv"


def run_name(path: Path) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", path.resolve().name.removesuffix(path.suffix)
                  if path.is_file() else path.resolve().name).strip("-.") or "data"


# --------------------------------------------------------------------------- splits
def split_rows(n: int, y: np.ndarray, task: str, opts: TrainOptions, what: str,
               rows_note: str = "") -> tuple[dict[str, np.ndarray], str]:
    """train/val/test row indices (stratified for classification; seeded) and a note.

    Raises DataError when a split that is asked for would be empty or train would hold
    fewer than 2 rows."""
    fr = {"val": opts.val_fraction, "test": opts.test_fraction}
    parts = train_val_test_split(n, val=fr["val"], test=fr["test"], seed=opts.seed,
                                 stratify=y if task == "classification" else None)
    splits = {"train": parts["train"], **{s: parts[s] for s in ("val", "test") if fr[s] > 0}}
    _check_splits(splits, n, opts, what, rows_note)
    strat = ", stratified by class" if task == "classification" else ""
    return splits, (f"split (seed {opts.seed}{strat}): "
                    + ", ".join(f"{s} {len(v)}" for s, v in splits.items()))


def _check_splits(splits, n, opts, what, rows_note):
    empty = [s for s, v in splits.items() if len(v) == 0]
    if empty or len(splits["train"]) < 2:
        if empty:
            which = f"the {' and '.join(empty)} split{'s' * (len(empty) > 1)} would be empty"
        else:
            which = f"train would hold {len(splits['train'])} row"
        raise DataError(f"{what}: {n} rows{rows_note} are too few for --val-fraction "
                        f"{opts.val_fraction} and --test-fraction {opts.test_fraction}: "
                        f"{which}; add rows or lower the fractions (0 turns a split off)")


# --------------------------------------------------------------------------- csv
def prepare_csv(path: Path, opts: TrainOptions) -> Prepared:
    table = T.read_table(path)
    target = T.read_target(table, opts.target, opts.task)
    columns, notes = T.choose_columns(table, target, opts.drop, opts.categorical)
    rows = target.keep.copy()
    n_file = len(rows)
    counts = []
    if (~rows).any():
        counts.append(f"{int((~rows).sum())} without a target")
    holes = T.missing_rows(table, columns, rows)
    if opts.missing == "drop":
        if holes.any():
            counts.append(f"{int(holes.sum())} with a missing feature value (--missing drop)")
        rows &= ~holes
    if not rows.any():
        raise DataError(f"{path}: every row has a missing value; use --missing mean, or "
                        "--drop the emptiest columns")
    T.fit_levels(table, columns, rows)
    X, _ = T.encode(table, columns, rows)
    X = check_features(X, str(path))   # the rule every entry point applies
    y = target.y[rows[target.keep]]
    names = T.feature_names(columns)
    if target.task == "classification":
        present = np.unique(y)
        if len(present) < 2:
            T.check_classes(path, target.name, [target.classes[int(present[0])]])
        if len(present) < len(target.classes):   # a class lived only in dropped rows
            keep = [target.classes[int(k)] for k in present]
            gone = [c for c in target.classes if c not in keep]
            notes.append(f"class(es) {', '.join(map(repr, gone))} only in dropped rows: left "
                         f"out, {len(keep)} classes remain")
            y = np.searchsorted(present, y).astype(np.int64)
            target.classes = keep
    elif np.ptp(y) == 0:
        raise DataError(f"{path}: target {target.name!r} is constant in the rows kept; there "
                        "is nothing to learn")
    notes.insert(0, f"data: {path.name}, {table.describe()}, {n_file} rows"
                 + (f"; dropped {', '.join(counts)}; {int(rows.sum())} rows kept"
                    if counts else ""))
    notes.insert(1, target.note)
    onehot = [f"{c['name']!r} ({len(c['levels'])} levels)" for c in columns
              if c["kind"] == "categorical"]
    if onehot:
        notes.append("one-hot: " + ", ".join(onehot))
    if opts.missing == "mean" and np.isnan(X).any():
        n_cells = int(sum(T.is_missing(table.rows[i][table.header.index(c["name"])])
                          for i in np.flatnonzero(rows) for c in columns))
        notes.append(f"--missing mean: {n_cells} missing cells in {int(holes[rows].sum())} "
                     "rows are filled with the training split's column means (a one-hot "
                     "column's mean is its level's frequency)")
    n_onehot = sum(len(c["levels"]) for c in columns if c["kind"] == "categorical")
    notes.append(f"inputs: {len(names)} columns ({len(names) - n_onehot} numeric, {n_onehot} "
                 "one-hot), standardised with the training split's mean and std")
    rows_note = f" (after dropping {', '.join(counts)})" if counts else ""
    splits, split_note = split_rows(len(y), y, target.task, opts, str(path), rows_note)
    notes.append(split_note)
    ds = Dataset(name=run_name(path), task=target.task, X=X, y=y, feature_names=names,
                 class_names=target.classes, source=str(path), splits=splits,
                 target_name=target.name)
    schema = {"format": "csv", "file": str(path), "target": target.name, "task": target.task,
              "target_kind": target.kind, "classes": target.classes, "columns": columns,
              "file_columns": table.header, "features": names, "missing": opts.missing,
              "rows": {"file": n_file, "kept": int(rows.sum())}}
    return Prepared("csv", run_name(path), ds, schema, _preprocess(opts, "standardize"), notes)


def _preprocess(opts: TrainOptions, scaler: str) -> str:
    return f"impute+{scaler}" if opts.missing == "mean" else scaler


# --------------------------------------------------------------------------- npz
def _check_npz_sizes(path: Path) -> None:
    """Refuse an array of the archive above the data limit from its .npy header, before it is
    decompressed (a few kB of zeros can unpack to gigabytes). A member whose header does not
    read is left to np.load, which reports it."""
    from numpy.lib import format as npy

    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith(".npy"):
                continue
            try:
                with z.open(info) as fp:
                    version = npy.read_magic(fp)
                    header = (npy.read_array_header_1_0 if version == (1, 0)
                              else npy.read_array_header_2_0)
                    shape, _, dtype = header(fp)
            except Exception:   # any damage: np.load says what it is, in its words
                continue
            n = 1
            for d in shape:
                n *= int(d)
            name = info.filename.removesuffix(".npy")
            check_data_bytes(n * dtype.itemsize, str(path),
                             f"array {name!r} of shape {tuple(shape)} ({dtype})",
                             "save a smaller sample")


def read_npz(path: Path, need_y: bool = True) -> dict[str, np.ndarray]:
    """The arrays of an .npz file, never unpickling; X (and y when ``need_y``) required."""
    try:
        with open(regular_file(path, "an .npz file"), "rb") as f:
            if f.read(2) != b"PK":   # np.load would try any other file as a pickle
                raise DataError(f"{path}: not an .npz archive (an .npz is a zip of .npy "
                                "arrays); save it with np.savez(path, X=X, y=y)")
        _check_npz_sizes(path)
        with np.load(path, allow_pickle=False) as f:
            keys = list(f.files)
            missing = [k for k in ("X", "y") if k not in keys and (k == "X" or need_y)]
            if missing:
                raise DataError(f"{path}: no array {' or '.join(map(repr, missing))} (it holds "
                                f"{', '.join(map(repr, keys)) or 'nothing'}); save it with "
                                "np.savez(path, X=X, y=y)")
            return {k: f[k] for k in keys}
    except DataError:
        raise
    except ValueError as e:
        if "pickle" in str(e):
            raise DataError(f"{path}: holds pickled Python objects, which mlplab does not "
                            "load (unpickling can run code); save plain numeric arrays X and "
                            "y") from None
        raise DataError(f"{path}: cannot read as an .npz archive ({e}); save it with "
                        "np.savez(path, X=X, y=y)") from None
    except (OSError, zipfile.BadZipFile, EOFError) as e:
        raise DataError(f"{path}: cannot read as an .npz archive ({e}); save it with "
                        "np.savez(path, X=X, y=y)") from None


def npz_features(path: Path, X: np.ndarray) -> np.ndarray:
    """X as float32 of shape (n, ...) with at least 2 dimensions; numeric and never infinite
    (``mlplab.data.validate.check_features``, in training and prediction alike)."""
    if X.dtype.kind not in "biuf":
        raise DataError(f"{path}: X holds {X.dtype} values; it must be numeric")
    if X.ndim < 2:
        raise DataError(f"{path}: X has shape {X.shape}; it must be (n_samples, n_features) "
                        "or (n_samples, H, W)")
    return check_features(X, str(path))


def prepare_npz(path: Path, opts: TrainOptions) -> Prepared:
    arrays = read_npz(path)
    X = npz_features(path, arrays["X"])
    y = arrays["y"]
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1 or len(y) != len(X):
        raise DataError(f"{path}: y has shape {y.shape} but X has {len(X)} rows; y must be "
                        f"({len(X)},)")
    notes = []
    text = y.dtype.kind in "US"
    if not text and y.dtype.kind not in "biuf":
        raise DataError(f"{path}: y holds {y.dtype} values; it must hold numbers or strings")
    if not text:
        check_target(y, str(path))
    y_missing = np.zeros(len(y), bool) if text else np.isnan(y.astype(np.float64))
    X_missing = np.isnan(X.reshape(len(X), -1)).any(axis=1)
    keep = ~y_missing & (~X_missing if opts.missing == "drop" else True)
    counts = []
    if y_missing.any():
        counts.append(f"{int(y_missing.sum())} with a NaN target")
    if opts.missing == "drop" and X_missing.any():
        counts.append(f"{int((X_missing & ~y_missing).sum())} with NaN in X (--missing drop)")
    if not keep.any():
        raise DataError(f"{path}: every row has a NaN; use --missing mean")
    X, y = X[keep], y[keep]
    if text:
        if opts.task == "regression":
            raise DataError(f"{path}: --task regression needs numeric y, but y holds text "
                            f"({str(y[0])!r}, ...); use --task classification")
        task, why = "classification", "y holds text"
        classes = sorted({str(v) for v in y})
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[str(v)] for v in y], dtype=np.int64)
    else:
        values = y.astype(np.float64)
        task, why = T.infer_task(values)
        task = opts.task or task
        if task == "classification":
            keys = np.unique(values)
            y = np.searchsorted(keys, values).astype(np.int64)
            classes = [T.number_name(v) for v in keys]
            names = arrays.get("class_names")
            if names is not None and names.ndim == 1 and np.all(keys == np.arange(len(keys))) \
                    and len(names) >= len(keys):
                classes = [str(n) for n in names[:len(keys)]]
        else:
            y, classes = values.astype(np.float32), None
            if np.ptp(y) == 0:
                raise DataError(f"{path}: y is constant; there is nothing to learn")
    if task == "classification":
        T.check_classes(path, "y", classes)
    how = "given by --task" if opts.task else f"inferred: {why}; --task overrides"
    notes.append(f"data: {path.name}, X {tuple(arrays['X'].shape)}"
                 + (f"; dropped {', '.join(counts)}; {len(y)} rows kept" if counts else ""))
    notes.append(f"task: {task}" + (f" into {len(classes)} classes" if classes else "")
                 + f" ({how})")
    notes.append("inputs standardised with the training split's mean and std")
    rows_note = f" (after dropping {', '.join(counts)})" if counts else ""
    splits, split_note = split_rows(len(y), y, task, opts, str(path), rows_note)
    notes.append(split_note)
    ds = Dataset(name=run_name(path), task=task, X=X, y=y, class_names=classes,
                 source=str(path), splits=splits, target_name="y",
                 feature_names=[f"x{j}" for j in range(X.shape[1])] if X.ndim == 2 else None)
    schema = {"format": "npz", "file": str(path), "target": "y", "task": task,
              "target_kind": "text" if text else "numeric", "classes": classes,
              "input_shape": list(X.shape[1:]), "missing": opts.missing}
    return Prepared("npz", run_name(path), ds, schema, _preprocess(opts, "standardize"), notes)


# --------------------------------------------------------------------------- images
def prepare_images(path: Path, opts: TrainOptions) -> Prepared:
    from mlplab.data.images import load_image_tree

    if opts.task == "regression":
        raise DataError(f"{path}: an image folder holds one folder per class, so the task is "
                        "classification; drop --task regression")
    try:
        ds = load_image_tree(run_name(path), path, opts.image_size, opts.grayscale)
    except DataError as e:   # the loader's advice names `mlplab run`'s option
        raise DataError(str(e).replace("image_size=N (CLI: --set image_size=N)",
                                       "--image-size N")) from None
    notes = [f"data: {path.name}/, {ds.n_samples} images of {ds.X.shape[-2]}x"
             f"{ds.X.shape[-1]} pixels, {'grayscale' if opts.grayscale else 'RGB'}"
             + (f" (resized to {opts.image_size}x{opts.image_size})" if opts.image_size else ""),
             f"task: classification into {ds.n_classes} classes ({', '.join(ds.class_names)}; "
             "one folder per class)",
             "inputs: pixels scaled to [-1, 1] (x / 127.5 - 1, the course's normalisation)"]
    if "test" in ds.splits:   # the folder's own train/ and test/
        train = ds.splits["train"]
        parts = split_indices(len(train), {"train": 1 - opts.val_fraction,
                                           "val": opts.val_fraction},
                              seed=opts.seed, stratify=ds.y[train])
        splits = {"train": train[parts["train"]], "test": ds.splits["test"]}
        if opts.val_fraction > 0:
            splits["val"] = train[parts["val"]]
        _check_splits(splits, len(train), opts, str(path), " in train/")
        note = (f"split (seed {opts.seed}, stratified by class): the folder's test/ "
                "(--test-fraction not used), and val carved from train/: "
                + ", ".join(f"{s} {len(v)}" for s, v in splits.items()))
    else:
        splits, note = split_rows(ds.n_samples, ds.y, "classification", opts, str(path))
    notes.append(note)
    ds.splits = {s: np.asarray(v, dtype=np.int64) for s, v in splits.items()}
    schema = {"format": "images", "file": str(path), "target": "class",
              "task": "classification", "target_kind": "text", "classes": ds.class_names,
              "image_size": [int(ds.X.shape[-2]), int(ds.X.shape[-1])],
              "grayscale": opts.grayscale, "missing": "drop"}
    return Prepared("images", run_name(path), ds, schema, "symmetric", notes)


SOURCES: dict[str, Callable[[Path, TrainOptions], Prepared]] = {
    "csv": prepare_csv, "npz": prepare_npz, "images": prepare_images,
}
# Options that only make sense for some kinds: naming them for another kind is an error.
ONLY_FOR = {"target": ("--target", ("csv",)), "drop": ("--drop", ("csv",)),
            "categorical": ("--categorical", ("csv",)),
            "image_size": ("--image-size", ("images",))}


def prepare(path, opts: TrainOptions) -> Prepared:
    """Read ``path`` (kind from ``detect``) with ``opts``; raise DataError on bad input."""
    opts.validate()
    path = Path(path).expanduser()
    kind = detect(path)
    for attr, (flag, kinds) in ONLY_FOR.items():
        if kind not in kinds and getattr(opts, attr) not in (None, ()):
            raise DataError(f"{flag} applies to {' and '.join(kinds)} data, but {path} is "
                            f"{'an image folder' if kind == 'images' else f'a {kind} file'}; "
                            f"drop {flag}")
    return SOURCES[kind](path, opts)

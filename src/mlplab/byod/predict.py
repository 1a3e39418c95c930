"""``mlplab predict RUN_DIR DATA``: one model of a ``mlplab train`` run applied to new rows.

Everything comes from the run folder: the data's schema (config.json: columns, categories,
classes), the model's fitted preprocessing (weights/<model>.preprocess.json) and its weights
(weights/<model>.npz). New rows are read the way the training rows were (``READERS``, by the
schema's format); a target column, when present, is not used to predict but to score.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mlplab.byod.sources import npz_features, read_npz
from mlplab.data import table as T
from mlplab.data.dataset import DataError
from mlplab.data.validate import check_features
from mlplab.errors import UsageError
from mlplab.limits import check_data_bytes
from mlplab.train import metrics as M
from mlplab.util import atomic_write_text, check_output_file, os_error_text


@dataclass
class NewRows:
    """New data read with a run's schema.

    X : (n, ...) float32, NaN where a value is missing.
    columns, cells : what the output starts with, per row (the input's own columns for a CSV,
        the file name for images, the row number for arrays).
    y : (n,) float64 targets or class indices where the data have them, NaN elsewhere; None
        when the data have no target at all.
    """

    X: np.ndarray
    columns: list[str]
    cells: list[list[str]]
    y: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Predictions:
    """What ``predict`` wrote: ``n_predicted`` of ``n_rows`` rows got a prediction;
    ``metrics`` (mlplab.train.metrics names) over the ``n_scored`` rows with a known target."""

    path: Path
    model: str
    target: str
    task: str
    n_rows: int
    n_predicted: int
    metrics: dict | None = None
    n_scored: int = 0
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- readers
def _read_csv(path: Path, schema: dict) -> NewRows:
    if path.is_dir():
        raise DataError(f"{path}: is a folder, but this model was trained on a CSV file; pass a "
                        "CSV file with the training file's columns")
    table = T.read_table(path)
    used = [c["name"] for c in schema["columns"]]
    missing = [c for c in used if c not in table.header]
    if missing:
        raise DataError(f"{path}: missing column(s) {', '.join(map(repr, missing))} that the "
                        f"model uses; it needs {', '.join(map(repr, used))}")
    extra = [c for c in table.header if c not in schema["file_columns"]]
    if extra:
        raise DataError(f"{path}: column(s) {', '.join(map(repr, extra))} were not in the "
                        f"training file; remove them (the model uses "
                        f"{', '.join(map(repr, used))})")
    X, unseen = T.encode(table, schema["columns"])
    notes = [f"column {c!r}: {k} row(s) hold a category not seen in training, encoded as none "
             "of the known ones (all zeros)" for c, k in unseen.items()]
    y = None
    if schema["target"] in table.header:
        cells = table.column(schema["target"])
        y, note = _targets(cells, schema, table.comma_decimal)
        notes += [note] if note else []
    return NewRows(X, list(table.header), table.rows, y, notes)


def _targets(values, schema: dict, comma_decimal: bool = False) -> tuple[np.ndarray, str]:
    """Target cells -> float64 values or class indices (NaN where missing or unknown)."""
    y = np.full(len(values), np.nan)
    unknown = 0
    if schema["task"] == "regression":
        for i, v in enumerate(values):
            num = T.to_number(str(v), comma_decimal)
            y[i] = np.nan if num is None else num
        return y, ""
    index = {c: k for k, c in enumerate(schema["classes"])}
    for i, v in enumerate(values):
        key = T.class_key(str(v), schema["target_kind"], comma_decimal)
        if key in index:
            y[i] = index[key]
        elif key is not None:
            unknown += 1
    note = (f"{unknown} row(s) hold a {schema['target']!r} value that is not one of the "
            "training classes; they are not scored") if unknown else ""
    return y, note


def _read_npz(path: Path, schema: dict) -> NewRows:
    if path.is_dir():
        raise DataError(f"{path}: is a folder, but this model was trained on an .npz file; "
                        "pass an .npz with an array X")
    arrays = read_npz(path, need_y=False)
    X = npz_features(path, arrays["X"])
    if list(X.shape[1:]) != schema["input_shape"]:
        raise DataError(f"{path}: X has rows of shape {tuple(X.shape[1:])}, but the model was "
                        f"trained on rows of shape {tuple(schema['input_shape'])}")
    y, notes = None, []
    if "y" in arrays and len(arrays["y"]) == len(X):
        raw = arrays["y"].reshape(len(X), -1)[:, 0]
        if schema["target_kind"] == "numeric" and raw.dtype.kind in "biuf":
            raw = [T.number_name(v) if np.isfinite(v) else "" for v in raw.astype(float)] \
                if schema["task"] == "classification" else raw.astype(float)
        y, note = _targets(list(raw), schema)
        notes += [note] if note else []
    return NewRows(X, ["row"], [[str(i)] for i in range(len(X))], y, notes)


def _read_images(path: Path, schema: dict) -> NewRows:
    from mlplab.data.images import IMAGE_EXTENSIONS, read_image

    if not path.is_dir():
        raise DataError(f"{path}: this model was trained on an image folder; pass a folder of "
                        "images (any layout; a parent folder named like a class scores it)")
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")
                   and p.suffix.lower() in IMAGE_EXTENSIONS)
    if not files:
        raise DataError(f"{path}: no images ({', '.join(sorted(IMAGE_EXTENSIONS))}) in this "
                        "folder or below it")
    size = tuple(schema["image_size"])
    shape = size if schema["grayscale"] else (3, *size)
    # filled in place: no list of images and no second copy for the cast
    check_data_bytes(len(files) * int(np.prod(shape)) * 4, str(path),
                     f"{len(files):,} images of {'x'.join(map(str, shape))} pixels as float32",
                     "predict a part of the folder at a time")
    X = np.empty((len(files), *shape), dtype=np.float32)
    for i, f in enumerate(files):
        X[i] = read_image(f, size, schema["grayscale"])
    index = {c: k for k, c in enumerate(schema["classes"])}
    y = np.array([index.get(f.parent.name, np.nan) for f in files], dtype=np.float64)
    rel = [[f.relative_to(path).as_posix()] for f in files]
    return NewRows(X, ["file"], rel, y if np.isfinite(y).any() else None)


READERS: dict[str, Callable[[Path, dict], NewRows]] = {
    "csv": _read_csv, "npz": _read_npz, "images": _read_images,
}


# --------------------------------------------------------------------------- the run
def _run_folder(run_dir):
    """The run folder, checked (mlplab.runfolder), of a ``mlplab train`` run."""
    from mlplab.runfolder import RunFolder

    run = RunFolder.open(run_dir, written_by="`mlplab train`")
    if run.schema is None:
        raise DataError(f"{run.path}: written by `mlplab run`, not `mlplab train`; predict "
                        "needs a run of `mlplab train`")
    return run


def _predictable(kind) -> bool:
    return kind is not None and kind.predictable


def load_model(run_dir, model: str = "mlp"):
    """``(schema, model entry, transform, target scaler, engine)`` of one model of a run,
    every file checked first (mlplab.runfolder: a damaged one is a DataError naming it)."""
    from mlplab.experiments.kinds import model_kind
    from mlplab.train import build_engine

    run = _run_folder(run_dir)
    models = run.config["models"]
    saved = [m["name"] for m in models if _predictable(model_kind(m))]
    entry = run.entry(model)
    if entry is None:
        raise DataError(f"--model {model!r}: the run has no such model; choose one of "
                        f"{', '.join(saved)}")
    if not _predictable(model_kind(entry)):
        raise DataError(f"--model {model!r} is a scikit-learn row, which is not saved (mlplab "
                        f"writes no pickles); choose one of {', '.join(saved)}")
    weights = run.weights_file(model)
    prep = weights.with_name(f"{model}.preprocess.json")
    if not weights.is_file():
        raise DataError(f"{run.path}: no weights for {model!r} (it diverged or the run was "
                        f"interrupted); choose another --model ({', '.join(saved)})")
    if not prep.is_file():
        raise DataError(f"{run.path}: no saved preprocessing for {model!r} ({prep.name}); the "
                        "run is older than `mlplab predict`, so train it again")
    spec, state = run.weights(model, entry)
    transform, target, _ = run.preprocess(model, spec)
    engine = build_engine("numpy", spec=entry["spec"], loss=entry["loss"], optimizer="sgd",
                          lr=0.1, seed=0)
    engine.load_state_dict(state)
    return run.schema, entry, transform, target, engine


def predict(run_dir, data, *, model: str = "mlp", out="predictions.csv") -> Predictions:
    """Predict every row of ``data`` with ``model`` of the run and write ``out`` (CSV,
    atomically): the input's columns, ``predicted_<target>`` and, for classification,
    ``probability_<class>`` per class. Rows with a missing value get empty cells when the run
    dropped such rows (--missing drop)."""
    from mlplab.export.onnx import load_onnx_model  # an exported model: all in its graph

    schema, entry, transform, target, engine = (
        load_onnx_model(run_dir) if str(run_dir).endswith(".onnx") else load_model(run_dir, model))
    path = Path(data).expanduser()
    if not path.exists():
        raise DataError(f"{path}: no such file or folder; check the path")
    # never overwrite what predict reads: the input file, an image in its folder, the run
    check_output_file(out, inputs=[path],
                      folders=[Path(run_dir)] + ([path] if path.is_dir() else []))
    new = READERS[schema["format"]](path, schema)
    new.X = check_features(new.X, str(path))   # the rule of training: inf refused, NaN missing
    n = len(new.X)
    holes = np.isnan(new.X.reshape(n, -1)).any(axis=1)
    ok = ~holes if schema["missing"] == "drop" else np.ones(n, dtype=bool)
    notes = list(new.notes)
    if not ok.all():
        notes.append(f"{int((~ok).sum())} row(s) have a missing value and no prediction (the "
                     "model was trained with --missing drop; --missing mean fills them)")
    outputs = engine.predict(transform(new.X[ok])) if ok.any() else np.zeros((0, 1), np.float32)
    if not np.isfinite(outputs).all():   # finite weights and inputs that still overflow
        bad = int((~np.isfinite(outputs.reshape(len(outputs), -1))).any(axis=1).sum())
        raise DataError(f"{path}: the model's outputs are NaN or infinite for {bad} row(s); "
                        "check those rows for values far outside the training data's range")
    if target is not None:
        outputs = target.inverse(outputs)
    task, classes = schema["task"], schema.get("classes")
    name = schema["target"]
    header = list(new.columns) + [f"predicted_{name}"]
    if task == "classification":
        header += [f"probability_{c}" for c in classes]
        z = outputs - outputs.max(axis=1, keepdims=True)
        probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        labels = M.predicted_classes(outputs, engine.threshold)
        pred_cells = [[classes[k]] + [f"{p:.6g}" for p in row] for k, row in zip(labels, probs)]
    else:
        pred_cells = [[f"{v:.7g}"] for v in outputs[:, 0]]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    it = iter(pred_cells)
    blank = [""] * (len(header) - len(new.columns))
    for cells, has in zip(new.cells, ok):
        w.writerow(list(cells) + (next(it) if has else blank))
    out = Path(out)
    try:
        atomic_write_text(out, buf.getvalue())
    except OSError as e:   # a full disk, a folder made read-only meanwhile
        raise UsageError(f"--out {out}: cannot write the predictions ({os_error_text(e)}); "
                         "pass another file") from e
    result = Predictions(out, model, name, task, n, int(ok.sum()), notes=notes)
    from mlplab.byod.build import seen_rows_notes  # rows of the run's splits among these

    result.notes += seen_rows_notes(run_dir, new.X)
    if new.y is not None:
        known = np.isfinite(new.y[ok])
        if known.any():
            y = new.y[ok][known]
            yt = y.astype(np.int64) if task == "classification" else y
            result.metrics = M.compute(task, outputs[known], yt, engine.threshold)
            result.n_scored = int(known.sum())
    return result


def describe(p: Predictions) -> list[str]:
    """Lines for the terminal: what was written, the notes, the scores."""
    lines = [f"wrote {p.n_predicted} prediction(s) of {p.target!r} by {p.model} for "
             f"{p.n_rows} row(s) to {p.path}"]
    lines += [f"note: {n}" for n in p.notes]
    if p.metrics:
        scores = ", ".join(f"{k} {100 * v:.2f}%" if k == "accuracy" else f"{k} {v:.4g}"
                           for k, v in p.metrics.items())
        lines.append(f"on the {p.n_scored} row(s) with a known {p.target!r}: {scores}")
    return lines

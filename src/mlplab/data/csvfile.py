"""``csv``: a user's own table, numeric features and a target column."""

from __future__ import annotations

import os

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import split_indices
from mlplab.data.registry import register
from mlplab.data.tabular import MISSING, numeric_columns, read_csv
from mlplab.data.validate import check_classes, check_features


@register("csv", "your own CSV table: numeric feature columns and a target column")
def load_csv(
    path: str | os.PathLike | None = None,
    target: str | None = None,
    task: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """Load a CSV file with a header row.

    Parameters
    ----------
    path : the file (required; CLI ``--data-dir FILE``).
    target : target column name; default the last column.
    task : ``"regression"`` or ``"classification"``; default classification when the target
        holds text, regression otherwise.
    test_fraction, seed : a seeded (stratified for classification) train/test split.
    """
    if path is None:
        raise DataError("csv: no file given; pass path=FILE (CLI: --data-dir FILE)")
    header, rows = read_csv(path)
    if len(set(header)) != len(header):
        twice = sorted({h for h in header if header.count(h) > 1})
        raise DataError(f"{path}: column name(s) {', '.join(map(repr, twice))} appear more than "
                        "once; rename them")
    target = header[-1] if target is None else target
    if target not in header:
        raise DataError(
            f"{path}: no target column {target!r}; the file has {', '.join(map(repr, header))}"
        )
    features = [c for c in header if c != target]
    if not features:
        raise DataError(f"{path}: no feature columns besides the target {target!r}; the file "
                        "needs at least one column to learn from")
    # the rules of every entry point (mlplab.data.validate): finite float32 inputs
    X = check_features(numeric_columns(path, header, rows, features), str(path))
    raw_target = [r[header.index(target)].strip() for r in rows]
    try:
        values = np.array([float(v) for v in raw_target])
    except ValueError:
        values = None
    if values is not None and np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        raise DataError(f"{path}: line {i + 2}, column {target!r}: {raw_target[i]!r} is "
                        "infinite; fix or drop that row")
    numeric = values is not None and bool(np.all(np.isfinite(values)))
    if task is None:
        task = "regression" if numeric else "classification"
    if task == "regression":
        y = check_features(numeric_columns(path, header, rows, [target])[:, 0], str(path),
                           f"target {target!r}")
        class_names = None
    elif task == "classification":
        if any(v in MISSING for v in raw_target):
            raise DataError(f"{path}: column {target!r} has missing labels; drop those rows")
        if numeric and np.all(values == np.round(values)):
            keys = sorted(set(int(v) for v in values))
            labels = [int(v) for v in values]
        else:
            keys = sorted(set(raw_target))
            labels = raw_target
        check_classes(path, target, [str(k) for k in keys], "add rows of another class, or "
                      "pass another target=")
        index = {k: i for i, k in enumerate(keys)}
        y = np.array([index[v] for v in labels], dtype=np.int64)
        class_names = [str(k) for k in keys]
    else:
        raise DataError(f"csv: invalid task {task!r}; pass task='regression' or 'classification'")
    splits = split_indices(
        len(y), fractions={"train": 1 - test_fraction, "test": test_fraction}, seed=seed,
        stratify=y if task == "classification" else None,
    )
    return Dataset(
        name="csv", task=task, X=X, y=y, feature_names=features, class_names=class_names,
        source=str(path), splits=splits, target_name=target,
    )

"""``csv``: a user's own table, numeric features and a target column."""

from __future__ import annotations

import os

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import split_indices
from mlplab.data.registry import register
from mlplab.data.tabular import numeric_columns, read_csv


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
    target = header[-1] if target is None else target
    if target not in header:
        raise DataError(
            f"{path}: no target column {target!r}; the file has {', '.join(map(repr, header))}"
        )
    features = [c for c in header if c != target]
    X = numeric_columns(path, header, rows, features).astype(np.float32)
    raw_target = [r[header.index(target)].strip() for r in rows]
    numeric = True
    try:
        values = np.array([float(v) for v in raw_target])
        numeric = bool(np.all(np.isfinite(values)))
    except ValueError:
        numeric = False
    if task is None:
        task = "regression" if numeric else "classification"
    if task == "regression":
        y = numeric_columns(path, header, rows, [target])[:, 0].astype(np.float32)
        class_names = None
    elif task == "classification":
        if any(v in ("", "?") for v in raw_target):
            raise DataError(f"{path}: column {target!r} has missing labels; drop those rows")
        if numeric and np.all(values == np.round(values)):
            keys = sorted(set(int(v) for v in values))
            labels = [int(v) for v in values]
        else:
            keys = sorted(set(raw_target))
            labels = raw_target
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

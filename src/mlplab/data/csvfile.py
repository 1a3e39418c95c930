"""``csv``: a user's own table, numeric features and a target column.

The file is read by ``mlplab.data.table``, the reader of ``mlplab train`` and ``mlplab
predict``: the same delimiters, missing markers and task rule, so one file is the same problem
through every door."""

from __future__ import annotations

import os

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import split_indices
from mlplab.data.registry import register
from mlplab.data.table import (
    TASKS,
    Table,
    missing_rows,
    numeric_columns,
    read_table,
    read_target,
)
from mlplab.data.validate import check_features


@register("csv", "your own CSV table: numeric feature columns and a target column")
def load_csv(
    path: str | os.PathLike | None = None,
    target: str | None = None,
    task: str | None = None,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> Dataset:
    """Load a CSV file with a header row (any of the delimiters ``, ; TAB |``).

    Parameters
    ----------
    path : the file (required; CLI ``--data-dir FILE``).
    target : target column name; default the last column.
    task : ``"regression"`` or ``"classification"``; default as ``mlplab train`` decides:
        classification when the target holds text or at most ``MAX_INFERRED_CLASSES``
        distinct integers, regression otherwise. Rows without a target, or with a missing
        feature cell (``mlplab.data.table.MISSING_MARKERS``: empty, ``NA``, ``?``, ...), are
        dropped, as ``mlplab train`` does by default.
    test_fraction, seed : a seeded (stratified for classification) train/test split.
    """
    if path is None:
        raise DataError("csv: no file given; pass path=FILE (CLI: --data-dir FILE)")
    if task is not None and task not in TASKS:
        raise DataError(f"csv: invalid task {task!r}; pass task='regression' or 'classification'")
    table = read_table(path)
    header = _named_columns(table)
    target = header[-1] if target is None else target
    if target not in header:
        raise DataError(
            f"{path}: no target column {target!r}; the file has {', '.join(map(repr, header))}"
        )
    features = [c for c in header if c != target]
    if not features:
        raise DataError(f"{path}: no feature columns besides the target {target!r}; the file "
                        "needs at least one column to learn from")
    y = read_target(table, target, task)
    # as `mlplab train --missing drop` (its default): rows without a target or with a
    # missing feature cell are dropped
    holes = missing_rows(table, [{"name": c} for c in features], y.keep)
    rows = y.keep & ~holes
    if not rows.any():
        raise DataError(f"{path}: every row has a missing value; fill them in, or drop the "
                        "emptiest columns")
    kept = np.flatnonzero(rows)
    # the rules of every entry point (mlplab.data.validate): finite float32 inputs
    X = check_features(numeric_columns(
        path, table.header, [table.rows[i] for i in kept], features,
        lines=[table.lines[i] for i in kept], comma_decimal=table.comma_decimal), str(path))
    labels = y.y[rows[y.keep]]
    splits = split_indices(
        len(labels), fractions={"train": 1 - test_fraction, "test": test_fraction}, seed=seed,
        stratify=labels if y.task == "classification" else None,
    )
    return Dataset(
        name="csv", task=y.task, X=X, y=labels, feature_names=features, class_names=y.classes,
        source=str(path), splits=splits, target_name=target,
    )


def _named_columns(table: Table) -> list[str]:
    """The header without a leading unnamed index column (as pandas' ``to_csv`` writes)."""
    if table.header and (0 in table.unnamed or table.header[0] == "Unnamed: 0"):
        return table.header[1:]
    return table.header

"""The target column and the one rule for its task: text is classification; numbers are
classification when they are at most ``MAX_INFERRED_CLASSES`` distinct integers, regression
otherwise; an explicit task wins. Rows without a target are dropped."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.table.sniff import Table
from mlplab.data.table.types import (
    MOSTLY_NUMERIC,
    Cells,
    _examples,
    is_missing,
    number_name,
    to_number,
)
from mlplab.data.validate import check_classes as _check_classes

MAX_INFERRED_CLASSES = 20   # integer targets with at most this many values are class labels
TASKS = ("regression", "classification")


def infer_task(values: np.ndarray) -> tuple[str, str]:
    """Task of a numeric target (1-D, no NaN) and the reason, for the report."""
    distinct = np.unique(values)
    if not np.all(distinct == np.round(distinct)):
        return "regression", "numeric with non-integer values"
    if len(distinct) > MAX_INFERRED_CLASSES:
        return "regression", f"numeric with {len(distinct)} distinct values"
    return "classification", f"{len(distinct)} distinct integer values"


@dataclass
class Target:
    """The target column read for training: ``keep`` marks the rows that have one; ``y``
    holds their float32 values (regression) or int64 class indices (classification)."""

    name: str
    task: str
    kind: str                    # "numeric" or "text": how the file spells the labels
    keep: np.ndarray
    y: np.ndarray
    classes: list[str] | None
    note: str


def read_target(table: Table, target: str | None, task: str | None) -> Target:
    path = table.path
    cols = ", ".join(map(repr, table.header))
    if target is None:
        raise DataError(f"{path}: say which column to predict with --target; the columns are "
                        f"{cols}")
    if target not in table.header:
        raise DataError(f"{path}: no column {target!r} (--target); the columns are {cols}")
    if task is not None and task not in TASKS:
        raise DataError(f"--task {task!r}: choose regression or classification")
    j = table.header.index(target)
    cells = Cells.parse(table.column(target), table.comma_decimal)
    keep = ~cells.missing
    if not keep.any():
        raise DataError(f"{path}: the target column {target!r} has no values (all missing); "
                        "pick another --target")
    n_text, n_num = int(cells.text.sum()), int((keep & ~cells.text).sum())
    numeric = n_text == 0
    if task == "regression" and not numeric:
        raise DataError(f"{path}: --task regression needs a numeric target, but column "
                        f"{target!r} holds text ({_examples(table, j, cells.text)}); use "
                        "--task classification, or fix those cells")
    if task is None and not numeric and n_num >= MOSTLY_NUMERIC * (n_num + n_text):
        raise DataError(f"{path}: target {target!r} is numeric except {n_text} cell(s) "
                        f"({_examples(table, j, cells.text)}); fix them, empty them (rows "
                        "without a target are dropped), or pass --task classification")
    if numeric:
        values = cells.values[keep]
        inferred, why = infer_task(values)
    else:
        inferred, why = "classification", "holds text"
    chosen = task or inferred
    how = "given by --task" if task else f"inferred: {why}; --task overrides"
    if chosen == "regression":
        y = values.astype(np.float32)
        if np.ptp(values) == 0:
            raise DataError(f"{path}: target {target!r} is constant ({number_name(values[0])}); "
                            "there is nothing to learn; pick another --target")
        return Target(target, chosen, "numeric", keep, y, None,
                      f"task: regression on {target!r} ({how})")
    if numeric:
        keys = np.unique(values)
        classes = [number_name(v) for v in keys]
        y = np.searchsorted(keys, values).astype(np.int64)
    else:
        labels = [table.rows[i][j] for i in np.flatnonzero(keep)]
        classes = sorted(set(labels))
        index = {c: k for k, c in enumerate(classes)}
        y = np.array([index[c] for c in labels], dtype=np.int64)
    check_classes(path, target, classes)
    shown = ", ".join(classes[:10]) + (", ..." if len(classes) > 10 else "")
    return Target(target, chosen, "numeric" if numeric else "text", keep, y, classes,
                  f"task: classification of {target!r} into {len(classes)} classes ({shown}; "
                  f"{how})")


def check_classes(path, target: str, classes: list[str]) -> None:
    """At least two classes (mlplab.data.validate's rule for every kind of data)."""
    _check_classes(path, target, classes)


def class_key(cell: str, kind: str, comma_decimal: bool) -> str | None:
    """The class name a target cell spells (None if missing or not a number for a numeric
    target), so that ``1``, ``1.0`` and ``1,0`` are one class."""
    if is_missing(cell):
        return None
    if kind == "text":
        return cell
    v = to_number(cell, comma_decimal)
    return None if v is None else number_name(v)


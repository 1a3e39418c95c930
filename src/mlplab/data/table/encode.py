"""Encoding a typed table as float32 numbers, the same way at training and prediction time:
numbers as they are, categories one-hot (one 0/1 column per level), dates as their parts; a
missing cell is NaN, which the run's fitted preprocessing fills."""

from __future__ import annotations

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.table.dates import DATE_PARTS, date_parts, parse_date
from mlplab.data.table.sniff import Table
from mlplab.data.table.types import is_missing, to_number
from mlplab.limits import check_data_bytes


def fit_levels(table: Table, columns: list[dict], rows: np.ndarray) -> None:
    """Store each categorical column's sorted levels (over ``rows``) in its dict."""
    for c in columns:
        if c["kind"] == "categorical":
            j = table.header.index(c["name"])
            c["levels"] = sorted({table.rows[i][j] for i in np.flatnonzero(rows)
                                  if not is_missing(table.rows[i][j])})


def feature_names(columns: list[dict]) -> list[str]:
    """Names of the encoded columns: ``age``, ``origin=Europe``, ..."""
    out = []
    for c in columns:
        if c["kind"] == "date":
            out += [f"{c['name']}.{p}" for p in c["parts"]]
            continue
        out += [f"{c['name']}={lv}" for lv in c["levels"]] if c["kind"] == "categorical" \
            else [c["name"]]
    return out


def encode(table: Table, columns: list[dict], rows: np.ndarray | None = None
           ) -> tuple[np.ndarray, dict[str, int]]:
    """The feature matrix of ``rows`` (default all), float32 of shape
    (n_rows, len(feature_names(columns))): numbers as they are, categories one-hot; a missing
    cell is NaN (in every one-hot column of its category). Also returns, per categorical
    column, how many rows hold a level not seen in training (encoded as all zeros).

    Raises DataError for a cell of a numeric column that is not a number."""
    idx = np.arange(len(table.rows)) if rows is None else np.flatnonzero(rows)
    width = sum(len(c["levels"]) if c["kind"] == "categorical" else
                len(c["parts"]) if c["kind"] == "date" else 1 for c in columns)
    check_data_bytes(len(idx) * width * 4, str(table.path),
                     f"{len(idx):,} rows x {width:,} encoded columns as float32",
                     "drop wide text columns (--drop)")
    X = np.zeros((len(idx), width), dtype=np.float32)
    unseen: dict[str, int] = {}
    at = 0
    for c in columns:
        j = table.header.index(c["name"])
        if c["kind"] == "date":
            at = _encode_dates(table, c, j, idx, X, at)
            continue
        if c["kind"] == "numeric":
            for r, i in enumerate(idx):
                cell = table.rows[i][j]
                if is_missing(cell):
                    X[r, at] = np.nan
                    continue
                v = to_number(cell, table.comma_decimal)
                if v is None:
                    raise DataError(f"{table.path}: line {table.lines[i]}, column "
                                    f"{c['name']!r}: {cell!r} is not a number; fix or empty "
                                    "that cell")
                X[r, at] = v
            at += 1
        else:
            index = {lv: k for k, lv in enumerate(c["levels"])}
            for r, i in enumerate(idx):
                cell = table.rows[i][j]
                if is_missing(cell):
                    X[r, at:at + len(index)] = np.nan
                elif cell in index:
                    X[r, at + index[cell]] = 1.0
                else:
                    unseen[c["name"]] = unseen.get(c["name"], 0) + 1
            at += len(index)
    return X, unseen


def _encode_dates(table: Table, c: dict, j: int, idx: np.ndarray, X: np.ndarray,
                  at: int) -> int:
    """Write date column ``c`` (``header[j]``) of rows ``idx`` into X[:, at:...] as its parts;
    NaN where missing. Returns the next free column."""
    keep = [DATE_PARTS.index(p) for p in c["parts"]]
    for r, i in enumerate(idx):
        cell = table.rows[i][j]
        if is_missing(cell):
            X[r, at:at + len(keep)] = np.nan
            continue
        d = parse_date(cell, c["format"])
        if d is None:
            shown = "ISO 8601" if c["format"] == "iso" else c["format"]
            raise DataError(f"{table.path}: line {table.lines[i]}, column {c['name']!r}: "
                            f"{cell!r} is not a date like the training file's ({shown}); fix "
                            "or empty that cell")
        parts = date_parts(d)
        X[r, at:at + len(keep)] = [parts[k] for k in keep]
    return at + len(keep)


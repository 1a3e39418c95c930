"""CSV tables: a small, strict reader (no pandas)."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.table import is_missing
from mlplab.data.validate import regular_file


def read_csv(path: str | os.PathLike) -> tuple[list[str], list[list[str]]]:
    """Read a comma-separated file with a header row.

    Returns ``(header, rows)``; every row has ``len(header)`` cells (strings). A leading unnamed
    index column (as pandas' ``to_csv`` writes) is dropped.
    """
    path = Path(path)
    if path.exists():   # a missing file is reported by open() below, in its words
        regular_file(path, "a CSV file with a header row")   # not /dev/zero, not too big
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            table = [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError) as e:
        raise DataError(f"{path}: cannot read as a UTF-8 CSV file ({e}); check the path") from e
    except csv.Error as e:
        raise DataError(f"{path}: malformed CSV ({e}); fix the file") from e
    if not table:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows")
    header = [h.strip() for h in table[0]]
    rows = table[1:]
    if not rows:
        raise DataError(f"{path}: the file holds a header but no data rows")
    for i, row in enumerate(rows, start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}: line {i} has {len(row)} fields but the header has {len(header)}; "
                f"fix the file"
            )
    if header[0] in ("", "Unnamed: 0"):
        header = header[1:]
        rows = [r[1:] for r in rows]
    return header, rows


def numeric_columns(
    path: str | os.PathLike,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    columns: Sequence[str],
    lines: Sequence[int] | None = None,
    comma_decimal: bool = False,
) -> np.ndarray:
    """The named columns as a float64 array of shape ``(n_rows, len(columns))``.

    ``lines[i]`` is the file line of ``rows[i]`` (default: the rows follow a header line);
    with ``comma_decimal``, ``3,5`` reads as 3.5. Raises DataError for a missing column, a
    non-numeric cell, or a missing value (``mlplab.data.table``'s markers, or infinite).
    """
    missing = [c for c in columns if c not in header]
    if missing:
        raise DataError(
            f"{path}: missing column(s) {', '.join(map(repr, missing))}; the file has "
            f"{', '.join(map(repr, header))}"
        )
    pos = [header.index(c) for c in columns]
    out = np.empty((len(rows), len(columns)), dtype=np.float64)
    for i, row in enumerate(rows):
        for j, k in enumerate(pos):
            cell = row[k].strip()
            v = _number(cell, comma_decimal)
            if v is None or not math.isfinite(v):
                what = "a missing value" if is_missing(cell) else "not a number"
                line = i + 2 if lines is None else lines[i]
                raise DataError(
                    f"{path}: line {line}, column {columns[j]!r}: {cell!r} is {what}; "
                    f"drop or fix that row"
                )
            out[i, j] = v
    return out


def _number(cell: str, comma_decimal: bool) -> float | None:
    """The float a cell spells (``3,5`` too with ``comma_decimal``), or None."""
    for text in (cell, cell.replace(",", ".")) if comma_decimal else (cell,):
        try:
            return float(text)
        except ValueError:
            pass
    return None

"""Typing a table's cells and columns: missing markers, numbers (with a decimal comma where
the delimiter is not a comma), and which feature columns are numeric, categorical or dates, and
which are dropped (constant, ID-like, too many levels)."""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.table.dates import read_dates
from mlplab.data.table.sniff import Table
from mlplab.limits import MAX_ONEHOT_LEVELS, onehot_levels, round_up

if TYPE_CHECKING:   # target.py reads cells through this module
    from mlplab.data.table.target import Target

MISSING_MARKERS = frozenset({"", "?", "na", "n/a", "nan", "null", "none", "<na>", "#n/a",
                             "-nan"})
MOSTLY_NUMERIC = 0.9        # a column this numeric holds numbers with typos, not categories
MIN_ROWS_FOR_ID = 10        # below this, "every value distinct" says nothing
MAX_LEVELS = 50             # text with more levels than this, in over half the rows, is dropped
MAX_JUNK_SPELLINGS = 3      # numbers with this few distinct non-numbers: typos, not categories
# Cells that are never a category of a numeric column: infinities, punctuation placeholders
# ("-", "--", "."), spreadsheet errors ("#DIV/0!", "#VALUE!").
_JUNK = re.compile(r"^[+-]?(inf|infinity)$|^[^\w]+$|^#", re.IGNORECASE)
_ID_NAME = re.compile(r"^(id|idx|index|key|row|rowid|row_id|row_number|unnamed: ?\d+)$"
                      r"|[_ .-]id$|[a-z]Id$|ID$")


def is_missing(cell: str) -> bool:
    return cell.lower() in MISSING_MARKERS


FLOAT32_MAX = float(np.finfo(np.float32).max)


def to_number(cell: str, comma_decimal: bool) -> float | None:
    """The finite number a cell spells, or None; also None beyond float32's range (3.4e38),
    where the encoded float32 value would be infinite."""
    try:
        v = float(cell)
    except ValueError:
        if not comma_decimal or "," not in cell:
            return None
        try:
            v = float(cell.replace(",", "."))
        except ValueError:
            return None
    return v if math.isfinite(v) and abs(v) <= FLOAT32_MAX else None


def number_name(v: float) -> str:
    """How a numeric class label is written: ``3`` for 3.0, ``2.5`` for 2.5."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


@dataclass
class Cells:
    """One column parsed: ``values`` (NaN where missing or not a number), ``missing`` and
    ``text`` (present but not a number) masks, each of shape (n_rows,)."""

    values: np.ndarray
    missing: np.ndarray
    text: np.ndarray

    @classmethod
    def parse(cls, cells: list[str], comma_decimal: bool) -> Cells:
        n = len(cells)
        values = np.full(n, np.nan)
        missing = np.zeros(n, dtype=bool)
        text = np.zeros(n, dtype=bool)
        for i, c in enumerate(cells):
            if is_missing(c):
                missing[i] = True
                continue
            v = to_number(c, comma_decimal)
            if v is None:
                text[i] = True
            else:
                values[i] = v
        return cls(values, missing, text)

    @property
    def numeric(self) -> bool:
        return not self.text.any()


def _examples(table: Table, j: int, mask: np.ndarray, k: int = 2) -> str:
    idx = np.flatnonzero(mask)[:k]
    return ", ".join(f"{table.rows[i][j]!r} on line {table.lines[i]}" for i in idx)


def _junk_examples(table: Table, j: int, mask: np.ndarray, k: int = 3) -> str:
    """Up to ``k`` of the cells in ``mask``, each spelling's first before any repeat, in file
    order, and "..." when there are more."""
    idx = np.flatnonzero(mask)
    first: dict[str, int] = {}
    for i in idx:
        first.setdefault(table.rows[i][j], int(i))
    shown = sorted(first.values())[:k]
    shown = sorted(shown + [int(i) for i in idx if int(i) not in shown][:k - len(shown)])
    more = ", ..." if len(idx) > len(shown) else ""
    return ", ".join(f"{table.rows[i][j]!r} on line {table.lines[i]}" for i in shown) + more



def numeric_with_junk(cells: Cells, texts: set[str]) -> bool:
    """True for a column of numbers with cells that are not numbers (``texts``, their distinct
    spellings) but typos or placeholders, to be reported rather than one-hot encoded: over
    ``MOSTLY_NUMERIC`` of the present cells are numbers, or one of the others is an infinity,
    punctuation or a spreadsheet error (``_JUNK``), or numbers are the majority and the others
    take at most ``MAX_JUNK_SPELLINGS`` spellings."""
    n_text = int(cells.text.sum())
    n_num = int((~cells.missing & ~cells.text).sum())
    if n_text == 0 or n_num == 0:
        return False
    if n_num >= MOSTLY_NUMERIC * (n_num + n_text) or any(_JUNK.search(t) for t in texts):
        return True
    return n_num >= n_text and len(texts) <= MAX_JUNK_SPELLINGS


def _is_id(name: str, cells: Cells, n_present: int, n_distinct: int) -> bool:
    if n_present < MIN_ROWS_FOR_ID or n_distinct != n_present:
        return False
    if not cells.numeric:
        return True
    v = np.sort(cells.values[~cells.missing])
    if not np.all(v == np.round(v)):
        return False
    return bool(_ID_NAME.search(name)) or bool(np.all(np.diff(v) == 1))


def choose_columns(table: Table, target: Target, drop=(), categorical=()) -> tuple[list[dict],
                                                                                   list[str]]:
    """The feature columns, each ``{"name", "kind": "numeric" | "categorical" | "date"}``
    (a date's also has its ``format`` and ``parts``), and notes
    on every column left out. Raises DataError for empty or half-numeric columns."""
    path = table.path
    for opt, names in (("--drop", drop), ("--categorical", categorical)):
        unknown = [c for c in names if c not in table.header]
        if unknown:
            raise DataError(f"{opt}: no column {', '.join(map(repr, unknown))} in {path}; the "
                            f"columns are {', '.join(map(repr, table.header))}")
    rows = target.keep
    columns, notes, dropped = [], [], []
    for j, name in enumerate(table.header):
        if name == target.name:
            continue
        if name in drop:
            dropped.append(f"{name!r} (--drop)")
            continue
        col = [r[j] for r, k in zip(table.rows, rows) if k]   # the kept rows' cells
        cells = Cells.parse(col, table.comma_decimal)
        present = ~cells.missing
        n_present = int(present.sum())
        if n_present == 0:
            raise DataError(f"{path}: column {name!r} is empty (every value missing); pass "
                            f"--drop {name} or fill it in")
        forced = name in categorical
        dates = None if forced or cells.numeric else read_dates(
            name, [c for c in col if not is_missing(c)])
        if dates is not None:   # before the ID rule: distinct dates are not IDs
            columns.append(dates[0])
            notes.append(dates[1])
            continue
        n_text = int(cells.text.sum())
        if not forced and numeric_with_junk(cells, {c for c, t in zip(col, cells.text) if t}):
            mask = np.zeros(len(table.rows), dtype=bool)
            mask[np.flatnonzero(rows)[cells.text]] = True
            raise DataError(f"{path}: column {name!r} holds numbers except {n_text} cell(s) "
                            f"({_junk_examples(table, j, mask)}); fix or empty them (empty cells "
                            f"count as missing), or pass --categorical {name}")
        kind = "numeric" if cells.numeric and not forced else "categorical"
        if kind == "numeric":
            distinct = np.unique(cells.values[present])
            first = number_name(distinct[0])
        else:
            levels = {c for c, p in zip(col, present) if p}
            distinct, first = levels, next(iter(levels))
        cap = onehot_levels()
        if len(distinct) == 1:
            dropped.append(f"{name!r} (constant: {first!r})")
        elif not forced and _is_id(name, cells, n_present, len(distinct)):
            # before the one-hot limit: a free-text column of names or keys, every value
            # distinct, is an ID whatever its count (the limit's advice would mislead)
            dropped.append(f"{name!r} (ID-like: every value distinct)")
        elif kind == "categorical" and len(distinct) > cap:
            # one float32 column per level: 25,000 levels of 1M rows would be 100 GB
            if forced:
                raise DataError(f"--categorical {name}: {len(distinct):,} levels are more than "
                                f"the one-hot limit of {cap} columns; pass --drop {name}, or "
                                f"set {MAX_ONEHOT_LEVELS.env}={round_up(len(distinct))} to "
                                "allow it")
            dropped.append(f"{name!r} (text with {len(distinct):,} distinct values, above the "
                           f"one-hot limit of {cap}; {MAX_ONEHOT_LEVELS.env} raises it)")
        elif (not forced and kind == "categorical" and len(distinct) > MAX_LEVELS
              and len(distinct) > n_present / 2):
            dropped.append(f"{name!r} (text with {len(distinct)} distinct values in "
                           f"{n_present} rows, too many to one-hot; --categorical keeps it)")
        else:
            columns.append({"name": name, "kind": kind})
    if dropped:
        notes.append("dropped columns: " + ", ".join(dropped))
    if not columns:
        raise DataError(f"{path}: no feature columns left besides the target {target.name!r}"
                        + (f" (dropped {', '.join(dropped)})" if dropped else "")
                        + "; the file needs at least one column to learn from")
    return columns, notes


def missing_rows(table: Table, columns: list[dict], rows: np.ndarray) -> np.ndarray:
    """(n_rows,) bool: the rows among ``rows`` with a missing cell in one of ``columns``."""
    out = np.zeros(len(table.rows), dtype=bool)
    pos = [table.header.index(c["name"]) for c in columns]
    for i in np.flatnonzero(rows):
        r = table.rows[i]
        out[i] = any(is_missing(r[j]) for j in pos)
    return out


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
    non-numeric cell, or a missing value (a missing marker, or infinite).
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

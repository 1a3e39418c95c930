"""A user's CSV table: read it (any of the usual delimiters), decide what each column is, and
encode the rows as numbers the same way at training and at prediction time.

The rules, in one place:

- The delimiter is sniffed (``csv.Sniffer``) among ``, ; TAB |``; a header row is required.
  With a delimiter other than a comma, ``3,5`` also reads as the number 3.5.
- Missing cells: empty, ``?``, ``NA``, ``N/A``, ``nan``, ``null``, ``None`` (any case).
- The target: rows without a target are always dropped. A numeric target with more than
  ``MAX_INFERRED_CLASSES`` distinct values, or any non-integer value, is regression; any other
  target (text, or a few integer codes) is classification. ``--task`` overrides.
- Features: a column of numbers is numeric (standardised later); a column of text is
  categorical (one-hot, one 0/1 column per level, as the course does for Auto MPG's Origin);
  ``--categorical`` one-hots numeric codes too. A text column of dates (ISO 8601 or one of
  ``DATE_FORMATS``) becomes its year, month, day of the year and weekday (the parts that
  vary), with a note. Dropped with a note: constant columns,
  ID-like columns (text with every value distinct; integers with every value distinct that
  are named like an ID or count up by one) and text with too many levels to one-hot.
- Missing feature values: ``drop`` removes the row; ``mean`` keeps it with NaN in the
  encoded matrix, and the run's preprocessing fills NaN with the training-split mean (for a
  one-hot column that is the level's frequency).

This module speaks plain Python lists and NumPy; pandas is not needed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.validate import check_classes as _check_classes
from mlplab.data.validate import regular_file
from mlplab.limits import MAX_ONEHOT_LEVELS, check_data_bytes, onehot_levels, round_up

MISSING_MARKERS = frozenset({"", "?", "na", "n/a", "nan", "null", "none", "<na>", "#n/a",
                             "-nan"})
DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
MAX_INFERRED_CLASSES = 20   # integer targets with at most this many values are class labels
MOSTLY_NUMERIC = 0.9        # a column this numeric holds numbers with typos, not categories
MIN_ROWS_FOR_ID = 10        # below this, "every value distinct" says nothing
MAX_LEVELS = 50             # text with more levels than this, in over half the rows, is dropped
MAX_JUNK_SPELLINGS = 3      # numbers with this few distinct non-numbers: typos, not categories
# Cells that are never a category of a numeric column: infinities, punctuation placeholders
# ("-", "--", "."), spreadsheet errors ("#DIV/0!", "#VALUE!").
_JUNK = re.compile(r"^[+-]?(inf|infinity)$|^[^\w]+$|^#", re.IGNORECASE)
_ID_NAME = re.compile(r"^(id|idx|index|key|row|rowid|row_id|row_number|unnamed: ?\d+)$"
                      r"|[_ .-]id$|[a-z]Id$|ID$")


# --------------------------------------------------------------------------- reading
@dataclass
class Table:
    """A CSV file as strings: ``rows[i][j]`` is the stripped cell of column ``header[j]``
    on line ``lines[i]`` of the file."""

    path: Path
    delimiter: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]

    @property
    def comma_decimal(self) -> bool:
        """``3,5`` reads as 3.5 when the comma is not the delimiter."""
        return self.delimiter != ","

    def column(self, name: str) -> list[str]:
        j = self.header.index(name)
        return [r[j] for r in self.rows]

    def describe(self) -> str:
        return f"{DELIMITER_NAMES[self.delimiter]}-separated"


def read_table(path) -> Table:
    """Read a delimited text file with a header row; raise DataError (one line) if it is not
    one."""
    # a regular file within the input-file limit: /dev/zero or a FIFO is refused unread
    path = regular_file(path, "a CSV file with a header row")
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file; check the path") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read the file ({e.strerror or e}); check the path "
                        "and its permissions") from None
    if b"\x00" in raw[:65536]:
        raise DataError(f"{path}: not a text file (it holds binary data); export the table as "
                        "CSV with a header row")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")   # Excel's exports; every byte decodes
    if not text.strip():
        raise DataError(f"{path}: the file is empty; expected a header row and data rows")
    try:
        delimiter = sniff_delimiter("\n".join(text.splitlines()[:50]))
    except csv.Error as e:
        raise DataError(_csv_problem(path, "in the first 50 lines", e)) from None
    header, rows, lines = None, [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            if not any(c.strip() for c in row):
                continue
            if header is None:
                header = [c.strip() for c in row]
                continue
            if len(row) != len(header):
                raise DataError(f"{path}: line {reader.line_num} has {len(row)} fields but the "
                                f"header has {len(header)} ({DELIMITER_NAMES[delimiter]}-"
                                "separated); fix that line")
            rows.append([c.strip() for c in row])
            lines.append(reader.line_num)
    except csv.Error as e:
        raise DataError(_csv_problem(path, f"near line {reader.line_num}", e)) from None
    if not rows:
        raise DataError(f"{path}: the file holds a header but no data rows")
    header = [h or f"column{j + 1}" for j, h in enumerate(header)]
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in seen:
            raise DataError(f"{path}: column name {h!r} appears twice (columns {seen[h] + 1} "
                            f"and {j + 1}); rename one")
        seen[h] = j
    return Table(path, delimiter, header, rows, lines)


def _csv_problem(path: Path, where: str, e: csv.Error) -> str:
    """The one line for an error of Python's csv reader."""
    if "field limit" in str(e):   # a cell of over 131,072 characters
        return (f"{path}: a cell {where} is longer than {csv.field_size_limit():,} characters, "
                "the CSV reader's limit; an unclosed quote makes the rest of the file one "
                "cell: check the quotes there, or shorten the cell")
    return f"{path}: malformed CSV {where} ({e}); fix the file"


def sniff_delimiter(sample: str) -> str:
    """The delimiter of ``sample`` (the first lines of a file): the one candidate that splits
    every line into the same number (> 1) of fields, else ``csv.Sniffer``'s pick, else a
    comma (a file of one column)."""
    consistent = []
    for d in DELIMITERS:
        counts = {len(r) for r in csv.reader(io.StringIO(sample), delimiter=d)
                  if any(c.strip() for c in r)}
        if len(counts) == 1 and counts.pop() > 1:
            consistent.append(d)
    if len(consistent) == 1:
        return consistent[0]
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = None
    if sniffed and (sniffed in consistent or not consistent):
        return sniffed
    return consistent[0] if consistent else ","


# --------------------------------------------------------------------------- cells
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


# --------------------------------------------------------------------------- the target
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


# --------------------------------------------------------------------------- features
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
        elif kind == "categorical" and len(distinct) > cap:
            # one float32 column per level: 25,000 levels of 1M rows would be 100 GB
            if forced:
                raise DataError(f"--categorical {name}: {len(distinct):,} levels are more than "
                                f"the one-hot limit of {cap} columns; pass --drop {name}, or "
                                f"set {MAX_ONEHOT_LEVELS.env}={round_up(len(distinct))} to "
                                "allow it")
            dropped.append(f"{name!r} (text with {len(distinct):,} distinct values, above the "
                           f"one-hot limit of {cap}; {MAX_ONEHOT_LEVELS.env} raises it)")
        elif not forced and _is_id(name, cells, n_present, len(distinct)):
            dropped.append(f"{name!r} (ID-like: every value distinct)")
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


# --------------------------------------------------------------------------- dates
# Formats a text column may hold its dates in, tried in this order after ISO 8601
# (datetime.fromisoformat: 2021-03-04, 2021-03-04T12:30:00, 2021-03-04 12:30+01:00);
# the first that reads every present cell wins, so 03/04/2021 is read month first.
DATE_FORMATS = ("%Y/%m/%d", "%m/%d/%Y", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%m-%d-%Y",
                "%m/%d/%y", "%d/%m/%y", "%d.%m.%y", "%Y/%m/%d %H:%M", "%m/%d/%Y %H:%M",
                "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M", "%d %b %Y", "%d %B %Y", "%b %d, %Y",
                "%B %d, %Y", "%b %d %Y", "%B %d %Y")
# The features a date becomes: calendar year, month 1-12, day of the year 1-366, weekday
# 0 (Monday) to 6.
DATE_PARTS = ("year", "month", "day_of_year", "weekday")


def parse_date(cell: str, fmt: str):
    """The datetime a cell spells in ``fmt`` ("iso" for ISO 8601), or None."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(cell) if fmt == "iso" else datetime.strptime(cell, fmt)
    except ValueError:
        return None


def date_parts(d) -> tuple[int, int, int, int]:
    return d.year, d.month, d.timetuple().tm_yday, d.weekday()


def read_dates(name: str, cells: list[str]) -> tuple[dict, str] | None:
    """A text column whose every present cell (``cells``) is a date in one format: its column
    dict ``{"name", "kind": "date", "format", "parts"}`` and a note; None for other text.
    Parts that never change are left out (all on January 1st: the year alone; the weekday
    then only follows the year)."""
    if not cells:
        return None
    fmt = next((f for f in ("iso", *DATE_FORMATS)
                if all(parse_date(c, f) is not None for c in cells)), None)
    if fmt is None:
        return None
    values = np.array([date_parts(parse_date(c, fmt)) for c in cells])
    varies = [bool(np.ptp(values[:, k]) > 0) for k in range(len(DATE_PARTS))]
    if not varies[2]:   # one day of the year: the weekday is a function of the year
        varies[3] = False
    parts = [p for p, v in zip(DATE_PARTS, varies) if v]
    if not parts:
        return None     # one date throughout: a constant column
    shown = "ISO 8601" if fmt == "iso" else fmt
    ambiguous = ""
    if fmt in ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y %H:%M"):
        other = fmt.replace("%m", "%M_").replace("%d", "%m").replace("%M_", "%d")
        if all(parse_date(c, other) is not None for c in cells):
            ambiguous = f"; every day is 12 or less, so it could also be {other}"
    left = [p for p in DATE_PARTS if p not in parts]
    note = (f"dates: {name!r} read as {shown}{ambiguous}; it becomes "
            + ", ".join(f"{name}.{p}" for p in parts)
            + (f" ({', '.join(left)} never change{'s' * (len(left) == 1)})" if left else "")
            + f"; --categorical {name} one-hots its values instead")
    return {"name": name, "kind": "date", "format": fmt, "parts": parts}, note

"""Sniffing a table file: a regular file within the size limit, its encoding (UTF-8, else
Latin-1), its delimiter among ``, ; TAB |`` and its header row. The cells stay strings."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from mlplab.data.dataset import DataError
from mlplab.data.validate import regular_file

DELIMITERS = ",;\t|"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass
class Table:
    """A CSV file as strings: ``rows[i][j]`` is the stripped cell of column ``header[j]``
    on line ``lines[i]`` of the file."""

    path: Path
    delimiter: str
    header: list[str]
    rows: list[list[str]]
    lines: list[int]
    unnamed: tuple[int, ...] = ()   # columns whose header cell was empty (named columnN)

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
    unnamed = tuple(j for j, h in enumerate(header) if not h)
    header = [h or f"column{j + 1}" for j, h in enumerate(header)]
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        if h in seen:
            raise DataError(f"{path}: column name {h!r} appears twice (columns {seen[h] + 1} "
                            f"and {j + 1}); rename one")
        seen[h] = j
    return Table(path, delimiter, header, rows, lines, unnamed)


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


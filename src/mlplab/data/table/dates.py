"""Dates in a text column: the format every cell is written in and the parts (year, month,
day of the year, weekday) a date column becomes."""

from __future__ import annotations

import numpy as np

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

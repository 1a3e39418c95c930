"""Numbers and pieces in plain text: what the text and Markdown backends share."""

from __future__ import annotations

import math

import numpy as np

from mlplab.explain.blocks import Arr, Eqs, M, Num


def fmt(v, precision: int) -> str:
    """Round to ``precision`` decimals; a value that is exact at that precision is written
    short (0.1, 2.0), any other keeps every decimal (0.2480), as the slides write them."""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    r = round(v, precision)
    s = f"{v:.{precision}f}"
    if abs(v - r) <= 1e-9 * max(1.0, abs(v)) and "." in s:
        s = s.rstrip("0")
        s = s + "0" if s.endswith(".") else s
    if float(s) == 0:
        s = s.lstrip("-")
    return s


def arr_text(a: np.ndarray, p: int) -> str:
    """An array as nested brackets of ``fmt``'s numbers: [[1.0, 0.25], [0.5, 2.0]]."""
    if a.ndim == 0:
        return fmt(a.item(), p)
    if a.ndim == 1:
        return "[" + ", ".join(fmt(v, p) for v in a.tolist()) + "]"
    return "[" + ", ".join(arr_text(r, p) for r in a) + "]"


def plain_text(parts, p: int) -> str:
    """Pieces (prose, ``M``, ``Num``, ``Arr``) as one plain-text string."""
    out = []
    for x in parts:
        if isinstance(x, str):
            out.append(x)
        elif isinstance(x, M):
            out.append(x.text)
        elif isinstance(x, Num):
            s = fmt(x.value, p)
            out.append(f"({s})" if x.paren and s.startswith("-") else s)
        elif isinstance(x, Arr):
            out.append(arr_text(np.asarray(x.value), p))
        else:  # pragma: no cover - a builder bug
            raise TypeError(f"unknown piece {x!r}")
    return "".join(out)


def eq_lines(block: Eqs, p: int, indent: str = "  ") -> list[str]:
    """One line per equation, the ``=`` after the left-hand sides aligned."""
    lhs = [plain_text(l, p) for l, _ in block.rows]
    width = max(len(s) for s in lhs)
    lines = []
    for s, (_, rhs) in zip(lhs, block.rows, strict=True):
        lines.append(indent + s.ljust(width) + " = " + " = ".join(plain_text(r, p) for r in rhs))
    return lines

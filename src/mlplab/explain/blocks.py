"""The document model explain writes: format-neutral blocks and the pieces inside them.

A ``Doc`` is a list of blocks: ``Heading``, ``Para`` (prose), ``Eqs`` (aligned equations,
``lhs = rhs1 = rhs2 ...``) and ``Table``. Their pieces are prose strings, math ``M`` with a
text and a LaTeX spelling, numbers ``Num`` and arrays ``Arr``; numbers stay numbers until a
backend (``mlplab.explain.backends``) writes them at the chosen precision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class M:
    """Math: its spelling in text (and Markdown) and in LaTeX."""

    text: str
    latex: str


@dataclass(frozen=True)
class Num:
    value: float
    paren: bool = False  # parenthesise if negative (a factor after an operator)


@dataclass(frozen=True, eq=False)
class Arr:
    value: np.ndarray


@dataclass
class Heading:
    level: int
    text: str
    minor: bool = False  # a layer inside a pass: no blank line before it


@dataclass
class Para:
    parts: list


@dataclass
class Eqs:
    rows: list  # (lhs parts, [rhs parts, ...]) -> lhs = rhs1 = rhs2 ...


@dataclass
class Table:
    header: list  # cells: lists of parts
    rows: list
    align: str = ""  # one letter per column, "l" or "r"


@dataclass
class Doc:
    blocks: list = field(default_factory=list)

    def h(self, level, text, minor=False):
        self.blocks.append(Heading(level, text, minor))

    def p(self, *parts):
        self.blocks.append(Para(list(parts)))

    def eqs(self, rows):
        if rows:
            self.blocks.append(Eqs(rows))

    def table(self, header, rows, align=""):
        self.blocks.append(Table([_cell(c) for c in header],
                                 [[_cell(c) for c in r] for r in rows], align))


def _cell(c):
    return list(c) if isinstance(c, (list, tuple)) else [c]


# operators and symbols
EQ = M(" = ", " = ")
PLUS = M(" + ", " + ")
MINUS = M(" - ", " - ")
TIMES = M(" · ", r" \cdot ")
HAD = M(" ⊙ ", r" \odot ")
DIV = M(" / ", " / ")
SP = M(" ", r"\,")
LP, RP = M("(", r"\left("), M(")", r"\right)")
ASSIGN = M(" := ", " := ")


def tex(template: str, **values) -> str:
    """LaTeX from a template with <name> holes (its braces make f-strings unreadable)."""
    for k, v in values.items():
        template = template.replace(f"<{k}>", str(v))
    return template


def _sup(l=None, n=None) -> tuple[str, str]:
    if l is None and n is None:
        return "", ""
    t = (f"[{l}]" if l is not None else "") + (f"({n})" if n is not None else "")
    return "^" + t, "^{" + t + "}"


def _sub(idx) -> tuple[str, str]:
    if not idx:
        return "", ""
    sep = "" if all(len(str(i)) == 1 for i in idx) else ","
    t = sep.join(str(i) for i in idx)
    return "_" + t, "_{" + t + "}"


def sym(base, l=None, n=None, idx=(), latex_base=None) -> M:
    """``sym("W", 2, idx=(1, 1))`` -> W^[2]_11."""
    st, sl = _sup(l, n)
    bt, bl = _sub(idx)
    return M(base + st + bt, (latex_base or base) + sl + bl)


def delta(l, n=None, idx=()) -> M:
    return sym("δ", l, n, idx, latex_base=r"\delta")


def dL(s: M) -> M:
    return M("∂L/∂" + s.text, r"\frac{\partial L}{\partial " + s.latex + "}")


def d(top: M, bottom: M) -> M:
    return M(f"∂{top.text}/∂{bottom.text}", r"\frac{\partial " + top.latex + r"}{\partial "
             + bottom.latex + "}")


def fn(name_text, name_latex, *arg) -> list:
    return [M(name_text, name_latex), LP, *arg, RP]

"""The LaTeX backend: sections, prose with the course's notation as math, ``align*``
equations, ``tabular`` tables. Needs amsmath."""

from __future__ import annotations

import re

import numpy as np

from mlplab.explain.backends.plain import fmt, plain_text
from mlplab.explain.blocks import Arr, Doc, Eqs, Heading, M, Num, Para, Table


def _arr_latex(a: np.ndarray, p: int) -> str:
    if a.ndim == 0:
        return fmt(a.item(), p)
    rows = a[:, None] if a.ndim == 1 else a  # vectors are columns, as in z = W a + b
    body = r" \\ ".join(" & ".join(fmt(v, p) for v in r.tolist()) for r in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


_LATEX_ESC = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
              "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}",
              "^": r"\textasciicircum{}", "θ": r"$\theta$", "∂": r"$\partial$",
              "·": r"$\cdot$", "⊙": r"$\odot$", "Σ": r"$\Sigma$", "δ": r"$\delta$",
              "σ": r"$\sigma$", "²": r"$^2$", "→": r"$\to$"}


def _esc(s: str) -> str:
    return "".join(_LATEX_ESC.get(ch, ch) for ch in s)


def _latex_math(x, p: int) -> str:
    if isinstance(x, M):
        return x.latex
    if isinstance(x, Num):
        s = fmt(x.value, p)
        return f"({s})" if x.paren and s.startswith("-") else s
    if isinstance(x, Arr):
        return _arr_latex(np.asarray(x.value), p)
    return r"\text{" + _esc(x) + "}"


# The course's notation inside prose: W^[l], a^[0]_1, z^[2](3), delta^[l]_i ...
_NOTATION = re.compile(r"([A-Za-z]+)\^\[([^\]]+)\](\((\w+)\))?(_(\w+))?")


def _latex_prose(s: str) -> str:
    """Escape prose for LaTeX, writing the course's notation in it as math."""
    out, last = [], 0
    for m in _NOTATION.finditer(s):
        out.append(_esc(s[last:m.start()]))
        sup = f"[{m.group(2)}]" + (f"({m.group(4)})" if m.group(3) else "")
        sub = "_{" + m.group(6) + "}" if m.group(5) else ""
        out.append(f"${m.group(1)}^{{{sup}}}{sub}$")
        last = m.end()
    out.append(_esc(s[last:]))
    return "".join(out)


def _latex_inline(parts, p: int) -> str:
    """Prose with math runs in $...$."""
    out, run = [], []
    for x in parts:
        if isinstance(x, str):
            if run:
                out.append("$" + "".join(run) + "$")
                run = []
            out.append(_latex_prose(x))
        else:
            run.append(_latex_math(x, p))
    if run:
        out.append("$" + "".join(run) + "$")
    return "".join(out)


def to_latex(doc: Doc, p: int) -> str:
    out = ["% Written by mlplab explain. Needs \\usepackage{amsmath} (align*, bmatrix).", ""]
    heads = {1: "section*", 2: "subsection*", 3: "subsubsection*", 4: "paragraph*"}
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += [f"\\{heads.get(b.level, 'paragraph*')}{{{_latex_prose(b.text)}}}", ""]
        elif isinstance(b, Para):
            if plain_text(b.parts, p):
                out += [_latex_inline(b.parts, p), ""]
        elif isinstance(b, Eqs):
            out.append(r"\begin{align*}")
            lines = []
            for lhs, rhs in b.rows:
                left = "".join(_latex_math(x, p) for x in lhs)
                right = " = ".join("".join(_latex_math(x, p) for x in r) for r in rhs)
                lines.append(f"  {left} &= {right}")
            out.append(" \\\\\n".join(lines))
            out += [r"\end{align*}", ""]
        elif isinstance(b, Table):
            align = b.align or "l" * len(b.header)
            out += [r"\begin{tabular}{" + align + "}", r"\hline"]
            out.append(" & ".join(_latex_inline(c, p) for c in b.header) + r" \\ \hline")
            out += [" & ".join(_latex_inline(c, p) for c in r) + r" \\" for r in b.rows]
            out += [r"\hline", r"\end{tabular}", ""]
    return "\n".join(out).rstrip() + "\n"

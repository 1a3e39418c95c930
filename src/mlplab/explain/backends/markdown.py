"""The Markdown backend: headings, prose with math as code spans, equations in ``text``
fences, pipe tables."""

from __future__ import annotations

from mlplab.explain.backends.plain import eq_lines, plain_text
from mlplab.explain.blocks import Doc, Eqs, Heading, Num, Para, Table


def _md_inline(parts, p: int) -> str:
    """Prose with math runs as code spans (a lone number stays plain)."""
    out, run = [], []

    def flush():
        if run:
            t = plain_text(run, p)
            out.append(t if all(isinstance(x, Num) for x in run) else "`" + t + "`")
            run.clear()

    for x in parts:
        if isinstance(x, str):
            flush()
            out.append(x)
        else:
            run.append(x)
    flush()
    return "".join(out)


def to_markdown(doc: Doc, p: int) -> str:
    out = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + b.text, ""]
        elif isinstance(b, Para):
            if plain_text(b.parts, p):
                out += [_md_inline(b.parts, p), ""]
        elif isinstance(b, Eqs):
            out += ["```text", *eq_lines(b, p, indent=""), "```", ""]
        elif isinstance(b, Table):
            def cell(c):
                return _md_inline(c, p).replace("|", r"\|")
            out.append("| " + " | ".join(cell(c) for c in b.header) + " |")
            out.append("|" + "|".join("---:" if a == "r" else ":---" for a in
                                      (b.align or "l" * len(b.header))) + "|")
            out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in b.rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"

"""Write an ``Explanation`` out as text (rich), Markdown or LaTeX.

Two steps: ``mlplab.explain.document`` turns the trace into format-neutral blocks (headings,
paragraphs, aligned equations, tables; the model is ``mlplab.explain.blocks``), and one backend
per format in ``mlplab.explain.backends`` writes the blocks. The document writes the
chain-rule products out, but every result it prints (after the last ``=``) is the engine's
number from the trace.
"""

from __future__ import annotations

from mlplab.explain.backends.latex import to_latex
from mlplab.explain.backends.markdown import to_markdown
from mlplab.explain.backends.plain import fmt
from mlplab.explain.backends.text import print_text, text_renderables, to_text
from mlplab.explain.blocks import Doc
from mlplab.explain.core import Explanation
from mlplab.explain.document import document

# format -> backend(doc, precision) -> str
BACKENDS = {"text": to_text, "markdown": to_markdown, "latex": to_latex}
FORMATS = tuple(BACKENDS)

__all__ = ["BACKENDS", "FORMATS", "Doc", "document", "fmt", "print_text", "render",
           "text_renderables", "to_latex", "to_markdown", "to_text"]


def render(expl: Explanation, fmt_name: str = "text", precision: int = 4, *,
           width: int = 100) -> str:
    """The explanation as a string: ``"text"`` (plain, no colour, ``width`` columns),
    ``"markdown"`` or ``"latex"``."""
    if fmt_name not in FORMATS:
        raise ValueError(f"unknown format {fmt_name!r}; choose one of {', '.join(FORMATS)}")
    doc = document(expl)
    if fmt_name == "text":
        return to_text(doc, precision, width)
    return BACKENDS[fmt_name](doc, precision)

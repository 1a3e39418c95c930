"""explain's two steps apart: a hand-built document (mlplab.explain.blocks) written by each
backend, and render() as document() followed by the format's backend."""

import numpy as np
import pytest

from mlplab.explain import cli, get_preset
from mlplab.explain.backends.text import to_text
from mlplab.explain.blocks import PLUS, TIMES, Arr, Doc, M, Num, sym
from mlplab.explain.render import BACKENDS, FORMATS, document, render


def _doc() -> Doc:
    doc = Doc()
    doc.h(1, "Title")
    doc.p("W^[1] has ", M("2 · 2", r"2 \cdot 2"), " weights; lr ", Num(0.1), ".")
    doc.eqs([([sym("z", 1)], [[sym("W", 1), PLUS, sym("b", 1)], [Arr(np.array([0.25, -1.0]))]]),
             ([sym("a", 1, idx=(1,))], [[Num(-0.123456, paren=True), TIMES, Num(2)]])])
    doc.table(["parameter", "value"], [[[sym("b", 1)], Arr(np.array([[1.0, 0.5]]))]], "lr")
    return doc


def test_markdown_backend():
    assert BACKENDS["markdown"](_doc(), 3) == (
        "# Title\n\nW^[1] has `2 · 2` weights; lr 0.1.\n\n```text\n"
        "z^[1]   = W^[1] + b^[1] = [0.25, -1.0]\na^[1]_1 = (-0.123) · 2\n```\n\n"
        "| parameter | value |\n|:---|---:|\n| `b^[1]` | `[[1.0, 0.5]]` |\n")


def test_latex_backend():
    assert BACKENDS["latex"](_doc(), 3) == (
        "% Written by mlplab explain. Needs \\usepackage{amsmath} (align*, bmatrix).\n\n"
        "\\section*{Title}\n\n$W^{[1]}$ has $2 \\cdot 2$ weights; lr $0.1$.\n\n"
        "\\begin{align*}\n"
        "  z^{[1]} &= W^{[1]} + b^{[1]} = \\begin{bmatrix} 0.25 \\\\ -1.0 \\end{bmatrix} \\\\\n"
        "  a^{[1]}_{1} &= (-0.123) \\cdot 2\n\\end{align*}\n\n"
        "\\begin{tabular}{lr}\n\\hline\nparameter & value \\\\ \\hline\n"
        "$b^{[1]}$ & $\\begin{bmatrix} 1.0 & 0.5 \\end{bmatrix}$ \\\\\n\\hline\n\\end{tabular}\n")


def test_text_backend():
    assert to_text(_doc(), 3, width=60) == (
        "Title\n=====\nW^[1] has 2 · 2 weights; lr 0.1.\n"
        "  z^[1]   = W^[1] + b^[1] = [0.25, -1.0]\n  a^[1]_1 = (-0.123) · 2\n"
        "parameter          value\n────────────────────────\nb^[1]       [[1.0, 0.5]]\n")


@pytest.mark.parametrize("fmt_name", FORMATS)
def test_render_is_document_then_backend(fmt_name):
    expl = get_preset("bce-step").build(1)
    doc = document(expl)
    expected = to_text(doc, 4, 80) if fmt_name == "text" else BACKENDS[fmt_name](doc, 4)
    assert render(expl, fmt_name, 4, width=80) == expected


def test_the_command_offers_every_backend():
    assert cli.FORMATS == FORMATS == tuple(BACKENDS)
    with pytest.raises(ValueError, match="unknown format 'html'; choose one of text, markdown"):
        render(get_preset("bce-step").build(1), "html")

"""Write an ``Explanation`` out as text (rich), Markdown or LaTeX.

``document`` turns the trace into format-neutral blocks (headings, paragraphs, aligned
equations, tables) whose pieces are prose strings, math symbols ``M`` with a text and a LaTeX
spelling, numbers ``Num`` and arrays ``Arr``; one backend per format writes the blocks. The
renderers write the chain-rule products out, but every result they print (after the last
``=``) is the engine's number from the trace.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass, field

import numpy as np

from mlplab.explain.core import Comparison, Explanation, Part, StepTrace, Trace

FORMATS = ("text", "markdown", "latex")
MATRIX_FORM_MAX = 8  # write z = W a + b with the whole matrix only up to this many weights


# -- pieces ---------------------------------------------------------------------------------
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


_ACT = {  # text name, LaTeX name
    "relu": ("relu", r"\operatorname{ReLU}"), "sigmoid": ("sigmoid", r"\sigma"),
    "tanh": ("tanh", r"\tanh"), "identity": ("identity", r"\operatorname{id}"),
    "step": ("step", r"\operatorname{step}"), "leakyrelu": ("leakyrelu", r"\operatorname{LReLU}"),
    "softplus": ("softplus", r"\operatorname{softplus}"), "gelu": ("gelu", r"\operatorname{GELU}"),
    "silu": ("silu", r"\operatorname{SiLU}"),
}

_LOSS_NAMES = {"mse": "mean squared error (MSELoss)", "bce": "binary cross-entropy (BCELoss)",
               "bce_logits": "binary cross-entropy on logits (BCEWithLogitsLoss)",
               "cross_entropy": "softmax + cross-entropy (CrossEntropyLoss)"}


# -- numbers --------------------------------------------------------------------------------
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


def _arr_text(a: np.ndarray, p: int) -> str:
    if a.ndim == 0:
        return fmt(a.item(), p)
    if a.ndim == 1:
        return "[" + ", ".join(fmt(v, p) for v in a.tolist()) + "]"
    return "[" + ", ".join(_arr_text(r, p) for r in a) + "]"


def _arr_latex(a: np.ndarray, p: int) -> str:
    if a.ndim == 0:
        return fmt(a.item(), p)
    rows = a[:, None] if a.ndim == 1 else a  # vectors are columns, as in z = W a + b
    body = r" \\ ".join(" & ".join(fmt(v, p) for v in r.tolist()) for r in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def _value(v):
    """A Comparison's value as a piece."""
    a = np.asarray(v)
    return Num(a.item()) if a.ndim == 0 else Arr(a)


# -- the document ---------------------------------------------------------------------------
def document(expl: Explanation) -> Doc:
    doc = Doc()
    doc.h(1, expl.title)
    for line in expl.intro:
        doc.p(line)
    many = len(expl.parts) > 1
    for k, part in enumerate(expl.parts, 1):
        if part.title:
            doc.h(2, f"Part {k}: {part.title}" if many else part.title)
        for note in part.notes:
            doc.p(note)
        _part(doc, part, level=3 if many else 2)
    for tab in expl.tables:
        doc.h(2, tab.title)
        doc.table(tab.header, [[_value(c) if isinstance(c, (int, float, np.number)) and
                                not isinstance(c, bool) else c for c in r] for r in tab.rows],
                  "r" * len(tab.header))
    if expl.comparisons:
        _comparisons(doc, expl.comparisons)
    for line in expl.closing:
        doc.p(line)
    return doc


def _layer_eq(lay, n=None):
    l = lay.index
    z = [sym("z", l, n)]
    zr = [sym("W", l), SP, sym("a", l - 1, n), PLUS, sym("b", l)]
    rows = [(z, [zr])]
    if lay.activation != "identity":
        name = _ACT[lay.activation]
        rows.append(([sym("a", l, n)], [fn(*name, sym("z", l, n))]))
    return rows


def _part(doc: Doc, part: Part, level: int):
    tr = part.trace
    L = len(tr.layers)
    doc.h(level, "The network")
    rows = [([sym("a", 0)], [[sym("x")]])]
    for lay in tr.layers:
        rows += _layer_eq(lay)
    if tr.loss_name is not None:
        rows.append(([sym("L")], [[M(tr.loss_name, r"\text{" + tr.loss_name.replace("_", r"\_")
                                       + "}"), LP, sym("a", L), M(", ", ", "), sym("y"), RP]]))
    doc.eqs(rows)
    loss = (f"the loss is {_LOSS_NAMES[tr.loss_name]}" if tr.loss_name is not None else
            "the gradient arriving at the output comes from the network above (no loss here)")
    doc.p(f"{tr.num_parameters} parameters; W^[l] has one row per unit of layer l and one "
          f"column per input (out x in, as torch stores Linear.weight); {loss}; "
          f"update: SGD with lr {tr.lr:g}.")
    first = tr.steps[0]
    header = ["parameter", "shape", "engine key", "value"]
    prow = []
    for lay, ls in zip(tr.layers, first.layers, strict=True):
        prow.append([[sym("W", lay.index)], f"{lay.out_features}x{lay.in_features}",
                     f"{lay.key}.weight", Arr(ls.weight)])
        prow.append([[sym("b", lay.index)], f"{lay.out_features}", f"{lay.key}.bias",
                     Arr(ls.bias)])
    doc.table(header, prow, "llll")
    n = tr.n_samples
    if n == 1:
        data = [([sym("x")], [[Arr(tr.x[0])]])]
        if tr.y is not None:
            data.append(([sym("y")], [[_target(tr.y[0])]]))
    else:
        data = [([sym("X")], [[Arr(tr.x)]])]
        if tr.y is not None:
            data.append(([sym("y")], [[_target(tr.y if tr.y.ndim == 1 or tr.y.shape[1] > 1
                                               else tr.y[:, 0])]]))
    doc.eqs(data)
    if n > 1:
        doc.p(f"Row n of X is sample n, written a^[0](n); every quantity of sample n carries "
              f"(n). The loss is a mean over the batch, so each sample's gradient carries a "
              f"factor 1/{n if tr.loss_name == 'cross_entropy' else _count(tr)}, and a "
              f"parameter's gradient is the sum over the samples.")
    for st in tr.steps:
        doc.h(level, f"Step {st.number}")
        _forward(doc, tr, st, level + 1)
        if st.loss is not None:
            _loss(doc, tr, st, level + 1)
        _backward(doc, tr, st, level + 1, part)
        if st.refused is None:
            _update(doc, tr, st, level + 1)
    if tr.loss_name is not None and tr.trainable:
        doc.h(level, "Loss per step")
        rows = [[str(s.number), Num(s.loss.value)] for s in tr.steps]
        rows.append([f"after step {len(tr.steps)}", Num(tr.final_loss)])
        doc.table(["step", "loss before the update"], rows, "rr")
    elif not tr.trainable:
        doc.h(level, "Training")
        doc.p("No update is made: the engine cannot backpropagate through a step function.")


def _count(tr: Trace) -> int:
    return tr.steps[0].layers[-1].a.size


def _y(v):
    """A target value: integers (class indices, 0/1 labels) print without decimals."""
    v = float(v)
    return int(v) if v.is_integer() else v


def _target(v):
    a = np.asarray(v)
    if a.size == 1:
        return Num(_y(a.item()))
    return Arr(a.astype(np.int64) if np.all(np.mod(a, 1) == 0) else a)


def _n(tr, n):
    return n + 1 if tr.n_samples > 1 else None


def _forward(doc, tr: Trace, st: StepTrace, level):
    doc.h(level, "Forward pass")
    for lay, ls in zip(tr.layers, st.layers, strict=True):
        l = lay.index
        rows = []
        for n in range(tr.n_samples):
            s = _n(tr, n)
            W, b, ap, z, a = ls.weight, ls.bias, ls.a_prev[n], ls.z[n], ls.a[n]
            lhs = [sym("z", l, s)]
            if W.size <= MATRIX_FORM_MAX:
                rows.append((lhs, [[sym("W", l), SP, sym("a", l - 1, s), PLUS, sym("b", l)],
                                   [Arr(W), SP, Arr(ap), PLUS, Arr(b)], [Arr(z)]]))
            for i in range(lay.out_features):
                terms = []
                for j in range(lay.in_features):
                    if j:
                        terms.append(PLUS)
                    terms += [Num(W[i, j], paren=True), TIMES, Num(ap[j], paren=True)]
                terms += [PLUS, Num(b[i], paren=True)]
                rows.append(([sym("z", l, s, (i + 1,))], [terms, [Num(z[i])]]))
            name = _ACT[lay.activation]
            if lay.activation == "identity":
                rows.append(([sym("a", l, s)], [[sym("z", l, s)], [Arr(a)]]))
            else:
                rows.append(([sym("a", l, s)], [fn(*name, sym("z", l, s)),
                                                fn(*name, Arr(z)), [Arr(a)]]))
        what = lay.activation
        if l == len(tr.layers) and lay.activation == "identity" and tr.loss_name in (
                "cross_entropy", "bce_logits"):
            inside = "softmax" if tr.loss_name == "cross_entropy" else "sigmoid"
            what = f"no activation: logits, the {inside} is inside the loss"
        doc.h(level + 1, f"Layer {l} ({what})", minor=True)
        doc.eqs(rows)


def _loss(doc, tr: Trace, st: StepTrace, level):
    ls = st.loss
    L = len(tr.layers)
    doc.h(level, "Loss")
    N = tr.n_samples
    a = ls.prediction
    rows = []
    ln = M("ln ", r"\ln ")
    if ls.name == "cross_entropy":
        for n in range(N):
            s = _n(tr, n)
            sm = ("softmax", r"\operatorname{softmax}")
            rows.append(([sym("p", None, s)], [fn(*sm, sym("a", L, s)), fn(*sm, Arr(a[n])),
                                               [Arr(ls.probs[n])]]))
        terms = []
        for n in range(N):
            if n:
                terms.append(PLUS)
            terms += [ln, Num(ls.probs[n, int(ls.target[n])])]
        if N > 1:
            sym_rhs = [M("-(1/N) Σ_n ln p(n)_y(n)", r"-\frac{1}{N}\sum_n \ln p^{(n)}_{y^{(n)}}")]
            num_rhs = [M(f"-(1/{N})", tex(r"-\frac{1}{<N>}", N=N)), LP, *terms, RP]
        else:
            sym_rhs = [M("-ln p_y", r"-\ln p_{y}")]
            num_rhs = [M("-", "-"), *terms]
        rows.append(([sym("L")], [sym_rhs, num_rhs, [Num(ls.value)]]))
        doc.eqs(rows)
        return
    p = ls.probs if ls.name == "bce_logits" else a
    if ls.name == "bce_logits":
        for n in range(N):
            s = _n(tr, n)
            rows.append(([sym("p", None, s)], [fn("sigmoid", r"\sigma", sym("a", L, s)),
                                               [Arr(p[n])]]))
    y = ls.target
    count = a.size
    terms = []
    for n in range(N):
        for i in range(a.shape[1]):
            if terms:
                terms.append(PLUS)
            yv = _y(y[n, i])
            if ls.name == "mse":
                terms += [LP, Num(a[n, i]), MINUS, Num(yv, paren=True), RP, M("²", "^2")]
            else:
                terms += [LP, Num(yv), TIMES, ln, Num(p[n, i]), PLUS, Num(_y(1 - y[n, i])),
                          TIMES, ln, Num(1 - p[n, i]), RP]
    mean_t, mean_l = ("", "") if count == 1 else ("(1/n) ", r"\frac{1}{n}")
    if ls.name == "mse":
        sym_rhs = [M(f"{mean_t}Σ (a^[{L}] - y)²", mean_l + tex(r"\sum (a^{[<L>]} - y)^2", L=L))]
        num_rhs = [M(f"(1/{count})", tex(r"\frac{1}{<n>}", n=count)), LP, *terms, RP] if count > 1 \
            else terms
    else:
        pt = "p" if ls.name == "bce_logits" else f"a^[{L}]"
        pl = "p" if ls.name == "bce_logits" else tex("a^{[<L>]}", L=L)
        sym_rhs = [M(f"-{mean_t}Σ (y ln {pt} + (1 - y) ln(1 - {pt}))",
                     "-" + mean_l + tex(r"\sum \left(y \ln <p> + (1 - y) \ln(1 - <p>)\right)",
                                       p=pl))]
        num_rhs = ([M(f"-(1/{count})", tex(r"-\frac{1}{<n>}", n=count)), LP, *terms, RP]
                   if count > 1 else [M("-", "-"), *terms])
    rows.append(([sym("L")], [sym_rhs, num_rhs, [Num(ls.value)]]))
    doc.eqs(rows)
    if count > 1:
        doc.p(f"n = {count}: the mean runs over every output of every sample.")


def _loss_grad_rows(tr: Trace, st: StepTrace, upstream_from=None) -> list:
    """dL/da^[L], each element: the loss's derivative with its numbers, then the engine's."""
    ls = st.loss
    L = len(tr.layers)
    N = tr.n_samples
    g = st.layers[-1].dL_da
    rows = []
    if ls is None:
        for n in range(N):
            s = _n(tr, n)
            rhs = [[M(*upstream_from)]] if upstream_from else []
            rows.append(([dL(sym("a", L, s))], [*rhs, [Arr(g[n])]]))
        return rows
    a, y = ls.prediction, ls.target
    count = N if ls.name == "cross_entropy" else a.size
    by = [DIV, Num(count)] if count > 1 else []
    nl = "" if count == 1 else ("N" if ls.name == "cross_entropy" else "n")
    nt = f" / {nl}" if nl else ""
    frac = (lambda top: tex(r"\frac{<t>}{<n>}", t=top, n=nl)) if nl else (lambda top: top)
    t, lt = {
        "mse": (f"2 (a^[{L}] - y){nt}", frac(tex(r"2\,(a^{[<L>]} - y)", L=L))),
        "bce": (f"(a^[{L}] - y) / (a^[{L}] (1 - a^[{L}])){nt}",
                tex(r"\frac{a^{[<L>]} - y}{a^{[<L>]}\,(1 - a^{[<L>]})<n>}", L=L,
                    n=r"\, " + nl if nl else "")),
        "bce_logits": (f"(sigmoid(a^[{L}]) - y){nt}", frac(tex(r"\sigma(a^{[<L>]}) - y", L=L))),
        "cross_entropy": (f"(softmax(a^[{L}]) - onehot(y)){nt}",
                          frac(tex(r"\operatorname{softmax}(a^{[<L>]}) - "
                                   r"\operatorname{onehot}(y)", L=L))),
    }[ls.name]
    rows.append(([dL(sym("a", L))], [[M(t, lt)]]))
    for n in range(N):
        s = _n(tr, n)
        for i in range(a.shape[1]):
            lhs = [dL(sym("a", L, s, (i + 1,)))]
            if ls.name == "mse":
                num = [M("2 · (", r"2 \cdot \left("), Num(a[n, i]), MINUS,
                       Num(_y(y[n, i]), paren=True), RP, *by]
            elif ls.name == "bce":
                den = [Num(a[n, i]), TIMES, LP, M("1", "1"), MINUS, Num(a[n, i]), RP]
                if a[n, i] * (1 - a[n, i]) < 1e-12:  # the engine's guard against 0 / 0
                    den = [M("max(", r"\max\left("), *den, M(", 1e-12)", r", 10^{-12}\right)")]
                else:
                    den = [LP, *den, RP]
                num = [LP, Num(a[n, i]), MINUS, Num(_y(y[n, i]), paren=True), RP, DIV, *den,
                       *by]
            elif ls.name == "bce_logits":
                num = [LP, Num(ls.probs[n, i]), MINUS, Num(_y(y[n, i]), paren=True), RP, *by]
            else:
                onehot = 1 if int(y[n]) == i else 0
                num = [LP, Num(ls.probs[n, i]), MINUS, Num(onehot), RP, *by]
            rows.append((lhs, [num, [Num(g[n, i])]]))
    return rows


_DERIVATIVES = {  # f'(z) as the engine's backward computes it: text, LaTeX
    "sigmoid": ("sigmoid'(z) = a (1 - a)", r"\sigma'(z) = a\,(1 - a)"),
    "tanh": ("tanh'(z) = 1 - a²", r"\tanh'(z) = 1 - a^2"),
    "relu": ("relu'(z) = 1 if z > 0, else 0", r"\operatorname{ReLU}'(z) = 1 \text{ if } z > 0"
             r"\text{, else } 0"),
    "leakyrelu": ("leakyrelu'(z) = 1 if z > 0, else the slope",
                  r"\operatorname{LReLU}'(z) = 1 \text{ if } z > 0 \text{, else the slope}"),
    "identity": ("identity'(z) = 1", r"\operatorname{id}'(z) = 1"),
    "softplus": ("softplus'(z) = sigmoid(beta z)", r"\operatorname{softplus}'(z) = "
                 r"\sigma(\beta z)"),
    "gelu": ("gelu'(z) = Phi(z) + z phi(z)", r"\operatorname{GELU}'(z) = \Phi(z) + z\,\phi(z)"),
    "silu": ("silu'(z) = s (1 + z (1 - s)), s = sigmoid(z)",
             r"\operatorname{SiLU}'(z) = s\,(1 + z\,(1 - s)),\ s = \sigma(z)"),
}


def _deriv_rows(lay, ls, tr) -> list:
    """da^[l]/dz^[l]: the activation's derivative, from the engine (its backward of ones)."""
    l, name = lay.index, lay.activation
    act = _ACT[name]
    rows = []
    for n in range(tr.n_samples):
        s = _n(tr, n)
        a, z = ls.a[n], ls.z[n]
        rhs = [[M(act[0] + "'", act[1] + "'"), LP, sym("z", l, s), RP]]
        if name == "sigmoid":
            rhs.append([Arr(a), HAD, LP, M("1", "1"), MINUS, Arr(a), RP])
        elif name == "tanh":
            rhs.append([M("1", "1"), MINUS, Arr(a), HAD, Arr(a)])
        else:
            rhs.append([M(act[0] + "'", act[1] + "'"), LP, Arr(z), RP])
        rhs.append([Arr(ls.da_dz[n])])
        rows.append(([d(sym("a", l, s), sym("z", l, s))], rhs))
    return rows


def _chain_rule(doc, tr: Trace):
    N = tr.n_samples
    over = " (each a sum over the samples n)" if N > 1 else ""
    doc.p("The chain rule, from the loss back to the input, layer by layer" + over + ":")
    sig = r"\sum_n " if N > 1 else ""
    sgt = "Σ_n " if N > 1 else ""
    sn = "(n)" if N > 1 else ""
    rows = [
        ([dL(sym("W", "l", idx=("i", "j")))],
         [[M("∂L/∂a^[l]_i · ∂a^[l]_i/∂z^[l]_i · ∂z^[l]_i/∂W^[l]_ij",
             r"\frac{\partial L}{\partial a^{[l]}_i} \cdot \frac{\partial a^{[l]}_i}{\partial "
             r"z^{[l]}_i} \cdot \frac{\partial z^{[l]}_i}{\partial W^{[l]}_{ij}}")],
          [M(f"{sgt}δ^[l]{sn}_i · a^[l-1]{sn}_j",
             sig + tex(r"\delta^{[l]<n>}_i \cdot a^{[l-1]<n>}_j", n=sn))]]),
        ([dL(sym("b", "l", idx=("i",)))], [[M(f"{sgt}δ^[l]{sn}_i",
                                               sig + tex(r"\delta^{[l]<n>}_i", n=sn))]]),
        ([delta("l", idx=("i",))],
         [[dL(sym("z", "l", idx=("i",)))],
          [M("∂L/∂a^[l]_i · f'(z^[l]_i)", r"\frac{\partial L}{\partial a^{[l]}_i} \cdot "
             r"f'(z^{[l]}_i)")]]),
        ([dL(sym("a", "l-1", idx=("j",)))],
         [[M("Σ_i W^[l]_ij δ^[l]_i", r"\sum_i W^{[l]}_{ij} \delta^{[l]}_i")]]),
    ]
    seen = []
    for lay in tr.layers:
        if lay.activation not in seen and lay.activation in _DERIVATIVES:
            seen.append(lay.activation)
    for name in seen:
        t, lt = _DERIVATIVES[name]
        left, _, right = t.partition(" = ")
        lleft, _, lright = lt.partition(" = ")
        rows.append(([M(left, lleft)], [[M(right, lright)]]))
    doc.eqs(rows)


def _backward(doc, tr: Trace, st: StepTrace, level, part: Part):
    doc.h(level, "Backward pass")
    _chain_rule(doc, tr)
    N = tr.n_samples
    for lay, ls in reversed(list(zip(tr.layers, st.layers, strict=True))):
        l = lay.index
        doc.h(level + 1, f"Layer {l}", minor=True)
        rows = []
        if l == len(tr.layers):
            if st.loss is None:
                doc.p("The gradient arriving at the output, handed down from the network "
                      "above:")
            rows += _loss_grad_rows(tr, st, part.upstream_from)
        if st.refused is not None and st.refused_layer == l:
            doc.eqs(rows)
            doc.p(f"The backward pass stops here. The engine refuses: {st.refused}.")
            doc.p("The step function jumps from 0 to 1 at z = 0 and is flat everywhere else, "
                  "so its derivative is 0 wherever it exists: no gradient flows back through "
                  "it to the layers below, and gradient descent could not move their weights. "
                  "The engine refuses rather than pass zeros on silently, so no update is "
                  "made. Networks of step units (Rosenblatt's perceptron, the XOR network of "
                  "seed 004) get their weights by hand or by the perceptron rule; "
                  "backpropagation needs a smooth activation such as sigmoid or ReLU.")
            return
        if ls.dL_dz is None:  # pragma: no cover - only after a refusal, handled above
            return
        if lay.activation != "identity":
            rows += _deriv_rows(lay, ls, tr)
        for n in range(N):
            s = _n(tr, n)
            if lay.activation == "identity":
                rows.append(([delta(l, s)], [[dL(sym("z", l, s))], [dL(sym("a", l, s))],
                                             [Arr(ls.dL_dz[n])]]))
            else:
                rows.append(([delta(l, s)], [
                    [dL(sym("a", l, s)), HAD, d(sym("a", l, s), sym("z", l, s))],
                    [Arr(ls.dL_da[n]), HAD, Arr(ls.da_dz[n])], [Arr(ls.dL_dz[n])]]))
        for i in range(lay.out_features):
            for j in range(lay.in_features):
                rows.append(_grad_row(tr, lay, ls, i, j))
        for i in range(lay.out_features):
            rows.append(_grad_row(tr, lay, ls, i, None))
        if l > 1 or part.show_input_grad:
            for n in range(N):
                s = _n(tr, n)
                for j in range(lay.in_features):
                    terms, sym_terms = [], []
                    for i in range(lay.out_features):
                        if i:
                            terms.append(PLUS)
                            sym_terms.append(PLUS)
                        sym_terms += [sym("W", l, idx=(i + 1, j + 1)), SP,
                                      delta(l, s, (i + 1,))]
                        terms += [Num(ls.weight[i, j], paren=True), TIMES,
                                  Num(ls.dL_dz[n, i], paren=True)]
                    rows.append(([dL(sym("a", l - 1, s, (j + 1,)))],
                                 [sym_terms, terms, [Num(ls.dL_da_prev[n, j])]]))
        doc.eqs(rows)


def _grad_row(tr, lay, ls, i, j):
    """dL/dW^[l]_ij (or dL/db^[l]_i when j is None), summed over the batch."""
    l, N = lay.index, tr.n_samples
    terms, sym_terms = [], []
    for n in range(N):
        if n:
            terms.append(PLUS)
        if j is None:
            terms.append(Num(ls.dL_dz[n, i], paren=bool(n)))
        else:
            terms += [Num(ls.dL_dz[n, i], paren=bool(n)), TIMES, Num(ls.a_prev[n, j],
                                                                   paren=True)]
    d_sym = [delta(l, "n" if N > 1 else None, (i + 1,))]
    if j is not None:
        d_sym += [TIMES, sym("a", l - 1, "n" if N > 1 else None, (j + 1,))]
    if N > 1:
        sym_terms = [M("Σ_n ", r"\sum_n "), *d_sym]
    else:
        sym_terms = d_sym
    if j is None:
        lhs = [dL(sym("b", l, idx=(i + 1,)))]
        value = ls.db[i]
        rhs = [sym_terms, terms, [Num(value)]] if N > 1 else [sym_terms, [Num(value)]]
    else:
        lhs = [dL(sym("W", l, idx=(i + 1, j + 1)))]
        value = ls.dW[i, j]
        rhs = [sym_terms, terms, [Num(value)]]
    return lhs, rhs


def _update(doc, tr: Trace, st: StepTrace, level):
    doc.h(level, f"Update (SGD, lr {tr.lr:g})")
    doc.p("Each parameter moves against its gradient: ",
          M(f"θ := θ - {tr.lr:g} · ∂L/∂θ",
            tex(r"\theta := \theta - <lr> \cdot \partial L / \partial \theta", lr=f"{tr.lr:g}")),
          ".")
    rows = []
    for u in st.updates:
        base = "W" if u.kind == "weight" else "b"
        for idx in np.ndindex(u.old.shape):
            rows.append([[sym(base, u.layer, idx=tuple(k + 1 for k in idx))], Num(u.old[idx]),
                         Num(u.grad[idx]), Num(u.new[idx])])
    grad = M("∂L/∂θ", r"\partial L / \partial \theta")
    step = M(f"{tr.lr:g} · ", tex(r"<lr> \cdot ", lr=f"{tr.lr:g}"))
    doc.table(["parameter", "old", grad, ["new = old - ", step, grad]], rows, "lrrr")
    new = []
    for u in st.updates:
        base = "W" if u.kind == "weight" else "b"
        new.append(([sym(base, u.layer)], [[Arr(u.new)]]))
    doc.p("After the step:")
    doc.eqs(new)


def _comparisons(doc, comps: list[Comparison]):
    doc.h(2, "The slide and the engine")
    doc.p("Each number the slide prints, beside the engine's; where they differ, the "
          "mathematics wins.")
    agree = [c for c in comps if c.agrees and not c.also]
    if agree:
        doc.p("They agree (the engine's number, rounded as the slide rounds, is the slide's):")
        doc.table(["quantity", "slide", "engine"],
                  [[c.what + (f" ({c.note})" if c.note else ""), _value(c.slide),
                    _value(c.computed)] for c in agree], "lrr")
    for c in comps:
        if c in agree:
            continue
        verdict = "agrees" if c.agrees else "the slide slipped"
        doc.p(f"{c.what}: {verdict}" + (f" ({c.note})" if c.note else "") + ".")
        rows = [(["slide"], [[_value(c.slide)]]), (["engine"], [[_value(c.computed)]])]
        rows += [([label], [[_value(v)]]) for label, v in c.also]
        doc.eqs(rows)


# -- backends -------------------------------------------------------------------------------
def _text(parts, p: int) -> str:
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
            out.append(_arr_text(np.asarray(x.value), p))
        else:  # pragma: no cover - a builder bug
            raise TypeError(f"unknown piece {x!r}")
    return "".join(out)


def _eq_lines(block: Eqs, p: int, indent: str = "  ") -> list[str]:
    lhs = [_text(l, p) for l, _ in block.rows]
    width = max(len(s) for s in lhs)
    lines = []
    for s, (_, rhs) in zip(lhs, block.rows, strict=True):
        lines.append(indent + s.ljust(width) + " = " + " = ".join(_text(r, p) for r in rhs))
    return lines


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


def _md_inline(parts, p: int) -> str:
    """Prose with math runs as code spans (a lone number stays plain)."""
    out, run = [], []

    def flush():
        if run:
            t = _text(run, p)
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
            if _text(b.parts, p):
                out += [_md_inline(b.parts, p), ""]
        elif isinstance(b, Eqs):
            out += ["```text", *_eq_lines(b, p, indent=""), "```", ""]
        elif isinstance(b, Table):
            def cell(c):
                return _md_inline(c, p).replace("|", r"\|")
            out.append("| " + " | ".join(cell(c) for c in b.header) + " |")
            out.append("|" + "|".join("---:" if a == "r" else ":---" for a in
                                      (b.align or "l" * len(b.header))) + "|")
            out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in b.rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_latex(doc: Doc, p: int) -> str:
    out = ["% Written by mlplab explain. Needs \\usepackage{amsmath} (align*, bmatrix).", ""]
    heads = {1: "section*", 2: "subsection*", 3: "subsubsection*", 4: "paragraph*"}
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += [f"\\{heads.get(b.level, 'paragraph*')}{{{_latex_prose(b.text)}}}", ""]
        elif isinstance(b, Para):
            if _text(b.parts, p):
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


def text_renderables(doc: Doc, p: int) -> list:
    """rich renderables: bold headings, aligned equation blocks, tables."""
    from rich import box
    from rich.table import Table as RichTable
    from rich.text import Text

    items = []
    for b in doc.blocks:
        if isinstance(b, Heading):
            if items and not b.minor:
                items.append(Text(""))
            items.append(Text(b.text, style="bold"))
            if b.level <= 2:
                items.append(Text(("=" if b.level == 1 else "-") * len(b.text)))
        elif isinstance(b, Para):
            s = _text(b.parts, p)
            if s:
                items.append(Text(s))
        elif isinstance(b, Eqs):
            items.append(("eqs", Text("\n".join(_eq_lines(b, p)))))
        elif isinstance(b, Table):
            t = RichTable(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
            for k, c in enumerate(b.header):
                a = (b.align or "l" * len(b.header))[k]
                t.add_column(Text(_text(c, p)), justify="right" if a == "r" else "left",
                             overflow="fold")
            for r in b.rows:
                t.add_row(*[Text(_text(c, p)) for c in r])
            items.append(t)
    return items


def print_text(doc: Doc, p: int, console) -> None:
    """Print to a rich console. Equations and table rows are never wrapped (a line is one
    equation, a row one parameter); a wide line runs past the console's width instead."""
    from rich.measure import Measurement
    from rich.table import Table as RichTable

    for item in text_renderables(doc, p):
        if isinstance(item, tuple):
            console.print(item[1], soft_wrap=True)
        elif isinstance(item, RichTable):
            wide = Measurement.get(console, console.options.update_width(10_000), item).maximum
            width = console.width
            console.width = max(width, wide)
            try:
                console.print(item)
            finally:
                console.width = width
        else:
            console.print(item)


def render(expl: Explanation, fmt_name: str = "text", precision: int = 4, *,
           width: int = 100) -> str:
    """The explanation as a string: ``"text"`` (plain, no colour, ``width`` columns),
    ``"markdown"`` or ``"latex"``."""
    if fmt_name not in FORMATS:
        raise ValueError(f"unknown format {fmt_name!r}; choose one of {', '.join(FORMATS)}")
    doc = document(expl)
    if fmt_name == "markdown":
        return to_markdown(doc, precision)
    if fmt_name == "latex":
        return to_latex(doc, precision)
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=width, color_system=None, highlight=False,
                      force_terminal=False)
    print_text(doc, precision, console)
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines()) + "\n"

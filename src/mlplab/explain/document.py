"""The trace-to-document step: an ``Explanation`` as a ``Doc`` of headings, paragraphs,
equations and tables (``mlplab.explain.blocks``).

The document writes the chain-rule products out, but every result it holds (after the last
``=``) is the engine's number from the trace. Activation and loss names come from their
records in ``mlplab.registry``.
"""

from __future__ import annotations

import numpy as np

from mlplab.explain.blocks import (
    DIV,
    HAD,
    LP,
    MINUS,
    PLUS,
    RP,
    SP,
    TIMES,
    Arr,
    Doc,
    M,
    Num,
    d,
    delta,
    dL,
    fn,
    sym,
    tex,
)
from mlplab.explain.core import Comparison, Explanation, Part, StepTrace, Trace
from mlplab.registry import LAYERS, LOSSES

MATRIX_FORM_MAX = 8  # write z = W a + b with the whole matrix only up to this many weights


def _act(name: str) -> tuple[str, str]:
    """An elementwise activation's name in text and LaTeX."""
    form = LAYERS[name].explain
    return form.text, form.latex


def _derivative(name: str) -> tuple[str, str] | None:
    """f'(z) as the engine's backward computes it (text, LaTeX); None without a backward."""
    return LAYERS[name].explain.derivative


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
        name = _act(lay.activation)
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
    loss = (f"the loss is {LOSSES[tr.loss_name].explain}" if tr.loss_name is not None else
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
            name = _act(lay.activation)
            if lay.activation == "identity":
                rows.append(([sym("a", l, s)], [[sym("z", l, s)], [Arr(a)]]))
            else:
                rows.append(([sym("a", l, s)], [fn(*name, sym("z", l, s)),
                                                fn(*name, Arr(z)), [Arr(a)]]))
        what = lay.activation
        kind = LOSSES.get(tr.loss_name)
        if l == len(tr.layers) and lay.activation == "identity" and kind is not None \
                and kind.outputs == "logits":
            what = f"no activation: logits, the {kind.probabilities} is inside the loss"
        doc.h(level + 1, f"Layer {l} ({what})", minor=True)
        doc.eqs(rows)


# The losses whose value and gradient explain writes out number by number (course unit 004);
# any other registered loss is shown by its record's name and gradient form and the engine's
# numbers.
WORKED_LOSSES = ("mse", "bce", "bce_logits", "cross_entropy")


def _loss(doc, tr: Trace, st: StepTrace, level):
    ls = st.loss
    L = len(tr.layers)
    doc.h(level, "Loss")
    N = tr.n_samples
    a = ls.prediction
    rows = []
    ln = M("ln ", r"\ln ")
    if ls.name not in WORKED_LOSSES:   # no worked form: its name and the engine's value
        doc.p(f"The loss is {LOSSES[ls.name].explain}.")
        doc.eqs([([sym("L")], [[Num(ls.value)]])])
        return
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
    per_sample = LOSSES[ls.name].targets == "indices"   # the mean runs over samples
    count = N if per_sample else a.size
    by = [DIV, Num(count)] if count > 1 else []
    nl = "" if count == 1 else ("N" if per_sample else "n")
    nt = f" / {nl}" if nl else ""
    frac = (lambda top: tex(r"\frac{<t>}{<n>}", t=top, n=nl)) if nl else (lambda top: top)
    form = LOSSES[ls.name].gradient
    if form is None:   # a loss without a written form: the engine's numbers only
        form = (f"dL/da^[{L}]", tex(r"\partial L / \partial a^{[<L>]}", L=L))
    top_t, top_l = (f.replace("<L>", str(L)) for f in form)
    t, lt = f"{top_t}{nt}", frac(top_l)
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
            elif ls.name == "cross_entropy":
                onehot = 1 if int(y[n]) == i else 0
                num = [LP, Num(ls.probs[n, i]), MINUS, Num(onehot), RP, *by]
            else:   # no worked form for this loss: the engine's number alone
                rows.append((lhs, [[Num(g[n, i])]]))
                continue
            rows.append((lhs, [num, [Num(g[n, i])]]))
    return rows


def _deriv_rows(lay, ls, tr) -> list:
    """da^[l]/dz^[l]: the activation's derivative, from the engine (its backward of ones)."""
    l, name = lay.index, lay.activation
    act = _act(name)
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
        if lay.activation not in seen and _derivative(lay.activation) is not None:
            seen.append(lay.activation)
    for name in seen:
        t, lt = _derivative(name)
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
                  "course unit 004) get their weights by hand or by the perceptron rule; "
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
        verdict = "agrees" if c.agrees else c.differs
        doc.p(f"{c.what}: {verdict}" + (f" ({c.note})" if c.note else "") + ".")
        rows = [(["slide"], [[_value(c.slide)]]), (["engine"], [[_value(c.computed)]])]
        rows += [([label], [[_value(v)]]) for label, v in c.also]
        doc.eqs(rows)

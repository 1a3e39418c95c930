"""The figures of a run, drawn from the models while they are in memory: each data set's
curves, predictions, confusion matrices, decision regions and image grids, each with a caption
that says what to look for. What is written about them (metrics.json, the report) is
mlplab.report.build's; how each is drawn, mlplab.report.plots'.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from mlplab.report import plots
from mlplab.report.selection import SELECT_SPLITS, best_model
from mlplab.runresult import Figure
from mlplab.train.metrics import predicted_classes


def draw_figures(run_dir: Path, entries, runs, loaded) -> tuple[Figure, ...]:
    """Every figure of the run, drawn into ``run_dir/plots``. ``entries``: the experiment's
    model entries; ``runs``: the runner's ModelRuns; ``loaded``: (data entry, Dataset,
    splits) per data set."""
    images = _figures(run_dir, entries, runs, loaded)
    return tuple(Figure(p.relative_to(run_dir).as_posix(), c) for p, c in images)


def _name(r) -> str:
    return r.key.split("/")[-1]


def _figures(run_dir: Path, entries, results, loaded) -> list[tuple[Path, str]]:
    """Every figure of the run with its caption: per data set, then the ones that put several
    data sets side by side (the zoo's decision regions and their change over training)."""
    folder = run_dir / "plots"
    by_data: dict[str, list] = {}
    for r in results:
        by_data.setdefault(r.data_key, []).append(r)
    multi = len(by_data) > 1
    images: list[tuple[Path, str]] = []
    regions: list[list] = []     # one row of panels per 2-D data set
    evolution: list[list] = []   # one row per (data set, model): the boundary over epochs
    for d, ds, splits in loaded:
        data_key = d.key
        if data_key not in by_data:
            continue
        fig = _DataFigures(run_dir, folder, entries, data_key, d, ds, splits, by_data[data_key],
                           multi)
        images += fig.draw()
        regions += fig.regions
        evolution += fig.evolution
    if regions:
        images.append(_regions_figure(folder, regions, multi))
    if evolution:
        images.append(_evolution_figure(folder, evolution, multi))
    return images


class _DataFigures:
    """The figures of one data set's results; ``splits`` maps split names to the (X, y) the
    models were trained and evaluated on."""

    def __init__(self, run_dir, folder, entries, data_key, d, ds, splits, rs, multi):
        self.run_dir, self.folder, self.ds, self.splits = run_dir, folder, ds, splits
        self.data_key, self.d, self.rs, self.multi = data_key, d, rs, multi
        self.suffix = f"_{_file_part(data_key)}" if multi else ""
        self.prefix = f"{data_key}: " if multi else ""
        self.configs = {m.get("name"): m for m in entries}
        self.ok = [r for r in rs if r.predict is not None]
        self.split = next((s for s in SELECT_SPLITS if s in splits and
                           (s in d.eval or s == "train")), "train")
        self.regions: list[list] = []
        self.evolution: list[list] = []

    def path(self, stem: str) -> Path:
        return self.folder / f"{stem}{self.suffix}.png"

    def draw(self) -> list[tuple[Path, str]]:
        ds = self.ds
        out = self.curves()
        if ds.task == "regression":
            out += self.regression()
        if ds.task == "classification":
            if not ds.is_image and ds.n_features == 2:
                self.two_d()
                out += self.collapse()
            out += self.confusion()
        if ds.is_image:
            out += self.images()
        return out + self.dynamics()

    # training dynamics (models with record_dynamics)
    def dynamics(self):
        from mlplab.report import dynamics as D

        dyn = {_name(r): r.result.dynamics for r in self.rs if r.result.dynamics}
        if not dyn:
            return []
        first = self.path("gradient_norms")
        health = self.path("dead_and_saturated")
        hist = self.path("activation_histograms")
        D.gradient_norms(dyn, first)
        D.unit_health(dyn, health)
        D.activation_histograms(dyn, hist)
        return [
            (first, f"{self.prefix}Gradient norm of each layer's weights in the first epoch "
                    "(log scale, layer 1 next to the input). Look for: a line that falls "
                    "by orders of magnitude towards layer 1 (vanishing gradients: those "
                    "layers barely learn) and a line that drops to nothing (dead units pass "
                    "no gradient)."),
            (health, f"{self.prefix}Per epoch, averaged over the hidden layers: the share of "
                     "ReLU-like units never positive on the epoch's batches (for ReLU: dead, "
                     "their gradient is 0 for every input) and of sigmoid/tanh outputs within "
                     "0.02 of their bounds (saturated, derivative near 0)."),
            (hist, f"{self.prefix}Each hidden layer's activations on the last training batch: "
                   "a distribution piled at a bound or at 0 is a layer that has stopped "
                   "passing signal."),
        ]

    # curves
    def curves(self):
        rs = [r for r in self.rs if r.history.records]
        if not rs:
            return []
        hist = {_name(r): r.history for r in rs}
        metric = "accuracy" if self.ds.task == "classification" else "r2"
        losses = [self.configs.get(_name(r), {}).get("loss") for r in rs]
        label = plots.loss_label(losses)
        scaled = self.d.target_preprocess
        if scaled:
            label = label.replace(" (loss)", f" (loss, {scaled}d target)")
        best = {_name(r): r.result.best.epoch for r in rs if r.result.best}
        splits = plots.splits(hist)   # in the legend's order
        styles = ", ".join(f"{s} {_STYLE_WORDS.get(plots.SPLIT_STYLES.get(s), 'dash-dot')}"
                           for s in splits)
        many = len(hist) > plots.MANY_MODELS
        path = plots.curves(hist, self.path("curves"), metric=metric, loss=label, best=best)
        mname = plots.METRIC_NAMES[metric]
        caption = (f"{self.prefix}{label.split(' (')[0]} and {mname} per epoch"
                   f"{', one panel pair per model' if many else ', a colour per model'} "
                   f"({styles}); the loss axis is logarithmic when the loss spans more than "
                   "a factor of ten")
        monitored = sorted({r.result.best.split or "val" for r in rs if r.result.best})
        if best:
            caption += (f", a dot marks each model's epoch of lowest {'/'.join(monitored)} "
                        "loss")
        if splits != ["train"]:
            caption += (". Look for: a validation curve that turns up while training still "
                        "falls (overfitting), a gap between train and validation, a curve "
                        "that jumps or stalls (learning rate), and which model ends best.")
        else:
            caption += (". Look for: a loss that stalls or jumps (learning rate) and which "
                        "model ends lowest; with no held-out split these curves cannot show "
                        "overfitting.")
        if scaled:
            caption += (f" The loss is in units of the {scaled}d target; the tables and the "
                        "other figures use the target's own units.")
        out = [(path, caption)]
        if many:   # the panels cannot be compared by eye: every model on one axis too
            split = next((s for s in ("val", "test") if s in splits), "train")
            together = plots.overlay(hist, self.path("curves_together"), f"{split}_loss",
                                     label)
            out.append((together, f"{self.prefix}{split} {label.split(' (')[0]} of every "
                                  "model on one axis (log scale): which falls fastest, "
                                  "and which ends lowest, with the same budget."))
        return out

    # regression
    def regression(self):
        s = self.split
        preds = {_name(r): r.eval_outputs.get(s) for r in self.ok}
        preds = {n: p for n, p in preds.items() if p is not None}
        if not preds:
            return []
        _, y = self.splits[s]
        target = self.ds.target_name or "target"
        scores = {_name(r): dict(r.result.scores.get(s, {})) for r in self.ok}
        p1 = plots.predicted_vs_true(preds, y, self.path("predicted_vs_true"), target,
                                     scores=scores)
        p2 = plots.residuals(preds, y, self.path("residuals"), target, scores=scores)
        return [(p1, f"{self.prefix}predicted against true {target} on the {s} split, one "
                     "panel per model on the same axes (R² and MSE in each title); the dashed "
                     "line is a perfect prediction. Look for: points far from the line, and a "
                     "bend away from it (a model that under-predicts high values or "
                     "over-predicts low ones)."),
                (p2, f"{self.prefix}residual (true - predicted {target}) against the "
                     f"prediction on the {s} split, the same axes for every model. Look for: "
                     "a pattern (a curve, or a funnel that widens) means the model misses a "
                     "shape of the data; a good model's residuals scatter evenly around 0.")]

    # classification
    def confusion(self):
        s = self.split
        cms, acc = {}, {}
        for r in self.ok:
            out = r.eval_outputs.get(s)
            if out is None:
                continue
            cms[_name(r)] = r.confusion[s]   # the runner's, computed with per-class accuracy
            acc[_name(r)] = r.result.scores.get(s, {}).get("accuracy")
        if not cms:
            return []
        path = plots.confusion(cms, self.ds.class_names, self.path("confusion"), split=s,
                               accuracy=acc)
        return [(path, f"{self.prefix}confusion matrices on the {s} split, a row per model: "
                       "rows are the true class, columns the predicted one; left the counts, "
                       "right each true class's share (rows sum to 100). Look for: large "
                       "cells off the diagonal, the pairs of classes a model confuses, and "
                       "classes it never predicts (an empty column).")]

    def two_d(self):
        X, y = self.splits["train"]
        X = np.asarray(X, dtype=float)
        feats = self.ds.feature_names
        row = []
        for r in self.ok:
            name = _name(r)
            scores = r.result.scores
            accs = [f"{sp} acc {100 * scores[sp]['accuracy']:.1f}%" for sp in
                    ("train", "val", "test") if "accuracy" in scores.get(sp, {})]
            title = f"{self.prefix}{name}\n" + ", ".join(accs)
            row.append(plots.Regions(title, X, y, plots.region_classes(r.predict, X,
                                                                       r.threshold),
                                     self.ds.class_names, feats))
        if row:
            self.regions.append(row)
        snap = [r for r in self.rs if getattr(r, "snapshots", None)]
        if self.multi:   # the zoo: only the networks that can bend the boundary
            snap = [r for r in snap if _hidden(r.spec)] or snap
        for r in snap:
            self.evolution.append([
                plots.Regions(f"{self.prefix}{_name(r)}, epoch {e}" +
                              (" (start)" if e == 0 else ""), X, y, zz,
                              self.ds.class_names, feats)
                for e, zz in sorted(r.snapshots.items())])

    # deep linear networks: one affine map
    def collapse(self):
        """For every trained net of Linear layers only (no activation between them) whose
        inputs are not preprocessed: the single map W x + b it equals, drawn beside it."""
        rows, lines = [], []
        X, y = self.splits["train"]
        X = np.asarray(X, dtype=float)
        for r in self.ok:
            collapsed = collapse_linear(r.spec, r.state) \
                if (r.result.settings and r.result.settings.preprocess in (None, "none")) \
                else None
            if collapsed is None:
                continue
            W, b = collapsed

            def single(Z, W=W, b=b):
                return np.asarray(Z, dtype=np.float64) @ W.T + b

            gx, _, grid = plots.region_grid(X)
            gap = float(np.max(np.abs(single(grid) - r.predict(grid))))
            name = _name(r)
            n_linear = sum(layer.kind == "linear" for layer in r.spec.layers)
            rows.append([plots.Regions(f"{self.prefix}{name}: the network", X, y,
                                       plots.region_classes(r.predict, X, r.threshold),
                                       self.ds.class_names, self.ds.feature_names),
                         plots.Regions(f"{name}: its one map W x + b", X, y,
                                       plots.region_classes(single, X, r.threshold),
                                       self.ds.class_names, self.ds.feature_names)])
            lines.append(f"{name}'s {n_linear} Linear layers multiply into W = "
                         f"{_nested(W)} and b = {_nested(b)}; its outputs and the single "
                         f"map's differ by at most {gap:.1e} on the plotted grid")
        if not rows:
            return []
        path = plots.decision_regions(rows, self.path("linear_collapse"))
        return [(path, f"{self.prefix}Without activations a deep network is one linear map: "
                       + "; ".join(lines) + ". Its boundaries are straight lines, as softmax "
                       "regression's are.")]

    # images
    def images(self):
        out = []
        ds, s = self.ds, self.split
        X, y = self.splits[s]
        best = _best_result(self.ok, s, "classification")
        if best is not None and best.eval_outputs.get(s) is not None:
            o = np.asarray(best.eval_outputs[s], dtype=float)
            pred = predicted_classes(o, best.threshold)
            n_wrong = int(np.sum(pred != np.asarray(y).reshape(-1)))
            if n_wrong:
                path = plots.misclassified(X, y, pred, ds.class_names, self.path("mistakes"),
                                           confidence=_confidence(o, best.threshold))
                out.append((path, f"{self.prefix}the {min(n_wrong, 24)} {s} images the best "
                                  f"model ({_name(best)}) gets wrong with the highest "
                                  f"confidence, of {n_wrong} it gets wrong, with true and "
                                  "predicted class. Look for: mistakes a person could make "
                                  "too (ambiguous images) against plain errors, and which "
                                  "classes keep coming back."))
        shape = tuple(ds.X.shape[1:])
        n_pix = int(np.prod(shape))
        templates, units = [], []
        for r in self.ok:
            ws = linear_weights(r.state)
            if not ws or ws[0].shape[1] != n_pix or not np.isfinite(ws[0]).all():
                continue
            names = ds.class_names or [str(i) for i in range(ws[0].shape[0])]
            if len(ws) == 1:
                templates.append((_name(r), [w.reshape(shape) for w in ws[0]],
                                  [names[i] if i < len(names) else str(i)
                                   for i in range(len(ws[0]))]))
            else:
                strength = np.linalg.norm(ws[1], axis=0)        # (hidden,)
                top = np.argsort(-strength, kind="stable")[:16]
                imgs = [ws[0][u].reshape(shape) for u in top]
                titles = [f"unit {u}" for u in top]
                units.append((_name(r), imgs[:8], titles[:8]))
                if len(top) > 8:
                    units.append(("", imgs[8:], titles[8:]))
        grids = [
            (templates, "templates",
             "the weights of each softmax model (no hidden layer) as one image per class: red "
             "pixels raise the class's score, blue ones lower it, each image scaled to its own "
             "largest weight. Look for: the class's silhouette (a 'template' the model matches "
             "the input against), and noise where preprocessing left the inputs badly scaled."),
            (units, "hidden_units",
             "the input weights of the 16 first-hidden-layer units with the largest outgoing "
             "weights (the units the next layer listens to most), per MLP; red positive, blue "
             "negative. Look for: strokes, edges and blobs (parts of shapes) rather than whole "
             "templates, and units that still look like noise."),
        ]
        for rows, name, caption in grids:
            if rows:
                path = plots.image_grid(rows, self.path(name), signed=True)
                out.append((path, self.prefix + caption))
        Xt, yt = self.splits["train"]
        out.append((plots.sample_grid(Xt, yt, ds.class_names, self.path("samples")),
                    f"{self.prefix}a few training images of each class, as the models get "
                    "them before preprocessing."))
        return out


_STYLE_WORDS = {"-": "solid", "--": "dashed", ":": "dotted"}


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _nested(a) -> str:
    """An array as nested lists with 3 decimals: [[1.260, -2.915], [1.151, 3.518]]."""
    if np.ndim(a):
        return "[" + ", ".join(_nested(v) for v in a) + "]"
    return f"{float(a):.3f}"


def collapse_linear(spec, state) -> tuple[np.ndarray, np.ndarray] | None:
    """(W (out, in), b (out,)) of the one affine map a spec of two or more Linear layers and
    nothing else that changes values (dropout is the identity at inference) computes, from
    its weights ``state``: W = W_L ... W_1, b = W_L (... (W_2 b_1 + b_2) ...) + b_L. None for
    any other spec."""
    if spec is None or state is None:
        return None
    layers = list(spec.layers)
    if sum(lay.kind == "linear" for lay in layers) < 2 or any(
            lay.kind not in ("linear", "identity", "dropout") for lay in layers):
        return None
    W, b = None, None
    for i, lay in enumerate(layers):
        if lay.kind != "linear":
            continue
        Wi = np.asarray(state[f"{i}.weight"], dtype=np.float64)
        bi = np.asarray(state[f"{i}.bias"], dtype=np.float64)
        W, b = (Wi, bi) if W is None else (Wi @ W, Wi @ b + bi)
    return W, b


def _hidden(spec) -> bool:
    """Whether a ModelSpec (None: the model kind builds none) has more than one linear layer
    (a hidden layer)."""
    return spec is not None and len(spec.linear_layers) > 1


def _confidence(outputs: np.ndarray, threshold: float) -> np.ndarray:
    """How sure each prediction is: the top softmax probability, or for one output column
    the distance from the threshold. outputs : (n, k) -> (n,)."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        z = outputs - outputs.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).max(axis=1)
    return np.abs(outputs.reshape(-1) - threshold)


def linear_weights(state: dict | None) -> list[np.ndarray]:
    """The 2-D weight matrices (out, in) of a model's state dict, first layer first; [] when
    the model saved none (diverged, scikit-learn)."""
    if not state:
        return []

    def index(k: str):
        head = k.split(".")[0]
        return int(head) if head.isdigit() else math.inf

    keys = sorted((k for k, v in state.items() if k.endswith(".weight") and v.ndim == 2),
                  key=index)
    return [np.asarray(state[k], dtype=float) for k in keys]


def _best_result(rs, split: str, task: str):
    infos = {r.key: r.result.to_dict() for r in rs}
    key = best_model(infos, split, task)
    return next((r for r in rs if r.key == key), None)


def _regions_figure(folder: Path, rows: list[list], multi: bool):
    path = plots.decision_regions(rows, folder / "decision_regions.png")
    return (path, ("decision regions, a row per data set named in each title: " if multi else
                   "decision regions, a panel per model: ") +
            "the shade is the class each model predicts at each point of the plane, the dots "
            "are the training examples in their true class's colour (accuracy in the title). "
            "Look for: a straight boundary (a model without a hidden layer can draw no other) "
            "against a bent one, and dots on a shade of another colour (mistakes).")


def _evolution_figure(folder: Path, rows: list[list], multi: bool):
    path = plots.decision_regions(rows, folder / "boundary_over_training.png", panel=2.4,
                                  ticks=False)
    return (path, ("the MLPs' decision regions " if multi else "the decision regions ") +
            "during training, a row per model: epoch 0 (the random start), epoch 1, two "
            "epochs between and the last (each title names its epoch). Look for: how the "
            "hidden layer bends the boundary step by step, and when it stops changing; a "
            "model without a hidden layer can only turn and shift its straight line.")



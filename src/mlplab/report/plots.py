"""Figures of a run, drawn with matplotlib (imported lazily, Agg backend, no screen needed).

Each figure function writes one PNG and returns its path. The figures share one style: a
colour per model (C0, C1, ... in the order given), a line style per split (train solid, val
dashed, test dotted), legends outside the data, integer epoch ticks, axis labels that name
the quantity (MSE, cross-entropy, R²) and panel titles that carry the number the panel is
about (accuracy, R², MSE).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.report.mpl import plt_module as _plt
from mlplab.report.mpl import save as _save

SPLIT_STYLES = {"train": "-", "val": "--", "test": ":"}
METRIC_NAMES = {"accuracy": "accuracy", "r2": "R²", "mse": "MSE", "mae": "MAE"}
MANY_MODELS = 4          # more models than this: one small panel per model
GRID_STEPS = 200         # decision-region grid: GRID_STEPS x GRID_STEPS points


def loss_label(losses) -> str:
    """The loss axis label for the loss keys of the models drawn: "MSE", "cross-entropy"."""
    from mlplab.registry import LOSSES

    names = sorted({LOSSES[k].display if k in LOSSES else k for k in losses if k})
    return " / ".join(names) + " (loss)" if names else "loss"


def _integer_epochs(ax, n_epochs: int) -> None:
    from matplotlib.ticker import MaxNLocator

    if n_epochs <= 10:   # every epoch a tick; the locator alone would add 0.96, 1.04
        ax.set_xticks(range(1, max(n_epochs, 1) + 1))
        ax.set_xlim(0.5, max(n_epochs, 1) + 0.5)
    else:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def _log_axis(ax) -> None:
    """A logarithmic y axis labelled at 1, 2 and 5 times each power of ten, as plain
    numbers (5, 10, 20 rather than 10^1 alone)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())


def _finite(values) -> np.ndarray:
    a = np.asarray(values, dtype=float)
    return np.where(np.isfinite(a), a, np.nan)


# -- training curves ------------------------------------------------------------------------

def overlay(histories: dict, path, column: str, label: str) -> Path:
    """One ``column`` ("train_loss", "val_loss") of every model on one log axis."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, h in histories.items():
        if column in h.columns:
            ax.plot(range(1, h.epochs + 1), h.column(column), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{column.split('_')[0]} {label}")
    _integer_epochs(ax, max((h.epochs for h in histories.values()), default=1))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, ncol=2)
    return _save(fig, path)


def curves(histories: dict, path, *, metric: str | None = None, loss: str = "loss",
           best: dict | None = None) -> Path:
    """Loss and ``metric`` ("accuracy", "r2") per epoch of every model.

    histories : model name -> History with columns "<split>_loss", "<split>_<metric>".
    loss : the loss axis label (:func:`loss_label`). best : model name -> the epoch of its
    lowest loss on the evaluation split the runner monitors, marked with a dot.

    Up to MANY_MODELS models share two panels (loss, metric), a colour per model; with more,
    each model gets its own small pair of panels (loss above, metric below), four to a row.
    The loss axis is logarithmic when the losses span more than a factor of ten, so a swing
    late in training is not flattened by a large first epoch.
    """
    plt = _plt()
    names = list(histories)
    panels = ["loss"] + ([metric] if metric and _has(histories, metric) else [])
    best = best or {}
    if len(names) <= MANY_MODELS:
        fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8),
                                 squeeze=False)
        for ax, quantity in zip(axes[0], panels):
            for i, name in enumerate(names):
                _draw_curves(ax, histories[name], quantity, f"C{i % 10}",
                             best.get(name) if quantity == "loss" else None)
            _style_curve_axis(ax, histories.values(), quantity, loss)
        _curve_legend(fig, axes[0][-1], names, splits(histories))
        return _save(fig, path)
    ncols = MANY_MODELS
    blocks = math.ceil(len(names) / ncols)
    fig, axes = plt.subplots(blocks * len(panels), ncols,
                             figsize=(3.3 * ncols, 2.3 * blocks * len(panels)), squeeze=False)
    for i, name in enumerate(names):
        block, col = divmod(i, ncols)
        for j, quantity in enumerate(panels):
            ax = axes[block * len(panels) + j][col]
            _draw_curves(ax, histories[name], quantity, f"C{i % 10}",
                         best.get(name) if quantity == "loss" else None)
            _style_curve_axis(ax, [histories[name]], quantity, loss, small=True)
            if j == 0:
                ax.set_title(name, fontsize=9)
    for i in range(len(names), blocks * ncols):   # the empty cells of the last row
        block, col = divmod(i, ncols)
        for j in range(len(panels)):
            axes[block * len(panels) + j][col].axis("off")
    _curve_legend(fig, axes[0][-1], [], splits(histories))
    fig.tight_layout()
    return _save(fig, path)


def _has(histories, quantity) -> bool:
    return any(c.endswith(f"_{quantity}") for h in histories.values() for c in h.columns)


def splits(histories) -> list[str]:
    """The splits with a loss curve in ``histories`` (name -> History), in legend order."""
    found = {c[: -len("_loss")] for h in histories.values() for c in h.columns
             if c.endswith("_loss")}
    return [s for s in SPLIT_STYLES if s in found] + sorted(found - set(SPLIT_STYLES))


def _draw_curves(ax, history, quantity, color, best_epoch=None) -> None:
    for col in history.columns:
        if not col.endswith(f"_{quantity}"):
            continue
        split = col[: -len(quantity) - 1]
        ys = _finite(history.column(col))
        epochs = np.arange(1, len(ys) + 1)
        # a marker on each point of a short curve: one epoch is a point, not a line
        ax.plot(epochs, ys, color=color, linestyle=SPLIT_STYLES.get(split, "-."), lw=1.4,
                marker="." if len(ys) <= 10 else None)
        if best_epoch and split != "train" and 1 <= best_epoch <= len(ys):
            ax.plot([best_epoch], [ys[best_epoch - 1]], "o", color=color, ms=5)


def _style_curve_axis(ax, histories, quantity, loss, small=False) -> None:
    values = np.concatenate([_finite(h.column(c)) for h in histories for c in h.columns
                             if c.endswith(f"_{quantity}")] or [np.array([np.nan])])
    values = values[np.isfinite(values)]
    fs = 8 if small else 10
    ax.set_xlabel("epoch", fontsize=fs)
    _integer_epochs(ax, max((len(h.records) for h in histories), default=1))
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=fs - 1)
    if quantity == "loss":
        ax.set_ylabel(loss, fontsize=fs)
        positive = values[values > 0]
        if len(positive) and positive.max() / positive.min() > 10:
            _log_axis(ax)
        return
    ax.set_ylabel(METRIC_NAMES.get(quantity, quantity), fontsize=fs)
    if quantity == "accuracy":
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif quantity == "r2" and len(values):
        # R² of the first epochs can be far below 0 (-6 on auto-mpg): a scale set by them
        # would flatten everything after; the axis starts at the lowest value after them
        later = np.concatenate([_finite(h.column(c))[max(1, len(h.column(c)) // 10):]
                                for h in histories for c in h.columns
                                if c.endswith("_r2")])
        later = later[np.isfinite(later)]
        if len(later) and values.min() < later.min() - 0.5:
            lo = later.min() - 0.05 * (1 - later.min())
            ax.set_ylim(lo, 1.0 + 0.02 * (1 - lo))
            ax.text(0.98, 0.03, "first epochs below the axis", transform=ax.transAxes,
                    ha="right", va="bottom", fontsize=fs - 2, color="0.4")


def _curve_legend(fig, ax, names, splits) -> None:
    """Models by colour, splits by line style, outside the data on the right."""
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=f"C{i % 10}", lw=2, label=n) for i, n in enumerate(names)]
    handles += [Line2D([], [], color="0.3", linestyle=SPLIT_STYLES.get(s, "-."), label=s)
                for s in splits]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
              frameon=False, title="model / split" if names else "split", title_fontsize=8)


# -- 2-D data: decision regions ---------------------------------------------------------------

def region_grid(X: np.ndarray, steps: int = GRID_STEPS):
    """The grid of a decision-region panel around the points X (n, 2): (gx, gy), each
    (steps, steps), and the points (steps * steps, 2) float32 to classify."""
    X = np.asarray(X, dtype=float)
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * np.where(hi > lo, hi - lo, 1.0)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], steps),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], steps))
    return gx, gy, np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)


def region_classes(predict, X: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """The class ``predict`` gives every point of ``region_grid(X)``: (steps, steps) int."""
    from mlplab.train.metrics import predicted_classes

    gx, _, grid = region_grid(X)
    return predicted_classes(predict(grid), threshold).reshape(gx.shape)


@dataclass
class Regions:
    """One decision-region panel: ``zz`` (steps, steps) the predicted class on
    ``region_grid(X)``; X (n, 2) and y (n,) the points drawn on top, in their true class."""

    title: str
    X: np.ndarray
    y: np.ndarray
    zz: np.ndarray
    class_names: list | None = None
    feature_names: list | None = None


def decision_regions(rows: list[list[Regions | None]], path, *, panel=3.4,
                     ticks: bool = True) -> Path:
    """A grid of decision-region panels (``rows`` of panels; None leaves a cell empty).

    Each panel shades the predicted class over the plane and draws the points in their true
    class colour (a point on another colour is a mistake); every row gets a class legend on
    its right, every panel its axis names. ``ticks=False`` (small multiples) leaves out the
    tick labels.
    """
    from matplotlib.patches import Patch

    plt = _plt()
    ncols = max(len(r) for r in rows)
    fig, axes = plt.subplots(len(rows), ncols, figsize=(panel * ncols + 1.2, panel * len(rows)),
                             squeeze=False)
    for r, row in enumerate(rows):
        legend_panel = None
        for c in range(ncols):
            ax = axes[r][c]
            p = row[c] if c < len(row) else None
            if p is None:
                ax.axis("off")
                continue
            gx, gy, _ = region_grid(p.X, p.zz.shape[0])
            k = max(int(np.max(p.y)) + 1, int(np.max(p.zz)) + 1, 2)
            # an image of the grid's classes: as exact as contourf at the grid's resolution,
            # and many times faster to draw
            ax.imshow(p.zz, origin="lower", extent=(gx[0, 0], gx[0, -1], gy[0, 0], gy[-1, 0]),
                      cmap="tab10", vmin=0, vmax=9, alpha=0.3, aspect="auto",
                      interpolation="nearest")
            # few points (XOR's four) are drawn large, so each is seen
            size = float(np.clip(3000 / max(len(p.X), 1), 8, 160))
            ax.scatter(p.X[:, 0], p.X[:, 1], c=p.y.reshape(-1), cmap="tab10", vmin=0, vmax=9,
                       s=size, edgecolors="k", linewidths=0.4 if size < 40 else 1.0,
                       clip_on=False, zorder=3)
            names = p.feature_names or ["x1", "x2"]
            ax.set_xlabel(names[0], fontsize=8)
            ax.set_ylabel(names[1], fontsize=8)
            ax.tick_params(labelsize=7)
            if not ticks:
                ax.set_xticks([])
                ax.set_yticks([])
            ax.set_title(p.title, fontsize=9)
            legend_panel = (ax, p, k)
        if legend_panel:
            ax, p, k = legend_panel
            cls = p.class_names or [str(i) for i in range(k)]
            ax.legend(handles=[Patch(facecolor=f"C{i}", edgecolor="k", alpha=0.6, label=cls[i])
                               for i in range(min(k, len(cls)))],
                      loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, frameon=False,
                      title="class", title_fontsize=8)
    fig.tight_layout()
    return _save(fig, path)


# -- regression -------------------------------------------------------------------------------

def _shared_limits(*arrays) -> tuple[float, float]:
    a = np.concatenate([np.asarray(x, dtype=float).reshape(-1) for x in arrays])
    a = a[np.isfinite(a)]
    lo, hi = (float(a.min()), float(a.max())) if len(a) else (0.0, 1.0)
    pad = 0.05 * (hi - lo or 1.0)
    return lo - pad, hi + pad


def _compact_ticks(ax, *limits, x: bool = True, y: bool = True) -> None:
    """Short tick labels (200k, 1.5M) on an axis whose values reach 10,000 or more, so that
    large targets (house prices) do not run into each other or the next panel."""
    from matplotlib.ticker import EngFormatter

    top = max((abs(float(v)) for lim in limits for v in lim if np.isfinite(v)), default=0.0)
    if top < 1e4:
        return
    for on, axis in ((x, ax.xaxis), (y, ax.yaxis)):
        if on:
            axis.set_major_formatter(EngFormatter(sep=""))


def predicted_vs_true(preds: dict, y_true: np.ndarray, path, target="target", *,
                      scores: dict | None = None) -> Path:
    """One panel per model: prediction against truth with the y = x line, the same axes in
    every panel. preds : name -> (n,) or (n, 1); scores : name -> {"r2": .., "mse": ..}."""
    plt = _plt()
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    lim = _shared_limits(y_true, *preds.values())
    fig, axes = plt.subplots(1, len(preds), figsize=(3.9 * len(preds), 3.9), squeeze=False,
                             sharex=True, sharey=True)
    for ax, (name, p) in zip(axes[0], preds.items()):
        ax.scatter(y_true, np.asarray(p, dtype=float).reshape(-1), s=12, alpha=0.6,
                   edgecolors="none")
        ax.plot(lim, lim, "k--", lw=1)
        ax.set_xlim(lim)
        ax.set_ylim(lim)
        _compact_ticks(ax, lim)
        ax.set_aspect("equal")
        ax.set_xlabel(f"true {target}")
        ax.set_ylabel(f"predicted {target}")
        ax.set_title(_score_title(name, (scores or {}).get(name)), fontsize=10)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def residuals(preds: dict, y_true: np.ndarray, path, target="target", *,
              scores: dict | None = None) -> Path:
    """One panel per model: residual (true - predicted) against the prediction, the same
    axes in every panel; a model that fits the data's shape scatters evenly around 0."""
    plt = _plt()
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    flat = {n: np.asarray(p, dtype=float).reshape(-1) for n, p in preds.items()}
    res = {n: y_true - p for n, p in flat.items()}
    xlim = _shared_limits(*flat.values())
    r = max((float(np.nanmax(np.abs(v))) for v in res.values() if np.isfinite(v).any()),
            default=1.0)
    fig, axes = plt.subplots(1, len(preds), figsize=(3.9 * len(preds), 3.4), squeeze=False,
                             sharex=True, sharey=True)
    for ax, name in zip(axes[0], flat):
        ax.scatter(flat[name], res[name], s=12, alpha=0.6, edgecolors="none")
        ax.axhline(0, color="k", lw=1, ls="--")
        ax.set_xlim(xlim)
        ax.set_ylim(-1.05 * r, 1.05 * r)
        _compact_ticks(ax, xlim, (r,))
        ax.set_xlabel(f"predicted {target}")
        ax.set_ylabel("residual (true - predicted)")
        ax.set_title(_score_title(name, (scores or {}).get(name)), fontsize=10)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def _score_title(name: str, s: dict | None) -> str:
    if not s:
        return name
    parts = [f"R² {s['r2']:.3f}" if s.get("r2") is not None else "",
             f"MSE {s['mse']:.3g}" if s.get("mse") is not None else ""]
    return f"{name}\n" + ", ".join(p for p in parts if p)


# -- classification ---------------------------------------------------------------------------

def confusion(cms: dict, class_names, path, *, split: str = "test",
              accuracy: dict | None = None) -> Path:
    """A row per model: its confusion matrix as counts (left) and as the share of each true
    class (right, rows sum to 100%). cms : name -> (k, k) counts, rows true, columns
    predicted; accuracy : name -> accuracy on ``split`` for the title."""
    plt = _plt()
    k = next(iter(cms.values())).shape[0]
    names = list(class_names or [str(i) for i in range(k)])
    side = max(3.0, 0.42 * k + 1.6)
    fig, axes = plt.subplots(len(cms), 2, figsize=(2 * side + 0.6, side * len(cms)),
                             squeeze=False)
    fs = 8 if k <= 10 else 6
    for row, (model, cm) in zip(axes, cms.items()):
        cm = np.asarray(cm)
        totals = cm.sum(axis=1, keepdims=True)
        share = np.divide(cm, totals, out=np.zeros(cm.shape), where=totals > 0)
        acc = (accuracy or {}).get(model)
        head = f"{model} on {split}" + (f" (accuracy {100 * acc:.1f}%)" if acc is not None
                                        else "")
        for ax, values, what in ((row[0], cm, "counts"), (row[1], share, "share of true class")):
            ax.imshow(values, cmap="Blues", vmin=0, vmax=values.max() or 1)
            ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=fs)
            ax.set_yticks(range(k), names, fontsize=fs)
            top = values.max() or 1
            for i in range(k):
                for j in range(k):
                    text = str(int(values[i, j])) if what == "counts" else \
                        f"{100 * values[i, j]:.0f}"
                    ax.text(j, i, text, ha="center", va="center", fontsize=fs,
                            color="white" if values[i, j] > top / 2 else "black")
            ax.set_xlabel("predicted class", fontsize=9)
            ax.set_ylabel("true class", fontsize=9)
            ax.set_title(f"{head}\n{what}" + (" (%)" if what != "counts" else ""),
                         fontsize=9)
    fig.tight_layout()
    return _save(fig, path)


# -- images -----------------------------------------------------------------------------------

def _as_picture(img: np.ndarray, signed: bool = False):
    """An image (H, W) or (C, H, W) as imshow's (array, colormap, limits). Weights are
    ``signed``: grey images get a diverging map centred on 0, colour ones are scaled to
    [0, 1] with 0 at mid-grey."""
    img = np.asarray(img, dtype=float)
    if img.ndim == 3 and img.shape[0] == 1:
        img = img[0]
    if img.ndim == 3:   # (C, H, W) colour
        img = np.transpose(img, (1, 2, 0))
        if signed:
            m = float(np.nanmax(np.abs(img))) or 1.0
            return 0.5 + 0.5 * img / m, None, (None, None)
        return np.clip(img / (255.0 if img.max() > 1 else 1.0), 0, 1), None, (None, None)
    if signed:
        m = float(np.nanmax(np.abs(img))) or 1.0
        return img, "RdBu_r", (-m, m)
    return img, "gray", (0, 255 if img.max() > 1 else 1)


def image_grid(rows: list[tuple[str, list, list]], path, *, signed: bool = False,
               cell: float = 1.15, title: str = "") -> Path:
    """Rows of small images. rows : (row label, images (H, W) or (C, H, W), their titles).
    ``signed``: the images are weights, drawn red positive and blue negative around 0."""
    plt = _plt()
    ncols = max(len(r[1]) for r in rows)
    titled = any(t for r in rows for t in r[2])
    fig, axes = plt.subplots(len(rows), ncols, squeeze=False,
                             figsize=(cell * ncols, (cell + (0.35 if titled else 0.1))
                                      * len(rows) + (0.4 if title else 0)))
    for r, (label, images, titles) in enumerate(rows):
        for c in range(ncols):
            ax = axes[r][c]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if c >= len(images):
                ax.axis("off")
                continue
            arr, cmap, (vmin, vmax) = _as_picture(images[c], signed)
            ax.imshow(arr, cmap=cmap, vmin=vmin, vmax=vmax)
            if c < len(titles) and titles[c]:
                ax.set_title(titles[c], fontsize=6.5)
        if label:
            axes[r][0].set_ylabel(label, fontsize=8, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path)


def misclassified(images: np.ndarray, y_true: np.ndarray, y_pred: np.ndarray, class_names,
                  path, *, confidence: np.ndarray | None = None, n: int = 24,
                  per_row: int = 8) -> Path:
    """Up to ``n`` wrongly classified images with their true and predicted class, the most
    confident mistakes first when ``confidence`` (n_images,) is given.
    images : (n_images, H, W) or (n_images, C, H, W)."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    wrong = np.flatnonzero(y_true != y_pred)
    if confidence is not None:
        wrong = wrong[np.argsort(-np.asarray(confidence)[wrong], kind="stable")]
    wrong = wrong[:n]
    names = list(class_names or [str(i) for i in range(int(max(y_true.max(), y_pred.max())) + 1)])
    rows = []
    for start in range(0, max(len(wrong), 1), per_row):
        idx = wrong[start:start + per_row]
        rows.append(("", [images[i] for i in idx],
                     [f"true {names[y_true[i]]}\npred {names[y_pred[i]]}" for i in idx]))
    return image_grid(rows, path, cell=1.25)


def sample_grid(images: np.ndarray, labels: np.ndarray, class_names, path, per_class=6) -> Path:
    """A few images of each class, one row per class. images : (n, H, W) or (n, C, H, W)."""
    classes = np.unique(labels)
    rows = [(class_names[c] if class_names else str(c),
             [images[i] for i in np.flatnonzero(labels == c)[:per_class]], [])
            for c in classes]
    return image_grid(rows, path, cell=1.0)


def activations(path) -> Path:
    """Every elementwise activation of the registry and its derivative on [-5, 5], from the
    engine's own backward (none for a kind without one: the step)."""
    from mlplab.registry import activations as kinds

    plt = _plt()
    z = np.linspace(-5, 5, 401)
    shown = [k for k in kinds().values() if k.explain is not None]   # elementwise ones
    cols = math.ceil(math.sqrt(len(shown)))
    rows = math.ceil(len(shown) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.5 * cols, 3.25 * rows), squeeze=False,
                             layout="constrained")
    for ax in axes.ravel()[len(shown):]:
        ax.set_visible(False)
    for ax, kind in zip(axes.ravel(), shown):
        name = kind.name
        act = kind.module(*kind.plot_args)
        y = act(z.copy())
        ax.plot(z, y, label="f(z)")
        if kind.explain.derivative is not None:
            ax.plot(z, act.backward(np.ones_like(z)), "--", label="f'(z)")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle("activation functions and their derivatives")
    return _save(fig, path)

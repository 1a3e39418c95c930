"""Figures of a run, drawn with matplotlib (imported lazily, Agg backend, no screen needed).

Each function writes one PNG and returns its path.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    tmp.replace(path)
    _plt().close(fig)
    return path


def curves(histories: dict, path, metrics=("loss", "accuracy")) -> Path:
    """Loss (and accuracy) per epoch of every model on one figure; solid = train, dashed =
    evaluation splits."""
    plt = _plt()
    present = [m for m in metrics if any(
        any(k.endswith(f"_{m}") for k in h.columns) for h in histories.values())]
    fig, axes = plt.subplots(1, len(present), figsize=(6 * len(present), 4), squeeze=False)
    for ax, metric in zip(axes[0], present):
        for i, (name, h) in enumerate(histories.items()):
            color = f"C{i % 10}"
            for col in h.columns:
                if not col.endswith(f"_{metric}"):
                    continue
                split = col[: -len(metric) - 1]
                ys = np.array(h.column(col), dtype=float)
                ax.plot(np.arange(1, len(ys) + 1), ys, color=color,
                        linestyle="-" if split == "train" else "--", label=f"{name} ({split})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if metric == "loss":
            finite = [v for h in histories.values() for c in h.columns if c.endswith("_loss")
                      for v in h.column(c) if np.isfinite(v) and v > 0]
            if finite and max(finite) / min(finite) > 100:
                ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("training curves")
    return _save(fig, path)


def decision_regions(models: dict, X: np.ndarray, y: np.ndarray, path,
                     thresholds=None) -> Path:
    """One panel per model: the predicted class over a grid, the data points on top.

    models : name -> predict function taking (n, 2) points and returning (n, k) outputs.
    """
    from mlplab.train.metrics import predicted_classes

    plt = _plt()
    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.1 * (hi - lo)
    gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 250),
                         np.linspace(lo[1] - pad[1], hi[1] + pad[1], 250))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 4.5), squeeze=False)
    k = int(y.max()) + 1
    for ax, (name, predict) in zip(axes[0], models.items()):
        t = (thresholds or {}).get(name, 0.0)
        zz = predicted_classes(predict(grid), t).reshape(gx.shape)
        ax.contourf(gx, gy, zz, levels=np.arange(-0.5, k), cmap="tab10", vmin=0, vmax=9,
                    alpha=0.3)
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="tab10", vmin=0, vmax=9, s=10,
                   edgecolors="k", linewidths=0.3)
        ax.set_title(name)
    return _save(fig, path)


def predicted_vs_true(preds: dict, y_true: np.ndarray, path, target="target") -> Path:
    """Scatter of prediction against truth per model, with the y = x line."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(preds), figsize=(4.5 * len(preds), 4.2), squeeze=False)
    lo, hi = float(np.min(y_true)), float(np.max(y_true))
    for ax, (name, p) in zip(axes[0], preds.items()):
        ax.scatter(y_true, np.asarray(p).reshape(-1), s=10, alpha=0.7)
        ax.plot([lo, hi], [lo, hi], "k--", lw=1)
        ax.set_xlabel(f"true {target}")
        ax.set_ylabel(f"predicted {target}")
        ax.set_title(name)
    return _save(fig, path)


def confusion(cm: np.ndarray, class_names, path, title="confusion matrix") -> Path:
    plt = _plt()
    k = cm.shape[0]
    fig, ax = plt.subplots(figsize=(1.0 + 0.55 * k, 0.8 + 0.5 * k))
    ax.imshow(cm, cmap="Blues")
    names = class_names or [str(i) for i in range(k)]
    ax.set_xticks(range(k), names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(k), names, fontsize=8)
    for i in range(k):
        for j in range(k):
            ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    return _save(fig, path)


def sample_grid(images: np.ndarray, labels: np.ndarray, class_names, path, per_class=6) -> Path:
    """A few images of each class, one row per class. images : (n, H, W) or (n, C, H, W)."""
    plt = _plt()
    classes = np.unique(labels)
    fig, axes = plt.subplots(len(classes), per_class, figsize=(per_class * 1.1,
                                                                len(classes) * 1.15),
                             squeeze=False)
    for r, c in enumerate(classes):
        idx = np.flatnonzero(labels == c)[:per_class]
        for j in range(per_class):
            ax = axes[r, j]
            ax.axis("off")
            if j < len(idx):
                img = images[idx[j]]
                if img.ndim == 3:
                    ax.imshow(np.transpose(img, (1, 2, 0)))
                else:
                    ax.imshow(img, cmap="gray")
        axes[r, 0].set_title(class_names[c] if class_names else str(c), fontsize=7, loc="left")
    return _save(fig, path)


def activations(path) -> Path:
    """Every activation and its derivative on [-5, 5], from the engine's own backward."""
    from mlplab import nn

    plt = _plt()
    z = np.linspace(-5, 5, 401)
    names = ["step", "sigmoid", "tanh", "relu", "leakyrelu", "softplus", "gelu", "silu"]
    fig, axes = plt.subplots(2, 4, figsize=(14, 6.5))
    for ax, name in zip(axes.ravel(), names):
        act = nn.ACTIVATIONS[name](0.1) if name == "leakyrelu" else nn.ACTIVATIONS[name]()
        y = act(z.copy())
        ax.plot(z, y, label="f(z)")
        if name != "step":
            ax.plot(z, act.backward(np.ones_like(z)), "--", label="f'(z)")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3)
    fig.suptitle("activation functions and their derivatives")
    return _save(fig, path)

"""Pictures of a data set: a grid of sample images per class, or a scatter of 2-D data.

Matplotlib is imported lazily and used through its object API with the Agg canvas, so no
global backend or pyplot state is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from mlplab.data.dataset import DataError, Dataset


def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:  # pragma: no cover - matplotlib is installed in the dev venv
        raise DataError("saving pictures needs matplotlib; run `pip install matplotlib`") from e
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _as_hwc(img: np.ndarray) -> np.ndarray:
    """(H, W) stays; (C, H, W) -> (H, W, C)."""
    return img if img.ndim == 2 else np.moveaxis(img, 0, -1)


def save_sample_grid(
    ds: Dataset,
    path: str | os.PathLike,
    per_class: int = 8,
    split: str = "train",
    seed: int = 0,
) -> Path:
    """Save a PNG grid: one row per class, ``per_class`` random images of it from ``split``."""
    if not ds.is_image:
        raise DataError(f"{ds.name}: not an image data set; there is no sample grid to draw")
    idx_all = ds.splits[split] if split in ds.splits else np.arange(ds.n_samples)
    rng = np.random.default_rng(seed)
    names = ds.class_names or [str(k) for k in range(ds.n_classes or 1)]
    fig = _figure(per_class * 1.0 + 1.5, len(names) * 1.0 + 0.3)
    axes = fig.subplots(len(names), per_class, squeeze=False)
    labels = ds.y[idx_all]
    for k, name in enumerate(names):
        members = idx_all[labels == k]
        picks = rng.choice(members, size=min(per_class, len(members)), replace=False) \
            if len(members) else []
        for j in range(per_class):
            ax = axes[k, j]
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if j < len(picks):
                img = _as_hwc(ds.X[picks[j]])
                ax.imshow(img, cmap="gray" if img.ndim == 2 else None, vmin=0, vmax=255)
        axes[k, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{ds.name}: {per_class} samples per class ({split})", fontsize=9)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    return out


def save_scatter(ds: Dataset, path: str | os.PathLike) -> Path:
    """Save a PNG scatter of 2-feature classification data, coloured by class."""
    if ds.X.ndim != 2 or ds.X.shape[1] != 2 or ds.task != "classification":
        raise DataError(f"{ds.name}: a scatter needs 2 features and classes")
    fig = _figure(5, 5)
    ax = fig.subplots()
    names = ds.class_names or [str(k) for k in range(ds.n_classes or 0)]
    for k, name in enumerate(names):
        sel = ds.y == k
        ax.scatter(ds.X[sel, 0], ds.X[sel, 1], s=8, label=name)
    names_xy = ds.feature_names or ["x1", "x2"]
    ax.set_xlabel(names_xy[0])
    ax.set_ylabel(names_xy[1])
    ax.set_title(f"{ds.name} ({ds.n_samples} points)")
    ax.legend(fontsize=7, loc="best")
    ax.set_aspect("equal", adjustable="datalim")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    return out

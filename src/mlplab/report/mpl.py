"""matplotlib for every figure mlplab writes: imported on first use with the Agg backend (no
screen needed), and one way to write a figure to disk."""

from __future__ import annotations

from pathlib import Path


def plt_module():
    """``matplotlib.pyplot``, on the Agg backend."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def save(fig, path) -> Path:
    """Write ``fig`` to ``path`` (its folder made), atomically, and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    tmp.replace(path)
    plt_module().close(fig)
    return path

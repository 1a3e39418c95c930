"""``mlplab plot optimizers``: each optimizer's path on a 2-D loss surface.

The path is the engine's own: a two-value ``Parameter`` updated by the ``mlplab.optim`` class
(and SGD's momentum and Nesterov presets) from the surface's exact gradient. Every optimizer
gets the same number of steps and, of the learning rates in ``LR_GRID`` whose path never climbs
above the starting loss, the one that ends lowest: the figure compares the update rules at
rates each can use, not one hand-picked rate each.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.optim import optimizer_choices

LR_GRID = tuple(float(f"{m}e{e}") for e in range(-4, 1) for m in (1, 3))  # 1e-4 .. 3


@dataclass(frozen=True)
class Surface:
    """f(p) and its gradient for p = (x, y), a start, and the plotting window."""

    name: str
    title: str
    f: Callable[[np.ndarray], float]
    grad: Callable[[np.ndarray], np.ndarray]
    start: tuple[float, float]
    minimum: tuple[float, float]
    xlim: tuple[float, float]
    ylim: tuple[float, float]


def _rosen(p):
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _rosen_grad(p):
    x, y = p
    return np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])


_C, _S = math.cos(math.radians(30)), math.sin(math.radians(30))
_VALLEY = np.array([1.0, 25.0])   # curvature along and across the valley (condition 25)


def _valley(p):
    u = _C * p[..., 0] + _S * p[..., 1]
    v = -_S * p[..., 0] + _C * p[..., 1]
    return 0.5 * (_VALLEY[0] * u * u + _VALLEY[1] * v * v)


def _valley_grad(p):
    rot = np.array([[_C, _S], [-_S, _C]])
    return rot.T @ (_VALLEY * (rot @ p))


SURFACES = {s.name: s for s in (
    Surface("rosenbrock", "Rosenbrock's banana valley: (1 - x)² + 100 (y - x²)²", _rosen,
            _rosen_grad, (-1.2, 1.0), (1.0, 1.0), (-2.0, 2.0), (-1.0, 3.0)),
    Surface("valley", "a tilted narrow bowl (curvatures 1 and 25, turned 30°)", _valley,
            _valley_grad, (-4.0, 2.5), (0.0, 0.0), (-5.0, 5.0), (-4.0, 4.0)),
)}


def descend(surface: Surface, optimizer: str, lr: float, steps: int, **kwargs) -> np.ndarray:
    """The points (steps + 1, 2) an ``mlplab.optim`` optimizer visits from the start."""
    from mlplab.nn.module import Parameter
    from mlplab.optim import OPTIMIZERS

    p = Parameter(np.array(surface.start, dtype=np.float64))
    opt = OPTIMIZERS[optimizer]([p], lr=lr, **kwargs)
    points = [p.data.copy()]
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            p.grad = surface.grad(p.data)
            opt.step()
            points.append(p.data.copy())
            if not np.isfinite(p.data).all():
                break
    return np.array(points)


def path_score(surface: Surface, path: np.ndarray) -> float:
    """The final loss of a path that never climbs above its starting loss; inf otherwise
    (and for a path that diverged)."""
    with np.errstate(over="ignore", invalid="ignore"):
        values = surface.f(path)
    if not np.isfinite(values).all() or values.max() > values[0]:
        return math.inf
    return float(values[-1])


def best_paths(surface: Surface, steps: int) -> dict[str, tuple[float, np.ndarray, float]]:
    """page name -> (its lr of LR_GRID with the best ``path_score``, the path, the final
    loss)."""
    out = {}
    for key, (_, name, kwargs) in optimizer_choices().items():
        best, best_score = None, math.inf
        for lr in LR_GRID:
            path = descend(surface, name, lr, steps, **kwargs)
            score = path_score(surface, path)
            if best is None or score < best_score:
                best, best_score = (lr, path, float(surface.f(path[-1]))), score
        out[key] = best
    return out


def plot_optimizers(path, surface: str = "rosenbrock", steps: int = 500) -> Path:
    """Draw every optimizer's path on ``surface`` after ``steps`` steps; returns the PNG."""
    from mlplab.report.mpl import plt_module as _plt
    from mlplab.report.mpl import save as _save

    s = SURFACES[surface]
    paths = best_paths(s, steps)
    labels = {k: v[0] for k, v in optimizer_choices().items()}
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 6.5))
    xs, ys = np.linspace(*s.xlim, 300), np.linspace(*s.ylim, 300)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1)
    ax.contour(xs, ys, np.log10(s.f(grid) + 1e-3), levels=25, cmap="Greys", linewidths=0.6)
    for key, (lr, pts, loss) in paths.items():
        inside = pts[(pts[:, 0] >= s.xlim[0] - 1) & (pts[:, 0] <= s.xlim[1] + 1)]
        ax.plot(inside[:, 0], inside[:, 1], "-", lw=1.4,
                label=f"{labels[key]} (lr {lr:g}): f = {loss:.2g}")
    ax.plot(*s.start, "ko", ms=6)
    ax.plot(*s.minimum, "k*", ms=12)
    ax.set_xlim(*s.xlim)
    ax.set_ylim(*s.ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")
    ax.set_title(f"{s.title}\n{steps} steps from {s.start}, each optimizer at the lr of "
                 f"{LR_GRID[0]:g}..{LR_GRID[-1]:g} that ends lowest without climbing above "
                 "the start",
                 fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)

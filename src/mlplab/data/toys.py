"""2-D toy problems for testing the capacity of an MLP, generated in NumPy.

Each takes ``n`` (total samples, spread evenly over the classes), ``noise`` and ``seed`` (an
int for ``np.random.default_rng`` or a Generator) and returns X float32 (n, 2), y int64 and
splits ``{"train": all rows}``; rows are ordered by class. ``plane`` and ``multigauss`` are
regression surfaces instead: y float32 (n,).
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.nonlinear import FEATURES, spiral_arms
from mlplab.data.registry import register
from mlplab.limits import check_data_bytes


def _rng(seed: int | np.random.Generator) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _check(n: int, noise: float, k: int = 1, min_per_class: int = 1, name: str = "toy") -> None:
    """Refuse bad sizes before anything is drawn: ``n`` rows of ``k`` classes (an integer at
    least ``k * min_per_class``; their (n, 2) float64 points within the data limit) and a
    finite ``noise`` >= 0."""
    for opt, v in (("n", n), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            raise DataError(f"Invalid {opt}: {v!r} ({name} needs an integer)")
    if k < 1:
        raise DataError(f"Invalid k: {k!r} ({name} needs at least 2 classes)")
    if n < k * min_per_class:
        raise DataError(f"Invalid n: {n!r} ({name} needs an integer >= {k * min_per_class})")
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.integer | np.floating) \
            or not 0 <= noise < math.inf:
        raise DataError(f"Invalid noise: {noise!r} ({name} needs a finite number >= 0)")
    check_data_bytes(int(n) * 2 * 8, name, f"{int(n):,} rows x 2 features as float64",
                     "lower n")


def _per_class(n: int, k: int) -> list[int]:
    return [n // k + (1 if j < n % k else 0) for j in range(k)]


def _toy(name: str, X: np.ndarray, y: np.ndarray, classes: list[str], how: str) -> Dataset:
    return Dataset(
        name=name, task="classification", X=np.ascontiguousarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.int64), feature_names=list(FEATURES), class_names=classes,
        source=f"generated: {how}",
        splits={"train": np.arange(len(y), dtype=np.int64)},
    )


@register("xor", "XOR: noisy blobs at the four corners of the unit square, 2 classes")
def xor(n: int = 400, noise: float = 0.15, seed: int | np.random.Generator = 0) -> Dataset:
    """Corners (0,0), (0,1), (1,0), (1,1) with label x1 XOR x2, Gaussian noise of std ``noise``.
    ``n=4, noise=0`` gives exactly the truth table."""
    _check(n, noise, name="xor")
    rng = _rng(seed)
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    counts = _per_class(n, 4)
    X = np.repeat(corners, counts, axis=0) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1, 1, 0], counts)
    return _toy("xor", X, y, ["0", "1"], f"xor(n={n}, noise={noise}, seed={seed})")


@register("moons", "two interleaving half circles, 2 classes")
def moons(n: int = 400, noise: float = 0.1, seed: int | np.random.Generator = 0) -> Dataset:
    """Upper moon (cos t, sin t) and lower moon (1 - cos t, 0.5 - sin t), t in [0, pi]."""
    _check(n, noise, 2, name="moons")
    rng = _rng(seed)
    n0, n1 = _per_class(n, 2)
    t0, t1 = np.linspace(0, np.pi, n0), np.linspace(0, np.pi, n1)
    X = np.concatenate([
        np.stack([np.cos(t0), np.sin(t0)], axis=1),
        np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1),
    ]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n0, n1])
    return _toy("moons", X, y, ["upper", "lower"], f"moons(n={n}, noise={noise}, seed={seed})")


@register("circles", "a small circle inside a large one, 2 classes")
def circles(
    n: int = 400, noise: float = 0.05, seed: int | np.random.Generator = 0, factor: float = 0.5
) -> Dataset:
    """Outer circle radius 1 (class 0), inner radius ``factor`` (class 1), plus noise."""
    _check(n, noise, 2, name="circles")
    if not 0 < factor < 1:
        raise DataError(f"Invalid factor: {factor!r} (need 0 < factor < 1)")
    rng = _rng(seed)
    n0, n1 = _per_class(n, 2)
    t0 = np.linspace(0, 2 * np.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * np.pi, n1, endpoint=False)
    X = np.concatenate([
        np.stack([np.cos(t0), np.sin(t0)], axis=1),
        factor * np.stack([np.cos(t1), np.sin(t1)], axis=1),
    ]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n0, n1])
    return _toy("circles", X, y, ["outer", "inner"],
                f"circles(n={n}, noise={noise}, seed={seed}, factor={factor})")


@register("blobs", "Gaussian blobs around centres on a circle, k classes")
def blobs(
    n: int = 300, noise: float = 1.0, seed: int | np.random.Generator = 0, k: int = 3,
    radius: float = 4.0,
) -> Dataset:
    """``k`` isotropic Gaussian blobs (std ``noise``) centred at ``radius * (cos, sin)`` of
    ``2*pi*j/k``."""
    _check(n, noise, k, name="blobs")
    if k < 2:
        raise DataError(f"Invalid k: {k!r} (blobs needs at least 2 classes)")
    rng = _rng(seed)
    angles = 2 * np.pi * np.arange(k) / k
    centres = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    counts = _per_class(n, k)
    X = np.repeat(centres, counts, axis=0) + noise * rng.standard_normal((n, 2))
    y = np.repeat(np.arange(k), counts)
    return _toy("blobs", X, y, [str(j) for j in range(k)],
                f"blobs(n={n}, noise={noise}, seed={seed}, k={k}, radius={radius})")


@register("checkerboard", "uniform points in [-1, 1]^2 labelled by a checkerboard, 2 classes")
def checkerboard(
    n: int = 1000, noise: float = 0.0, seed: int | np.random.Generator = 0, tiles: int = 4
) -> Dataset:
    """Points uniform in [-1, 1]^2, label = parity of the ``tiles x tiles`` cell; ``noise``
    is Gaussian jitter added after labelling (so points cross the cell borders)."""
    _check(n, noise, name="checkerboard")
    if tiles < 2:
        raise DataError(f"Invalid tiles: {tiles!r} (need >= 2)")
    rng = _rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    cells = np.clip(np.floor((X + 1) / 2 * tiles), 0, tiles - 1).astype(np.int64)
    y = (cells[:, 0] + cells[:, 1]) % 2
    order = np.argsort(y, kind="stable")
    X, y = X[order] + noise * rng.standard_normal((n, 2)), y[order]
    return _toy("checkerboard", X, y, ["0", "1"],
                f"checkerboard(n={n}, noise={noise}, seed={seed}, tiles={tiles})")


@register("spiral", "k interleaved spiral arms, k classes")
def spiral(
    n: int = 300, noise: float = 0.2, seed: int | np.random.Generator = 0, k: int = 3
) -> Dataset:
    """``k`` arms starting at angles ``2*pi*j/k``, each sweeping 4 radians (for k = 3 use
    ``nonlinear``, the course's exact cs231n spiral)."""
    _check(n, noise, k, name="spiral")
    if k < 2:
        raise DataError(f"Invalid k: {k!r} (spiral needs at least 2 classes)")
    X, y = spiral_arms(_per_class(n, k), noise, _rng(seed), 2 * np.pi * np.arange(k) / k)
    return _toy("spiral", X, y, [str(j) for j in range(k)],
                f"spiral(n={n}, noise={noise}, seed={seed}, k={k})")


# -- 2-D regression surfaces (TensorFlow Playground's regression data) ---------------------
def _surface(name: str, X: np.ndarray, y: np.ndarray, how: str) -> Dataset:
    return Dataset(
        name=name, task="regression", X=np.ascontiguousarray(X, dtype=np.float32),
        y=np.asarray(y, dtype=np.float32), feature_names=list(FEATURES), source=f"generated: {how}",
        splits={"train": np.arange(len(y), dtype=np.int64)}, target_name="y",
    )


@register("plane", "regression: y = (x1 + x2) / 2 plus noise, x uniform in [-1, 1]^2")
def plane(n: int = 400, noise: float = 0.0, seed: int | np.random.Generator = 0) -> Dataset:
    """X float32 (n, 2) uniform in [-1, 1]^2, y float32 (n,) = (x1 + x2) / 2 + noise * N(0, 1)."""
    _check(n, noise, name="plane")
    rng = _rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = 0.5 * (X[:, 0] + X[:, 1]) + noise * rng.standard_normal(n)
    return _surface("plane", X, y, f"plane(n={n}, noise={noise}, seed={seed})")


# (centre x1, centre x2, sign) of the bumps of `multigauss`
BUMPS = ((-0.6, 0.4, 1), (0.0, 0.4, -1), (0.6, 0.4, 1),
         (-0.6, -0.4, -1), (0.0, -0.4, 1), (0.6, -0.4, -1))


@register("multigauss", "regression: six Gaussian bumps of alternating sign, x in [-1, 1]^2")
def multigauss(n: int = 400, noise: float = 0.0, seed: int | np.random.Generator = 0) -> Dataset:
    """X float32 (n, 2) uniform in [-1, 1]^2, y float32 (n,) = sum over BUMPS of
    sign * exp(-|x - centre|^2 / (2 * 0.2^2)), plus noise * N(0, 1)."""
    _check(n, noise, name="multigauss")
    rng = _rng(seed)
    width = 0.2
    X = rng.uniform(-1, 1, size=(n, 2))
    y = np.zeros(n)
    for cx, cy, sign in BUMPS:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * width ** 2))
    y += noise * rng.standard_normal(n)
    return _surface("multigauss", X, y,
                    f"multigauss(n={n}, noise={noise}, seed={seed})")

"""Mini-batches: a fresh permutation per epoch from an ``np.random.Generator``.

Each batch is gathered with ``np.take(X, idx, axis=0)`` into a new C-contiguous array, so an
epoch never copies the whole data set; without shuffling, batches are contiguous slices (views).

>>> num_batches(60_000, 1024), num_batches(60_000, 3500)
(59, 18)
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = ["num_batches", "iter_batches", "BatchLoader"]


def _check_batch_size(batch_size: int) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int | np.integer) \
            or batch_size < 1:
        raise ValueError(f"Invalid batch_size: {batch_size!r} (need a positive integer)")
    return int(batch_size)


def num_batches(n: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of batches of ``batch_size`` in ``n`` samples; the last partial one counts
    unless ``drop_last``."""
    batch_size = _check_batch_size(batch_size)
    return n // batch_size if drop_last else -(-n // batch_size)


def _check_rng(rng) -> np.random.Generator | None:
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"Invalid rng: {type(rng).__name__}; pass an np.random.Generator "
            f"(np.random.default_rng(seed)) or None for no shuffling"
        )
    return rng


def iter_batches(
    X: np.ndarray,
    y: np.ndarray | None,
    batch_size: int,
    rng: np.random.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
    """Yield ``(xb, yb)`` batches for one epoch.

    Parameters
    ----------
    X : ndarray of shape (n_samples, ...)
    y : ndarray of shape (n_samples, ...) or None (then ``yb`` is None)
    batch_size : int
    rng : np.random.Generator or None
        Shuffle with ``rng.permutation(n_samples)`` (one draw per call); None keeps the order.
    drop_last : bool
        Skip the last batch when it is smaller than ``batch_size``.

    Yields
    ------
    xb : C-contiguous ndarray of shape (b, ...), b <= batch_size
    yb : C-contiguous ndarray of shape (b, ...) or None
    """
    batch_size = _check_batch_size(batch_size)
    rng = _check_rng(rng)
    n = len(X)
    if y is not None and len(y) != n:
        raise ValueError(f"Invalid y: {len(y)} rows but X has {n}")
    stop = (n // batch_size) * batch_size if drop_last else n
    if rng is None:
        for start in range(0, stop, batch_size):
            sl = slice(start, min(start + batch_size, n))
            xb = np.ascontiguousarray(X[sl])
            yield xb, (None if y is None else np.ascontiguousarray(y[sl]))
        return
    perm = rng.permutation(n)
    for start in range(0, stop, batch_size):
        idx = perm[start : start + batch_size]
        yield np.take(X, idx, axis=0), (None if y is None else np.take(y, idx, axis=0))


class BatchLoader:
    """Re-iterable batches over ``(X, y)``, like torch's DataLoader: ``len()`` is the number of
    batches, and each ``iter()`` is one epoch (a new permutation when ``rng`` is given).

    >>> loader = BatchLoader(X, y, 64, rng=np.random.default_rng(0))  # doctest: +SKIP
    >>> for xb, yb in loader: ...                                       # doctest: +SKIP
    """

    def __init__(
        self,
        X: np.ndarray,
        y: np.ndarray | None,
        batch_size: int,
        rng: np.random.Generator | None = None,
        drop_last: bool = False,
    ) -> None:
        self.batch_size = _check_batch_size(batch_size)
        self.rng = _check_rng(rng)
        if y is not None and len(y) != len(X):
            raise ValueError(f"Invalid y: {len(y)} rows but X has {len(X)}")
        self.X, self.y, self.drop_last = X, y, drop_last

    def __len__(self) -> int:
        return num_batches(len(self.X), self.batch_size, self.drop_last)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        return iter_batches(self.X, self.y, self.batch_size, self.rng, self.drop_last)

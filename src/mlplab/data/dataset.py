"""The Dataset container every loader returns, and the project's data error."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlplab.errors import DataError  # re-exported here

TASKS = ("regression", "classification")



@dataclass
class Dataset:
    """A loaded data set: arrays, metadata and predefined splits.

    Attributes
    ----------
    name : str
        Registry name, e.g. ``"auto-mpg"``.
    task : str
        ``"regression"`` or ``"classification"``.
    X : ndarray
        Tabular data: shape ``(n_samples, n_features)``, float32.
        Images: uint8 of shape ``(n_samples, H, W)`` (grayscale) or ``(n_samples, C, H, W)``.
    y : ndarray of shape (n_samples,)
        int64 class indices for classification, float32 targets for regression.
    feature_names : list of str or None
        One name per column of tabular ``X``; None for images.
    class_names : list of str or None
        ``class_names[k]`` is the name of class ``k``; None for regression.
    source : str
        Path of the file(s) read, or a description of how the data were generated.
    splits : dict of str to ndarray of int64
        Predefined splits as row-index arrays into ``X`` and ``y``, e.g.
        ``{"train": idx, "test": idx}``. Generated data have ``{"train": all rows}``.
    target_name : str or None
        Name of the target column for tabular regression data (``"MPG"``).
    """

    name: str
    task: str
    X: np.ndarray
    y: np.ndarray
    feature_names: list[str] | None = None
    class_names: list[str] | None = None
    source: str = ""
    splits: dict[str, np.ndarray] = field(default_factory=dict)
    target_name: str | None = None

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"Invalid task: {self.task!r} (expected one of {', '.join(TASKS)})")
        if len(self.X) != len(self.y):
            raise ValueError(
                f"{self.name}: X has {len(self.X)} rows but y has {len(self.y)}; they must agree"
            )
        if not self.splits:
            self.splits = {"train": np.arange(len(self.X), dtype=np.int64)}
        n = len(self.X)
        for key, idx in self.splits.items():
            idx = np.asarray(idx, dtype=np.int64)
            if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= n)):
                raise ValueError(f"{self.name}: split {key!r} holds row indices outside 0..{n - 1}")
            self.splits[key] = idx

    # ----------------------------------------------------------------- properties
    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        """Number of inputs per sample once flattened (``H*W`` or ``C*H*W`` for images)."""
        return int(np.prod(self.X.shape[1:], dtype=np.int64))

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None for regression."""
        if self.task != "classification":
            return None
        if self.class_names is not None:
            return len(self.class_names)
        return int(self.y.max()) + 1 if len(self.y) else 0

    @property
    def is_image(self) -> bool:
        """True when ``X`` holds images, ``(n, H, W)`` or ``(n, C, H, W)``."""
        return self.X.ndim > 2

    @property
    def eval_split(self) -> str | None:
        """Name of the held-out split to evaluate on: "test", else "val", else None."""
        for key in ("test", "val"):
            if key in self.splits:
                return key
        return None

    # ----------------------------------------------------------------- access
    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(X[idx], y[idx])`` for the predefined split ``name``.

        A split that is one contiguous, increasing run of rows (Fashion-MNIST's official
        train and test, image folders) comes back as views, without copying.
        """
        if name not in self.splits:
            raise DataError(
                f"{self.name}: no split named {name!r}; available: {', '.join(self.splits)}"
            )
        idx = self.splits[name]
        if idx.size and idx[-1] - idx[0] + 1 == idx.size and np.all(np.diff(idx) == 1):
            sl = slice(int(idx[0]), int(idx[-1]) + 1)
            return self.X[sl], self.y[sl]
        return np.take(self.X, idx, axis=0), np.take(self.y, idx, axis=0)

    def class_counts(self, split: str | None = None) -> np.ndarray | None:
        """Samples per class, shape ``(n_classes,)``, over ``split`` or all rows."""
        if self.task != "classification":
            return None
        y = self.y if split is None else self.y[self.splits[split]]
        return np.bincount(y, minlength=self.n_classes or 0)

    def describe(self) -> str:
        """A few lines that say what the data set holds."""
        lines = [
            f"{self.name}: {self.task}, X {tuple(self.X.shape)} {self.X.dtype}, "
            f"y {tuple(self.y.shape)} {self.y.dtype}",
            f"source: {self.source}",
            "splits: " + ", ".join(f"{k} {len(v)}" for k, v in self.splits.items()),
        ]
        if self.feature_names is not None:
            lines.append("features: " + ", ".join(self.feature_names))
        if self.class_names is not None:
            counts = self.class_counts()
            pairs = zip(self.class_names, counts, strict=False)
            lines.append("classes: " + ", ".join(f"{c} ({n})" for c, n in pairs))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, task={self.task!r}, X={tuple(self.X.shape)} "
            f"{self.X.dtype}, y={tuple(self.y.shape)} {self.y.dtype}, "
            f"splits={{{', '.join(f'{k!r}: {len(v)}' for k, v in self.splits.items())}}})"
        )

"""Preprocessing: splits, per-feature standardisation, one-hot, image scalers, flatten.

Every scaler has ``fit(X) -> self``, ``transform(X)``, ``fit_transform(X)``, ``to_dict()``
(plain arrays and numbers, to save beside the weights) and ``from_dict(d)``. Scalers are fitted
on the training split only and return float32; image data are never copied to float64.
Scalers are looked up by name in :data:`SCALERS` (``make_scaler("symmetric")``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mlplab.errors import UsageError
from mlplab.util import unknown_name

__all__ = [
    "split_indices", "train_val_test_split", "pandas_sample_split", "Standardizer",
    "OneHotEncoder", "one_hot",
    "RawScaler", "UnitScaler", "SymmetricScaler", "ZScoreScaler", "SCALERS", "make_scaler",
    "scaler_from_dict", "flatten",
]


# --------------------------------------------------------------------------- splits
def _largest_remainder(n: int, fractions: np.ndarray) -> np.ndarray:
    """Integer counts that sum to ``n``, proportional to ``fractions`` (which sum to 1)."""
    exact = fractions * n
    counts = np.floor(exact).astype(np.int64)
    short = n - int(counts.sum())
    order = np.argsort(-(exact - counts), kind="stable")
    counts[order[:short]] += 1
    return counts


def split_indices(
    n: int,
    fractions: Mapping[str, float] | None = None,
    seed: int | np.random.Generator = 0,
    stratify: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Random disjoint splits of ``range(n)`` by fraction.

    Parameters
    ----------
    n : number of samples.
    fractions : ``{split name: fraction}``, fractions summing to 1; default
        ``{"train": 0.8, "test": 0.2}``. E.g. ``{"train": 0.7, "val": 0.15, "test": 0.15}``.
    seed : int or np.random.Generator.
    stratify : ndarray of shape (n,), optional
        Class labels; each split then keeps the class proportions (per-class rounding).

    Returns
    -------
    dict of split name to sorted int64 index arrays; together they cover ``range(n)`` once.
    """
    fractions = dict(fractions or {"train": 0.8, "test": 0.2})
    fr = np.array(list(fractions.values()), dtype=np.float64)
    if np.any(fr < 0) or abs(fr.sum() - 1.0) > 1e-6:
        raise ValueError(f"Invalid fractions: {fractions} (need non-negative values summing to 1)")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    if stratify is None:
        groups = [np.arange(n, dtype=np.int64)]
    else:
        stratify = np.asarray(stratify)
        if stratify.shape != (n,):
            raise ValueError(f"Invalid stratify: shape {stratify.shape}, expected ({n},)")
        _, inverse = np.unique(stratify, return_inverse=True)
        groups = [np.flatnonzero(inverse == k) for k in range(inverse.max() + 1)] if n else []
    parts: dict[str, list[np.ndarray]] = {name: [] for name in fractions}
    for group in groups:
        perm = rng.permutation(group)
        counts = _largest_remainder(len(group), fr)
        start = 0
        for name, c in zip(fractions, counts, strict=True):
            parts[name].append(perm[start : start + c])
            start += c
    return {
        name: np.sort(np.concatenate(chunks)) if chunks else np.empty(0, np.int64)
        for name, chunks in parts.items()
    }


def train_val_test_split(
    n: int,
    val: float = 0.0,
    test: float = 0.2,
    seed: int | np.random.Generator = 0,
    stratify: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Split ``range(n)`` into "train", "val" and "test" index arrays by fraction.

    ``val`` and ``test`` are fractions of ``n``; train gets the rest. All three keys are always
    present (an empty array for a zero fraction). See :func:`split_indices`.
    """
    if not (0 <= val and 0 <= test and val + test < 1):
        raise ValueError(f"Invalid val={val!r}, test={test!r} (need >= 0 with val + test < 1)")
    return split_indices(
        n, {"train": 1.0 - val - test, "val": val, "test": test}, seed=seed, stratify=stratify
    )


def pandas_sample_split(
    n: int, frac: float = 0.8, random_state: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The rows ``df.sample(frac=frac, random_state=random_state)`` picks, and the rest.

    pandas draws ``np.random.RandomState(random_state).choice(n, round(frac * n),
    replace=False)``, which is the first ``round(frac * n)`` entries of
    ``RandomState(random_state).permutation(n)``. A local RandomState is used here (never the
    global one) because only it reproduces the course's split.

    Returns
    -------
    sample : int64 array, in pandas' order (as ``df.sample(...).index``).
    rest : sorted int64 array (as ``df.drop(sample.index).index``).
    """
    size = round(frac * n)
    sample = np.random.RandomState(random_state).permutation(n)[:size].astype(np.int64)
    mask = np.ones(n, dtype=bool)
    mask[sample] = False
    return sample, np.flatnonzero(mask).astype(np.int64)


# --------------------------------------------------------------------------- tabular
def _check_fitted(obj, attr: str) -> None:
    if getattr(obj, attr) is None:
        raise ValueError(f"{type(obj).__name__} is not fitted; call fit(X_train) first")


class Standardizer:
    """Per-feature ``(x - mean) / std`` with the training mean and std.

    ``ddof=1`` (unbiased std) matches the course's pandas/torch code. Features with zero
    spread get std 1 so that they pass through centred instead of dividing by zero.

    Attributes after ``fit``: ``mean_`` and ``std_``, float64 arrays of shape ``X.shape[1:]``.
    """

    name = "standardize"

    def __init__(self, ddof: int = 1) -> None:
        self.ddof = int(ddof)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None

    def fit(self, X: np.ndarray) -> Standardizer:
        """X : ndarray of shape (n_samples, n_features)."""
        X = np.asarray(X)
        if X.ndim < 2 or len(X) <= self.ddof:
            raise ValueError(
                f"Invalid X for Standardizer.fit: shape {X.shape}; need (n_samples, n_features) "
                f"with n_samples > {self.ddof}"
            )
        self.mean_ = X.mean(axis=0, dtype=np.float64)
        std = X.std(axis=0, dtype=np.float64, ddof=self.ddof)
        self.std_ = np.where(std > 0, std, 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Return float32 ``(X - mean_) / std_``, same shape as X."""
        _check_fitted(self, "mean_")
        X = np.asarray(X)
        if X.shape[1:] != self.mean_.shape:
            raise ValueError(
                f"Invalid X: shape {X.shape}, but the Standardizer was fitted on "
                f"(n, {', '.join(map(str, self.mean_.shape))})"
            )
        out = np.subtract(X, self.mean_.astype(np.float32), dtype=np.float32)
        out /= self.std_.astype(np.float32)
        return out

    def inverse_transform(self, Z: np.ndarray) -> np.ndarray:
        """Undo :meth:`transform` (float32)."""
        _check_fitted(self, "mean_")
        out = np.multiply(Z, self.std_.astype(np.float32), dtype=np.float32)
        out += self.mean_.astype(np.float32)
        return out

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def to_dict(self) -> dict:
        _check_fitted(self, "mean_")
        return {"kind": self.name, "ddof": self.ddof, "mean": self.mean_.copy(),
                "std": self.std_.copy()}

    @classmethod
    def from_dict(cls, d: Mapping) -> Standardizer:
        obj = cls(ddof=int(d.get("ddof", 1)))
        obj.mean_ = np.asarray(d["mean"], dtype=np.float64)
        obj.std_ = np.asarray(d["std"], dtype=np.float64)
        return obj


def one_hot(y: np.ndarray, n_classes: int | None = None, dtype=np.float32) -> np.ndarray:
    """Integer labels of shape (n,) -> one-hot matrix of shape (n, n_classes)."""
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and (y.min() < 0 or not np.issubdtype(y.dtype, np.integer))):
        raise ValueError(f"Invalid y for one_hot: need non-negative integers of shape (n,), got "
                         f"{y.dtype} {y.shape}")
    k = int(y.max()) + 1 if n_classes is None else int(n_classes)
    if y.size and y.max() >= k:
        raise ValueError(f"Invalid n_classes: {k}, but y holds label {int(y.max())}")
    out = np.zeros((len(y), k), dtype=dtype)
    out[np.arange(len(y)), y] = 1
    return out


class OneHotEncoder:
    """Labels (n,) -> one-hot (n, n_classes) float32; ``inverse_transform`` takes the argmax."""

    name = "one-hot"

    def __init__(self, n_classes: int | None = None) -> None:
        self.n_classes = n_classes

    def fit(self, y: np.ndarray) -> OneHotEncoder:
        if self.n_classes is None:
            self.n_classes = int(np.max(y)) + 1
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        _check_fitted(self, "n_classes")
        return one_hot(y, self.n_classes)

    def fit_transform(self, y: np.ndarray) -> np.ndarray:
        return self.fit(y).transform(y)

    def inverse_transform(self, Y: np.ndarray) -> np.ndarray:
        return np.asarray(Y).argmax(axis=1).astype(np.int64)

    def to_dict(self) -> dict:
        return {"kind": self.name, "n_classes": self.n_classes}

    @classmethod
    def from_dict(cls, d: Mapping) -> OneHotEncoder:
        return cls(n_classes=d["n_classes"])


# --------------------------------------------------------------------------- images
class _FixedScaler:
    """``X * scale + offset`` in float32; nothing to fit."""

    name = ""
    divisor = 1.0
    offset = 0.0

    def fit(self, X: np.ndarray | None = None):
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Any shape, uint8 or float -> float32 of the same shape (one pass, no float64)."""
        if self.divisor == 1.0:
            out = np.asarray(X).astype(np.float32, copy=True)
        else:
            out = np.divide(X, np.float32(self.divisor), dtype=np.float32)
        if self.offset:
            out += np.float32(self.offset)
        return out

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.transform(X)

    def to_dict(self) -> dict:
        return {"kind": self.name}

    @classmethod
    def from_dict(cls, d: Mapping | None = None):
        return cls()


class RawScaler(_FixedScaler):
    """Pixels left in [0, 255], only cast to float32."""

    name = "none"


class UnitScaler(_FixedScaler):
    """``x / 255`` -> [0, 1] (torchvision's ToTensor)."""

    name = "unit"
    divisor = 255.0


class SymmetricScaler(_FixedScaler):
    """``x / 127.5 - 1`` -> [-1, 1] (the course's normalisation)."""

    name = "symmetric"
    divisor = 127.5
    offset = -1.0


class ZScoreScaler:
    """``(x - mean) / std`` with ONE scalar mean and std over all training pixels.

    Fitting uint8 images uses a 256-bin histogram (exact, no float copy); other inputs are
    reduced in float64 row chunks. ``ddof=1`` as torch's ``Tensor.std``.
    """

    name = "zscore"

    def __init__(self, ddof: int = 1) -> None:
        self.ddof = int(ddof)
        self.mean_: float | None = None
        self.std_: float | None = None

    def fit(self, X: np.ndarray) -> ZScoreScaler:
        X = np.asarray(X)
        n = X.size
        if n <= self.ddof:
            raise ValueError(f"Invalid X for ZScoreScaler.fit: only {n} values")
        if X.dtype == np.uint8:
            flat = X.reshape(-1)
            counts = np.zeros(256, dtype=np.float64)
            for i in range(0, n, 1 << 22):  # bincount casts to intp: bound that copy
                counts += np.bincount(flat[i : i + (1 << 22)], minlength=256)
            levels = np.arange(256, dtype=np.float64)
            mean = float(counts @ levels) / n
            ss = float(counts @ (levels - mean) ** 2)
        else:
            mean = float(X.sum(dtype=np.float64)) / n
            flat = X.reshape(len(X), -1) if X.ndim > 1 else X.reshape(-1, 1)
            ss = 0.0
            for i in range(0, len(flat), 4096):
                ss += float(np.square(flat[i : i + 4096].astype(np.float64) - mean).sum())
        std = (ss / (n - self.ddof)) ** 0.5
        self.mean_, self.std_ = mean, (std if std > 0 else 1.0)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Any shape -> float32 of the same shape."""
        _check_fitted(self, "mean_")
        out = np.subtract(X, np.float32(self.mean_), dtype=np.float32)
        out /= np.float32(self.std_)
        return out

    def fit_transform(self, X: np.ndarray) -> np.ndarray:
        return self.fit(X).transform(X)

    def to_dict(self) -> dict:
        _check_fitted(self, "mean_")
        return {"kind": self.name, "ddof": self.ddof, "mean": self.mean_, "std": self.std_}

    @classmethod
    def from_dict(cls, d: Mapping) -> ZScoreScaler:
        obj = cls(ddof=int(d.get("ddof", 1)))
        obj.mean_, obj.std_ = float(d["mean"]), float(d["std"])
        return obj


SCALERS: dict[str, type] = {
    "none": RawScaler,
    "unit": UnitScaler,
    "symmetric": SymmetricScaler,
    "zscore": ZScoreScaler,
    "standardize": Standardizer,
}
_ALIASES = {"raw": "none", "[0,1]": "unit", "[-1,1]": "symmetric", "z-score": "zscore",
            "standard": "standardize"}


def make_scaler(name: str, **kwargs):
    """A new, unfitted scaler by name: none, unit, symmetric, zscore, standardize."""
    key = _ALIASES.get(name.strip().lower().replace(" ", ""), name.strip().lower())
    if key not in SCALERS:
        raise UsageError(unknown_name(SCALERS, name, "scaler"))
    return SCALERS[key](**kwargs)


def scaler_from_dict(d: Mapping):
    """Rebuild a fitted scaler from its ``to_dict()`` output."""
    return SCALERS[make_scaler(d["kind"]).name].from_dict(d)


def flatten(X: np.ndarray) -> np.ndarray:
    """(n, ...) -> (n, prod(...)); a view when X is contiguous."""
    X = np.asarray(X)
    return X.reshape(len(X), -1)

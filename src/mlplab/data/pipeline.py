"""A model's preprocessing as one fitted transform: flatten, impute, a feature map and a scaler
from :mod:`mlplab.data.preprocessing`, fitted on the training split; its ``to_dict()`` form, as
a run folder keeps it, and the scaling of a regression target.

Experiments (:mod:`mlplab.experiments.preprocess` re-exports these names), run folders, ONNX
export, sweeps, byod and the playground all build or rebuild the same transform from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mlplab.data.preprocessing import flatten, make_scaler

if TYPE_CHECKING:
    from mlplab.spec import ModelSpec


def product_feature(X: np.ndarray) -> np.ndarray:
    """psi(x) = [x1, x2, x1 * x2]: the feature map that makes XOR linearly separable."""
    X = np.asarray(X, dtype=np.float32)
    return np.column_stack([X, X[:, 0] * X[:, 1]])


FEATURE_MAPS = {"product": product_feature}


def fit_preprocess(name: str, X_train: np.ndarray, spec: ModelSpec):
    """Return ``transform(X) -> float32`` fitted on ``X_train``.

    ``name`` is a scaler (none, unit, symmetric, zscore, standardize) or a feature map
    (product), optionally followed by ``+scaler``, e.g. ``"product+standardize"``; an
    ``impute+`` prefix first fills NaN with the training mean of each input
    (``"impute+standardize"``). Images are flattened when the spec's input is a vector.
    ``transform.to_dict()`` describes the fitted state for :func:`save_preprocess`.
    """
    impute, fmap_name, scaler_name = parse_preprocess(name)
    flat = len(spec.input_shape) == 1
    fill = None
    if impute:   # column means over the present values; 0 for a column with none
        Xf = np.asarray(flatten(X_train) if flat else X_train, dtype=np.float64)
        present = ~np.isnan(Xf)
        counts = present.sum(axis=0)
        fill = np.where(counts > 0, np.where(present, Xf, 0).sum(axis=0) / np.maximum(counts, 1),
                        0.0)
    scaler = make_scaler(scaler_name)
    transform, shape = _pipeline(name, flat, fill, scaler)
    scaler.fit(shape(X_train))
    return transform


def parse_preprocess(name: str) -> tuple[bool, str | None, str]:
    """``"impute+product+standardize"`` -> (impute, feature map or None, scaler name):
    the parts of a preprocessing name as :func:`fit_preprocess` reads them."""
    parts = name.split("+")
    impute = parts[0] == "impute"
    if impute:
        parts = parts[1:] or ["none"]
    fmap = parts[0] if parts[0] in FEATURE_MAPS else None
    scaler_name = parts[1] if fmap and len(parts) > 1 else ("none" if fmap else parts[0])
    return impute, fmap, scaler_name


def _pipeline(name: str, flat: bool, fill, scaler):
    """transform(X) and the shape step before the scaler: flatten, impute, feature map."""
    fmap = FEATURE_MAPS.get(parse_preprocess(name)[1])
    fill32 = None if fill is None else np.asarray(fill, dtype=np.float32)

    def shape(X):
        X = flatten(X) if flat else X
        if fill32 is not None:
            X = np.where(np.isnan(X), fill32, X).astype(np.float32)
        return fmap(X) if fmap else X

    def transform(X):
        return np.ascontiguousarray(scaler.transform(shape(X)), dtype=np.float32)

    transform.scaler = scaler
    transform.to_dict = lambda: {"name": name, "flatten": flat,
                                 "impute": None if fill is None else np.asarray(fill).tolist(),
                                 "scaler": _plain(scaler.to_dict())}
    return transform, shape


def preprocess_from_dict(d: dict):
    """Rebuild the transform of :func:`fit_preprocess` from its ``to_dict()``."""
    from mlplab.data.preprocessing import scaler_from_dict

    transform, _ = _pipeline(d["name"], bool(d["flatten"]), d.get("impute"),
                             scaler_from_dict(d["scaler"]))
    return transform


class TargetScaler:
    """A regression target scaled for training: ``forward(y)`` (n,) -> (n,) float32,
    ``inverse(outputs)`` (n, 1) -> (n, 1) float32 in the target's own units."""

    def __init__(self, scaler):
        self.scaler = scaler

    def forward(self, y: np.ndarray) -> np.ndarray:
        return self.scaler.transform(np.asarray(y, dtype=np.float64).reshape(-1, 1))[:, 0]

    def inverse(self, outputs: np.ndarray) -> np.ndarray:
        return self.scaler.inverse_transform(np.asarray(outputs).reshape(-1, 1))

    def to_dict(self) -> dict:
        return _plain(self.scaler.to_dict())


def fit_target_preprocess(name: str | None, y_train: np.ndarray) -> TargetScaler | None:
    """A TargetScaler fitted on the training targets for ``name`` (e.g. "standardize"), or
    None for no scaling (None or "none")."""
    if not name or name == "none":
        return None
    return TargetScaler(make_scaler(name).fit(np.asarray(y_train, np.float64).reshape(-1, 1)))


def save_preprocess(path, transform, target: TargetScaler | None = None):
    """Write a model's fitted preprocessing (inputs, and the target's scaling) as JSON."""
    import json

    from mlplab.util import atomic_write_text

    d = {"input": transform.to_dict(), "target": target.to_dict() if target else None}
    return atomic_write_text(path, json.dumps(d))


def load_preprocess(path):
    """``(transform, target_scaler or None)`` from a file of :func:`save_preprocess`."""
    import json
    from pathlib import Path

    from mlplab.data.preprocessing import scaler_from_dict

    d = json.loads(Path(path).read_text())
    target = TargetScaler(scaler_from_dict(d["target"])) if d.get("target") else None
    return preprocess_from_dict(d["input"]), target


def _plain(d):
    """A scaler's to_dict() with arrays as lists and NumPy numbers as floats, for JSON."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    if isinstance(d, np.ndarray):
        return d.tolist()
    if isinstance(d, np.generic):
        return d.item()
    return d


__all__ = ["FEATURE_MAPS", "TargetScaler", "fit_preprocess", "fit_target_preprocess",
           "load_preprocess", "parse_preprocess", "preprocess_from_dict", "product_feature",
           "save_preprocess"]

"""Preprocessing an experiment names per model: a scaler from ``mlplab.data.preprocessing``
fitted on the training split, plus the shape the model's spec expects."""

from __future__ import annotations

import numpy as np

from mlplab.data.preprocessing import flatten, make_scaler
from mlplab.spec import ModelSpec


def product_feature(X: np.ndarray) -> np.ndarray:
    """psi(x) = [x1, x2, x1 * x2]: the feature map that makes XOR linearly separable."""
    X = np.asarray(X, dtype=np.float32)
    return np.column_stack([X, X[:, 0] * X[:, 1]])


FEATURE_MAPS = {"product": product_feature}


def fit_preprocess(name: str, X_train: np.ndarray, spec: ModelSpec):
    """Return ``transform(X) -> float32`` fitted on ``X_train``.

    ``name`` is a scaler (none, unit, symmetric, zscore, standardize) or a feature map
    (product), optionally followed by ``+scaler``, e.g. ``"product+standardize"``.
    Images are flattened when the spec's input is a vector.
    """
    parts = name.split("+")
    fmap = FEATURE_MAPS.get(parts[0])
    scaler_name = parts[1] if fmap and len(parts) > 1 else ("none" if fmap else parts[0])
    scaler = make_scaler(scaler_name)
    flat = len(spec.input_shape) == 1

    def shape(X):
        X = flatten(X) if flat else X
        return fmap(X) if fmap else X

    scaler.fit(shape(X_train))

    def transform(X):
        return np.ascontiguousarray(scaler.transform(shape(X)), dtype=np.float32)

    transform.scaler = scaler
    return transform

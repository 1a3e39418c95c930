"""Input features computed from a 2-D data set's two columns (TensorFlow Playground's inputs).

Every loader of ``mlplab.data.load`` takes ``features=[...]`` (an experiment file writes it in
the data set's ``args``): the columns of a two-feature data set are replaced by the named
features, in the order given, e.g. ``features = ["x1", "x2", "x1^2", "sin(x1)"]``.

>>> import numpy as np
>>> expand(np.array([[2.0, 3.0]]), ["x1*x2", "x2^2"]).tolist()
[[6.0, 9.0]]
"""

from __future__ import annotations

import dataclasses

import numpy as np

from mlplab.data.dataset import DataError, Dataset
from mlplab.util import unknown_name

# name -> f(x1, x2), each (n,) -> (n,)
FEATURES = {
    "x1": lambda a, b: a,
    "x2": lambda a, b: b,
    "x1^2": lambda a, b: a * a,
    "x2^2": lambda a, b: b * b,
    "x1*x2": lambda a, b: a * b,
    "sin(x1)": lambda a, b: np.sin(a),
    "sin(x2)": lambda a, b: np.sin(b),
}


def check_features(names) -> list[str]:
    """``names`` as a list, refused (DataError) when empty, repeated or unknown."""
    if isinstance(names, str) or not isinstance(names, list | tuple) or not names:
        raise DataError(f"features: expected a non-empty list of names from "
                        f"{', '.join(FEATURES)}, got {names!r}")
    unknown = [n for n in names if n not in FEATURES]
    if unknown:
        raise DataError("features: " + unknown_name(FEATURES, unknown[0], "feature"))
    if len(set(names)) != len(names):
        raise DataError(f"features: {list(names)!r} names a feature twice")
    return list(names)


def expand(X: np.ndarray, names) -> np.ndarray:
    """X of shape (n, 2) -> float32 array of shape (n, len(names)), one column per feature."""
    names = check_features(names)
    X = np.asarray(X, dtype=np.float64)
    cols = [FEATURES[n](X[:, 0], X[:, 1]) for n in names]
    return np.ascontiguousarray(np.stack(cols, axis=1), dtype=np.float32)


def with_features(ds: Dataset, names) -> Dataset:
    """A copy of a two-feature data set whose columns are the named features of the two."""
    if ds.X.ndim != 2 or ds.X.shape[1] != 2:
        raise DataError(f"{ds.name}: features=[...] needs a data set with 2 feature columns, "
                        f"this one has X of shape {ds.X.shape}; leave features out")
    names = check_features(names)
    return dataclasses.replace(ds, X=expand(ds.X, names), feature_names=names,
                               splits=dict(ds.splits),
                               source=f"{ds.source}; features {', '.join(names)}")

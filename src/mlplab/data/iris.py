"""Fisher's Iris (course unit 001): 150 x 4, 3 classes, a seeded stratified 70/30 split.

Read from scikit-learn's bundled ``iris.csv`` (located without importing sklearn), or from
the identical copy in vega_datasets (``iris.json``) when sklearn is absent.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from mlplab.data.cache import package_data_file
from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import split_indices
from mlplab.data.registry import register

FEATURES = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
CLASSES = ["setosa", "versicolor", "virginica"]


def _from_sklearn_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    n, d = int(rows[0][0]), int(rows[0][1])
    data = np.array(rows[1 : n + 1], dtype=np.float64)
    return data[:, :d], data[:, d].astype(np.int64)


def _from_vega_json(path: Path) -> tuple[np.ndarray, np.ndarray]:
    records = json.loads(path.read_text(encoding="utf-8"))
    keys = ["sepalLength", "sepalWidth", "petalLength", "petalWidth"]
    X = np.array([[r[k] for k in keys] for r in records], dtype=np.float64)
    y = np.array([CLASSES.index(r["species"]) for r in records], dtype=np.int64)
    return X, y


@register("iris", "Fisher's Iris: 150 flowers, 4 features, 3 classes, 70/30 split "
                  "(course unit 001)")
def iris(seed: int = 0, test_fraction: float = 0.3) -> Dataset:
    """Iris. X float32 (150, 4), y int64 (150,); splits train 105 / test 45, stratified
    (15 test samples per class), drawn with ``np.random.default_rng(seed)``."""
    sk = package_data_file("sklearn", "datasets", "data", "iris.csv")
    vega = package_data_file("vega_datasets", "_data", "iris.json")
    try:
        if sk is not None:
            X, y, src = *_from_sklearn_csv(sk), sk
        elif vega is not None:
            X, y, src = *_from_vega_json(vega), vega
        else:
            raise DataError(
                "iris: no bundled copy found; run `pip install scikit-learn` "
                "(or `pip install vega_datasets`)"
            )
    except (OSError, ValueError, KeyError, IndexError) as e:
        if isinstance(e, DataError):
            raise
        raise DataError(f"iris: the bundled copy cannot be read ({e!r}); reinstall it") from e
    if X.shape != (150, 4):
        raise DataError(f"{src}: expected 150 x 4 values, found {X.shape}; reinstall the package")
    splits = split_indices(
        len(y), {"train": 1 - test_fraction, "test": test_fraction}, seed=seed, stratify=y
    )
    return Dataset(
        name="iris", task="classification", X=X.astype(np.float32), y=y,
        feature_names=list(FEATURES), class_names=list(CLASSES), source=str(src), splits=splits,
    )

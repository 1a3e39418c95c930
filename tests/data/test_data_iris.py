"""iris: the bundled copy, read without importing scikit-learn, split 70/30 stratified."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.data import DataError, iris, load


def test_iris_matches_sklearn():
    from sklearn.datasets import load_iris

    ref = load_iris()
    ds = load("iris")
    assert ds.X.shape == (150, 4) and ds.X.dtype == np.float32
    np.testing.assert_allclose(ds.X, ref.data.astype(np.float32))
    np.testing.assert_array_equal(ds.y, ref.target)
    assert ds.class_names == list(ref.target_names)
    assert ds.feature_names == list(ref.feature_names)
    assert ds.n_classes == 3


def test_split_70_30_stratified_and_seeded():
    ds = load("iris")
    train, test = ds.splits["train"], ds.splits["test"]
    assert len(train) == 105 and len(test) == 45
    assert np.intersect1d(train, test).size == 0
    assert np.bincount(ds.y[test]).tolist() == [15, 15, 15]
    np.testing.assert_array_equal(load("iris", seed=0).splits["test"], test)
    assert not np.array_equal(load("iris", seed=1).splits["test"], test)
    assert ds.eval_split == "test"


def test_fallback_to_vega_copy(monkeypatch):
    ref = load("iris")
    real = iris.package_data_file
    monkeypatch.setattr(iris, "package_data_file",
                        lambda pkg, *parts: None if pkg == "sklearn" else real(pkg, *parts))
    ds = load("iris")
    assert ds.source.endswith("iris.json")
    np.testing.assert_array_equal(ds.X, ref.X)  # the two bundled copies are identical
    np.testing.assert_array_equal(ds.y, ref.y)
    np.testing.assert_array_equal(ds.splits["test"], ref.splits["test"])


def test_no_copy_at_all(monkeypatch):
    monkeypatch.setattr(iris, "package_data_file", lambda *a: None)
    with pytest.raises(DataError, match="pip install scikit-learn"):
        load("iris")

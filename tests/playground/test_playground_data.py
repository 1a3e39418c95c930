"""The data the playground adds to mlplab.data: feature columns and 2-D regression surfaces."""

import numpy as np
import pytest

from mlplab import data
from mlplab.data.features import FEATURES, expand
from mlplab.errors import DataError


def test_expand_computes_each_feature_from_the_two_columns():
    X = np.array([[2.0, -1.0], [0.5, 3.0]])
    out = expand(X, list(FEATURES))
    assert out.dtype == np.float32 and out.shape == (2, 7)
    np.testing.assert_array_equal(out[0], np.float32([2, -1, 4, 1, -2, np.sin(2.0),
                                                      np.sin(-1.0)]))
    np.testing.assert_array_equal(out[:, 4], np.float32([-2.0, 1.5]))


def test_load_with_features_replaces_the_columns_and_keeps_labels():
    plain = data.load("circles", n=40, seed=3)
    ds = data.load("circles", n=40, seed=3, features=["x1*x2", "x1^2"])
    assert ds.feature_names == ["x1*x2", "x1^2"]
    np.testing.assert_array_equal(ds.y, plain.y)
    np.testing.assert_array_equal(ds.X[:, 1], (plain.X[:, 0].astype(np.float64) ** 2)
                                  .astype(np.float32))


@pytest.mark.parametrize("features, words", [
    ([], "non-empty list"), (["x3"], "unknown feature 'x3'"), (["x1", "x1"], "twice"),
    ("x1", "non-empty list"),
])
def test_bad_features_are_refused_with_the_valid_names(features, words):
    with pytest.raises(DataError, match=words):
        data.load("xor", n=8, features=features)


def test_features_need_a_two_column_data_set():
    with pytest.raises(DataError, match="2 feature columns"):
        data.load("iris", features=["x1"])


def test_plane_is_the_mean_of_the_inputs_without_noise():
    ds = data.load("plane", n=50, seed=1)
    assert ds.task == "regression" and ds.y.dtype == np.float32 and ds.X.shape == (50, 2)
    np.testing.assert_allclose(ds.y, 0.5 * (ds.X[:, 0].astype(np.float64) + ds.X[:, 1]),
                               atol=1e-6)
    assert np.all(np.abs(ds.X) <= 1)


def test_multigauss_peaks_at_its_bump_centres():
    from mlplab.data.toys import BUMPS

    ds = data.load("multigauss", n=4000, seed=0)
    assert ds.task == "regression" and float(ds.y.min()) < -0.8 and float(ds.y.max()) > 0.8
    for cx, cy, sign in BUMPS:   # the point nearest each centre has the bump's sign
        i = np.argmin((ds.X[:, 0] - cx) ** 2 + (ds.X[:, 1] - cy) ** 2)
        assert np.sign(ds.y[i]) == sign


def test_generators_are_deterministic_by_seed():
    a, b = data.load("multigauss", n=30, seed=7, noise=0.1), data.load("multigauss", n=30,
                                                                       seed=7, noise=0.1)
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.y, b.y)

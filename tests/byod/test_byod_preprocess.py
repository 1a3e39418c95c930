"""The fitted preprocessing the runner saves beside each model's weights: mean imputation,
scalers and feature maps come back from JSON unchanged, and the target scaler inverts."""

import numpy as np
import pytest

from mlplab.experiments.preprocess import (
    fit_preprocess,
    fit_target_preprocess,
    load_preprocess,
    save_preprocess,
)
from mlplab.spec import ModelSpec


@pytest.mark.parametrize("name", ["impute+standardize", "standardize", "product+standardize",
                                  "impute", "zscore"])
def test_saved_preprocessing_transforms_the_same(tmp_path, name):
    rng = np.random.default_rng(0)
    X = rng.normal(3, 2, size=(50, 2)).astype(np.float32)
    X[[1, 7], 0] = np.nan
    if "impute" not in name:
        X = np.nan_to_num(X)
    prep = fit_preprocess(name, X[:40], ModelSpec.parse("2-1"))   # a vector input: flat
    target = fit_target_preprocess("standardize", X[:40, 1] * 10)
    save_preprocess(tmp_path / "p.json", prep, target)
    prep2, target2 = load_preprocess(tmp_path / "p.json")
    np.testing.assert_array_equal(prep(X[40:]), prep2(X[40:]))
    out = rng.normal(size=(10, 1)).astype(np.float32)
    np.testing.assert_array_equal(target.inverse(out), target2.inverse(out))


def test_mean_imputation_uses_the_training_rows_only():
    X = np.array([[1.0, 5.0], [np.nan, 7.0], [3.0, np.nan], [100.0, 0.0]], dtype=np.float32)
    prep = fit_preprocess("impute", X[:3], ModelSpec.parse("2-1"))
    assert prep(np.array([[np.nan, np.nan]], np.float32)).tolist() == [[2.0, 6.0]]
    # after standardising, a filled value sits at the column's centre
    prep = fit_preprocess("impute+standardize", X[:3], ModelSpec.parse("2-1"))
    assert prep(np.array([[np.nan, np.nan]], np.float32)).tolist() == [[0.0, 0.0]]


def test_target_scaler_round_trip():
    y = np.array([25.0, 150.0, 346.0, 90.0])
    t = fit_target_preprocess("standardize", y)
    z = t.forward(y)
    assert z.dtype == np.float32 and abs(z.mean()) < 1e-6 and abs(z.std(ddof=1) - 1) < 1e-6
    np.testing.assert_allclose(t.inverse(z.reshape(-1, 1))[:, 0], y, rtol=1e-6)
    assert fit_target_preprocess(None, y) is None and fit_target_preprocess("none", y) is None

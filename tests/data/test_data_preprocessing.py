"""Splits, Standardizer, one-hot, image scalers, flatten."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlplab.data.preprocessing import (
    SCALERS,
    OneHotEncoder,
    Standardizer,
    SymmetricScaler,
    UnitScaler,
    ZScoreScaler,
    flatten,
    make_scaler,
    one_hot,
    pandas_sample_split,
    scaler_from_dict,
    split_indices,
    train_val_test_split,
)


# ------------------------------------------------------------------------------ splits
@pytest.mark.parametrize("n", [1, 5, 10, 392, 1001])
@pytest.mark.parametrize("frac", [0.8, 0.5, 0.3, 0.25])
@pytest.mark.parametrize("seed", [0, 42])
def test_pandas_sample_split_equals_pandas(n, frac, seed):
    df = pd.DataFrame({"v": np.arange(n)})
    sample = df.sample(frac=frac, random_state=seed)
    rest = df.drop(sample.index)
    mine, other = pandas_sample_split(n, frac, seed)
    np.testing.assert_array_equal(mine, sample.index.to_numpy())
    np.testing.assert_array_equal(other, rest.index.to_numpy())


def test_pandas_sample_split_leaves_global_state_alone():
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    pandas_sample_split(100)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


def test_split_indices_partition():
    s = split_indices(103, {"train": 0.7, "val": 0.15, "test": 0.15}, seed=0)
    assert [len(v) for v in s.values()] == [72, 16, 15]  # largest remainder, sums to 103
    allidx = np.concatenate(list(s.values()))
    np.testing.assert_array_equal(np.sort(allidx), np.arange(103))
    for v in s.values():
        assert v.dtype == np.int64 and np.all(np.diff(v) > 0)
    s2 = split_indices(103, {"train": 0.7, "val": 0.15, "test": 0.15}, seed=0)
    assert all(np.array_equal(s[k], s2[k]) for k in s)
    s3 = split_indices(103, {"train": 0.7, "val": 0.15, "test": 0.15},
                       seed=np.random.default_rng(1))
    assert not np.array_equal(s["test"], s3["test"])
    assert list(split_indices(10)) == ["train", "test"]


def test_split_indices_stratified():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    s = split_indices(100, {"train": 0.8, "test": 0.2}, seed=3, stratify=y)
    assert np.bincount(y[s["test"]]).tolist() == [10, 6, 4]
    assert np.bincount(y[s["train"]]).tolist() == [40, 24, 16]
    labels = np.array(["b", "a"] * 10)
    s = split_indices(20, {"train": 0.5, "test": 0.5}, stratify=labels)
    assert sorted(labels[s["test"]].tolist()) == ["a"] * 5 + ["b"] * 5


def test_split_indices_invalid():
    with pytest.raises(ValueError, match="Invalid fractions"):
        split_indices(10, {"train": 0.8, "test": 0.3})
    with pytest.raises(ValueError, match="Invalid stratify"):
        split_indices(10, stratify=np.zeros(9))


# ------------------------------------------------------------------------------ Standardizer
def test_standardizer_matches_pandas_unbiased_std():
    rng = np.random.default_rng(0)
    X = (rng.standard_normal((50, 4)) * [1, 10, 100, 1000] + [0, 5, -3, 7]).astype(np.float32)
    train, test = X[:40], X[40:]
    st = Standardizer().fit(train)
    df = pd.DataFrame(train.astype(np.float64))
    np.testing.assert_allclose(st.mean_, df.mean().to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(st.std_, df.std().to_numpy(), rtol=1e-12)  # ddof=1
    Z = st.transform(test)
    assert Z.dtype == np.float32 and Z.shape == test.shape
    np.testing.assert_allclose(Z, (test - df.mean().to_numpy()) / df.std().to_numpy(),
                               rtol=1e-5, atol=1e-5)
    Ztr = st.fit_transform(train)
    np.testing.assert_allclose(Ztr.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Ztr.std(axis=0, ddof=1), 1, atol=1e-5)
    np.testing.assert_allclose(st.inverse_transform(Ztr), train, rtol=1e-5, atol=1e-3)


def test_standardizer_dict_roundtrip_and_constant_feature():
    X = np.array([[1, 5], [2, 5], [3, 5]], dtype=np.float32)
    st = Standardizer().fit(X)
    assert st.std_[1] == 1.0  # zero spread: passes through centred
    d = st.to_dict()
    assert set(d) == {"kind", "ddof", "mean", "std"} and isinstance(d["mean"], np.ndarray)
    again = Standardizer.from_dict(d)
    np.testing.assert_array_equal(again.transform(X), st.transform(X))
    np.testing.assert_array_equal(scaler_from_dict(d).transform(X), st.transform(X))
    assert Standardizer(ddof=0).fit(X).std_[0] == pytest.approx(np.std([1, 2, 3]))


def test_standardizer_errors():
    with pytest.raises(ValueError, match="not fitted"):
        Standardizer().transform(np.zeros((2, 2)))
    st = Standardizer().fit(np.random.default_rng(0).random((5, 3)))
    with pytest.raises(ValueError, match="fitted on \\(n, 3\\)"):
        st.transform(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="Invalid X"):
        Standardizer().fit(np.zeros((1, 3)))


# ------------------------------------------------------------------------------ one-hot
def test_one_hot():
    Y = one_hot(np.array([2, 0, 1]))
    np.testing.assert_array_equal(Y, [[0, 0, 1], [1, 0, 0], [0, 1, 0]])
    assert Y.dtype == np.float32
    assert one_hot(np.array([0, 1]), n_classes=4).shape == (2, 4)
    with pytest.raises(ValueError, match="Invalid n_classes"):
        one_hot(np.array([0, 5]), n_classes=3)
    with pytest.raises(ValueError, match="Invalid y"):
        one_hot(np.array([0.5, 1.0]))
    enc = OneHotEncoder().fit(np.array([0, 3]))
    assert enc.n_classes == 4
    Y = enc.transform(np.array([3, 1]))
    np.testing.assert_array_equal(enc.inverse_transform(Y), [3, 1])
    assert OneHotEncoder.from_dict(enc.to_dict()).n_classes == 4


# ------------------------------------------------------------------------------ images
@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)


def test_unit_and_symmetric_scalers(images):
    u = UnitScaler().transform(images)
    s = SymmetricScaler().fit_transform(images)
    for out in (u, s):
        assert out.dtype == np.float32 and out.shape == images.shape
    np.testing.assert_allclose(u, images / 255.0, atol=1e-7)
    np.testing.assert_allclose(s, images / 127.5 - 1, atol=1e-6)
    edge = np.array([0, 255], np.uint8)
    assert SymmetricScaler().transform(edge).tolist() == [-1.0, 1.0]
    assert UnitScaler().transform(edge).tolist() == [0.0, 1.0]
    raw = make_scaler("none").transform(images)
    assert raw.dtype == np.float32 and raw.max() == images.max()


def test_zscore_scalar_mean_std_from_training_pixels(images):
    z = ZScoreScaler().fit(images[:15])
    ref = images[:15].astype(np.float64)
    assert z.mean_ == pytest.approx(ref.mean(), rel=1e-12)
    assert z.std_ == pytest.approx(ref.std(ddof=1), rel=1e-12)
    out = z.transform(images[15:])
    assert out.dtype == np.float32 and out.shape == (5, 28, 28)
    np.testing.assert_allclose(out, (images[15:] - ref.mean()) / ref.std(ddof=1), atol=1e-5)
    zf = ZScoreScaler().fit(images[:15].astype(np.float32))  # float input: chunked path
    assert zf.mean_ == pytest.approx(z.mean_, rel=1e-9)
    assert zf.std_ == pytest.approx(z.std_, rel=1e-9)
    again = ZScoreScaler.from_dict(z.to_dict())
    np.testing.assert_array_equal(again.transform(images), z.transform(images))
    assert isinstance(z.to_dict()["mean"], float)


def test_make_scaler_registry():
    assert set(SCALERS) == {"none", "unit", "symmetric", "zscore", "standardize"}
    assert isinstance(make_scaler("[-1, 1]"), SymmetricScaler)
    assert isinstance(make_scaler("[0,1]"), UnitScaler)
    assert isinstance(make_scaler("z-score"), ZScoreScaler)
    assert isinstance(make_scaler("standardize"), Standardizer)
    with pytest.raises(ValueError, match="unknown scaler 'minmax'; choose one of none, unit"):
        make_scaler("minmax")
    assert isinstance(scaler_from_dict({"kind": "symmetric"}), SymmetricScaler)


def test_flatten_is_a_view(images):
    flat = flatten(images)
    assert flat.shape == (20, 784) and np.shares_memory(flat, images)


def test_train_val_test_split():
    y = np.repeat([0, 1], [60, 40])
    s = train_val_test_split(100, val=0.2, test=0.1, seed=0, stratify=y)
    assert [len(s[k]) for k in ("train", "val", "test")] == [70, 20, 10]
    assert np.bincount(y[s["val"]]).tolist() == [12, 8]
    np.testing.assert_array_equal(np.sort(np.concatenate(list(s.values()))), np.arange(100))
    only_val = train_val_test_split(10, val=0.3, test=0.0)
    assert len(only_val["val"]) == 3 and len(only_val["test"]) == 0
    with pytest.raises(ValueError, match="Invalid val"):
        train_val_test_split(10, val=0.6, test=0.5)

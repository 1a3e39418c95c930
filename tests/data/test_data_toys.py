"""Generated 2-D data: xor, moons, circles, blobs, checkerboard, spiral, and the course's spiral."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.data import DataError, load

TOYS = ["xor", "moons", "circles", "blobs", "checkerboard", "spiral"]


@pytest.mark.parametrize("name", TOYS + ["nonlinear"])
def test_shapes_dtypes_and_metadata(name):
    ds = load(name)
    assert ds.task == "classification"
    assert ds.X.ndim == 2 and ds.X.shape[1] == 2 and ds.X.dtype == np.float32
    assert ds.y.dtype == np.int64 and ds.y.shape == (ds.n_samples,)
    assert ds.feature_names == ["x1", "x2"]
    assert ds.n_classes == len(ds.class_names) == int(ds.y.max()) + 1
    assert list(ds.splits) == ["train"]
    np.testing.assert_array_equal(ds.splits["train"], np.arange(ds.n_samples))
    assert ds.source.startswith("generated: ")
    assert np.isfinite(ds.X).all()


@pytest.mark.parametrize("name", TOYS)
def test_seeded_and_reproducible(name):
    a, b, c = load(name, seed=1), load(name, seed=1), load(name, seed=2)
    np.testing.assert_array_equal(a.X, b.X)
    assert not np.array_equal(a.X, c.X)
    gen = load(name, seed=np.random.default_rng(1))  # a Generator works as well
    np.testing.assert_array_equal(gen.X, a.X)


@pytest.mark.parametrize("name", TOYS)
@pytest.mark.parametrize("n", [7, 40])
def test_n_is_the_total_and_classes_are_balanced(name, n):
    ds = load(name, n=n)
    assert ds.n_samples == n
    if name != "checkerboard":  # checkerboard labels follow the cell a point falls in
        counts = np.bincount(ds.y)
        assert counts.max() - counts.min() <= 1


def test_xor_truth_table():
    ds = load("xor", n=4, noise=0.0)
    np.testing.assert_array_equal(ds.X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(ds.y, [0, 1, 1, 0])


def test_xor_blobs_sit_at_their_corners():
    ds = load("xor", n=400, noise=0.1)
    corner = np.round(ds.X).clip(0, 1).astype(int)
    assert (np.logical_xor(corner[:, 0], corner[:, 1]) == ds.y).mean() > 0.99


def test_moons_and_circles_geometry():
    m = load("moons", n=200, noise=0.0)
    upper, lower = m.X[m.y == 0], m.X[m.y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1, atol=1e-6)
    c = load("circles", n=200, noise=0.0, factor=0.3)
    r = np.hypot(*c.X.T)
    np.testing.assert_allclose(r[c.y == 0], 1, atol=1e-6)
    np.testing.assert_allclose(r[c.y == 1], 0.3, atol=1e-6)


def test_blobs_centres():
    ds = load("blobs", n=3000, noise=0.5, k=4, radius=5.0)
    for j in range(4):
        centre = 5 * np.array([np.cos(np.pi * j / 2), np.sin(np.pi * j / 2)])
        np.testing.assert_allclose(ds.X[ds.y == j].mean(axis=0), centre, atol=0.1)


def test_checkerboard_parity():
    ds = load("checkerboard", n=500, tiles=4)
    cells = np.floor((ds.X + 1) / 2 * 4).astype(int)
    np.testing.assert_array_equal((cells.sum(axis=1)) % 2, ds.y)
    assert np.abs(ds.X).max() <= 1


def test_spiral_k_classes():
    ds = load("spiral", n=500, k=5, noise=0.0)
    assert ds.n_classes == 5 and np.bincount(ds.y).tolist() == [100] * 5
    np.testing.assert_allclose(np.hypot(*ds.X[ds.y == 0].T), np.linspace(0, 1, 100), atol=1e-6)


def test_nonlinear_is_the_cs231n_spiral():
    """The reference construction, written out as in cs231n, with the same Generator."""
    rng = np.random.default_rng(0)
    N, K = 100, 3
    X = np.zeros((N * K, 2))
    y = np.zeros(N * K, dtype=int)
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    ds = load("nonlinear")
    np.testing.assert_allclose(ds.X, X, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(ds.y, y)
    assert load("nonlinear", n_per_class=50, noise=0.1, seed=3).n_samples == 150


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"n": -3}, {"n": 2.5}, {"noise": -0.1},
                                    {"noise": float("nan")}])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError, match="Invalid"):
        load("moons", **kwargs)


def test_invalid_shape_arguments():
    with pytest.raises(ValueError, match="Invalid factor"):
        load("circles", factor=1.5)
    with pytest.raises(ValueError, match="Invalid tiles"):
        load("checkerboard", tiles=1)
    with pytest.raises(ValueError, match="Invalid n"):
        load("spiral", n=2, k=3)


# ------------------------------------------------------------ the course's NonLinear_data.npy
def _course_file(tmp_path):
    rng = np.random.default_rng(5)
    data = {"X": rng.standard_normal((30, 2)), "labels": np.repeat(np.arange(3), 10)}
    path = tmp_path / "NonLinear_data.npy"
    np.save(path, data)  # a dict: saved as a pickled object array, as the course did
    return path, data


def test_course_file_needs_trust(tmp_path):
    path, _ = _course_file(tmp_path)
    with pytest.raises(DataError) as e:
        load("nonlinear", path=path)
    msg = str(e.value)
    assert str(path) in msg and "pickle" in msg and "arbitrary code" in msg
    assert "trust_pickle=True" in msg and "--trust-pickle" in msg and "\n" not in msg


def test_course_file_with_trust(tmp_path):
    path, data = _course_file(tmp_path)
    ds = load("nonlinear", path=path, trust_pickle=True)
    np.testing.assert_allclose(ds.X, data["X"].astype(np.float32))
    np.testing.assert_array_equal(ds.y, data["labels"])
    assert ds.source == str(path) and ds.n_classes == 3


def test_npz_needs_no_trust(tmp_path):
    path = tmp_path / "d.npz"
    np.savez(path, X=np.ones((4, 2)), labels=np.array([0, 1, 0, 1]))
    assert load("nonlinear", path=path).n_samples == 4


@pytest.mark.parametrize("content, match", [
    ({"X": np.ones((4, 2))}, "expected a dict with keys 'X' and 'labels'"),
    ({"X": np.ones((4, 2)), "labels": np.arange(3)}, "expected \\(n, 2\\) and \\(n,\\)"),
    ({"X": np.full((2, 2), np.nan), "labels": np.arange(2)}, "NaN"),
    ({"X": np.ones((2, 2)), "labels": np.array([0.5, 1])}, "non-negative integers"),
    ([1, 2, 3], "expected a dict"),
])
def test_course_file_bad_contents(tmp_path, content, match):
    path = tmp_path / "bad.npy"
    np.save(path, np.array(content, dtype=object) if isinstance(content, dict) else content,
            allow_pickle=True)
    with pytest.raises(DataError, match=match):
        load("nonlinear", path=path, trust_pickle=True)


def test_course_file_missing_or_garbage(tmp_path):
    with pytest.raises(DataError, match="no such file"):
        load("nonlinear", path=tmp_path / "nope.npy")
    junk = tmp_path / "junk.npy"
    junk.write_bytes(b"not numpy at all")
    with pytest.raises(DataError, match="junk.npy"):
        load("nonlinear", path=junk, trust_pickle=True)

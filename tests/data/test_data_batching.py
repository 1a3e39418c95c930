"""Mini-batches: counts from the slides, permutations, contiguity, drop_last."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.data import BatchLoader, iter_batches, num_batches


def test_slide_counts():
    assert num_batches(60_000, 1024) == 59
    assert num_batches(60_000, 3500) == 18
    assert num_batches(60_000, 3500, drop_last=True) == 17
    assert num_batches(60_000, 64) == 938
    assert num_batches(0, 10) == 0
    X = np.zeros((60_000, 1), np.uint8)
    sizes = [len(xb) for xb, _ in iter_batches(X, None, 3500)]
    assert len(sizes) == 18 and sizes[:17] == [3500] * 17 and sizes[-1] == 500
    sizes = [len(xb) for xb, _ in iter_batches(X, None, 1024, rng=np.random.default_rng(0))]
    assert len(sizes) == 59 and sizes[-1] == 60_000 - 58 * 1024
    assert [len(x) for x, _ in iter_batches(X, None, 3500, drop_last=True)] == [3500] * 17


def test_no_shuffle_keeps_order_and_y_follows():
    X = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    y = np.arange(10)
    batches = list(iter_batches(X, y, 4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    for xb, yb in batches:
        np.testing.assert_array_equal(xb, X[yb])
        assert xb.flags.c_contiguous and yb.flags.c_contiguous


def test_shuffle_is_a_permutation_from_the_generator():
    X = np.arange(100 * 2).reshape(100, 2)
    y = np.arange(100)
    seen = np.concatenate([yb for _, yb in iter_batches(X, y, 16, rng=np.random.default_rng(7))])
    np.testing.assert_array_equal(seen, np.random.default_rng(7).permutation(100))
    for xb, yb in iter_batches(X, y, 16, rng=np.random.default_rng(7)):
        np.testing.assert_array_equal(xb, X[yb])
        assert xb.flags.c_contiguous and not np.shares_memory(xb, X)


def test_images_keep_their_shape_and_dtype():
    X = np.zeros((10, 28, 28), np.uint8)
    xb, yb = next(iter(iter_batches(X, None, 4, rng=np.random.default_rng(0))))
    assert xb.shape == (4, 28, 28) and xb.dtype == np.uint8 and yb is None


def test_loader_len_and_new_permutation_each_epoch():
    X = np.arange(50)[:, None]
    y = np.arange(50)
    loader = BatchLoader(X, y, 8, rng=np.random.default_rng(0))
    assert len(loader) == 7 and len(BatchLoader(X, y, 8, drop_last=True)) == 6
    e1 = np.concatenate([yb for _, yb in loader])
    e2 = np.concatenate([yb for _, yb in loader])
    assert sorted(e1) == sorted(e2) == list(range(50)) and not np.array_equal(e1, e2)
    again = np.concatenate([yb for _, yb in BatchLoader(X, y, 8, rng=np.random.default_rng(0))])
    np.testing.assert_array_equal(again, e1)  # same seed, same epoch order


@pytest.mark.parametrize("bs", [0, -1, 2.5, True, "8"])
def test_invalid_batch_size(bs):
    with pytest.raises(ValueError, match="Invalid batch_size"):
        num_batches(10, bs)
    with pytest.raises(ValueError, match="Invalid batch_size"):
        list(iter_batches(np.zeros((4, 1)), None, bs))


def test_invalid_rng_and_y():
    with pytest.raises(TypeError, match="np.random.Generator"):
        list(iter_batches(np.zeros((4, 1)), None, 2, rng=0))
    with pytest.raises(TypeError, match="np.random.Generator"):
        BatchLoader(np.zeros((4, 1)), None, 2, rng=np.random.RandomState(0))
    with pytest.raises(ValueError, match="Invalid y: 3 rows but X has 4"):
        list(iter_batches(np.zeros((4, 1)), np.zeros(3), 2))

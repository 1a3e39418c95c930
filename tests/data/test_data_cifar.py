"""CIFAR-10 in its binary and python (pickle) versions, on small files the tests write."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplab.data import DataError, load
from mlplab.data.cifar import CLASSES, RECORD, parse_cifar_bin

NAMES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def _batches(seed=0, per_file=4):
    """Six small batches: images uint8 (per_file, 3, 32, 32), labels."""
    rng = np.random.default_rng(seed)
    return [
        (rng.integers(0, 256, (per_file, 3, 32, 32), dtype=np.uint8),
         rng.integers(0, 10, per_file).astype(np.uint8))
        for _ in NAMES
    ]


def _write_bin(folder, batches):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in zip(NAMES, batches, strict=True):
        records = np.concatenate([labels[:, None], images.reshape(len(labels), -1)], axis=1)
        (folder / f"{name}.bin").write_bytes(records.astype(np.uint8).tobytes())
    (folder / "batches.meta.txt").write_text("\n".join(CLASSES) + "\n\n")


def _write_py(folder, batches):
    folder.mkdir(parents=True, exist_ok=True)
    for name, (images, labels) in zip(NAMES, batches, strict=True):
        d = {b"batch_label": name.encode(), b"labels": labels.tolist(),
             b"data": images.reshape(len(labels), -1), b"filenames": [b"x.png"] * len(labels)}
        with open(folder / name, "wb") as f:
            pickle.dump(d, f, protocol=2)
    with open(folder / "batches.meta", "wb") as f:
        pickle.dump({b"label_names": [c.encode() for c in CLASSES]}, f)


def _check(ds, batches):
    images = np.concatenate([b[0] for b in batches])
    labels = np.concatenate([b[1] for b in batches]).astype(np.int64)
    assert ds.X.shape == (24, 3, 32, 32) and ds.X.dtype == np.uint8
    np.testing.assert_array_equal(ds.X, images)
    np.testing.assert_array_equal(ds.y, labels)
    assert len(ds.splits["train"]) == 20 and len(ds.splits["test"]) == 4
    np.testing.assert_array_equal(ds.split("test")[0], batches[-1][0])
    assert ds.class_names == CLASSES


@pytest.mark.parametrize("sub", ["", "cifar-10-batches-bin"])
def test_binary_version(tmp_path, sub):
    batches = _batches()
    _write_bin(tmp_path / sub if sub else tmp_path, batches)
    _check(load("cifar10", path=tmp_path), batches)


def test_channel_major_layout(tmp_path):
    batches = _batches(per_file=1)
    img = np.zeros((1, 3, 32, 32), np.uint8)
    img[0, 0], img[0, 1], img[0, 2] = 10, 20, 30  # R, G, B planes
    batches[0] = (img, np.array([7], np.uint8))
    _write_bin(tmp_path, batches)
    ds = load("cifar10", path=tmp_path)
    assert ds.X[0, :, 5, 5].tolist() == [10, 20, 30] and ds.y[0] == 7


@pytest.mark.parametrize("sub", ["", "cifar-10-batches-py"])
def test_python_version_with_trust(tmp_path, sub):
    batches = _batches(1)
    _write_py(tmp_path / sub if sub else tmp_path, batches)
    _check(load("cifar10", path=tmp_path, trust_pickle=True), batches)


def test_python_version_without_trust(tmp_path):
    _write_py(tmp_path / "cifar-10-batches-py", _batches())
    with pytest.raises(DataError) as e:
        load("cifar10", path=tmp_path)
    msg = str(e.value)
    assert "cifar-10-batches-py" in msg and "arbitrary code" in msg
    assert "trust_pickle=True" in msg and "--trust-pickle" in msg


def test_binary_preferred_over_pickle(tmp_path):
    batches = _batches(2)
    _write_bin(tmp_path, batches)
    _write_py(tmp_path / "cifar-10-batches-py", _batches(3))
    _check(load("cifar10", path=tmp_path), batches)  # no trust needed


def test_truncated_binary_file(tmp_path):
    _write_bin(tmp_path, _batches())
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DataError, match=r"data_batch_3.bin: 12291 bytes is not a whole number"):
        load("cifar10", path=tmp_path)


def test_batches_above_the_data_limit_are_refused_before_the_stack_is_allocated(
        tmp_path, monkeypatch):
    _write_bin(tmp_path, _batches())
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", str(23 * 3072))   # 24 images hold 24 x 3072
    with pytest.raises(DataError) as e:
        load("cifar10", path=tmp_path)
    assert str(e.value).startswith(f"{tmp_path}: 24 images of 3x32x32 bytes need ")
    assert "MLPLAB_MAX_DATA_BYTES=" in str(e.value)


def test_bad_label_in_binary_file(tmp_path):
    _write_bin(tmp_path, _batches())
    path = tmp_path / "test_batch.bin"
    data = bytearray(path.read_bytes())
    data[RECORD] = 42  # label byte of record 1
    path.write_bytes(bytes(data))
    with pytest.raises(DataError, match="test_batch.bin: record 1 has label 42"):
        load("cifar10", path=tmp_path)


def test_missing_files(tmp_path):
    _write_bin(tmp_path, _batches())
    (tmp_path / "data_batch_5.bin").unlink()
    with pytest.raises(DataError, match="no CIFAR-10 batches found"):
        load("cifar10", path=tmp_path)
    with pytest.raises(DataError, match="no such folder"):
        load("cifar10", path=tmp_path / "nope")


def test_bad_pickle_contents(tmp_path):
    folder = tmp_path / "cifar-10-batches-py"
    _write_py(folder, _batches())
    with open(folder / "data_batch_2", "wb") as f:
        pickle.dump({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}, f)
    with pytest.raises(DataError, match="data_batch_2: 'data' has shape \\(2, 100\\)"):
        load("cifar10", path=tmp_path, trust_pickle=True)
    (folder / "data_batch_2").write_bytes(b"garbage, not a pickle")
    with pytest.raises(DataError, match="data_batch_2: cannot unpickle"):
        load("cifar10", path=tmp_path, trust_pickle=True)
    with open(folder / "data_batch_2", "wb") as f:
        pickle.dump([1, 2, 3], f)
    with pytest.raises(DataError, match="expected a pickled dict"):
        load("cifar10", path=tmp_path, trust_pickle=True)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=4 * RECORD),
                 st.integers(1, 3).flatmap(lambda n: st.binary(min_size=n * RECORD,
                                                               max_size=n * RECORD))))
def test_fuzz_binary_reader(data):
    try:
        images, labels = parse_cifar_bin(data, "fuzz")
    except DataError as e:
        assert "\n" not in str(e)
        return
    assert images.shape == (len(data) // RECORD, 3, 32, 32) and labels.max() <= 9

"""The IDX reader on files the tests write, including damaged ones and random bytes."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplab.data import DataError
from mlplab.data.idx import IMAGES_MAGIC, LABELS_MAGIC, parse_idx, read_idx


def _idx(arr, magic=None):
    arr = np.ascontiguousarray(arr)
    codes = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C,
             np.float32: 0x0D, np.float64: 0x0E}
    if magic is None:
        magic = (codes[arr.dtype.type] << 8) + arr.ndim
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_images_magic_2051_and_labels_2049():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    data = _idx(images)
    assert int.from_bytes(data[:4], "big") == IMAGES_MAGIC == 2051
    assert int.from_bytes(_idx(np.zeros(5, np.uint8))[:4], "big") == LABELS_MAGIC == 2049
    out = parse_idx(data, expect_magic=IMAGES_MAGIC)
    np.testing.assert_array_equal(out, images)
    assert out.dtype == np.uint8 and out.flags.writeable and out.flags.c_contiguous


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_gzip_and_raw(tmp_path, gz):
    images = np.random.default_rng(0).integers(0, 256, (7, 28, 28), dtype=np.uint8)
    data = _idx(images)
    path = tmp_path / ("x.gz" if gz else "x")
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    np.testing.assert_array_equal(read_idx(path, expect_magic=2051), images)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_other_idx_types_big_endian(dtype):
    arr = (np.arange(12).reshape(3, 4) - 5).astype(dtype)
    out = parse_idx(_idx(arr))
    assert out.dtype == np.dtype(dtype)  # native byte order
    np.testing.assert_array_equal(out, arr)


def test_bad_magic(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(_idx(np.zeros((2, 2, 2), np.uint8), magic=1234))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: bad IDX magic number 1234"):
        read_idx(path)
    labels = tmp_path / "labels"
    labels.write_bytes(_idx(np.zeros(3, np.uint8)))
    with pytest.raises(DataError, match=r"labels: bad IDX magic number 2049 \(expected 2051\)"):
        read_idx(labels, expect_magic=IMAGES_MAGIC)


def test_counts_disagree_with_file_size(tmp_path):
    data = _idx(np.zeros((10, 28, 28), np.uint8))
    path = tmp_path / "short"
    path.write_bytes(data[:-100])  # header says 10 images, file holds less
    with pytest.raises(DataError) as e:
        read_idx(path)
    msg = str(e.value)
    assert str(path) in msg and "10 x 28 x 28" in msg and "replace it" in msg
    path.write_bytes(data + b"extra")
    with pytest.raises(DataError, match="but the file holds"):
        read_idx(path)


def test_truncated_gzip(tmp_path):
    data = gzip.compress(_idx(np.ones((50, 28, 28), np.uint8)), mtime=0)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte.gz: corrupt or truncated gzip"):
        read_idx(path)


def test_short_header_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="too short"):
        parse_idx(b"\x00\x00")
    with pytest.raises(DataError, match="ends inside the IDX header"):
        parse_idx(b"\x00\x00\x08\x03\x00\x00")
    with pytest.raises(DataError, match="0 dimensions"):
        parse_idx(b"\x00\x00\x08\x00")
    with pytest.raises(DataError, match="missing.gz: no such file"):
        read_idx(tmp_path / "missing.gz")


def test_a_folder_or_a_pipe_is_refused_before_reading(tmp_path):
    """A FIFO would block read_bytes for ever; a folder is a mistyped path."""
    import os

    with pytest.raises(DataError, match="is a folder, not a regular file; pass an IDX file"):
        read_idx(tmp_path)
    fifo = tmp_path / "train-images-idx3-ubyte.gz"
    os.mkfifo(fifo)
    with pytest.raises(DataError, match=r"is a named pipe \(FIFO\), not a regular file"):
        read_idx(fifo)


def test_a_gzip_bomb_is_refused_at_the_data_limit(tmp_path, monkeypatch):
    """A small .gz that inflates beyond MLPLAB_MAX_DATA_BYTES stops at the limit, one line."""
    path = tmp_path / "bomb-idx3-ubyte.gz"
    inflated = _idx(np.zeros((100, 28, 28), np.uint8))
    path.write_bytes(gzip.compress(inflated, mtime=0))
    assert path.stat().st_size < 1000 < len(inflated)
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", "50000")
    with pytest.raises(DataError) as e:
        read_idx(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: its decompressed contents need ")
    assert "above the data limit of 48.8 KiB" in msg and "MLPLAB_MAX_DATA_BYTES=" in msg
    assert "\n" not in msg
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", str(len(inflated)))   # exactly enough: read
    assert read_idx(path).shape == (100, 28, 28)


def test_an_idx_file_above_the_file_limit_is_refused_unread(tmp_path, monkeypatch):
    path = tmp_path / "big-idx1-ubyte"
    path.write_bytes(_idx(np.zeros(5000, np.uint8)))
    monkeypatch.setenv("MLPLAB_MAX_FILE_BYTES", "4096")
    with pytest.raises(DataError, match="above the input-file limit"):
        read_idx(path)


def test_error_messages_are_one_line(tmp_path):
    path = tmp_path / "bad"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x09abc")
    with pytest.raises(DataError) as e:
        read_idx(path)
    assert "\n" not in str(e.value)


# --------------------------------------------------------------- property-based: never crash
_FUZZ = settings(max_examples=300, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])


def _parse_or_data_error(data: bytes):
    try:
        out = parse_idx(data, source="fuzz")
    except DataError as e:
        assert "\n" not in str(e)
        return None
    assert isinstance(out, np.ndarray)
    return out


@_FUZZ
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data):
    _parse_or_data_error(data)


@_FUZZ
@given(
    st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07, 0xFF]),
    st.integers(0, 6),
    st.lists(st.integers(0, 2**32 - 1), max_size=6),
    st.binary(max_size=512),
)
def test_fuzz_plausible_headers(code, ndim, dims, payload):
    """Valid-looking magics with arbitrary (also huge) sizes: an error, never a huge allocation."""
    data = bytes([0, 0, code, ndim]) + b"".join(d.to_bytes(4, "big") for d in dims) + payload
    out = _parse_or_data_error(data)
    if out is not None:
        assert out.ndim == ndim
        assert out.size * out.itemsize == len(data) - (4 + 4 * ndim)


@_FUZZ
@given(st.binary(max_size=1024), st.booleans())
def test_fuzz_files_gzip_or_raw(tmp_path_factory, data, compress):
    path = tmp_path_factory.mktemp("fuzz") / "f"
    blob = gzip.compress(data, mtime=0) if compress else data
    if not compress and data[:2] == b"\x1f\x8b":
        blob = data  # random bytes that look gzipped: must still give DataError or parse
    path.write_bytes(blob)
    try:
        read_idx(path)
    except DataError:
        pass


@_FUZZ
@given(st.binary(min_size=1, max_size=512))
def test_fuzz_garbage_after_gzip_magic(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.gz"
    path.write_bytes(b"\x1f\x8b" + data)
    try:
        read_idx(path)
    except DataError:
        pass

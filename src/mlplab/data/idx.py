"""Reader for the IDX format of MNIST and Fashion-MNIST (gzip-compressed or raw).

Layout: a 4-byte magic ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes,
then the data, big-endian, C order. Images are magic 2051 (uint8, 3 dims), labels 2049
(uint8, 1 dim).
"""

from __future__ import annotations

import gzip
import io
import os
import zlib

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.data.validate import regular_file
from mlplab.limits import MAX_DATA_BYTES, check_data_bytes

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049

# IDX type byte -> big-endian numpy dtype
_DTYPES: dict[int, str] = {
    0x08: "u1",
    0x09: "i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"


def parse_idx(data: bytes, source: str = "<bytes>", expect_magic: int | None = None) -> np.ndarray:
    """Parse the bytes of an uncompressed IDX file.

    Parameters
    ----------
    data : bytes
        The whole file.
    source : str
        Name used in error messages.
    expect_magic : int, optional
        Required magic number (2051 images, 2049 labels).

    Returns
    -------
    ndarray of the shape the header gives, native byte order, writable.

    Raises
    ------
    DataError
        Bad magic, unknown type, or sizes that disagree with the file length.
    """
    fix = "the file is damaged or not an IDX file; replace it with the official one"
    if len(data) < 4:
        raise DataError(f"{source}: only {len(data)} bytes, too short for an IDX header; {fix}")
    magic = int.from_bytes(data[:4], "big")
    if expect_magic is not None and magic != expect_magic:
        raise DataError(f"{source}: bad IDX magic number {magic} (expected {expect_magic}); {fix}")
    if data[0] != 0 or data[1] != 0 or data[2] not in _DTYPES:
        raise DataError(f"{source}: bad IDX magic number {magic}; {fix}")
    ndim = data[3]
    if ndim == 0:
        raise DataError(f"{source}: IDX header declares 0 dimensions; {fix}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(
            f"{source}: file ends inside the IDX header ({len(data)} bytes, header needs "
            f"{header}); {fix}"
        )
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    dtype = np.dtype(_DTYPES[data[2]])
    count = 1
    for d in dims:
        count *= d
    expected = header + count * dtype.itemsize
    span = 1
    for d in dims:
        span *= max(d, 1)
    if span * dtype.itemsize > np.iinfo(np.intp).max:  # e.g. 0 x 2**32 x 2**32 x ...
        raise DataError(f"{source}: IDX sizes {' x '.join(map(str, dims))} are impossible; {fix}")
    if expected != len(data):
        raise DataError(
            f"{source}: IDX header says {' x '.join(map(str, dims))} items ({expected} bytes) "
            f"but the file holds {len(data)} bytes; {fix}"
        )
    arr = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="), copy=True)


def read_idx(path: str | os.PathLike, expect_magic: int | None = None) -> np.ndarray:
    """Read an IDX file, gzip-compressed (detected by content) or raw; see :func:`parse_idx`.
    The file must be a regular file within the input-file limit, and what it decompresses to
    within the data limit (a gzip bomb is refused before it fills the memory)."""
    path = regular_file(path, "an IDX file (.gz or raw), e.g. train-images-idx3-ubyte.gz")
    try:
        raw = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e}); check the path") from e
    if raw[:2] == _GZIP_MAGIC:
        top = MAX_DATA_BYTES.value()
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                raw = f.read(top + 1)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(
                f"{path}: corrupt or truncated gzip ({e}); delete the file and download it again"
            ) from e
        check_data_bytes(len(raw), str(path), "its decompressed contents",
                         "check that it is the official IDX file")
    return parse_idx(raw, source=str(path), expect_magic=expect_magic)

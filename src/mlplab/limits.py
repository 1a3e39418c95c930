"""The stated limits on what mlplab allocates, and how to raise them.

Every check runs *before* the memory is taken, from sizes computed without allocating (a
spec's parameter count, a loader's row count, an .npz array's header, a file's size), so a
mistyped width or row count ends in one line with the computed size instead of NumPy's
memory error, a swapping machine or a read that never ends.

=====================  ================  ===========================  ===========================
limit                  default           raise it with                what it bounds
=====================  ================  ===========================  ===========================
model parameters       200,000,000       ``MLPLAB_MAX_PARAMS``        a model spec (800 MB of
                                                                      float32 weights; training
                                                                      holds about four times
                                                                      that: weights, gradients,
                                                                      Adam's two moments)
data array             4 GiB             ``MLPLAB_MAX_DATA_BYTES``    one array a loader
                                                                      allocates: a generated
                                                                      data set, an encoded
                                                                      table, an image stack, an
                                                                      .npz array
input file             1 GiB             ``MLPLAB_MAX_FILE_BYTES``    a CSV table or an .npz
                                                                      file read as data
one-hot levels         256               ``MLPLAB_MAX_ONEHOT_LEVELS`` the levels of one text
                                                                      column of a table
=====================  ================  ===========================  ===========================

The environment variable is read at each check, so ``MLPLAB_MAX_PARAMS=1e9 mlplab summary
...`` raises the limit for one command. Values are plain numbers (``5e8``, ``8000000000``).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from mlplab.errors import DataError, SpecError, UsageError


@dataclass(frozen=True)
class Limit:
    """One limit: its environment variable, default and unit ("parameters", "bytes", ...)."""

    env: str
    default: int
    unit: str

    def value(self) -> int:
        """The limit in force: ``$env`` when set, else the default."""
        text = os.environ.get(self.env, "").strip()
        if not text:
            return self.default
        try:
            v = float(text.replace("_", ""))
        except ValueError:
            v = math.nan
        if not (math.isfinite(v) and v >= 1):
            raise UsageError(f"{self.env}={text!r}: expected a positive number of {self.unit}, "
                             f"e.g. {self.default:.0e}; unset it for the default")
        return int(v)


MAX_PARAMS = Limit("MLPLAB_MAX_PARAMS", 200_000_000, "parameters")
MAX_DATA_BYTES = Limit("MLPLAB_MAX_DATA_BYTES", 4 * 2**30, "bytes")
MAX_FILE_BYTES = Limit("MLPLAB_MAX_FILE_BYTES", 2**30, "bytes")
MAX_ONEHOT_LEVELS = Limit("MLPLAB_MAX_ONEHOT_LEVELS", 256, "levels")


def format_bytes(n: float) -> str:
    """``1536`` -> "1.5 KiB"; binary units up to EiB, larger numbers in EiB."""
    units = ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB")
    k = 0
    while n >= 1024 and k < len(units) - 1:
        n, k = n / 1024, k + 1
    return f"{int(n)} bytes" if k == 0 else f"{n:.1f} {units[k]}"


def round_up(n: int) -> str:
    """``n`` rounded up to two significant digits, written for an environment variable:
    500000002 -> "5.1e8", 1536 -> "1600"."""
    if n < 100:
        return str(int(n))
    e = len(str(int(n))) - 1
    m = -(-int(n) // 10 ** (e - 1))   # ceil(n / 10**(e-1)), an int in 10..100
    if m == 100:
        m, e = 10, e + 1
    return str(m * 10 ** (e - 1)) if e < 6 else f"{m / 10:g}e{e}"


def _raise_hint(limit: Limit, needed: int) -> str:
    return f"set {limit.env}={round_up(needed)} to allow it"


def check_params(count: int, what: str, itemsize: int = 4) -> None:
    """SpecError when a model of ``count`` parameters is above :data:`MAX_PARAMS`; ``what``
    names the model (e.g. "model spec '784-10'"), ``itemsize`` the bytes per weight."""
    top = MAX_PARAMS.value()
    if count > top:
        raise SpecError(f"{what}: {count:,} parameters ({format_bytes(count * itemsize)} as "
                        f"float{8 * itemsize}) exceed the limit of {top:,} parameters; use "
                        f"smaller widths, or {_raise_hint(MAX_PARAMS, count)}")


def check_data_bytes(nbytes: int, what: str, detail: str, fix: str) -> None:
    """DataError when an array of ``nbytes`` is above :data:`MAX_DATA_BYTES`.

    ``what`` names the data (a file, "moons"), ``detail`` how the size comes about ("3,000,000
    rows x 2 features as float64"), ``fix`` what to lower ("lower n")."""
    top = MAX_DATA_BYTES.value()
    if nbytes > top:
        raise DataError(f"{what}: {detail} need {format_bytes(nbytes)}, above the data limit "
                        f"of {format_bytes(top)}; {fix}, or {_raise_hint(MAX_DATA_BYTES, nbytes)}")


def check_file_bytes(nbytes: int, what: str) -> None:
    """DataError when a data file of ``nbytes`` is above :data:`MAX_FILE_BYTES`."""
    top = MAX_FILE_BYTES.value()
    if nbytes > top:
        raise DataError(f"{what}: the file holds {format_bytes(nbytes)}, above the input-file "
                        f"limit of {format_bytes(top)}; use a sample of it, or "
                        f"{_raise_hint(MAX_FILE_BYTES, nbytes)}")


def onehot_levels() -> int:
    """The most levels a text column may have to be one-hot encoded."""
    return MAX_ONEHOT_LEVELS.value()

"""Property-based tests of the spec parser and the CSV readers (issue 13): for any input, the
project's own error or a valid result, never another exception, never a hang.

Each example is bounded: small sizes (text up to 80 characters, tables up to 12 rows), a
``deadline`` per example, and no model or data allocated beyond what the input describes (a
spec is only parsed, and parsing refuses sizes above mlplab.limits before anything is built).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplab.byod import TrainOptions
from mlplab.byod.sources import prepare
from mlplab.data.csvfile import load_csv
from mlplab.data.dataset import Dataset
from mlplab.errors import DataError, SpecError
from mlplab.limits import MAX_PARAMS
from mlplab.registry import LAYERS
from mlplab.spec import ModelSpec

BOUNDED = settings(max_examples=150, deadline=timedelta(seconds=5), database=None,
                   suppress_health_check=[HealthCheck.too_slow])

# -- the spec parser ---------------------------------------------------------------------------
# Pieces a spec is made of, and near misses: widths (huge ones too), shapes, every layer name
# with good and bad arguments.
_ARGS = ["", ":", ":0", ":1", ":0.5", ":-1", ":1.5", ":nan", ":inf", ":tanh", ":none", ":x",
         ":patch=2", ":patch=3,dim=4", ":dim=0", ":depth=2,tokens_hidden=3", ":foo=1", ":1e9",
         ":" + "9" * 5000]
_WIDTHS = st.one_of(st.integers(0, 300), st.integers(10**5, 10**12),
                    st.sampled_from(["0", "007", "1_0", "+3", "٣", "1e3", "9" * 5000, " 4 "]))
_NAMES = st.sampled_from(sorted(set(LAYERS) - {"linear"}) + ["Linear", "RELU", "conv2d", ""])
_TOKEN = st.one_of(_WIDTHS.map(str), st.tuples(_NAMES, st.sampled_from(_ARGS)).map("".join))
_SHAPE = st.one_of(_WIDTHS.map(str), st.lists(st.integers(0, 40), min_size=1, max_size=4).map(
    lambda ds: "x".join(map(str, ds))), st.sampled_from(["x", "2x", "x3", "1x8x8", "3x32x32"]))
# Specs that are mostly well formed, so that many parse and the round trip is exercised.
_GOOD_TOKEN = st.one_of(st.integers(1, 64).map(str), st.sampled_from(
    ["relu", "tanh", "sigmoid", "gelu:tanh", "gelu", "dropout:0.5", "dropout:0", "leakyrelu:0.2",
     "softplus:2", "layernorm", "flatten", "identity", "silu", "softmax:1", "step", "conv:2",
     "maxpool", "maxpool:2", "mixer:patch=2,dim=3,depth=1"]))
_GOOD_SHAPE = st.one_of(st.integers(1, 64).map(str), st.sampled_from(["2x3", "1x4x4", "2x8x8"]))
_GOOD_SPEC = st.tuples(_GOOD_SHAPE, st.lists(_GOOD_TOKEN, max_size=6), st.integers(1, 9)).map(
    lambda t: "-".join([t[0], *t[1], str(t[2])]))
_SPEC_TEXT = st.one_of(
    _GOOD_SPEC, _GOOD_SPEC, _GOOD_SPEC,
    st.tuples(_GOOD_SHAPE, st.lists(_GOOD_TOKEN, max_size=6)).map(
        lambda t: "-".join([t[0], *t[1]])),
    st.tuples(_SHAPE, st.lists(_TOKEN, max_size=7)).map(lambda t: "-".join([t[0], *t[1]])),
    st.text(max_size=80),
    st.text(alphabet="0123456789x-:=,.relusigmoidtanhflattenconvmaxpool ", max_size=80),
)


def _parse(spec):
    try:
        return ModelSpec.parse(spec)
    except SpecError as e:
        assert "\n" not in str(e)
        return None


@BOUNDED
@given(_SPEC_TEXT)
def test_spec_text_parses_or_is_a_spec_error(text):
    spec = _parse(text)
    if spec is not None:
        assert spec.num_parameters() <= MAX_PARAMS.value()
        assert ModelSpec.parse(str(spec)) == spec   # the text form round-trips
        assert len(spec.layer_table()) == len(spec.layers)


@BOUNDED
@given(st.lists(st.one_of(st.integers(-3, 10**10), _TOKEN, st.text(max_size=6)), max_size=8))
def test_spec_list_parses_or_is_a_spec_error(tokens):
    spec = _parse(tokens)
    if spec is not None:
        assert ModelSpec.parse(str(spec)) == spec


# -- the CSV readers ---------------------------------------------------------------------------
# Cells as people and spreadsheets write them: numbers in several spellings, every missing
# marker, infinities and junk, text, quotes, delimiters inside quotes, dates, long cells.
_CELLS = st.one_of(
    st.integers(-5, 5).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "?", "NA", "nan", "N/A", "null", "-", "--", "inf", "-inf", "1e39",
                     "#DIV/0!", "3,5", "1.0", "yes", "no", "cat", "dog", '"a,b"', '"x""y"',
                     '"open', "2021-03-04", "03/04/2021", "é", "\u00a0", "0x10", "1_000"]),
    st.text(max_size=6),
)
_DELIMS = st.sampled_from([",", ",", ";", "\t", "|"])


_NUMBERS = st.one_of(st.integers(-5, 5).map(str), st.floats(-1e6, 1e6).map(lambda v: f"{v:.3g}"))


@st.composite
def _tables(draw):
    """A delimited table with a header that usually holds the target ``y``; rows usually of
    the header's width, their cells mostly numbers."""
    d = draw(_DELIMS)
    others = draw(st.lists(st.sampled_from(["a", "b", "c", "id", "", "a b", "y", "date"]),
                           max_size=3))
    header = others[:]
    header.insert(draw(st.integers(0, len(others))), draw(st.sampled_from(["y", "y", "z"])))
    n = len(header)
    width = st.one_of(st.just(n), st.just(n), st.just(n), st.integers(max(0, n - 1), n + 1))
    cell = st.one_of(_NUMBERS, _NUMBERS, _CELLS)
    rows = draw(st.lists(width.flatmap(lambda w: st.lists(cell, min_size=w, max_size=w)),
                         min_size=0, max_size=12))
    text = "\n".join(d.join(r) for r in [header, *rows]) + draw(st.sampled_from(["", "\n"]))
    return text


@st.composite
def _clean_tables(draw):
    """Distinct column names with ``y`` among them, every row as wide as the header, and a
    few rows (so that many of these tables train)."""
    d = draw(_DELIMS)
    header = draw(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3,
                           unique=True)) + ["y"]
    cell = st.one_of(_NUMBERS, _NUMBERS, _NUMBERS, _CELLS)
    rows = draw(st.lists(st.lists(cell, min_size=len(header), max_size=len(header)),
                         min_size=3, max_size=12))
    return "\n".join(d.join(r) for r in [header, *rows]) + "\n"


def _write(folder: str, data) -> Path:
    path = Path(folder) / "t.csv"
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def _check_dataset(ds: Dataset):
    assert ds.X.dtype == np.float32 and not np.isinf(ds.X).any()
    assert len(ds.X) == len(ds.y)
    if ds.task == "classification":
        assert ds.n_classes >= 2 and ds.y.min() >= 0 and ds.y.max() < ds.n_classes
    else:
        assert np.isfinite(ds.y).all()


def _train_reader(path: Path, **opts):
    try:
        p = prepare(path, TrainOptions(**opts))
    except DataError as e:
        assert "\n" not in str(e)
        return
    _check_dataset(p.dataset)


def _run_reader(path: Path):
    try:
        ds = load_csv(path)
    except DataError as e:
        assert "\n" not in str(e)
        return
    _check_dataset(ds)


@BOUNDED
@given(st.one_of(_clean_tables(), _clean_tables(), _tables()), st.sampled_from(["drop", "mean"]),
       st.sampled_from([None, "classification"]))
def test_a_table_reads_or_is_a_data_error(text, missing, task):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, text)
        _train_reader(path, target="y", missing=missing, task=task, val_fraction=0.0,
                      test_fraction=0.0)
        _train_reader(path, target="y")
        _run_reader(path)


@BOUNDED
@given(st.one_of(st.binary(max_size=400), st.text(max_size=200)))
def test_any_bytes_read_or_are_a_data_error(data):
    with tempfile.TemporaryDirectory() as folder:
        path = _write(folder, data)
        _train_reader(path, target="y")
        _run_reader(path)

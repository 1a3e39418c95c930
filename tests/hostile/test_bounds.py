"""Resource bounds before allocation (issue 13, class 2).

Each hostile case asserts exit code 2, one ``error:`` line naming the culprit and the computed
size, no traceback, and no file left behind. The limits are mlplab.limits' (their defaults
and variables are stated there and in docs/limits.md); tests raise or lower them through
the environment as a user would.
"""

from __future__ import annotations

import math
import os
import tracemalloc

import numpy as np
import pytest
from hostile_util import files_under, invoke, one_error, write_csv

from mlplab import limits
from mlplab.byod import TrainOptions
from mlplab.byod.sources import prepare
from mlplab.errors import DataError, SpecError, UsageError
from mlplab.nn import init
from mlplab.nn.layers import Linear
from mlplab.spec import ModelSpec

# ---- the hostile cases: exit 2, one line, nothing written -----------------------------------

def _huge_spec(tmp):
    return (["summary", "2-100000000-100000000-2"], {},
            ["model spec '2-100000000-100000000-2'", "10,000,000,600,000,002 parameters",
             "35.5 PiB as float32", "limit of 200,000,000 parameters", "MLPLAB_MAX_PARAMS=1.1e16"])


def _big_spec(tmp):
    return (["summary", "2-100000000-2"], {},
            ["500,000,002 parameters", "1.9 GiB as float32", "MLPLAB_MAX_PARAMS=5.1e8"])


def _train_huge_hidden(tmp):
    f = write_csv(tmp / "d.csv", "x,y", [f"{i * 0.5},{i % 2}" for i in range(20)])
    return (["train", f, "--target", "y", "--hidden", "100000,100000", "--out", tmp / "runs",
             "-q"], {}, ["model spec '1-100000-relu-100000-relu-2'",
                         "10,000,500,002 parameters"])


def _moons_rows(tmp):
    return (["data", "show", "moons", "--set", "n=3000000000", "--out", tmp / "shown"], {},
            ["moons: 3,000,000,000 rows x 2 features as float64 need 44.7 GiB",
             "data limit of 4.0 GiB", "lower n", "MLPLAB_MAX_DATA_BYTES=4.8e10"])


def _dev_zero(tmp):
    return (["train", "/dev/zero", "--target", "y", "--out", tmp / "runs", "-q"], {},
            ["/dev/zero: is a character device, not a regular file"])


def _fifo(tmp):
    fifo = tmp / "rows.csv"
    os.mkfifo(fifo)
    return (["train", fifo, "--target", "y", "--out", tmp / "runs", "-q"], {},
            [f"{fifo}: is a named pipe (FIFO), not a regular file"])


def _csv_folder_as_file(tmp):
    (tmp / "table.csv").mkdir()
    return (["data", "show", "csv", "--path", tmp / "table.csv", "--out", tmp / "shown"], {},
            [f"{tmp / 'table.csv'}: is a folder, not a regular file"])


def _file_above_limit(tmp):
    f = write_csv(tmp / "d.csv", "x,y", [f"{i},{i % 2}" for i in range(200)])
    return (["train", f, "--target", "y", "--out", tmp / "runs", "-q"],
            {"MLPLAB_MAX_FILE_BYTES": "1000"},
            [f"{f}: the file holds {limits.format_bytes(f.stat().st_size)}, above the "
             "input-file limit of 1000 bytes", "use a sample of it",
             f"MLPLAB_MAX_FILE_BYTES={limits.round_up(f.stat().st_size)}"])


def _npz_array_above_limit(tmp):
    f = tmp / "d.npz"
    np.savez_compressed(f, X=np.zeros((1000, 8)), y=np.arange(1000) % 2)   # a few kB
    return (["train", f, "--out", tmp / "runs", "-q"], {"MLPLAB_MAX_DATA_BYTES": "10000"},
            ["array 'X' of shape (1000, 8) (float64) need 62.5 KiB", "MLPLAB_MAX_DATA_BYTES"])


def _image_size(tmp):
    from PIL import Image

    for c in ("a", "b"):
        (tmp / "img" / c).mkdir(parents=True)
        Image.new("L", (4, 4)).save(tmp / "img" / c / "0.png")
    return (["train", tmp / "img", "--image-size", "100000", "--out", tmp / "runs", "-q"], {},
            ["2 images of 100000x100000 pixels (uint8) need 18.6 GiB", "--image-size N"])


def _forced_onehot(tmp):
    f = write_csv(tmp / "d.csv", "zip,v,y", [f"z{i % 300},{i},{i % 2}" for i in range(900)])
    return (["train", f, "--target", "y", "--categorical", "zip", "--out", tmp / "runs", "-q"],
            {}, ["--categorical zip: 300 levels are more than the one-hot limit of 256",
                 "--drop zip", "MLPLAB_MAX_ONEHOT_LEVELS=300"])


def _bad_limit_value(tmp):
    return (["summary", "784-10"], {"MLPLAB_MAX_PARAMS": "lots"},
            ["MLPLAB_MAX_PARAMS='lots': expected a positive number of parameters"])


CASES = [_huge_spec, _big_spec, _train_huge_hidden, _moons_rows, _dev_zero, _fifo,
         _csv_folder_as_file, _file_above_limit, _npz_array_above_limit, _image_size,
         _forced_onehot, _bad_limit_value]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_refused_before_allocating(tmp_path, monkeypatch, case):
    args, env, parts = case(tmp_path)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    before = files_under(tmp_path)
    tracemalloc.start()
    try:
        code, output = invoke(*args)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    one_error(code, output, *parts)
    assert files_under(tmp_path) == before   # no run folder, no figure, no partial file
    assert peak < 200 * 2**20                 # refused from sizes, before the memory is taken


# ---- what the limits let through -----------------------------------------------------------

def test_summary_counts_a_big_model_without_allocating_its_weights(monkeypatch):
    """2-100000000-2 is 2 GB of float32 weights; with the limit raised, summary prints its
    table from the spec (the numbers nn.summary gives for a built model) and allocates
    nothing of that size."""
    monkeypatch.setenv("MLPLAB_MAX_PARAMS", "1e9")
    tracemalloc.start()
    try:
        code, output = invoke("summary", "2-100000000-2")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 0, output
    assert "Linear-1" in output and "[-1, 100000000]" in output and "300,000,000" in output
    assert "Total params: 500,000,002" in output
    assert peak < 50 * 2**20


@pytest.mark.parametrize("spec", ["784-256-relu-10", "28x28-flatten-64-tanh-dropout:0.2-10",
                                  "3-4-layernorm-gelu:tanh-2", "2-2-sigmoid-1-sigmoid"])
def test_the_spec_table_is_the_built_models_table(spec):
    from mlplab.nn import summary

    s = ModelSpec.parse(spec)
    assert str(s.summary()) == str(summary(s.build(seed=0), s.input_shape))


def test_the_parameter_limit_is_read_at_each_check(monkeypatch):
    assert limits.MAX_PARAMS.value() == 200_000_000
    monkeypatch.setenv("MLPLAB_MAX_PARAMS", "1_000")
    with pytest.raises(SpecError, match=r"model spec '784-10': 7,850 parameters \(30.7 KiB as "
                                        r"float32\) exceed the limit of 1,000 parameters"):
        ModelSpec.parse("784-10")
    assert ModelSpec.parse("10-10").num_parameters() == 110
    monkeypatch.setenv("MLPLAB_MAX_PARAMS", "0")
    with pytest.raises(UsageError, match="MLPLAB_MAX_PARAMS='0'"):
        ModelSpec.parse("10-10")


def test_build_checks_a_spec_made_without_parse():
    from mlplab.spec import LayerSpec

    spec = ModelSpec((4,), (LayerSpec("linear", (4, 10**9)),))
    with pytest.raises(SpecError, match="4-1000000000.: 5,000,000,000 parameters"):
        spec.build(seed=0)


@pytest.mark.parametrize("n, text", [(5, "5"), (1536, "1600"), (999_999, "1e6"),
                                     (500_000_002, "5.1e8"), (4 * 2**30, "4.3e9")])
def test_the_suggested_limit_is_rounded_up(n, text):
    assert limits.round_up(n) == text and float(text) >= n


def test_wide_text_column_is_dropped_with_a_note(tmp_path):
    """300 levels in 900 rows pass the old rule (not over half the rows distinct) but exceed
    the one-hot cap: dropped with a note, so the encoded matrix stays narrow."""
    f = write_csv(tmp_path / "d.csv", "zip,v,y",
                  [f"z{i % 300},{i * 0.5},{i % 2}" for i in range(900)])
    p = prepare(f, TrainOptions(target="y"))
    assert p.dataset.X.shape == (900, 1) and p.dataset.feature_names == ["v"]
    assert ("dropped columns: 'zip' (text with 300 distinct values, above the one-hot limit of "
            "256; MLPLAB_MAX_ONEHOT_LEVELS raises it)") in p.notes


def test_free_text_with_every_value_distinct_is_id_like_not_over_the_cap(tmp_path):
    """900 distinct names: an ID column, whatever the one-hot cap says."""
    f = write_csv(tmp_path / "d.csv", "name,v,y",
                  [f"person {i},{i * 0.5},{i % 2}" for i in range(900)])
    p = prepare(f, TrainOptions(target="y"))
    assert p.dataset.feature_names == ["v"]
    assert "dropped columns: 'name' (ID-like: every value distinct)" in p.notes
    assert not any("one-hot limit" in n for n in p.notes)


def test_the_one_hot_cap_can_be_raised(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPLAB_MAX_ONEHOT_LEVELS", "300")
    f = write_csv(tmp_path / "d.csv", "zip,v,y",
                  [f"z{i % 300},{i * 0.5},{i % 2}" for i in range(900)])
    p = prepare(f, TrainOptions(target="y"))
    assert p.dataset.X.shape == (900, 301)


def test_encoded_table_above_the_data_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", "20000")
    f = write_csv(tmp_path / "d.csv", "c,v,y", [f"c{i % 40},{i * 0.5},{i % 2}" for i in range(200)])
    with pytest.raises(DataError, match=r"d.csv: 200 rows x 41 encoded columns as float32 need "
                                        r"32.0 KiB, above the data limit of 19.5 KiB; drop wide "
                                        r"text columns \(--drop\), or set "
                                        r"MLPLAB_MAX_DATA_BYTES=33000 to allow it"):
        prepare(f, TrainOptions(target="y"))


# ---- weights drawn in the target dtype -----------------------------------------------------

def _reference(shape, fan_in, rng, dtype):
    """The former drawing: all of it in float64, then cast."""
    bound = 1.0 / math.sqrt(fan_in)
    return rng.uniform(-bound, bound, size=shape).astype(dtype)


@pytest.mark.parametrize("chunk", [init.DRAW_CHUNK, 7, 1])
@pytest.mark.parametrize("shape, order", [((3,), "C"), ((5, 7), "C"), ((5, 7), "F"),
                                          ((64, 30), "F"), ((2, 3, 4), "C")])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_drawing_is_bit_identical(monkeypatch, chunk, shape, order, dtype):
    """Every seeded weight (and so every golden and parity number) stays as it was, and the
    generator is left in the same state for what it draws next."""
    monkeypatch.setattr(init, "DRAW_CHUNK", chunk)
    rng, ref_rng = np.random.default_rng(7), np.random.default_rng(7)
    got = init.default_uniform(shape, 11, rng, dtype, order)
    want = _reference(shape, 11, ref_rng, dtype)
    assert got.dtype == dtype and got.shape == shape
    assert got.tobytes(order="C") == want.tobytes(order="C")
    assert got.flags.f_contiguous if order == "F" else got.flags.c_contiguous
    assert rng.random() == ref_rng.random()


def test_a_row_wider_than_a_chunk(monkeypatch):
    monkeypatch.setattr(init, "DRAW_CHUNK", 4)
    got = init.default_uniform((3, 10), 10, np.random.default_rng(1), np.float32, "F")
    want = _reference((3, 10), 10, np.random.default_rng(1), np.float32)
    assert np.array_equal(got, want)


def test_linear_init_peaks_at_its_own_size():
    """A float32 Linear(2000, 5000) holds 40 MB of weights; drawing them used to hold a
    float64 copy and a cast beside them (about 4x). Now the peak is the weights, their
    gradient and one 8 MiB chunk."""
    tracemalloc.start()
    try:
        layer = Linear(2000, 5000, rng=np.random.default_rng(0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    weights = layer.weight.data.nbytes
    assert layer.weight.data.dtype == np.float32 and layer.weight.data.flags.f_contiguous
    assert peak < 2 * weights + 9 * 2**20 + layer.bias.data.nbytes * 2

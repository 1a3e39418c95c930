"""One validation for every entry point (issue 13, class 3).

The same rules in ``mlplab train`` and ``mlplab predict`` (CSV tables, .npz arrays, image
folders), ``mlplab run`` (TOML values, loader options) and ``mlplab data show`` (``--set``):
infinity refused, one class refused, 16-bit images scaled, options and TOML values typed, a
cell above the CSV reader's field limit named, junk cells in a numeric column reported.
Each hostile case asserts exit code 2, one ``error:`` line naming the culprit, no traceback,
and no file written.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hostile_util import files_under, invoke, one_error, write_csv

from mlplab.data.images import read_image
from mlplab.errors import DataError
from mlplab.experiments.config import from_dict


def _xy(n=40):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 2)), np.arange(n) % 2


def _images(root: Path, classes, dtype=np.uint8, value=100, n=3):
    from PIL import Image

    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(np.full((6, 6), value + i, dtype=dtype)).save(root / c / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def npz_run(tmp_path_factory):
    """A finished ``mlplab train`` run on an .npz (one epoch)."""
    tmp = tmp_path_factory.mktemp("npzrun")
    X, y = _xy()
    np.savez(tmp / "d.npz", X=X, y=y)
    code, output = invoke("train", tmp / "d.npz", "--epochs", 1, "--name", "r", "--out",
                          tmp / "runs", "-q")
    assert code == 0, output
    (run,) = (tmp / "runs").iterdir()
    return run


@pytest.fixture(scope="module")
def csv_run(tmp_path_factory):
    """A finished ``mlplab train`` run on a CSV (one epoch)."""
    tmp = tmp_path_factory.mktemp("csvrun")
    X, y = _xy()
    f = write_csv(tmp / "d.csv", "a,b,y", [f"{a:.4f},{b:.4f},{c}" for (a, b), c in zip(X, y)])
    code, output = invoke("train", f, "--target", "y", "--epochs", 1, "--name", "r", "--out",
                          tmp / "runs", "-q")
    assert code == 0, output
    (run,) = (tmp / "runs").iterdir()
    return run


# ---- train ---------------------------------------------------------------------------------

def _npz_inf_in_X(tmp):
    X, y = _xy()
    X[5, 1] = np.inf
    np.savez(tmp / "d.npz", X=X, y=y)
    return ["train", tmp / "d.npz"], ["d.npz: X holds 1 infinite value(s), the first at row 5, "
                                      "column 1"]


def _npz_beyond_float32(tmp):
    X, y = _xy()
    X[3, 0] = 1e300
    np.savez(tmp / "d.npz", X=X, y=y)
    return ["train", tmp / "d.npz"], ["X holds 1 infinite value(s) (beyond float32's range",
                                      "row 3, column 0"]


def _npz_inf_target(tmp):
    X, _ = _xy()
    y = np.linspace(0, 1, len(X))
    y[7] = -np.inf
    np.savez(tmp / "d.npz", X=X, y=y)
    return ["train", tmp / "d.npz"], ["target 'y' holds 1 infinite value(s), the first at row 7"]


def _npz_target_beyond_float32(tmp):
    """A float64 target that float32 cannot hold: refused as in X, not trained on as inf."""
    X, _ = _xy()
    y = np.linspace(0, 1, len(X))
    y[3] = 1e39
    np.savez(tmp / "d.npz", X=X, y=y)
    return ["train", tmp / "d.npz"], ["target 'y' holds 1 infinite value(s) (beyond float32's "
                                      "range of 3.4e38), the first at row 3"]


def _npz_one_class(tmp):
    X, _ = _xy()
    np.savez(tmp / "d.npz", X=X, y=np.array(["cat"] * len(X)))
    return ["train", tmp / "d.npz"], ["target 'y' has a single class ('cat'); classification "
                                      "needs at least two"]


def _csv_inf_cell(tmp):
    X, y = _xy(20)
    rows = [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(X, y)]
    rows[4] = "inf," + rows[4].split(",", 1)[1]
    return (["train", write_csv(tmp / "d.csv", "a,b,y", rows), "--target", "y"],
            ["column 'a' holds numbers except 1 cell(s) ('inf' on line 6)", "--categorical a"])


def _csv_junk_cells(tmp):
    """4 junk cells in 20 (80% numbers): before, below the 90% rule, the column was one-hot
    encoded without a word."""
    X, y = _xy(20)
    rows = [f"{a:.3f},{b:.3f},{c}" for (a, b), c in zip(X, y)]
    for i, junk in ((4, "-"), (9, "-"), (13, "-"), (16, "inf")):
        rows[i] = f"{junk}," + rows[i].split(",", 1)[1]
    return (["train", write_csv(tmp / "d.csv", "x,z,y", rows), "--target", "y"],
            ["column 'x' holds numbers except 4 cell(s) ('-' on line 6, '-' on line 11, 'inf' on "
             "line 18, ...); fix or empty them"])


def _csv_few_spellings(tmp):
    """Numbers with two spellings of 'unknown': reported too (at most 3 spellings)."""
    rows = [f"{i * 0.5 if i % 3 else ('unk' if i % 2 else 'n.a')},{i % 2}" for i in range(30)]
    return (["train", write_csv(tmp / "d.csv", "x,y", rows), "--target", "y"],
            ["column 'x' holds numbers except 10 cell(s) ('n.a' on line 2, 'unk' on line 5,"])


def _csv_beyond_float32(tmp):
    rows = [f"{i * 0.5},{i % 2}" for i in range(20)]
    rows[2] = f"1e39,{0}"
    return (["train", write_csv(tmp / "d.csv", "x,y", rows), "--target", "y"],
            ["column 'x' holds numbers except 1 cell(s) ('1e39' on line 4)"])


def _csv_inf_target(tmp):
    rows = [f"{i * 0.5},{i * 0.25}" for i in range(30)]
    rows[3] = "1.5,inf"
    return (["train", write_csv(tmp / "d.csv", "x,y", rows), "--target", "y"],
            ["target 'y' is numeric except 1 cell(s) ('inf' on line 5)"])


def _csv_one_class(tmp):
    rows = [f"{i * 0.5},yes" for i in range(20)]
    return (["train", write_csv(tmp / "d.csv", "x,y", rows), "--target", "y"],
            ["target 'y' has a single class ('yes'); classification needs at least two"])


def _csv_field_limit(tmp):
    f = tmp / "d.csv"
    f.write_text("x,y\n" + "\n".join(f"{i},{i % 2}" for i in range(60)) + '\n1,"'
                 + "a" * 200_000 + "\n")
    return (["train", f, "--target", "y"],
            ["d.csv: a cell near line 62 is longer than 131,072 characters, the CSV reader's "
             "limit; an unclosed quote"])


def _csv_field_limit_in_sniffed_lines(tmp):
    f = tmp / "d.csv"
    f.write_text("x,y\n1," + "a" * 200_000 + "\n2,3\n")
    return (["train", f, "--target", "y"],
            ["d.csv: a cell in the first 50 lines is longer than 131,072 characters"])


def _image_folder_one_class(tmp):
    root = _images(tmp / "pets", ["cat"])
    return (["train", root], [f"{root}: target 'class' has a single class ('cat'); "
                              "classification needs at least two (one folder of images per "
                              "class: add a folder of another class)"])


TRAIN = [_npz_inf_in_X, _npz_beyond_float32, _npz_inf_target,
         _npz_target_beyond_float32, _npz_one_class, _csv_inf_cell,
         _csv_junk_cells, _csv_few_spellings, _csv_beyond_float32, _csv_inf_target,
         _csv_one_class, _csv_field_limit, _csv_field_limit_in_sniffed_lines,
         _image_folder_one_class]


@pytest.mark.parametrize("case", TRAIN, ids=[c.__name__.strip("_") for c in TRAIN])
def test_train_refuses(tmp_path, case):
    args, parts = case(tmp_path)
    before = files_under(tmp_path)
    code, output = invoke(*args, "--epochs", 1, "--out", tmp_path / "runs", "-q")
    one_error(code, output, *parts)
    assert files_under(tmp_path) == before


# ---- predict: the same rules ---------------------------------------------------------------

def test_predict_npz_refuses_inf(tmp_path, npz_run):
    """Before: NaN probabilities, label 0 and exit code 0."""
    X, _ = _xy(4)
    X[2, 0] = np.inf
    np.savez(tmp_path / "new.npz", X=X)
    before = files_under(tmp_path)
    code, output = invoke("predict", npz_run, tmp_path / "new.npz", "--out",
                          tmp_path / "p.csv")
    one_error(code, output, "new.npz: X holds 1 infinite value(s), the first at row 2, column 0")
    assert files_under(tmp_path) == before


def test_predict_npz_keeps_nan_as_missing(tmp_path, npz_run):
    X, _ = _xy(4)
    X[1, 1] = np.nan
    np.savez(tmp_path / "new.npz", X=X)
    code, output = invoke("predict", npz_run, tmp_path / "new.npz", "--out",
                          tmp_path / "p.csv")
    assert code == 0, output
    lines = (tmp_path / "p.csv").read_text().splitlines()
    assert lines[2].split(",")[1:] == ["", "", ""]   # no prediction for the row with a hole
    assert all(c != "" for c in lines[1].split(","))


def test_predict_csv_refuses_inf(tmp_path, csv_run):
    f = write_csv(tmp_path / "new.csv", "a,b", ["0.1,0.2", "inf,0.3"])
    before = files_under(tmp_path)
    code, output = invoke("predict", csv_run, f, "--out", tmp_path / "p.csv")
    one_error(code, output, "new.csv: line 3, column 'a': 'inf' is not a number")
    assert files_under(tmp_path) == before


def test_predict_refuses_a_device(tmp_path, csv_run):
    code, output = invoke("predict", csv_run, "/dev/zero", "--out", tmp_path / "p.csv")
    one_error(code, output, "/dev/zero: is a character device, not a regular file")
    assert not (tmp_path / "p.csv").exists()


# ---- --set data options, typed ---------------------------------------------------------------

@pytest.mark.parametrize("setting, parts", [
    ("noise=abc", ["Invalid noise: 'abc' (moons needs a number there"]),
    ("noise=1e999", ["Invalid noise: inf (moons needs a finite number there)"]),
    ("noise=inf", ["Invalid noise: 'inf' (moons needs a number there"]),
    ("n=2.5", ["Invalid n: 2.5 (moons needs an integer there"]),
    ("n=true", ["Invalid n: True (moons needs an integer there"]),
    ("seed=[1]", ["Invalid seed: [1] (moons needs an integer"]),
    ("n=" + "(" * 300 + "1" + ")" * 300, ["Invalid n: '((((("]),
])
def test_data_show_options_are_typed(tmp_path, setting, parts):
    code, output = invoke("data", "show", "moons", "--set", setting, "--out", tmp_path / "o")
    one_error(code, output, *parts)
    assert not (tmp_path / "o").exists()


def test_text_options_keep_their_text(tmp_path):
    """A loader option that takes text gets the text as written: a column named 3."""
    f = write_csv(tmp_path / "d.csv", "a,3", [f"{i * 0.5},{i % 2}" for i in range(10)])
    code, output = invoke("data", "show", "csv", "--path", f, "--set", "target=3", "--set",
                          "task=regression", "--out", tmp_path / "o")
    assert code == 0, output
    assert "3: min 0, mean 0.5, max 1" in output   # the target row of column "3"


@pytest.mark.parametrize("kwargs, part", [({"k": 1}, "Invalid k: 1 (blobs needs at least 2"),
                                          ({"k": 0}, "Invalid k: 0")])
def test_generated_data_needs_two_classes(kwargs, part):
    from mlplab.data import load

    with pytest.raises(DataError, match=part.replace("(", r"\(")):
        load("blobs", **kwargs)


# ---- TOML values, typed ----------------------------------------------------------------------

MODEL = {"name": "m", "spec": "2-4-relu-2", "loss": "cross_entropy", "optimizer": "sgd",
         "lr": 0.1, "epochs": 1, "batch_size": 32}


def _exp(model=None, data=None, **top):
    return {"name": "t", "description": "d", "data": [{"name": "moons", **(data or {})}],
            "models": [{**MODEL, **(model or {})}], **top}


@pytest.mark.parametrize("raw, part", [
    (_exp({"epochs": "ten"}), "model 'm': epochs = 'ten' must be an integer >= 1"),
    (_exp({"epochs": 2.5}), "model 'm': epochs = 2.5 must be an integer >= 1"),
    (_exp({"epochs": True}), "model 'm': epochs = True must be an integer >= 1"),
    (_exp({"lr": "0.1"}), "model 'm': lr = '0.1' must be a positive number"),
    (_exp({"lr": float("nan")}), "model 'm': lr = nan must be a positive number"),
    (_exp({"lr": -1}), "model 'm': lr = -1 must be a positive number"),
    (_exp({"batch_size": 0}), "model 'm': batch_size = 0 must be an integer >= 1"),
    (_exp({"l1": -0.1}), "model 'm': l1 = -0.1 must be a number >= 0"),
    (_exp({"l1": "0.01"}), "model 'm': l1 = '0.01' must be a number >= 0"),
    (_exp({"spec": 784}), "model 'm': spec = 784 must be a spec string"),
    (_exp({"optimizer_kwargs": "momentum"}), "optimizer_kwargs = 'momentum' must be a table"),
    (_exp({"early_stopping": 5}), "early_stopping = 5 must be a table like {patience = 10}"),
    (_exp({"name": ["m"]}), "model ['m']: name = ['m'] must be a non-empty string"),
    (_exp(data={"eval": "val"}), "[[data]] 'moons': eval = 'val' must be a list of split names"),
    (_exp(data={"val_fraction": 1.5}), "val_fraction = 1.5 must be a number from 0 to below 1"),
    (_exp(data={"args": [1]}), "[[data]] 'moons': args = [1] must be a table"),
    (_exp(data={"stratify": "yes"}), "stratify = 'yes' must be true or false"),
    (_exp(seed=-1), "seed = -1 must be an integer >= 0"),
    (_exp(seed="0"), "seed = '0' must be an integer >= 0"),
    (_exp(notes="a line"), "notes = 'a line' must be a list of strings"),
    ({**_exp(), "models": {"name": "m"}}, "models = {'name': 'm'} must be a list of [[models]]"),
    ({**_exp(), "data": [{"preprocess": "none"}]}, "a [[data]] entry lacks 'name'"),
    (["not", "a", "table"], "an experiment is a table of keys"),
])
def test_experiment_values_are_typed(raw, part):
    from mlplab.errors import ExperimentError

    with pytest.raises(ExperimentError) as e:
        from_dict(raw, "x.toml")
    assert str(e.value).startswith("x.toml") and part in str(e.value), str(e.value)


def test_run_with_a_mistyped_toml_value(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('name = "t"\ndescription = "d"\n[[data]]\nname = "moons"\n[[models]]\n'
                 'name = "m"\nspec = "2-4-relu-2"\nloss = "cross_entropy"\noptimizer = "sgd"\n'
                 'lr = 0.1\nepochs = "ten"\nbatch_size = 32\n')
    before = files_under(tmp_path)
    code, output = invoke("run", f, "--out", tmp_path / "runs", "-q")
    one_error(code, output, f"{f}: model 'm': epochs = 'ten' must be an integer >= 1")
    assert files_under(tmp_path) == before


def test_run_with_a_mistyped_loader_argument(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text('name = "t"\ndescription = "d"\n[[data]]\nname = "moons"\n'
                 'args = {noise = "abc"}\n[[models]]\nname = "m"\nspec = "2-4-relu-2"\n'
                 'loss = "cross_entropy"\noptimizer = "sgd"\nlr = 0.1\nepochs = 1\n'
                 'batch_size = 32\n')
    before = files_under(tmp_path)
    code, output = invoke("run", f, "--out", tmp_path / "runs", "-q")
    one_error(code, output, "Invalid noise: 'abc' (moons needs a number there")
    assert files_under(tmp_path) == before


def test_shipped_experiments_pass_the_typed_validator():
    from mlplab.experiments.config import available, load_experiment

    for name, _ in available():
        load_experiment(name)


# ---- 16-bit images -----------------------------------------------------------------------------

def test_16_bit_images_are_scaled_not_clipped(tmp_path):
    """convert("L") clipped every 16-bit value above 255 to white; now x * 255 / 65535."""
    from PIL import Image

    a = np.array([[0, 257, 10000], [32768, 65000, 65535]], dtype=np.uint16)
    Image.fromarray(a).save(tmp_path / "g.png")
    got = read_image(tmp_path / "g.png", None)
    assert got.dtype == np.uint8
    assert got.tolist() == [[0, 1, 39], [128, 253, 255]]
    rgb = read_image(tmp_path / "g.png", None, grayscale=False)
    assert rgb.shape == (3, 2, 3) and (rgb == got).all()


def test_float_images_in_0_1_are_scaled(tmp_path):
    from PIL import Image

    Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32)).save(tmp_path / "f.tif")
    assert read_image(tmp_path / "f.tif", None).tolist() == [[0, 128, 255]]
    Image.fromarray(np.array([[0.0, 7.5]], dtype=np.float32)).save(tmp_path / "g.tif")
    with pytest.raises(DataError, match=r"g.tif: pixel values 0..7.5 are outside 0..1"):
        read_image(tmp_path / "g.tif", None)


def test_a_16_bit_image_folder_trains_on_its_range(tmp_path):
    """Two classes that differ only above 255: clipped, both were white and indistinguishable."""
    from mlplab.data import load

    _images(tmp_path / "deep" / "dark", [""], np.uint16, 1000)
    _images(tmp_path / "deep" / "light", [""], np.uint16, 60000)
    ds = load("image-folder", path=tmp_path / "deep")
    dark, light = ds.X[ds.y == 0], ds.X[ds.y == 1]
    assert dark.max() == 4 and light.min() == 233   # round(1002 / 257), round(60000 / 257)


# ---- mlplab train's options from Python, and --seed ----------------------------------------

@pytest.mark.parametrize("kwargs, part", [
    ({"epochs": "ten"}, "--epochs 'ten': must be an integer"),
    ({"lr": float("inf")}, "--lr inf: must be a finite number"),
    ({"hidden": ("a",)}, "--hidden ('a',): need one or more positive integer widths"),
    ({"early_stopping": True}, "--early-stopping True: must be an integer"),
    ({"val_fraction": None}, "--val-fraction None: must be a finite number"),
    ({"optimizer": ["adam"]}, "--optimizer ['adam']: must be a name"),
    ({"seed": -1}, "--seed -1: must be 0 or more"),
])
def test_train_options_are_typed(kwargs, part):
    from mlplab.byod import TrainOptions

    with pytest.raises(DataError) as e:
        TrainOptions(**kwargs).validate()
    assert str(e.value) == part or str(e.value).startswith(part), str(e.value)


@pytest.mark.parametrize("args, part", [
    (["train", "d.npz", "--seed", "-1"], "--seed -1: must be 0 or more"),
    (["run", "xor", "--seed", "-1"], "--seed -1: must be an integer, 0 or more"),
])
def test_a_negative_seed_is_one_line(tmp_path, args, part):
    X, y = _xy()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    args = [tmp_path / a if a == "d.npz" else a for a in args]
    before = files_under(tmp_path)
    code, output = invoke(*args, "--epochs", 1, "--out", tmp_path / "runs", "-q")
    one_error(code, output, part)
    assert files_under(tmp_path) == before

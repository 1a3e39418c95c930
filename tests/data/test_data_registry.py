"""The registry, the Dataset container, and the csv loader."""

from __future__ import annotations

import numpy as np
import pytest

import mlplab.data as data
from mlplab.data import DataError, Dataset, available, load, register

ALL = ["auto-mpg", "nonlinear", "xor", "moons", "circles", "blobs", "checkerboard", "spiral",
       "plane", "multigauss", "iris", "fashion-mnist", "mnist", "image-folder", "fer2013",
       "cifar10", "csv"]


def test_available_lists_every_data_set_with_a_description():
    names = [n for n, _ in available()]
    assert names == ALL
    for _, desc in available():
        assert desc and "\n" not in desc


def test_unknown_name_lists_valid_names():
    with pytest.raises(DataError) as e:
        load("fashion")
    msg = str(e.value)
    assert msg.startswith("unknown data set 'fashion'; choose one of auto-mpg, ")
    assert "fashion-mnist" in msg


def test_names_are_normalised():
    assert load("Auto_MPG").name == "auto-mpg"


def test_unknown_argument_is_a_data_error():
    with pytest.raises(DataError, match="xor: unknown argument\\(s\\) path; it takes: n, noise"):
        load("xor", path="somewhere")


def test_register_twice_is_refused():
    with pytest.raises(ValueError, match="registered twice"):
        register("xor", "again")(lambda: None)


def test_register_a_new_data_set(monkeypatch):
    from mlplab.data import registry

    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))

    @register("tiny", "two points")
    def tiny(scale: float = 1.0) -> Dataset:
        return Dataset("tiny", "regression", np.eye(2, dtype=np.float32) * scale,
                       np.zeros(2, np.float32))

    assert ("tiny", "two points") in available()
    assert load("tiny", scale=2.0).X[0, 0] == 2.0
    assert data.loader_parameters("tiny") == ["scale"]


@pytest.mark.parametrize("name", ["fer2013", "image-folder", "cifar10", "csv"])
def test_required_path_missing(name):
    with pytest.raises(DataError) as e:
        load(name)
    assert "path=" in str(e.value) and "--data-dir" in str(e.value)


def test_data_error_is_one_line():
    err = DataError("a\n  b\nc")
    assert str(err) == "a b c" and isinstance(err, ValueError)


# --------------------------------------------------------------------------- Dataset
def _ds(**kw):
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.array([0, 1] * 5)
    args = dict(name="t", task="classification", X=X, y=y, class_names=["a", "b"])
    args.update(kw)
    return Dataset(**args)


def test_dataset_defaults_and_properties():
    ds = _ds()
    np.testing.assert_array_equal(ds.splits["train"], np.arange(10))
    assert ds.n_samples == 10 and ds.n_features == 2 and ds.n_classes == 2
    assert not ds.is_image and ds.eval_split is None
    assert ds.class_counts().tolist() == [5, 5]
    assert "t: classification" in ds.describe() and "a (5)" in ds.describe()
    assert "Dataset(name='t'" in repr(ds)
    img = Dataset("im", "classification", np.zeros((3, 2, 4, 5), np.uint8), np.zeros(3, int))
    assert img.is_image and img.n_features == 40 and img.n_classes == 1


def test_split_views_and_copies():
    ds = _ds(splits={"train": np.arange(0, 6), "test": np.array([9, 7, 6])})
    X, y = ds.split("train")
    assert np.shares_memory(X, ds.X)  # contiguous run: a view
    X, y = ds.split("test")
    assert not np.shares_memory(X, ds.X)
    np.testing.assert_array_equal(X, ds.X[[9, 7, 6]])
    assert X.flags.c_contiguous
    with pytest.raises(DataError, match="no split named 'val'; available: train, test"):
        ds.split("val")


def test_dataset_validation():
    with pytest.raises(ValueError, match="Invalid task"):
        _ds(task="clustering")
    with pytest.raises(ValueError, match="X has 10 rows but y has 3"):
        _ds(y=np.zeros(3, int))
    with pytest.raises(ValueError, match="outside 0..9"):
        _ds(splits={"train": np.array([0, 10])})


def test_regression_dataset():
    ds = Dataset("r", "regression", np.zeros((4, 1), np.float32), np.zeros(4, np.float32))
    assert ds.n_classes is None and ds.class_counts() is None


# --------------------------------------------------------------------------- csv loader
def test_csv_classification_by_text_labels(tmp_path):
    path = tmp_path / "t.csv"
    rows = "\n".join(f"{i},{i * 2.5},{'yes' if i % 2 else 'no'}" for i in range(20))
    path.write_text("a,b,label\n" + rows + "\n")
    ds = load("csv", path=path)
    assert ds.task == "classification" and ds.class_names == ["no", "yes"]
    assert ds.y.tolist() == [0, 1] * 10
    assert ds.feature_names == ["a", "b"] and ds.X.dtype == np.float32
    assert len(ds.splits["train"]) == 16 and len(ds.splits["test"]) == 4
    assert np.bincount(ds.y[ds.splits["test"]]).tolist() == [2, 2]  # stratified
    with pytest.raises(DataError, match="column 'label': 'no' is not a number"):
        load("csv", path=path, target="b")  # 'label' becomes a feature and is not numeric


def test_csv_inferred_or_forced_task(tmp_path):
    """A few integer codes are classes (the rule of ``mlplab train``); task= overrides it."""
    path = tmp_path / "t.csv"
    path.write_text("a,b,c\n" + "\n".join(f"{i},{i * 0.5},{i % 3}" for i in range(30)) + "\n")
    cls = load("csv", path=path)
    assert cls.task == "classification" and cls.target_name == "c"
    assert cls.class_names == ["0", "1", "2"] and cls.y.dtype == np.int64
    reg = load("csv", path=path, task="regression")
    assert reg.task == "regression" and reg.class_names is None and reg.y.dtype == np.float32
    assert load("csv", path=path, target="b").task == "regression"   # non-integer values
    with pytest.raises(DataError, match="invalid task"):
        load("csv", path=path, task="ranking")


def test_csv_missing_target(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n3,4\n")
    with pytest.raises(DataError, match="no target column 'y'"):
        load("csv", path=path, target="y")


def test_csv_reads_as_mlplab_train_does(tmp_path):
    """Sniffed delimiter with decimal commas, a pandas index column left out, missing markers
    of any case dropped with their rows."""
    path = tmp_path / "t.csv"
    rows = [f"{i};{i},5;{'N/A' if i == 3 else 'null' if i == 4 else i % 2}" for i in range(12)]
    path.write_text(";x;y\n" + "\n".join(rows) + "\n")
    ds = load("csv", path=path)
    assert ds.feature_names == ["x"] and ds.task == "classification"
    assert ds.X[:3, 0].tolist() == [0.5, 1.5, 2.5] and len(ds.y) == 10

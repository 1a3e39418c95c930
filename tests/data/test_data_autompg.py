"""auto-mpg: the course table from vega_datasets (checked against pandas) or the course CSV."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from mlplab.data import DataError, autompg, load
from mlplab.data.autompg import COLUMNS, FEATURES

EXPECTED_COLUMNS = ["MPG", "Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration",
                    "Model Year", "Europe", "Japan", "USA"]


def _course_frame() -> pd.DataFrame:
    """The course's Auto_MPG_data.csv, rebuilt with pandas from the same cars.json."""
    raw = pd.DataFrame(json.loads(autompg.cars_json_path().read_text()))
    # vega's copy labels UCI's 1981 cars 1982; in UCI order they precede the first 1982 car
    first_82 = raw.index[(raw["Name"] == "chevrolet cavalier") & raw["Year"].str.startswith("1982")]
    raw.loc[(raw.index < first_82[0]) & raw["Year"].str.startswith("1982"), "Year"] = "1981"
    raw = raw.dropna(subset=["Miles_per_Gallon", "Horsepower"]).reset_index(drop=True)
    df = pd.DataFrame({
        "MPG": raw["Miles_per_Gallon"], "Cylinders": raw["Cylinders"],
        "Displacement": raw["Displacement"], "Horsepower": raw["Horsepower"],
        "Weight": raw["Weight_in_lbs"], "Acceleration": raw["Acceleration"],
        "Model Year": raw["Year"].str[:4].astype(int) - 1900,
    })
    dummies = pd.get_dummies(raw["Origin"]).astype(int)  # columns sorted: Europe, Japan, USA
    return pd.concat([df, dummies], axis=1)


@pytest.fixture(scope="module")
def course_frame():
    return _course_frame()


def test_real_table_392_rows_exact_columns(course_frame):
    ds = load("auto-mpg")
    assert ds.task == "regression"
    assert ds.X.shape == (392, 9) and ds.X.dtype == np.float32
    assert ds.y.shape == (392,) and ds.y.dtype == np.float32
    assert [ds.target_name, *ds.feature_names] == EXPECTED_COLUMNS == COLUMNS
    assert list(course_frame.columns) == EXPECTED_COLUMNS
    np.testing.assert_allclose(ds.y, course_frame["MPG"].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(ds.X, course_frame[FEATURES].to_numpy(), rtol=1e-6)
    # the slide's first row: 18.0 8 307.0 130.0 3504.0 12.0 70 0 0 1
    assert ds.y[0] == 18.0
    assert ds.X[0].tolist() == [8, 307, 130, 3504, 12, 70, 0, 0, 1]
    np.testing.assert_array_equal(ds.X[:, 6:].sum(axis=1), 1)  # one-hot origin


def test_course_split_equals_pandas_sample(course_frame):
    ds = load("auto-mpg")
    train = course_frame.sample(frac=0.8, random_state=0)
    val = course_frame.drop(train.index)
    np.testing.assert_array_equal(ds.splits["train"], train.index.to_numpy())
    np.testing.assert_array_equal(ds.splits["val"], val.index.to_numpy())
    assert len(ds.splits["train"]) == 314 and len(ds.splits["val"]) == 78
    X_train, y_train = ds.split("train")
    np.testing.assert_allclose(X_train, train[FEATURES].to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(y_train, train["MPG"].to_numpy(), rtol=1e-6)
    assert ds.eval_split == "val"


# TensorFlow's "Basic regression: predict fuel efficiency" tutorial (the course's source) prints
# train_dataset.describe() for this very split: mean and std of every column.
TF_TRAIN_STATS = {
    "MPG": (23.310510, 7.728652), "Cylinders": (5.477707, 1.699788),
    "Displacement": (195.318471, 104.331589), "Horsepower": (104.869427, 38.096214),
    "Weight": (2990.251592, 843.898596), "Acceleration": (15.559236, 2.789230),
    "Model Year": (75.898089, 3.675642), "Europe": (0.178344, 0.383413),
    "Japan": (0.197452, 0.398712), "USA": (0.624204, 0.485101),
}


def test_train_split_statistics_match_the_tensorflow_tutorial():
    ds = load("auto-mpg")
    X, y = ds.split("train")
    table = np.column_stack([y, X]).astype(np.float64)
    for j, name in enumerate(EXPECTED_COLUMNS):
        mean, std = TF_TRAIN_STATS[name]
        assert table[:, j].mean() == pytest.approx(mean, abs=1e-6), name
        assert table[:, j].std(ddof=1) == pytest.approx(std, abs=1e-6), name


def test_model_year_1981_restored():
    ds = load("auto-mpg")
    years, counts = np.unique(ds.X[:, 5], return_counts=True)
    assert dict(zip(years.astype(int).tolist(), counts.tolist(), strict=True))[81] == 28
    assert years.tolist() == list(range(70, 83))


def test_course_csv_is_read(tmp_path, course_frame):
    path = tmp_path / "Auto_MPG_data.csv"
    course_frame.to_csv(path, index=False)
    ds = load("auto-mpg", path=path)
    ref = load("auto-mpg")
    np.testing.assert_array_equal(ds.X, ref.X)
    np.testing.assert_array_equal(ds.y, ref.y)
    np.testing.assert_array_equal(ds.splits["train"], ref.splits["train"])
    assert ds.source == str(path)
    # a CSV written with its index column, and columns in another order, reads the same
    course_frame[list(reversed(EXPECTED_COLUMNS))].to_csv(path)
    np.testing.assert_array_equal(load("auto-mpg", path=path).X, ref.X)


def _write(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return path


ROW = [18.0, 8, 307.0, 130.0, 3504.0, 12.0, 70, 0, 0, 1]


def test_csv_missing_target_column(tmp_path):
    path = _write(tmp_path / "a.csv", EXPECTED_COLUMNS[1:], [ROW[1:]] * 3)
    with pytest.raises(DataError) as e:
        load("auto-mpg", path=path)
    assert str(path) in str(e.value) and "missing column(s) 'MPG'" in str(e.value)


@pytest.mark.parametrize("bad, what", [("abc", "not a number"), ("?", "a missing value"),
                                       ("", "a missing value"), ("NaN", "a missing value"),
                                       ("inf", "not a number")])
def test_csv_non_numeric_or_nan(tmp_path, bad, what):
    rows = [ROW, ROW[:3] + [bad] + ROW[4:], ROW]
    path = _write(tmp_path / "a.csv", EXPECTED_COLUMNS, rows)
    with pytest.raises(DataError) as e:
        load("auto-mpg", path=path)
    msg = str(e.value)
    assert f"{path}: line 3, column 'Horsepower'" in msg and what in msg
    assert "\n" not in msg


def test_csv_ragged_empty_and_missing(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text(",".join(EXPECTED_COLUMNS) + "\n1,2,3\n")
    with pytest.raises(DataError, match="line 2 has 3 fields but the header has 10"):
        load("auto-mpg", path=path)
    path.write_text("")
    with pytest.raises(DataError, match="empty"):
        load("auto-mpg", path=path)
    path.write_text(",".join(EXPECTED_COLUMNS) + "\n")
    with pytest.raises(DataError, match="no data rows"):
        load("auto-mpg", path=path)
    with pytest.raises(DataError, match="nope.csv: no such file; check the path"):
        load("auto-mpg", path=tmp_path / "nope.csv")


def test_without_vega_datasets(monkeypatch):
    monkeypatch.setattr(autompg, "package_data_file", lambda *a: None)
    with pytest.raises(DataError) as e:
        load("auto-mpg")
    assert "pip install vega_datasets" in str(e.value) and "Auto_MPG_data.csv" in str(e.value)

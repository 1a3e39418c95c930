"""Auto MPG (course unit 000): 392 cars, target MPG, 9 features with origin one-hot.

Built by default from the UCI copy inside the ``vega_datasets`` package (``cars.json``, 406
cars: the rows with missing MPG or horsepower are dropped), or read from the course's
``Auto_MPG_data.csv``. vega's copy labels the 30 model-year-1981 cars as 1982 (its years have
no 1981); they are the 1982-labelled rows before the first 1982 "chevrolet cavalier", in UCI's
order, and are given back their year 81 here. Split as the course:
``df.sample(frac=0.8, random_state=0)`` is "train", the rest "val".
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from mlplab.data.cache import package_data_file
from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import pandas_sample_split
from mlplab.data.registry import register
from mlplab.data.table import numeric_columns, read_table

TARGET = "MPG"
FEATURES = [
    "Cylinders", "Displacement", "Horsepower", "Weight", "Acceleration", "Model Year",
    "Europe", "Japan", "USA",
]
COLUMNS = [TARGET, *FEATURES]
_ORIGINS = ("Europe", "Japan", "USA")


def cars_json_path() -> Path:
    """``vega_datasets/_data/cars.json``, or DataError saying how to get it."""
    p = package_data_file("vega_datasets", "_data", "cars.json")
    if p is None:
        raise DataError(
            "auto-mpg: the package vega_datasets (which ships the UCI table) is not installed; "
            "run `pip install vega_datasets`, or pass path=Auto_MPG_data.csv (CLI: --data-dir)"
        )
    return p


def _restore_1981(path: Path, records: list[dict], years: list[int]) -> list[int]:
    """vega's cars.json merges model year 1981 into 1982; UCI's order puts the 30 cars of 1981
    just before the first 1982 car, "chevrolet cavalier". Give them back year 81."""
    first_82 = next(
        (i for i, (r, y) in enumerate(zip(records, years, strict=True))
         if y == 82 and r.get("Name") == "chevrolet cavalier"),
        None,
    )
    fixed = [81 if y == 82 and first_82 is not None and i < first_82 else y
             for i, y in enumerate(years)]
    if first_82 is None or fixed.count(81) != 30:
        raise DataError(
            f"{path}: unexpected layout (cannot locate the model-year-1981 cars); pass the "
            f"course's Auto_MPG_data.csv with path=FILE (CLI: --data-dir FILE)"
        )
    return fixed


def table_from_cars_json(path: Path) -> np.ndarray:
    """The course table, float64 of shape (392, 10), columns :data:`COLUMNS`."""
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise DataError(f"{path}: cannot read as JSON ({e}); reinstall vega_datasets") from e
    rows = []
    try:
        years = [int(str(r["Year"])[:4]) - 1900 for r in records]
        if 81 not in years:
            years = _restore_1981(path, records, years)
        for r, year in zip(records, years, strict=True):
            if r["Miles_per_Gallon"] is None or r["Horsepower"] is None:
                continue
            origin = r["Origin"]
            rows.append([
                r["Miles_per_Gallon"], r["Cylinders"], r["Displacement"], r["Horsepower"],
                r["Weight_in_lbs"], r["Acceleration"], year,
                *(float(origin == o) for o in _ORIGINS),
            ])
        table = np.array(rows, dtype=np.float64)
    except (KeyError, TypeError, ValueError) as e:
        raise DataError(f"{path}: unexpected record layout ({e!r}); reinstall vega_datasets") \
            from e
    if table.ndim != 2 or not np.all(np.isfinite(table)):
        raise DataError(f"{path}: unexpected contents; reinstall vega_datasets")
    return table


def table_from_csv(path: str | os.PathLike) -> np.ndarray:
    """The course CSV's columns :data:`COLUMNS` as float64 (n, 10); strict about contents."""
    table = read_table(path)
    return numeric_columns(path, table.header, table.rows, COLUMNS, lines=table.lines,
                           comma_decimal=table.comma_decimal)


@register("auto-mpg", "Auto MPG: 392 cars, predict MPG from 9 features (regression, "
                      "course unit 000)")
def auto_mpg(path: str | os.PathLike | None = None) -> Dataset:
    """Auto MPG as the course uses it.

    Parameters
    ----------
    path : the course's ``Auto_MPG_data.csv``; default: built from vega_datasets' cars.json.

    Returns
    -------
    Dataset: X float32 (392, 9) with :data:`FEATURES`, y float32 (392,) MPG,
    splits ``{"train": 314 rows in pandas' sample order, "val": the other 78}``.
    """
    if path is None:
        src = cars_json_path()
        table = table_from_cars_json(src)
        source = f"{src} (UCI Auto MPG; rows with missing MPG or horsepower dropped)"
    else:
        table = table_from_csv(path)
        source = str(path)
    train, val = pandas_sample_split(len(table), frac=0.8, random_state=0)
    return Dataset(
        name="auto-mpg",
        task="regression",
        X=np.ascontiguousarray(table[:, 1:], dtype=np.float32),
        y=np.ascontiguousarray(table[:, 0], dtype=np.float32),
        feature_names=list(FEATURES),
        class_names=None,
        source=source,
        splits={"train": train, "val": val},
        target_name=TARGET,
    )

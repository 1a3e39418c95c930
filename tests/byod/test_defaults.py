"""`mlplab train`'s defaults: early stopping where there is a validation split, date columns
as calendar features, predict naming the rows the run has seen, deliberate thread counts."""

from __future__ import annotations

import csv
import json
from datetime import date, timedelta

import numpy as np
import pytest
from byod_support import invoke, train_ok
from threadpoolctl import threadpool_info

from mlplab import threads
from mlplab.byod import TrainOptions, build_experiment, prepare
from mlplab.byod import predict as byod_predict
from mlplab.byod.build import ROWS_FILE, row_hashes
from mlplab.byod.options import DEFAULT_PATIENCE
from mlplab.data.dataset import DataError
from mlplab.data.table import read_dates
from mlplab.errors import UsageError

# -- early stopping -------------------------------------------------------------------------

def test_patience_by_default_only_with_a_validation_split():
    assert DEFAULT_PATIENCE == 10
    assert TrainOptions().patience == 10
    assert TrainOptions(val_fraction=0).patience is None      # nothing to watch: off
    assert TrainOptions(early_stopping=False).patience is None
    assert TrainOptions(early_stopping=3).patience == 3
    with pytest.raises(DataError, match="--early-stopping watches the validation loss"):
        TrainOptions(early_stopping=3, val_fraction=0).validate()


def test_the_models_get_the_default_and_the_flags_change_it(datasets, tmp_path):
    exp = build_experiment(datasets / "wine.csv", TrainOptions(target="cultivar"))
    assert [m["early_stopping"] for m in exp.models] == [{"patience": 10}] * 2
    assert any("early stopping on the validation loss (patience 10, best weights restored; "
               "--no-early-stopping turns it off)" in n for n in exp.notes)
    off = build_experiment(datasets / "wine.csv", TrainOptions(target="cultivar",
                                                               early_stopping=False))
    assert all("early_stopping" not in m for m in off.models)
    assert not any("early stopping" in n for n in off.notes)
    res = invoke("train", datasets / "wine.csv", "--target", "cultivar", "--early-stopping", 5,
                 "--no-early-stopping", "--out", tmp_path)
    assert res.exit_code == 2
    assert res.output.strip() == ("error: --early-stopping and --no-early-stopping: give one "
                                  "of them")
    assert "--no-early-stopping" in invoke("train", "--help").output


def test_diabetes_mlp_stops_early_and_keeps_its_best_epoch(datasets, tmp_path):
    """Without early stopping the 64-64 MLP overfits diabetes' 265 training rows (test R²
    0.136 in the README); by default it stops and keeps the best validation epoch."""
    folder, metrics, output = train_ok(datasets / "diabetes.tsv", tmp_path, "--target",
                                       "progression")
    mlp = metrics["models"]["mlp"]
    assert mlp["outcome"] == "early_stopped" and mlp["epochs"] < 100
    assert mlp["best"]["epoch"] == mlp["epochs"] - DEFAULT_PATIENCE
    history = json.loads((folder / "history" / "mlp.json").read_text())
    assert "restored the best weights" in history["message"]
    assert mlp["test"]["r2"] > 0.3


# -- dates ----------------------------------------------------------------------------------

@pytest.mark.parametrize("cells, fmt", [
    (["2021-03-04", "2020-12-31", "2019-01-15"], "iso"),
    (["2021-03-04T10:30:00", "2020-12-31 23:59", "2019-01-15T00:00:00+01:00"], "iso"),
    (["03/04/2021", "12/31/2020", "01/15/2019"], "%m/%d/%Y"),
    (["04.03.2021", "31.12.2020", "15.01.2019"], "%d.%m.%Y"),
    (["4 Mar 2021", "31 Dec 2020", "15 Jan 2019"], "%d %b %Y"),
    (["March 4, 2021", "December 31, 2020", "January 15, 2019"], "%B %d, %Y"),
])
def test_date_formats_give_the_same_calendar_features(cells, fmt):
    column, note = read_dates("when", cells)
    assert column == {"name": "when", "kind": "date", "format": fmt,
                      "parts": ["year", "month", "day_of_year", "weekday"]}
    assert note.startswith("dates: 'when' read as ")
    assert "when.year, when.month, when.day_of_year, when.weekday" in note


def test_dates_read_month_first_say_so_when_ambiguous_and_skip_constant_parts():
    column, note = read_dates("d", ["03/04/2021", "05/06/2021"])
    assert column["format"] == "%m/%d/%Y"
    assert "every day is 12 or less, so it could also be %d/%m/%Y" in note
    assert read_dates("d", ["25/04/2021", "05/06/2021"])[0]["format"] == "%d/%m/%Y"
    year, note = read_dates("Year", ["1970-01-01", "1971-01-01", "1982-01-01"])
    assert year["parts"] == ["year"]
    assert "(month, day_of_year, weekday never change)" in note
    assert "--categorical Year one-hots its values instead" in note
    assert read_dates("d", ["2021-03-04", "2021-03-04"]) is None      # constant
    assert read_dates("d", ["2021-03-04", "soon"]) is None            # text


def write_dated(path, n=60, seed=0):
    """n rows: a date (one a week from 2020-01-06, a Monday), a number and a target."""
    rng = np.random.default_rng(seed)
    start = date(2020, 1, 6)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "sold", "size", "price"])
        for i in range(n):
            size = float(rng.uniform(1, 3))
            w.writerow([1000 + i, (start + timedelta(weeks=i)).isoformat(), f"{size:.3f}",
                        f"{10 * size + i / 10 + rng.normal(0, 0.1):.3f}"])


def test_a_date_column_becomes_features_not_an_id(tmp_path):
    """Every date is distinct, which made the column ID-like (dropped); now it is parsed."""
    write_dated(tmp_path / "sales.csv")
    p = prepare(tmp_path / "sales.csv", TrainOptions(target="price"))
    assert p.dataset.feature_names == ["sold.year", "sold.month", "sold.day_of_year", "size"]
    assert "dropped columns: 'id' (ID-like: every value distinct)" in p.notes
    assert ("dates: 'sold' read as ISO 8601; it becomes sold.year, sold.month, "
            "sold.day_of_year (weekday never changes); --categorical sold one-hots its values "
            "instead") in p.notes
    assert "inputs: 4 columns (4 numeric, 0 one-hot), standardised with the training split's "\
        "mean and std" in p.notes
    # 2020-01-06 + 9 weeks = 2020-03-09: day 69 of a leap year
    row = next(i for i in range(len(p.dataset.X)) if p.dataset.X[i, 2] == 69)
    assert p.dataset.X[row, :3].tolist() == [2020, 3, 69]


def test_predict_reads_dates_as_training_did_and_names_a_bad_one(tmp_path):
    write_dated(tmp_path / "sales.csv")
    folder, _, _ = train_ok(tmp_path / "sales.csv", tmp_path / "runs", "--target", "price",
                            "--epochs", 3)
    new = tmp_path / "new.csv"
    new.write_text("id,sold,size,price\n1,2022-07-04,2.0,\n2,,2.5,\n")
    result = byod_predict(folder, new, out=tmp_path / "p.csv")
    assert result.n_predicted == 1   # the row without a date has a missing value (dropped)
    new.write_text("id,sold,size,price\n1,next monday,2.0,\n")
    with pytest.raises(DataError, match=r"new.csv: line 2, column 'sold': 'next monday' is not "
                                        r"a date like the training file's \(ISO 8601\)"):
        byod_predict(folder, new, out=tmp_path / "p.csv")


# -- the rows a run has seen ----------------------------------------------------------------

def test_predict_says_which_rows_the_run_trained_on(datasets, tmp_path):
    folder, metrics, output = train_ok(datasets / "wine.csv", tmp_path / "runs", "--target",
                                       "cultivar", "--epochs", 2)
    with np.load(folder / ROWS_FILE) as f:
        assert {s: len(f[s]) for s in f.files} == {"train": 107, "val": 36, "test": 35}
    res = invoke("predict", folder, datasets / "wine.csv", "--out", tmp_path / "p.csv")
    assert res.exit_code == 0, res.output
    assert ("note: 107 of these 178 row(s) are the run's training rows: the model was fitted "
            "on them, so scores on them overstate how it does on new data") in res.output
    assert ("note: of these 178 row(s), 36 are the run's validation rows (early stopping, when "
            "on, chose the epoch on them) and 35 are the run's test rows") in res.output
    # rows the run never saw: no note
    lines = (datasets / "wine.csv").read_text().splitlines()
    fresh = tmp_path / "fresh.csv"
    header = lines[0].split(",")
    j = header.index("alcohol")
    rows = [r.split(",") for r in lines[1:6]]
    for r in rows:
        r[j] = str(float(r[j]) + 0.5)
    fresh.write_text("\n".join([lines[0]] + [",".join(r) for r in rows]) + "\n")
    res = invoke("predict", folder, fresh, "--out", tmp_path / "p2.csv")
    assert res.exit_code == 0 and "training rows" not in res.output and "test rows" not in \
        res.output


def test_row_hashes_read_rows_as_float32():
    X = np.arange(12, dtype=np.uint8).reshape(3, 2, 2)
    assert row_hashes(X).dtype == np.uint64
    assert (row_hashes(X) == row_hashes(X.astype(np.float32))).all()
    assert len(set(row_hashes(X).tolist())) == 3
    # a NaN read from a float64 table hashes as one in a float32 array
    nan = np.array([[np.nan, 1.0]], dtype=np.float32)
    assert row_hashes(nan)[0] == row_hashes(np.array([[np.nan, 1.0]], dtype=np.float64))[0]


# -- threads --------------------------------------------------------------------------------

def test_thread_plan_by_size_and_engine():
    small, big = threads.SMALL_MACS - 1, threads.SMALL_MACS
    plan = threads.choose("numpy", small, env={})
    assert (plan.blas, plan.torch) == (1, None)
    assert plan.why == ("999,999 multiply-adds per batch, under 1,000,000: BLAS and OpenMP 1 "
                        "thread(s)")
    assert threads.choose("numpy", big, env={}).blas == threads.cores()
    plan = threads.choose("torch", big, env={})
    assert (plan.blas, plan.torch) == (1, threads.cores())
    assert (threads.choose("torch", small, env={}).torch) == 1
    forced = threads.choose("numpy", small, env={"MLPLAB_THREADS": "3"})
    assert (forced.blas, forced.torch) == (3, 3)
    off = threads.choose("torch", big, env={"MLPLAB_THREADS": "off"})
    assert (off.blas, off.torch) == (None, None)
    with pytest.raises(UsageError, match="MLPLAB_THREADS='many': give a number of threads"):
        threads.choose("numpy", small, env={"MLPLAB_THREADS": "many"})


def test_limited_sets_and_restores_the_blas_pools():
    def blas():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    before = blas()
    with threads.limited(threads.Plan(1, None, "test")):
        assert blas() == {1}
    assert blas() == before


def test_auto_mpg_from_vega_trains_with_its_year_as_a_number(tmp_path):
    """The issue's data set: vega's cars.json as a CSV. Year ("1970-01-01") is a date whose
    only varying part is the year; the MLP stops early by default."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parents[2] / "benchmarks"))
    from own_data_defaults import write_auto_mpg

    path, target = write_auto_mpg(tmp_path)
    folder, metrics, output = train_ok(path, tmp_path / "runs", "--target", target)
    assert ("dates: 'Year' read as ISO 8601; it becomes Year.year (month, day_of_year, "
            "weekday never change)") in output
    assert "inputs: 9 columns (6 numeric, 3 one-hot)" in output
    m = metrics["models"]
    assert m["mlp"]["outcome"] == "early_stopped"
    assert m["mlp"]["test"]["r2"] > m["linear"]["test"]["r2"] > 0.7

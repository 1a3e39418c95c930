"""One table reader behind every door: the ``csv`` data-set loader, ``mlplab train`` and
``mlplab predict`` read the same file as the same problem (task, classes, missing cells)."""

from __future__ import annotations

import csv

import pytest
from byod_support import train_ok

from mlplab.byod import TrainOptions, predict, prepare
from mlplab.data import load

# 40 rows, targets 1, 2, 3; two rows without a target ("?", ""), three with a missing
# feature ("", "na", "NA"): 35 rows to learn from, 37 to predict
MISSING_TARGET = {17: "?", 29: ""}
MISSING_FEATURE = {5: ("a", ""), 23: ("a", "na"), 11: ("b", "NA")}


def _write(path):
    lines = ["a,b,y"]
    for i in range(40):
        cells = {"a": f"{i * 0.25:.2f}", "b": str((i * 7) % 11), "y": str(1 + i % 3)}
        if i in MISSING_TARGET:
            cells["y"] = MISSING_TARGET[i]
        if i in MISSING_FEATURE:
            column, marker = MISSING_FEATURE[i]
            cells[column] = marker
        lines.append(",".join(cells[c] for c in ("a", "b", "y")))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def table(tmp_path):
    return _write(tmp_path / "codes.csv")


def test_the_csv_loader_and_train_read_one_problem(table):
    ds = load("csv", path=table)
    p = prepare(table, TrainOptions(target="y"))
    for got in (ds, p.dataset):
        assert got.task == "classification" and got.class_names == ["1", "2", "3"]
        assert len(got.X) == len(got.y) == 35   # rows with a target and every feature
    assert sorted(ds.y.tolist()) == sorted(p.dataset.y.tolist())


def test_an_explicit_task_wins_through_both(table):
    assert load("csv", path=table, task="regression").task == "regression"
    assert prepare(table, TrainOptions(target="y", task="regression")).dataset.task == \
        "regression"


def test_predict_reads_the_file_as_train_did(table, tmp_path):
    folder, _, _ = train_ok(table, tmp_path / "runs", "--target", "y", "--epochs", 2)
    out = tmp_path / "p.csv"
    res = predict(folder, table, out=out)
    assert res.task == "classification" and res.n_rows == 40
    with open(out, newline="") as f:
        header, *rows = list(csv.reader(f))
    assert header[-4:] == ["predicted_y", "probability_1", "probability_2", "probability_3"]
    blank = [i for i, r in enumerate(rows) if r[-4] == ""]
    assert blank == [5, 11, 23]   # the rows with a missing feature
    assert res.n_predicted == 37

"""``mlplab predict MODEL.onnx DATA`` against ``mlplab predict RUN_DIR DATA``: a ``mlplab
train`` run exported with ``mlplab export`` predicts the same rows through the command line,
its preprocessing (imputing, one-hot columns, scaling, the target's scaling) inside the graph.
Labels are equal; probabilities and values agree within 1e-5 (float32 in both, different
operation order in onnxruntime), read back from the CSV's 6-7 significant digits."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from typer.testing import CliRunner

from mlplab.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def ok(*args) -> str:
    res = invoke(*args)
    assert res.exit_code == 0, res.output
    return res.output


def _wine(path):
    """178 wines, a text column of noise and 15 missing alcohol values (imputed: --missing
    mean), the target ``cultivar`` kept so that predict scores the rows too."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    rng = np.random.default_rng(0)
    frame["colour"] = rng.choice(["red", "white", "rose"], len(frame))
    frame.loc[rng.choice(len(frame), 15, replace=False), "alcohol"] = np.nan
    frame.to_csv(path, index=False)
    return ("--target", "cultivar", "--missing", "mean")


def _diabetes(path):
    """442 patients, the target in its own units (a regression run scales it for training)."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"})
    frame.to_csv(path, index=False)
    return ("--target", "progression")


def read(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.mark.parametrize("make", [_wine, _diabetes], ids=["classification", "regression"])
def test_predict_through_an_exported_onnx_equals_predict_through_the_run(tmp_path, make):
    src = tmp_path / "data.csv"
    args = make(src)
    ok("train", src, "--out", tmp_path / "runs", "-q", "--epochs", 3, *args)
    (run,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    model = tmp_path / "m.onnx"
    ok("export", run, "--format", "onnx", "-o", model)

    said_run = ok("predict", run, src, "--out", tmp_path / "by_run.csv")
    said_onnx = ok("predict", model, src, "--out", tmp_path / "by_onnx.csv")
    header, by_run = read(tmp_path / "by_run.csv")
    header_onnx, by_onnx = read(tmp_path / "by_onnx.csv")
    assert header_onnx == header and len(by_onnx) == len(by_run) == len(read(src)[1])
    first = header.index(next(h for h in header if h.startswith("predicted_")))
    for a, b in zip(by_run, by_onnx):
        assert a[:first] == b[:first]               # the input's own cells, unchanged
    if make is _wine:
        assert [r[first] for r in by_onnx] == [r[first] for r in by_run]   # the labels
        cols = slice(first + 1, None)
        assert header[cols] == ["probability_0", "probability_1", "probability_2"]
    else:
        cols = slice(first, None)
        assert header[cols] == ["predicted_progression"]
    got = np.array([[float(c) for c in r[cols]] for r in by_onnx])
    want = np.array([[float(c) for c in r[cols]] for r in by_run])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    # the summary line names the same count, and the scores on the known targets agree
    assert said_onnx.splitlines()[0].split(" to ")[0] == said_run.splitlines()[0].split(" to ")[0]
    assert said_onnx.splitlines()[-1].startswith("on the ")


def test_predict_refuses_an_onnx_of_a_run_without_a_data_schema(tmp_path):
    ok("run", "xor", "--epochs", 2, "--out", tmp_path / "runs", "-q")
    (run,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    ok("export", run, "--model", "mlp", "--format", "onnx", "-o", tmp_path / "xor.onnx")
    (tmp_path / "rows.csv").write_text("x1,x2\n0,1\n")
    for path, words in [(tmp_path / "xor.onnx", "exported from a `mlplab run` run"),
                        (tmp_path / "absent.onnx", "no such file")]:
        res = invoke("predict", path, tmp_path / "rows.csv", "--out", tmp_path / "p.csv")
        assert res.exit_code == 2, res.output
        (line,) = res.output.strip().splitlines()
        assert line.startswith(f"error: {path}: ") and words in line, line
    assert not (tmp_path / "p.csv").exists()

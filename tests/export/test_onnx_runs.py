"""`mlplab export` on real run folders: the exported graph passes onnx's full check and, on
the run's own evaluation split, gives mlplab's predictions within 1e-5 and the same metrics
as metrics.json; runs of `mlplab train` (CSV with holes and categories, images) export with
their preprocessing and are scored by ``load_onnx_model`` as ``mlplab predict`` scores them."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from typer.testing import CliRunner

from mlplab import data as datalib
from mlplab import nn
from mlplab.cli import app
from mlplab.experiments.preprocess import load_preprocess
from mlplab.export.onnx import OPSET, load_onnx_model, predict_onnx, read_metadata
from mlplab.train import build_engine
from mlplab.train import metrics as M

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def mlplab_run(name, out):
    res = invoke("run", name, "--epochs", 2, "--out", out, "-q")
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return folder


def export_ok(folder, model, path, *extra):
    res = invoke("export", folder, "--model", model, "--format", "onnx", "-o", path, *extra)
    assert res.exit_code == 0, res.output
    assert res.output.startswith(f"wrote {path}: model {model} (")
    assert f"ONNX opset {OPSET}" in res.output
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    return res.output


def mlplab_outputs(folder, model, X):
    """What the runner's own predict gives: the engine's outputs after the saved
    preprocessing, in the target's units."""
    entry = next(m for m in json.loads((folder / "config.json").read_text())["models"]
                 if m["name"] == model)
    transform, target = load_preprocess(folder / "weights" / f"{model}.preprocess.json")
    engine = build_engine("numpy", spec=entry["spec"], loss=entry["loss"], optimizer="sgd",
                          lr=0.1, seed=0)
    engine.load_state_dict(nn.load(folder / "weights" / f"{model}.npz")[0])
    out = engine.predict(X, transform=transform)
    return (target.inverse(out) if target else out), engine


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    return {name: mlplab_run(name, root / name) for name in ("nonlinear", "auto-mpg", "iris")}


@pytest.mark.parametrize("name,model", [("nonlinear", "mlp"), ("nonlinear", "softmax"),
                                        ("iris", "mlp"), ("iris", "softmax"),
                                        ("auto-mpg", "mlp"), ("auto-mpg", "linear")])
def test_a_run_exports_and_matches_mlplab(runs, tmp_path, name, model):
    folder = runs[name]
    path = tmp_path / f"{model}.onnx"
    export_ok(folder, model, path)
    config = json.loads((folder / "config.json").read_text())
    metrics = json.loads((folder / "metrics.json").read_text())["models"][model]
    split = (config["data"][0]["eval"] or ["train"])[0]   # nonlinear scores its training set
    X, y = datalib.load(name).split(split)
    expected, engine = mlplab_outputs(folder, model, X)
    out = predict_onnx(path, X)
    if engine.task == "regression":
        # values of tens of mpg: 1e-5 is a few float32 steps, so the bound is relative
        np.testing.assert_allclose(out["values"], expected, rtol=1e-5, atol=1e-5)
        assert M.mse(out["values"], y) == pytest.approx(metrics[split]["mse"], rel=1e-5)
    else:
        np.testing.assert_allclose(out["outputs"], expected, rtol=0, atol=1e-5)
        p = np.exp(expected - expected.max(1, keepdims=True))
        np.testing.assert_allclose(out["probabilities"], p / p.sum(1, keepdims=True),
                                   rtol=0, atol=1e-5)
        np.testing.assert_array_equal(out["label"], expected.argmax(1))
        assert M.accuracy(out["probabilities"], y) == metrics[split]["accuracy"]
    meta = read_metadata(path)
    assert meta["model"] == model and meta["opset"] == OPSET and meta["loss"] == engine.loss_name


def test_export_errors_are_one_line(runs, tmp_path):
    cases = [
        ((runs["iris"], "--format", "tflite"),
         "unknown export format 'tflite'; choose one of onnx"),
        ((runs["iris"], "--model", "deep"), "--model 'deep': the run has no saved model of that "
                                            "name; choose one of mlp, softmax"),
        ((tmp_path / "nope",), f"{tmp_path / 'nope'}: not a run folder (no such folder); pass a "
                               "folder written by `mlplab run` or `mlplab train`"),
        ((runs["iris"], "--input-shape", "2x3"), "input shape 2x3 does not fit model spec "
                                                 "'4-8-relu-3', which takes 4 values per row"),
    ]
    for args, message in cases:
        res = invoke("export", *args)
        assert res.exit_code == 2, res.output
        assert res.output.strip().splitlines() == [f"error: {message}"]


def test_the_default_model_and_file(runs, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = invoke("export", runs["iris"])   # two models: mlp is the default
    assert res.exit_code == 0, res.output
    assert (tmp_path / "mlp.onnx").is_file()


# -------------------------------------------------------------------- runs of `mlplab train`
def _wine_with_holes(path):
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    rng = np.random.default_rng(0)
    frame["colour"] = rng.choice(["red", "white", "rose"], len(frame))
    frame.loc[rng.choice(len(frame), 15, replace=False), "alcohol"] = np.nan
    frame.to_csv(path, index=False)


def _diabetes(path):
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame.rename(
        columns={"target": "progression"})
    frame.to_csv(path, index=False)


def _images(root):
    from PIL import Image

    rng = np.random.default_rng(2)
    for name in ("dark", "left", "top"):
        (root / name).mkdir(parents=True)
        for i in range(8):
            img = rng.integers(0, 60, (8, 8)).astype(np.uint8)
            if name == "top":
                img[:4] += 180
            elif name == "left":
                img[:, :4] += 180
            Image.fromarray(img).save(root / name / f"{i}.png")
    return root


@pytest.mark.parametrize("kind", ["csv", "regression", "images"])
def test_a_train_run_predicts_the_same_through_onnx(tmp_path, kind):
    from mlplab.byod import load_model
    from mlplab.byod.predict import READERS

    if kind == "csv":
        src, args = tmp_path / "wine.csv", ("--target", "cultivar", "--missing", "mean")
        _wine_with_holes(src)
    elif kind == "regression":
        src, args = tmp_path / "diabetes.csv", ("--target", "progression")
        _diabetes(src)
    else:
        src, args = _images(tmp_path / "shapes"), ()
    res = invoke("train", src, "--out", tmp_path / "runs", "-q", "--epochs", 3, *args)
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in (tmp_path / "runs").iterdir() if not p.name.startswith(".")]
    path = tmp_path / "mlp.onnx"
    export_ok(folder, "mlp", path)
    schema, _, transform, target, engine = load_model(folder, "mlp")
    rows = READERS[schema["format"]](src, schema)
    expected = engine.predict(transform(rows.X))
    if target is not None:
        expected = target.inverse(expected)
    o_schema, entry, o_transform, o_target, o_engine = load_onnx_model(path)
    assert o_schema == schema and o_target is None and entry["spec"] == engine_spec(folder)
    got = o_engine.predict(o_transform(rows.X))
    assert o_engine.threshold == engine.threshold
    if kind == "regression":
        assert "target" in json.loads((folder / "weights" / "mlp.preprocess.json").read_text())
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    else:
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5)
    if kind == "images":   # the graph takes the images' own shape and flattens them itself
        assert list(rows.X.shape[1:]) == schema["image_size"]
        inp = onnx.load(str(path)).graph.input[0].type.tensor_type.shape.dim
        assert [d.dim_value for d in inp[1:]] == schema["image_size"]


def engine_spec(folder):
    return next(m["spec"] for m in json.loads((folder / "config.json").read_text())["models"]
                if m["name"] == "mlp")

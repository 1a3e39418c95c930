"""`mlplab predict`: new rows through the saved preprocessing and weights give the engine's
own outputs, the report's test metrics come back, and bad new data gets one clear line."""

import csv
import io
import json

import numpy as np
import pytest
from byod_support import invoke, train_ok, write_cancer, write_images

from mlplab.byod import TrainOptions, load_model, prepare
from mlplab.train import metrics as M


def read_csv(path):
    rows = list(csv.reader(io.StringIO(path.read_text())))
    return rows[0], rows[1:]


def predict_ok(*args):
    res = invoke("predict", *args)
    assert res.exit_code == 0, res.output
    return res.output


def predict_fails(*args):
    res = invoke("predict", *args)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    return lines[0]


def subset(src, rows, out, drop=()):
    """``src``'s header and data rows ``rows`` (0-based, in order), without columns ``drop``."""
    lines = src.read_text().splitlines()
    sep = ";" if ";" in lines[0] else ("\t" if "\t" in lines[0] else ",")
    table = [line.split(sep) for line in lines]
    keep = [j for j, h in enumerate(table[0]) if h not in drop]
    out.write_text("\n".join(sep.join(r[j] for j in keep)
                             for r in [table[0]] + [table[i + 1] for i in rows]) + "\n")
    return out


@pytest.fixture(scope="module")
def wine(datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("wine_predict")
    folder, metrics, _ = train_ok(datasets / "wine.csv", out / "runs", "--target", "cultivar",
                                  "--epochs", 30, "--lr", "0.003")
    return folder, metrics, out


def test_round_trip_equals_the_engine_and_the_report(wine, datasets):
    folder, metrics, out = wine
    ds = prepare(datasets / "wine.csv", TrainOptions(target="cultivar")).dataset
    test_rows = ds.splits["test"].tolist()   # no row was dropped: dataset rows = file rows
    new = subset(datasets / "wine.csv", test_rows, out / "new.csv")
    acc = metrics["models"]["mlp"]["test"]["accuracy"]
    output = predict_ok(folder, new, "--out", out / "pred.csv")
    assert (f"wrote 35 prediction(s) of 'cultivar' by mlp for 35 row(s) to {out / 'pred.csv'}"
            in output)
    assert f"on the 35 row(s) with a known 'cultivar': accuracy {100 * acc:.2f}%" in output
    header, rows = read_csv(out / "pred.csv")
    assert header[:2] == ["sample_id", "alcohol"] and header[-4:] == [
        "predicted_cultivar", "probability_0", "probability_1", "probability_2"]
    _, _, transform, _, engine = load_model(folder, "mlp")
    X, y = ds.split("test")
    logits = engine.predict(transform(X))
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert [r[-4] for r in rows] == [str(k) for k in logits.argmax(1)]
    np.testing.assert_allclose(np.array([r[-3:] for r in rows], float), p, rtol=1e-5,
                               atol=1e-6)
    assert M.accuracy(logits, y) == acc


def test_target_and_unused_columns_may_be_absent(wine, datasets):
    folder, _, out = wine
    new = subset(datasets / "wine.csv", range(10), out / "bare.csv",
                 drop=("cultivar", "sample_id", "batch"))
    output = predict_ok(folder, new, "--model", "softmax", "--out", out / "bare_pred.csv")
    assert "wrote 10 prediction(s) of 'cultivar' by softmax" in output
    assert "known" not in output
    header, rows = read_csv(out / "bare_pred.csv")
    assert header[0] == "alcohol" and len(rows) == 10


def test_missing_or_extra_columns_are_one_clear_line(wine, datasets):
    folder, _, out = wine
    new = subset(datasets / "wine.csv", range(5), out / "less.csv", drop=("hue", "colour"))
    err = predict_fails(folder, new)
    assert err.startswith(f"error: {new}: missing column(s) 'hue', 'colour' that the model "
                          "uses; it needs 'alcohol', ")
    extra = out / "extra.csv"
    lines = (datasets / "wine.csv").read_text().splitlines()
    extra.write_text("\n".join([lines[0] + ",price"] + [r + ",9.5" for r in lines[1:4]]))
    err = predict_fails(folder, extra)
    assert err == (f"error: {extra}: column(s) 'price' were not in the training file; remove "
                   "them (the model uses 'alcohol', 'malic_acid', 'ash', 'alcalinity_of_ash', "
                   "'magnesium', 'total_phenols', 'flavanoids', 'nonflavanoid_phenols', "
                   "'proanthocyanins', 'color_intensity', 'hue', "
                   "'od280/od315_of_diluted_wines', 'proline', 'colour')")


def test_unseen_category_and_unknown_class_are_noted(wine, datasets):
    folder, _, out = wine
    lines = (datasets / "wine.csv").read_text().splitlines()
    new = out / "odd.csv"
    new.write_text("\n".join([lines[0], lines[1].replace(",A,", ",B,").rsplit(",", 1)[0]
                              + ",pink", lines[2].replace(",0,A,", ",7,A,")]) + "\n")
    output = predict_ok(folder, new, "--out", out / "odd_pred.csv")
    assert ("note: column 'colour': 1 row(s) hold a category not seen in training, encoded as "
            "none of the known ones (all zeros)") in output
    assert "note: 1 row(s) hold a 'cultivar' value that is not one of the training classes" \
        in output
    assert "on the 1 row(s) with a known 'cultivar'" in output


@pytest.mark.parametrize("model,message", [
    ("nope", "--model 'nope': the run has no such model; choose one of softmax, mlp"),
])
def test_bad_model_and_run_folders(wine, datasets, tmp_path, model, message):
    folder, _, _ = wine
    assert predict_fails(folder, datasets / "wine.csv", "--model", model) == f"error: {message}"
    err = predict_fails(tmp_path, datasets / "wine.csv")
    assert err == (f"error: {tmp_path}: not a run folder (no config.json in it); pass a folder "
                   "written by `mlplab train`")
    (tmp_path / "config.json").write_text(json.dumps({"data": [{"name": "iris"}], "models": []}))
    assert "written by `mlplab run`, not `mlplab train`" in predict_fails(tmp_path,
                                                                           datasets / "wine.csv")
    assert "is a folder, but this model was trained on a CSV" in predict_fails(folder, tmp_path)


def test_sklearn_rows_are_not_saved(datasets, tmp_path):
    folder, _, _ = train_ok(datasets / "wine.csv", tmp_path / "runs", "--target", "cultivar",
                            "--epochs", 1, "--compare-sklearn")
    assert predict_fails(folder, datasets / "wine.csv", "--model", "sklearn-mlp") == (
        "error: --model 'sklearn-mlp' is a scikit-learn row, which is not saved (mlplab writes "
        "no pickles); choose one of softmax, mlp")


def test_missing_values_imputed_or_left_blank(tmp_path):
    src = tmp_path / "cancer.csv"
    write_cancer(src)
    for policy, n_pred in (("mean", 569), ("drop", 540)):
        folder, _, _ = train_ok(src, tmp_path / policy, "--target", "diagnosis", "--missing",
                                policy, "--epochs", 3)
        output = predict_ok(folder, src, "--out", tmp_path / f"{policy}.csv")
        assert f"wrote {n_pred} prediction(s) of 'diagnosis' by mlp for 569 row(s)" in output
        header, rows = read_csv(tmp_path / f"{policy}.csv")
        assert header[-3:] == ["predicted_diagnosis", "probability_benign",
                               "probability_malignant"]
        blank = [r for r in rows if r[-3] == ""]
        assert len(blank) == 569 - n_pred and len(rows) == 569
    assert "note: 29 row(s) have a missing value and no prediction" in output


def test_regression_round_trip_in_the_targets_units(datasets, tmp_path):
    folder, metrics, _ = train_ok(datasets / "diabetes.tsv", tmp_path / "runs", "--target",
                                  "progression", "--epochs", 20)
    ds = prepare(datasets / "diabetes.tsv", TrainOptions(target="progression")).dataset
    new = subset(datasets / "diabetes.tsv", ds.splits["val"].tolist(), tmp_path / "val.tsv")
    output = predict_ok(folder, new, "--model", "linear", "--out", tmp_path / "p.csv")
    mse = metrics["models"]["linear"]["val"]["mse"]
    assert f"on the 89 row(s) with a known 'progression': mse {mse:.4g}" in output
    _, _, transform, target, engine = load_model(folder, "linear")
    expected = target.inverse(engine.predict(transform(ds.split("val")[0])))[:, 0]
    header, rows = read_csv(tmp_path / "p.csv")
    assert header[-1] == "predicted_progression"
    np.testing.assert_allclose([float(r[-1]) for r in rows], expected, rtol=1e-6)


def test_images_and_arrays_predict_too(tmp_path):
    root = write_images(tmp_path / "shapes")
    folder, _, _ = train_ok(root, tmp_path / "runs", "--epochs", 20, "--lr", "0.01")
    output = predict_ok(folder, root, "--out", tmp_path / "img.csv")
    assert "wrote 36 prediction(s) of 'class' by mlp for 36 row(s)" in output
    assert "with a known 'class': accuracy 100.00%" in output   # class from the parent folder
    header, rows = read_csv(tmp_path / "img.csv")
    assert header[:2] == ["file", "predicted_class"] and rows[0][:2] == ["dark/0.png", "dark"]

    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 3))
    np.savez(tmp_path / "lin.npz", X=X, y=X @ [1.0, -2.0, 0.5] + 3)
    folder, _, _ = train_ok(tmp_path / "lin.npz", tmp_path / "runs2", "--epochs", 5)
    np.savez(tmp_path / "new.npz", X=X[:7])
    output = predict_ok(folder, tmp_path / "new.npz", "--out", tmp_path / "arr.csv")
    assert "wrote 7 prediction(s) of 'y'" in output
    assert read_csv(tmp_path / "arr.csv")[0] == ["row", "predicted_y"]
    np.savez(tmp_path / "wide.npz", X=X[:, :2])
    assert predict_fails(folder, tmp_path / "wide.npz").endswith(
        "X has rows of shape (2,), but the model was trained on rows of shape (3,)")


def test_an_image_folder_above_the_data_limit_is_refused_before_reading(tmp_path, monkeypatch):
    root = write_images(tmp_path / "shapes")
    folder, _, _ = train_ok(root, tmp_path / "runs", "--epochs", 2)
    from mlplab.runfolder import RunFolder

    schema = RunFolder.open(folder).schema
    pixels = int(np.prod(schema["image_size"])) * (1 if schema["grayscale"] else 3)
    n = len(list(root.rglob("*.png")))
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", str(n * pixels * 4 - 1))
    line = predict_fails(folder, root, "--out", tmp_path / "p.csv")
    assert f"{root}: {n} images of " in line and " pixels as float32 need " in line
    assert "predict a part of the folder at a time, or set MLPLAB_MAX_DATA_BYTES=" in line
    assert not (tmp_path / "p.csv").exists()
    monkeypatch.setenv("MLPLAB_MAX_DATA_BYTES", str(n * pixels * 4))   # exactly enough
    assert f"wrote {n} prediction(s)" in predict_ok(folder, root, "--out", tmp_path / "p.csv")


def test_a_torch_engine_run_predicts_with_the_numpy_engine(datasets, tmp_path):
    pytest.importorskip("torch")
    folder, metrics, _ = train_ok(datasets / "wine.csv", tmp_path / "runs", "--target",
                                  "cultivar", "--engine", "torch", "--epochs", 3)
    assert metrics["engine"] == "torch"
    ds = prepare(datasets / "wine.csv", TrainOptions(target="cultivar")).dataset
    _, _, transform, _, engine = load_model(folder, "mlp")   # the NumPy engine
    X, y = ds.split("test")
    out = engine.predict(transform(X))
    assert M.accuracy(out, y) == metrics["models"]["mlp"]["test"]["accuracy"]
    assert engine.loss(out, y) == pytest.approx(metrics["models"]["mlp"]["test"]["loss"],
                                                rel=1e-5)

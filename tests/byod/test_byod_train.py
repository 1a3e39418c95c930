"""`mlplab train` end to end, as a new user would run it on data the project does not ship:
the run folder, the report's notes, numbers recomputed from the saved model, and the
scikit-learn rows next to mlplab's."""

import json

import numpy as np
import pytest
from byod_support import train_ok, write_images

from mlplab.byod import TrainOptions, build_experiment, load_model, prepare
from mlplab.experiments.config import DATA_KEYS, MODEL_KEYS, ExperimentError, from_dict
from mlplab.experiments.kinds import EXPERIMENT_KINDS, MODEL_KINDS
from mlplab.train import metrics as M


@pytest.fixture(scope="module")
def wine_run(datasets, tmp_path_factory):
    out = tmp_path_factory.mktemp("wine_runs")
    # every epoch (no early stopping), so that each row's 100 epochs can be compared
    return train_ok(datasets / "wine.csv", out, "--target", "cultivar", "--compare-sklearn",
                    "--no-early-stopping")


def test_wine_run_folder_and_report(wine_run):
    folder, metrics, output = wine_run
    assert folder.name.startswith("wine-")
    assert list(metrics["models"]) == ["softmax", "mlp", "sklearn-logistic", "sklearn-mlp",
                                       "sklearn-hgb"]
    for f in ("config.json", "report.md", "report.html", "plots/confusion.png",
              "plots/curves.png", "weights/softmax.npz", "weights/mlp.npz",
              "weights/mlp.preprocess.json", "history/sklearn-mlp.csv"):
        assert (folder / f).is_file(), f
    assert not (folder / "weights" / "sklearn-mlp.npz").exists()   # no pickles
    notes = ["data: wine.csv, comma-separated, 178 rows",
             "task: classification of 'cultivar' into 3 classes (0, 1, 2; inferred: 3 distinct "
             "integer values; --task overrides)",
             "dropped columns: 'sample_id' (ID-like: every value distinct), 'batch' (constant: "
             "'A')",
             "one-hot: 'colour' (3 levels)",
             "split (seed 0, stratified by class): train 107, val 36, test 35"]
    report = (folder / "report.md").read_text()
    for n in notes:
        assert n in output and n in report
    assert "| sklearn-mlp | 5,443 | ok | 100 |" in report   # 16-64-64-3, as mlplab's mlp
    m = metrics["models"]
    assert m["mlp"]["spec"] == "16-64-relu-64-relu-3" and m["mlp"]["params"] == 5443
    assert m["sklearn-logistic"]["params"] == 51 and m["sklearn-mlp"]["epochs"] == 100
    # the tree baseline: scikit-learn's defaults, no weights to count
    hgb = m["sklearn-hgb"]
    assert hgb["spec"] == "HistGradientBoostingClassifier(max_iter=100, lr=0.1)"
    assert "params" not in hgb and hgb["epochs"] == 100 and hgb["lr"] == 0.1
    assert "| sklearn-hgb | - | ok | 100 |" in report


def test_wine_sklearn_rows_agree_in_magnitude(wine_run):
    m = wine_run[1]["models"]
    for name in m:
        assert m[name]["test"]["accuracy"] >= 0.9, name
        assert m[name]["val"]["accuracy"] >= 0.85, name
    assert abs(m["mlp"]["test"]["accuracy"] - m["sklearn-mlp"]["test"]["accuracy"]) <= 0.1
    assert m["sklearn-mlp"]["test"]["loss"] < 3 * m["mlp"]["test"]["loss"] + 0.1


def test_wine_metrics_recomputed_from_the_saved_models(wine_run, datasets):
    folder, metrics, _ = wine_run
    ds = prepare(datasets / "wine.csv", TrainOptions(target="cultivar")).dataset
    for name in ("softmax", "mlp"):
        _, _, transform, target, engine = load_model(folder, name)
        assert target is None
        for split in ("train", "val", "test"):
            X, y = ds.split(split)
            out = engine.predict(transform(X))
            assert M.accuracy(out, y) == metrics["models"][name][split]["accuracy"]
            # per class: the share of that class's rows the model gets right
            pred = M.predicted_classes(out)
            expected = {c: float((pred[y == i] == i).mean()) for i, c in enumerate("012")}
            assert metrics["models"][name]["per_class_accuracy"][split] == expected


def test_wine_status_and_outcome_of_every_row(wine_run):
    for name, info in wine_run[1]["models"].items():
        assert (info["status"], info["outcome"]) == ("ok", "ok"), name
        assert set(info["per_class_accuracy"]) == {"train", "val", "test"}, name


def test_cancer_binary_text_labels_semicolons_missing_mean(datasets, tmp_path):
    folder, metrics, output = train_ok(datasets / "cancer.csv", tmp_path, "--target",
                                       "diagnosis", "--missing", "mean", "--epochs", 10)
    assert "data: breast_cancer.csv" not in output   # the name is the user's
    assert "cancer.csv, semicolon-separated, 569 rows" in output
    assert "into 2 classes (benign, malignant; inferred: holds text" in output
    assert "--missing mean: 30 missing cells in 29 rows are filled" in output
    assert "binary classification uses two logits with softmax and cross-entropy" in output
    m = metrics["models"]
    assert m["mlp"]["spec"] == "32-64-relu-64-relu-2"   # 30 numbers + clinic one-hot
    assert m["mlp"]["test"]["accuracy"] > 0.9 and m["softmax"]["test"]["accuracy"] > 0.85
    prep = json.loads((folder / "weights" / "mlp.preprocess.json").read_text())
    assert prep["input"]["name"] == "impute+standardize" and len(prep["input"]["impute"]) == 32


def test_cancer_missing_drop_counts_rows(datasets, tmp_path):
    _, metrics, output = train_ok(datasets / "cancer.csv", tmp_path, "--target", "diagnosis",
                                  "--epochs", 1)
    assert ("569 rows; dropped 29 with a missing feature value (--missing drop); 540 rows "
            "kept") in output
    assert "train 324, val 109, test 107" in output


def test_diabetes_regression_in_the_targets_units(datasets, tmp_path):
    folder, metrics, output = train_ok(datasets / "diabetes.tsv", tmp_path, "--target",
                                       "progression", "--categorical", "sex",
                                       "--compare-sklearn", "--epochs", 60, "--lr", "0.003")
    assert "tab-separated, 442 rows" in output
    assert "task: regression on 'progression' (inferred: numeric with 214 distinct values" \
        in output
    assert "one-hot: 'sex' (2 levels)" in output
    assert (folder / "plots" / "predicted_vs_true.png").is_file()
    m = metrics["models"]
    assert list(m) == ["linear", "mlp", "sklearn-linear", "sklearn-mlp", "sklearn-hgb"]
    assert m["sklearn-linear"]["epochs"] == 0 and m["sklearn-linear"]["params"] == 12
    for name in m:   # MSE in the target's units (its variance is about 5,900), not z-units
        assert 1500 < m[name]["val"]["mse"] < 6000, name
        assert m[name]["val"]["r2"] > 0.25, name
    # gradient descent lands near the closed-form least-squares fit
    assert abs(m["linear"]["val"]["r2"] - m["sklearn-linear"]["val"]["r2"]) < 0.05
    ds = prepare(datasets / "diabetes.tsv", TrainOptions(target="progression",
                                                         categorical=("sex",))).dataset
    _, _, transform, target, engine = load_model(folder, "linear")
    X, y = ds.split("test")
    out = target.inverse(engine.predict(transform(X)))
    assert M.mse(out, y) == pytest.approx(m["linear"]["test"]["mse"], rel=1e-6)


@pytest.mark.parametrize("split", [False, True])
def test_image_folder(tmp_path, split):
    root = write_images(tmp_path / "shapes", split=split)
    folder, metrics, output = train_ok(root, tmp_path / "runs", "--image-size", 6,
                                       "--epochs", 30, "--lr", "0.01")
    assert "36 images of 6x6 pixels, grayscale (resized to 6x6)" in output
    assert "classification into 3 classes (dark, left, top; one folder per class)" in output
    if split:
        assert "the folder's test/ (--test-fraction not used)" in output
        assert "train 21, test 9, val 6" in output
    m = metrics["models"]
    assert m["mlp"]["spec"] == "36-64-relu-64-relu-3"
    assert m["mlp"]["test"]["accuracy"] == 1.0   # three patterns a child could tell apart
    assert (folder / "plots" / "samples.png").is_file()


def test_npz_arrays(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4)).astype(np.float32)
    y = (X[:, 0] * X[:, 1] > 0).astype(np.int64)   # XOR of signs: no line separates it
    np.savez(tmp_path / "xor.npz", X=X, y=y, class_names=np.array(["differ", "same"]))
    folder, metrics, output = train_ok(tmp_path / "xor.npz", tmp_path / "runs", "--epochs",
                                       60, "--lr", "0.01")
    assert "task: classification into 2 classes (inferred: 2 distinct integer values" in output
    m = metrics["models"]
    assert m["softmax"]["test"]["accuracy"] < 0.7 < 0.85 < m["mlp"]["test"]["accuracy"]
    config = json.loads((folder / "config.json").read_text())
    assert config["data"][0]["schema"]["classes"] == ["differ", "same"]


def test_early_stopping_and_options_reach_the_models(datasets, tmp_path):
    _, metrics, output = train_ok(datasets / "wine.csv", tmp_path, "--target", "cultivar",
                                  "--hidden", "16", "--activation", "tanh", "--optimizer",
                                  "sgd", "--lr", "0.05", "--batch-size", 16, "--epochs", 200,
                                  "--early-stopping", 3, "--val-fraction", 0.3,
                                  "--test-fraction", 0.1, "--seed", 5, "--compare-sklearn")
    sk = metrics["models"]["sklearn-mlp"]
    assert sk["spec"] == "MLPClassifier(16, tanh, sgd, lr=0.05, alpha=0)"
    assert sk["epochs"] < 200 and "its own validation score" in sk["message"]
    assert "its early stopping watches its own 10% of the training split (patience 3)" in output
    m = metrics["models"]["mlp"]
    assert m["spec"] == "16-16-tanh-3" and m["optimizer"] == "sgd" and m["batch_size"] == 16
    assert m["epochs"] < 200 and "stopped after epoch" in m["message"]
    assert (m["status"], m["outcome"]) == ("ok", "early_stopped")
    assert (sk["status"], sk["outcome"]) == ("ok", "early_stopped")
    assert "split (seed 5, stratified by class): train 107, val 53, test 18" in output


def test_own_data_experiment_uses_only_documented_keys(datasets):
    exp = build_experiment(datasets / "wine.csv",
                           TrainOptions(target="cultivar", compare_sklearn=True))
    assert exp.kind == "own-data" and exp.device == "auto"
    (d,) = exp.data
    assert set(d) <= set(DATA_KEYS) | set(EXPERIMENT_KINDS["own-data"].data_keys)
    for m in exp.models:
        assert set(m) <= set(MODEL_KEYS) | set(MODEL_KINDS[m.get("kind", "mlplab")].keys)
    # the validator that reads files checks what Python builds alike
    raw = {**exp.to_dict(), "kind": "own-data", "data": [{**d, "colour": "red"}]}
    with pytest.raises(ExperimentError, match=r"x: \[\[data\]\] unknown key 'colour'"):
        from_dict(raw, "x")
    raw["data"] = [{**d, "dataset": "wine.csv"}]
    with pytest.raises(ExperimentError, match="needs each .* to be an mlplab.data.Dataset"):
        from_dict(raw, "x")
    raw["data"] = [d]
    raw["models"] = [{**exp.models[2], "estimator": None, "kind": "sklearn-svm"}]
    with pytest.raises(ExperimentError, match="unknown model kind 'sklearn-svm'; choose one "
                                              "of mlplab, sklearn"):
        from_dict(raw, "x")

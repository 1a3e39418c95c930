"""record_dynamics: a run keeps each model's training dynamics in metrics.json, checks them
when it reads the folder back, and draws them in the report."""

from __future__ import annotations

import json

import pytest

from mlplab.errors import DataError
from mlplab.experiments.config import ExperimentError, from_dict, with_overrides
from mlplab.experiments.runner import run
from mlplab.runfolder import RunFolder

MODEL = {"loss": "cross_entropy", "optimizer": "sgd", "lr": 0.1, "epochs": 3, "batch_size": 32}


def experiment(**sigmoid_keys):
    return from_dict({
        "name": "dyn", "description": "deep nets with their dynamics",
        "data": [{"name": "spiral", "eval": ["val"], "val_fraction": 0.2}],
        "models": [{"name": "sigmoid", "spec": "2-16-sigmoid-16-sigmoid-3", **MODEL,
                    **sigmoid_keys},
                   {"name": "relu", "spec": "2-16-relu-16-relu-3", **MODEL}]}, "test")


def test_the_entry_key_records_one_model_and_the_report_draws_it(tmp_path):
    result = run(experiment(record_dynamics=True), tmp_path, progress=False)
    sig, relu = result.model("sigmoid"), result.model("relu")
    assert relu.dynamics is None
    assert sig.dynamics["layers"] == ["1 sigmoid", "2 sigmoid", "3 identity"]
    assert [e["epoch"] for e in sig.dynamics["epochs"]] == [1, 2, 3]
    assert all(g > 0 for g in sig.dynamics["epochs"][0]["grad_norm"])
    plots = result.path / "plots"
    for name in ("gradient_norms", "dead_and_saturated", "activation_histograms"):
        assert (plots / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert "Gradient norm of each layer" in (result.path / "report.md").read_text()
    # read back, the folder gives the same numbers
    assert RunFolder.open(result.path).load().model("sigmoid").dynamics == sig.dynamics


def test_the_command_line_switch_records_every_trained_model(tmp_path):
    exp = with_overrides(experiment(), record_dynamics=True)
    result = run(exp, tmp_path, progress=False)
    assert all(m.dynamics is not None for m in result.models)


def test_a_bad_value_is_refused_by_name():
    with pytest.raises(ExperimentError, match="record_dynamics"):
        experiment(record_dynamics="yes")


def test_damaged_dynamics_are_named_when_the_folder_is_read(tmp_path):
    result = run(experiment(record_dynamics=True), tmp_path, progress=False)
    path = result.path / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["models"]["sigmoid"]["dynamics"]["epochs"][1]["grad_norm"] = [1.0]
    path.write_text(json.dumps(metrics))
    with pytest.raises(DataError, match=r"models\.sigmoid\.dynamics\.epochs\[1\]\.grad_norm"):
        RunFolder.open(result.path).load()

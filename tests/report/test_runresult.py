"""RunResult round trips: the runner's result in memory, metrics.json written from it and
RunFolder.load() reading it back are the same thing."""

import json

import pytest

from mlplab.experiments import load_experiment
from mlplab.experiments.config import with_overrides
from mlplab.experiments.runner import RunInterrupted, run, write_run
from mlplab.runfolder import RunFolder
from mlplab.runresult import BestEpoch, Figure, ModelResult, ModelSettings, RunResult


def _run(name, tmp_path, epochs=2):
    return run(with_overrides(load_experiment(name), epochs=epochs), tmp_path, progress=False)


@pytest.mark.parametrize("name", ["auto-mpg", "iris"])
def test_load_of_a_real_run_equals_the_runners_result(tmp_path, name):
    result = _run(name, tmp_path)
    assert result.path.is_dir() and result.path.parent == tmp_path
    loaded = RunFolder.open(result.path).load()
    assert loaded == result
    assert loaded.path == result.path
    # what the folder holds is what the result writes, byte for byte
    assert (result.path / "metrics.json").read_text() == result.to_json()
    assert RunResult.from_dict(json.loads(result.to_json())).to_json() == result.to_json()


def test_the_result_holds_what_the_report_shows(tmp_path):
    result = _run("iris", tmp_path)
    mlp = result.model("mlp")
    assert mlp is not None and mlp.name == "mlp" and mlp.status == "ok"
    assert isinstance(mlp.settings, ModelSettings) and mlp.settings.spec == "4-8-relu-3"
    assert set(mlp.scores) >= {"train", "test"} and "accuracy" in mlp.scores["test"]
    assert set(mlp.per_class_accuracy["test"]) == {"setosa", "versicolor", "virginica"}
    assert result.figures and all(isinstance(f, Figure) and (result.path / f.file).is_file()
                                  for f in result.figures)
    assert result.entry("mlp")["loss"] == "cross_entropy" and result.entry("nope") == {}
    assert result.description == load_experiment("iris").description


def test_from_dict_of_to_dict_is_the_identity():
    model = ModelResult("d/mlp", "ok", 12, 0.5, "early_stopped", 67,
                        ModelSettings("4-8-relu-3", "standardize", 0.01, "adam", 16, "d"),
                        "stopped after epoch 12", BestEpoch(9, 0.25, "val"),
                        {"train": {"loss": 0.3, "accuracy": 0.9},
                         "val": {"loss": 0.25, "accuracy": None}},
                        {"val": {"a": 1.0, "b": None}})
    bare = ModelResult("plain", "diverged", 3, 0.1)   # no outcome, params, settings, ...
    result = RunResult("x", 1, "numpy", "here", (model, bare), None,
                       (Figure("plots/curves.png", "curves"),))
    d = result.to_dict()
    assert list(d) == ["experiment", "seed", "engine", "machine", "command", "models",
                       "figures"]
    assert list(d["models"]["d/mlp"]) == [
        "status", "outcome", "epochs", "seconds", "params", "spec", "preprocess", "lr",
        "optimizer", "batch_size", "data", "message", "best", "train", "val",
        "per_class_accuracy"]
    assert d["models"]["plain"] == {"status": "diverged", "epochs": 3, "seconds": 0.1}
    assert d["models"]["d/mlp"]["best"] == {"epoch": 9, "split": "val", "loss": 0.25}
    again = RunResult.from_dict(json.loads(result.to_json()))
    assert again == result and again.to_json() == result.to_json()


def test_a_demo_runs_keys_stay_where_they_were():
    metrics = {"experiment": "modern", "seed": 0, "engine": "numpy", "device": "cpu",
               "machine": "m", "models": {"attn": {"status": "ok", "epochs": "-",
                                                   "seconds": 1.5, "params": 10}},
               "demos": {"attn": {"name": "attention"}}}
    result = RunResult.from_dict(metrics)
    assert not result.command_known and result.figures is None
    assert result.model("attn").settings is None
    assert json.dumps(result.to_dict()) == json.dumps(metrics)


def test_an_interrupted_body_raises_with_its_result(tmp_path):
    exp = load_experiment("xor")
    stopped = RunResult("xor", 0, "numpy", "m", (ModelResult("m", "interrupted", 1, 0.1),))

    def body(run_dir, progress, console):
        (run_dir / "metrics.json").write_text(stopped.to_json())
        return stopped

    with pytest.raises(RunInterrupted) as e:
        write_run(exp, tmp_path, body)
    assert e.value.result == stopped and e.value.result.path == e.value.run_dir
    assert RunFolder.open(e.value.run_dir).load().to_json() == stopped.to_json()

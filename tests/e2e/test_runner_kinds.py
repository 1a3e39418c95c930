"""The runner's seams: the kind registries resolve and cannot drift from the validator, kinds
are registered explicitly (not by importing a package), and the one run-folder lifecycle
keeps a finished or interrupted run and removes a failed one."""

import json
import subprocess
import sys

import pytest

from mlplab.experiments import load_experiment
from mlplab.experiments.config import DATA_KEYS, MODEL_KEYS, ExperimentError, from_dict
from mlplab.experiments.kinds import EXPERIMENT_KINDS, MODEL_KINDS, resolve
from mlplab.experiments.runner import (
    RunInterrupted,
    metrics_status,
    run_experiment,
    run_in_folder,
)


@pytest.mark.parametrize("registry", [EXPERIMENT_KINDS, MODEL_KINDS])
def test_every_kind_resolves_to_a_function_and_documents_its_keys(registry):
    for name, kind in registry.items():
        fn = resolve(kind.prepare if registry is EXPERIMENT_KINDS else kind.run)
        assert callable(fn) and fn.__doc__ and f'"{name}"' in fn.__doc__, name
        extra = kind.data_keys if registry is EXPERIMENT_KINDS else kind.keys
        assert all(doc for doc in extra.values()), name
        assert not set(extra) & set(DATA_KEYS if registry is EXPERIMENT_KINDS else MODEL_KEYS)
        if registry is MODEL_KINDS:
            assert set(kind.required) <= set(kind.keys), name
    assert all(doc for doc in {**DATA_KEYS, **MODEL_KEYS}.values())


def test_importing_byod_registers_nothing_and_the_runner_imports_no_byod():
    code = ("import sys, mlplab.experiments.kinds as k\n"
            "before = (dict(k.MODEL_KINDS), dict(k.EXPERIMENT_KINDS))\n"
            "import mlplab.experiments.runner\n"
            "assert 'mlplab.byod' not in sys.modules and 'sklearn' not in sys.modules\n"
            "import mlplab.byod\n"
            "assert (k.MODEL_KINDS, k.EXPERIMENT_KINDS) == before\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_experiment_kind_comes_from_the_file_or_its_demos(tmp_path):
    assert load_experiment("iris").kind == "models"
    assert load_experiment("modern").kind == "demos"
    raw = {"name": "x", "description": "x", "kind": "sweep", "data": [], "models": []}
    with pytest.raises(ExperimentError, match="x.toml: unknown experiment kind 'sweep'; "
                                              "choose one of models, demos, own-data"):
        from_dict(raw, "x.toml")
    raw["kind"] = "own-data"
    raw["data"] = [{"name": "iris"}]
    with pytest.raises(ExperimentError, match="own-data experiment needs each"):
        from_dict(raw, "x.toml")


def test_status_of_each_outcome():
    assert {o: metrics_status(o) for o in ("ok", "early_stopped", "worse_than_start",
                                           "diverged", "interrupted")} == {
        "ok": "ok", "early_stopped": "ok", "worse_than_start": "ok", "diverged": "diverged",
        "interrupted": "interrupted"}


XOR = load_experiment("xor")


def test_lifecycle_renames_a_finished_run(tmp_path):
    def body(run_dir, progress, console):
        assert run_dir.name.startswith(".xor-") and run_dir.name.endswith(".partial")
        (run_dir / "metrics.json").write_text("{}")
        return False

    final = run_in_folder(XOR, tmp_path, body)
    assert [p.name for p in tmp_path.iterdir()] == [final.name]
    assert final.name.startswith("xor-") and (final / "metrics.json").is_file()
    assert json.loads((final / "config.json").read_text())["name"] == "xor"


def test_lifecycle_keeps_an_interrupted_run_and_says_where(tmp_path):
    with pytest.raises(RunInterrupted) as e:
        run_in_folder(XOR, tmp_path, lambda run_dir, progress, console: True)
    (folder,) = tmp_path.iterdir()
    assert e.value.run_dir == folder and not folder.name.startswith(".")
    assert (folder / "config.json").is_file()


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_lifecycle_removes_a_failed_run(tmp_path, error):
    def body(run_dir, progress, console):
        (run_dir / "weights").mkdir()
        raise error("stop")

    with pytest.raises(error):
        run_in_folder(XOR, tmp_path, body)
    assert list(tmp_path.iterdir()) == []


def test_a_spec_for_the_twin_only_fails_before_any_folder(tmp_path):
    exp = load_experiment("cifar10")   # needs data this machine lacks: checked after specs
    with pytest.raises(ExperimentError, match="run only on the torch engine"):
        run_experiment(exp.__class__(**{**exp.__dict__, "engine": "numpy"}), tmp_path)
    assert not tmp_path.exists() or list(tmp_path.iterdir()) == []

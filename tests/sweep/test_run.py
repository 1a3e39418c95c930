"""Seeds and sweeps through real worker processes: numbers, failures, Ctrl-C and --resume,
and the honest choice (held-out splits only for the chosen setting)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from mlplab.experiments import load_experiment, run_experiment
from mlplab.experiments.config import with_overrides
from mlplab.sweep import Plan, parse_sets, run_plan


def _auto_mpg(epochs=5):
    return with_overrides(load_experiment("auto-mpg"), epochs=epochs)


def _numbers(run: Path) -> dict:
    """metrics.json without the timings."""
    m = json.loads((run / "metrics.json").read_text())
    for info in m["models"].values():
        info.pop("seconds", None)
    m.pop("machine", None)
    return m


def test_seeds_give_the_runners_numbers_and_aggregates(tmp_path):
    out = run_plan(Plan(_auto_mpg(), [0, 1, 2]), tmp_path, workers=2)
    assert not out.interrupted and out.ran == 3 and not out.failed
    trials = out.folder / "trials"
    assert sorted(p.name for p in trials.iterdir()) == ["seed0", "seed1", "seed2"]
    with threadpool_limits(1):   # the workers run single-threaded BLAS too
        alone = run_experiment(with_overrides(_auto_mpg(), seed=1), tmp_path / "alone",
                               progress=False)
    assert _numbers(trials / "seed1") == _numbers(alone)
    s = json.loads((out.folder / "metrics.json").read_text())
    mses = [_numbers(trials / f"seed{k}")["models"]["mlp"]["val"]["mse"] for k in range(3)]
    agg = s["models"]["mlp"]["aggregate"]["val.mse"]
    assert agg["n"] == 3 and agg["mean"] == np.mean(mses)
    assert [s["models"]["mlp"]["seeds"][str(k)]["val.mse"] for k in range(3)] == mses
    assert s["models"]["mlp"]["vs_baseline"]["n"] == 3
    assert (out.folder / "plots" / "curves.png").is_file()
    assert "| mlp | 3 |" in (out.folder / "summary.md").read_text()


def test_a_failing_trial_is_reported_and_the_sweep_goes_on(tmp_path):
    # 5 inputs where auto-mpg has 9: the spec parses, the run fails in the worker
    plan = Plan(_auto_mpg(), [0, 1], parse_sets(["models.mlp.spec=9-8-relu-1,5-8-relu-1"]))
    out = run_plan(plan, tmp_path, workers=2)
    assert sorted(out.failed) == ["p01-seed0", "p01-seed1"]
    assert all(out.failed.values())
    assert sorted(p.name for p in (out.folder / "trials").iterdir()) == ["p00-seed0",
                                                                         "p00-seed1"]
    s = out.summary
    assert s["chosen"]["index"] == 0
    failed_point = s["points"][1]["models"]["mlp"]
    assert (failed_point["n"], failed_point["failed"]) == (0, 2)
    assert s["points"][1]["rank"] == 2
    assert "trial p01-seed0 failed" in (out.folder / "summary.md").read_text()


def test_resume_runs_only_what_is_not_complete(tmp_path):
    plan = Plan(_auto_mpg(epochs=3), [0, 1, 2])
    first = run_plan(plan, tmp_path, workers=2)
    before = _numbers(first.folder / "trials" / "seed2")
    import shutil

    shutil.rmtree(first.folder / "trials" / "seed1")
    again = run_plan(Plan(_auto_mpg(epochs=3), [0, 1, 2]), tmp_path, workers=2, resume=True)
    assert again.folder == first.folder
    assert (again.ran, again.skipped) == (1, 2)
    assert again.summary["models"]["mlp"]["n"] == 3
    assert _numbers(first.folder / "trials" / "seed2") == before


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "interrupted"),
                                                 (signal.SIGTERM, 143, "terminated by SIGTERM")])
def test_ctrl_c_keeps_finished_trials_and_resume_finishes(tmp_path, signum, code, said):
    """Ctrl-C, and SIGTERM alike (a scheduler's stop), end the sweep with its summary."""
    cmd = [str(Path(sys.executable).parent / "mlplab"), "run", "auto-mpg", "--epochs", "10",
           "--seeds", "0-11", "--workers", "1", "--out", str(tmp_path), "-q"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("*/trials/seed*/metrics.json")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, signum)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == code, stderr
    assert f"{said}; the" in stderr and "--resume" in stderr
    folder = next(tmp_path.iterdir())
    s = json.loads((folder / "metrics.json").read_text())
    kept = s["trials"]["complete"]
    assert s["interrupted"] is True and 1 <= kept < 12
    assert s["models"]["mlp"]["n"] == kept and s["models"]["mlp"]["missing"] == 12 - kept
    assert not list((folder / "trials").glob(".*"))       # no half-written trial left
    done = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"resumed: {kept} trials were already complete" in done.stdout
    s = json.loads((folder / "metrics.json").read_text())
    assert s["models"]["mlp"]["n"] == 12 and "interrupted" not in s


def test_sweep_chooses_on_validation_and_tests_only_the_choice(tmp_path):
    # iris has a test split and no validation split: the sweep carves one from training
    exp = with_overrides(load_experiment("iris"), epochs=2)
    plan = Plan(exp, [0, 1], parse_sets(["models.mlp.lr=0.001,0.05"]))
    out = run_plan(plan, tmp_path, workers=2)
    s = out.summary
    assert s["metric"] == "val.accuracy" and s["model"] == "mlp"
    for trial in (out.folder / "trials").iterdir():      # no trial saw the test split
        models = json.loads((trial / "metrics.json").read_text())["models"]
        assert all("test" not in info and "val" in info for info in models.values())
    for p in s["points"]:
        assert not any(k.startswith("test.") for k in p["models"]["mlp"]["aggregate"])
    chosen = s["chosen"]
    # the setting with the best mean validation accuracy, read from the trials themselves
    mean_acc = {p["index"]: np.mean([json.loads(
        (out.folder / "trials" / plan.trial_id(p["index"], seed) / "metrics.json").read_text()
    )["models"]["mlp"]["val"]["accuracy"] for seed in plan.seeds]) for p in s["points"]}
    assert len(set(mean_acc.values())) == len(mean_acc)    # no tie to break
    assert chosen["index"] == max(mean_acc, key=mean_acc.get)
    assert sorted(p.name for p in (out.folder / "chosen").iterdir()) == ["seed0", "seed1"]
    assert chosen["held_out"]["test.accuracy"]["n"] == 2
    assert chosen["validation_reproduced"] is True
    assert (out.folder / "plots" / "sweep.png").is_file()

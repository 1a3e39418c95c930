"""The Ray backend on a real local Ray (``ray.init(num_cpus=2)``): the same trials give the
same numbers, weights and run folders as local worker processes. Needs ``mlplab[ray]``."""

from __future__ import annotations

import json

import numpy as np
import pytest

ray = pytest.importorskip("ray", reason="Ray is not installed: pip install 'mlplab[ray]' "
                                        "(CI installs it with the dev extra)")

from mlplab.experiments import load_experiment  # noqa: E402
from mlplab.experiments.config import with_overrides  # noqa: E402
from mlplab.sweep import Plan, parse_sets, run_plan  # noqa: E402


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def _files(run):
    return sorted(str(p.relative_to(run)) for p in run.rglob("*") if p.is_file())


def _numbers(run):
    m = json.loads((run / "metrics.json").read_text())
    for info in m["models"].values():
        info.pop("seconds", None)
    return m["models"]


def test_ray_and_local_processes_give_bit_identical_trials(local_ray, tmp_path):
    exp = with_overrides(load_experiment("auto-mpg"), epochs=5)
    plan = Plan(exp, [0, 1], parse_sets(["models.mlp.lr=0.003,0.01"]))
    on_ray = run_plan(plan, tmp_path / "ray", backend="ray", workers=2)
    local = run_plan(plan, tmp_path / "local", backend="local", workers=2)
    assert not on_ray.failed and on_ray.ran == 4
    for tid in ("p00-seed0", "p00-seed1", "p01-seed0", "p01-seed1"):
        a, b = on_ray.folder / "trials" / tid, local.folder / "trials" / tid
        assert _numbers(a) == _numbers(b)
        assert _files(a) == _files(b)
        for name in ("linear", "mlp"):
            wa, wb = np.load(a / "weights" / f"{name}.npz"), np.load(b / "weights" / f"{name}.npz")
            assert sorted(wa.files) == sorted(wb.files)
            for k in wa.files:
                np.testing.assert_array_equal(wa[k], wb[k])
    strip = lambda s: json.dumps({k: v for k, v in s.items() if k != "trials"})  # noqa: E731
    assert strip(on_ray.summary) == strip(local.summary)


def test_the_command_starts_and_stops_its_own_local_ray(tmp_path):
    """`--backend ray` without --address: mlplab starts a local Ray for the command, says so
    (with how to reuse one instead), runs the trials on it and shuts it down."""
    import subprocess
    import sys
    from pathlib import Path

    mlplab = Path(sys.executable).with_name("mlplab")
    done = subprocess.run([str(mlplab), "run", "auto-mpg", "--seeds", "0-1", "--epochs", "2",
                           "--backend", "ray", "--out", str(tmp_path), "-q"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 trials (1 settings x 2 seeds) on Ray" in done.stdout
    assert "starting a local Ray for this command; `ray start --head` once" in done.stdout
    (folder,) = tmp_path.glob("auto-mpg-seeds-*")
    assert sorted(p.name for p in (folder / "trials").iterdir()) == ["seed0", "seed1"]

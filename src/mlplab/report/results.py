"""docs/experiments.md: run every experiment whose data this machine has, and write their
comparison tables with the seed, the machine and the time each took."""

from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

from mlplab.data import DataError
from mlplab.experiments import available, load_experiment, run_experiment
from mlplab.experiments.config import with_overrides
from mlplab.report.build import machine
from mlplab.report.tables import comparison, markdown
from mlplab.util import atomic_write_text

# Experiments that need a copy of data the project cannot ship; they are listed, not run.
NEEDS_USER_DATA = {"fer2013": "FER-2013", "cifar10": "CIFAR-10"}


def write_results(out: Path, runs_dir: Path, seed: int = 0, names=None, progress=False,
                  console=None) -> Path:
    names = names or [n for n, _ in available()]
    parts = [
        "# Experiment results",
        "",
        "Regenerate with `mlplab results` (runs every experiment below and rewrites this file).",
        f"Measured on {date.today().isoformat()}, seed {seed}, machine: {machine()}.",
        "",
    ]
    for name in names:
        exp = load_experiment(name)
        parts += [f"## {name}", "", exp.description, ""]
        if name in NEEDS_USER_DATA:
            parts += [f"Not run here: {NEEDS_USER_DATA[name]} is not redistributable; run "
                      f"`mlplab run {name} --data-dir YOUR_COPY`.", ""]
            continue
        t0 = time.perf_counter()
        try:
            run_dir = run_experiment(with_overrides(exp, seed=seed), runs_dir,
                                     progress=progress, console=console)
        except DataError as e:
            parts += [f"Not run here: {e}", ""]
            continue
        seconds = time.perf_counter() - t0
        metrics = json.loads((run_dir / "metrics.json").read_text())
        parts += [f"`mlplab run {name} --seed {seed}`: {seconds:.1f} s in all.", "",
                  markdown(*comparison(metrics)), ""]
        for key, info in metrics["models"].items():
            if info.get("message"):
                parts += [f"- {key} ({info['status']}): {info['message']}"]
        parts += [f"- {n}" for n in exp.notes] + [""]
    atomic_write_text(out, "\n".join(parts))
    return Path(out)

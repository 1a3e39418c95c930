"""docs/experiments.md: run every experiment whose data this machine has, and write their
comparison tables with the seed, the machine and the time each took."""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

from mlplab.data import DataError
from mlplab.experiments import available, load_experiment
from mlplab.experiments.config import with_overrides
from mlplab.experiments.runner import run
from mlplab.report.build import machine
from mlplab.report.tables import comparison, markdown
from mlplab.util import atomic_write_text

# Experiments that need a copy of data the project cannot ship; they are listed, not run.
NEEDS_USER_DATA = {"fer2013": "FER-2013", "cifar10": "CIFAR-10"}


def _cifar10_stand_in(folder: Path) -> Path:
    """data_batch_1..5.bin with 64 records each and test_batch.bin with 32: random pixels whose
    brightness depends on the label, in CIFAR-10's binary format."""
    import numpy as np

    from mlplab.data.cifar import write_cifar_bin

    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name, n in [*((f"data_batch_{i}.bin", 64) for i in range(1, 6)),
                    ("test_batch.bin", 32)]:
        labels = (np.arange(n) % 10).astype(np.uint8)
        write_cifar_bin(folder / name, rng.integers(0, 128, (n, 3072), dtype=np.uint8)
                        + 12 * labels[:, None], labels)
    return folder


# Stand-ins in the real file format for data that cannot be shipped, so the pipeline's run
# still appears on the results page, labelled as what it is.
STAND_INS = {"cifar10": _cifar10_stand_in}
STAND_IN_TEXT = {"cifar10": "5 x 64 training and 32 test records of random pixels whose "
                            "brightness depends on the label"}


def write_results(out: Path, runs_dir: Path, seed: int = 0, names=None, progress=False,
                  console=None, seeds: bool = True) -> Path:
    """Run every experiment (or ``names``) with ``seed`` and write their tables to ``out``;
    with ``seeds``, also the experiments of ``OVER_SEEDS`` once per seed."""
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
        data_dir = None
        if name in NEEDS_USER_DATA:
            parts += [f"Not run here on {NEEDS_USER_DATA[name]}: it is not redistributable; run "
                      f"`mlplab run {name} --data-dir YOUR_COPY`.", ""]
            if name not in STAND_INS:
                continue
            data_dir = STAND_INS[name](runs_dir / f"{name}-stand-in")
            parts += [f"**Not {NEEDS_USER_DATA[name]}.** The table below is a run on a tiny "
                      f"stand-in that `mlplab results` writes in the real file format ({data_dir}: "
                      f"{STAND_IN_TEXT[name]}). It shows that the pipeline runs end to end, "
                      "nothing about the real data.", ""]
        t0 = time.perf_counter()
        try:
            result = run(with_overrides(exp, seed=seed, data_dir=data_dir), runs_dir,
                         progress=progress, console=console)
        except DataError as e:
            parts += [f"Not run here: {e}", ""]
            continue
        seconds = time.perf_counter() - t0
        metrics = result.to_dict()
        flag = f" --data-dir {data_dir}" if data_dir else ""
        parts += [f"`mlplab run {name} --seed {seed}{flag}`: {seconds:.1f} s in all.", "",
                  markdown(*comparison(metrics)), ""]
        for key, info in metrics["models"].items():
            if info.get("message"):
                parts += [f"- {key} ({info['status']}): {info['message']}"]
        parts += [f"- {n}" for n in exp.notes] + [""]
    if seeds:
        parts += _over_seeds(runs_dir, names)
    atomic_write_text(out, "\n".join(parts))
    return Path(out)


# One seed is an anecdote: these experiments are also run over seeds (name -> seeds, epochs;
# None keeps the experiment's epochs). fashion-mnist is the short version, one epoch.
OVER_SEEDS = {"auto-mpg": (range(20), None), "nonlinear": (range(10), None),
              "fashion-mnist": (range(5), 1)}


def _over_seeds(runs_dir: Path, names) -> list[str]:
    """The "over seeds" section: each OVER_SEEDS experiment run once per seed on local
    worker processes (mlplab.sweep), its table of mean ± sd [95% CI] and paired results."""
    from mlplab.sweep import Plan, run_plan
    from mlplab.sweep.report import caption, seeds_table

    parts = ["## Over seeds", "",
             "One seed is an anecdote: the same experiments once per seed (weights and "
             "shuffling; the data split stays the experiment's), with `mlplab run NAME "
             "--seeds ...` (see `docs/seeds.md` for the statistics).", ""]
    for name, (seeds, epochs) in OVER_SEEDS.items():
        if name not in names:
            continue
        exp = load_experiment(name)
        if epochs:
            exp = with_overrides(exp, epochs=epochs)
        seeds = list(seeds)
        flag = f" --epochs {epochs}" if epochs else ""
        try:
            outcome = run_plan(Plan(exp, seeds), runs_dir)
        except DataError as e:
            parts += [f"### {name}", "", f"Not run here: {e}", ""]
            continue
        parts += [f"### {name} over seeds {seeds[0]}-{seeds[-1]}", "",
                  f"`mlplab run {name}{flag} --seeds {seeds[0]}-{seeds[-1]}`: "
                  f"{outcome.seconds:.1f} s on local worker processes.", "",
                  markdown(*seeds_table(outcome.summary)), "",
                  caption(outcome.summary) + ".", ""]
    return parts

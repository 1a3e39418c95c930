"""Thread counts: `mlplab train` on Auto MPG (vega's cars.json; both models and scikit-learn's
rows, 100 epochs, no early stopping) with mlplab's choice (MLPLAB_THREADS unset: one thread
for a model this small) against every library's default (MLPLAB_THREADS=off: one thread per
core in each pool). Runs alternate, each in a fresh process; prints the medians of the
training seconds of each model (metrics.json) and of the whole command's wall and CPU time
(all threads; most of it is start-up and the report's figures), with the load average.

    .venv/bin/python benchmarks/threads.py [--runs 5] [--engine numpy] [--busy 2]

``--busy N`` keeps N other processes spinning meanwhile (a machine busy with other work).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from own_data_defaults import write_auto_mpg  # noqa: E402


def once(path: Path, target: str, out: Path, engine: str, threads: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "MLPLAB_THREADS"}
    if threads is not None:
        env["MLPLAB_THREADS"] = threads
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs = set(out.iterdir()) if out.exists() else set()
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mlplab.cli", "train", str(path), "--target", target,
                    "--out", str(out), "-q", "--no-early-stopping", "--compare-sklearn",
                    "--engine", engine], check=True, stdout=subprocess.DEVNULL, env=env)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    (folder,) = set(out.iterdir()) - runs
    models = json.loads((folder / "metrics.json").read_text())["models"]
    return {**{k: m["seconds"] for k, m in models.items()}, "command wall": wall,
            "command cpu": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--engine", default="numpy")
    parser.add_argument("--busy", type=int, default=0)
    args = parser.parse_args()
    spin = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(args.busy)]
    try:
        measure(args)
    finally:
        for p in spin:
            p.kill()
            p.wait()


def measure(args) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        path, target = write_auto_mpg(tmp)
        settings = {"mlplab's choice": None, "libraries' defaults": "off"}
        times = {k: [] for k in settings}
        for _ in range(args.runs):
            for name, value in settings.items():
                times[name].append(once(path, target, tmp / "runs", args.engine, value))
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; engine "
              f"{args.engine}; {args.busy} spinning processes; medians of {args.runs} runs, "
              "seconds")
        keys = list(times["mlplab's choice"][0])
        print(f"{'':<22}" + "".join(f"{k:>16}" for k in keys))
        for name, runs in times.items():
            print(f"{name:<22}" + "".join(f"{statistics.median(r[k] for r in runs):>16.3f}"
                                          for k in keys))


if __name__ == "__main__":
    main()

"""How fast seeds and sweeps run: 20 seeds of auto-mpg (both models, 100 epochs each) with
1 and 2 local worker processes, and on a local Ray: its start-up (``ray.init``) and its
per-trial overhead against local processes. The figures in docs/performance.md come from here.

    .venv/bin/python benchmarks/sweep.py [--seeds 20] [--repeats 2] [--json out.json]
    .venv/bin/python benchmarks/sweep.py --cli [--repeats 3]

``--cli`` times what a user waits for instead: the whole command ``mlplab run auto-mpg
--seeds 0-1`` in a fresh process with the local backend, with ``--backend ray`` (a local Ray
started and stopped by mlplab), and with ``--backend ray --address auto`` against a Ray head
started once beforehand by ``ray start --head``; the differences to the local backend are
Ray's fixed cost as a user sees it.

Each measurement is the wall time of ``mlplab.sweep.run_plan`` into a fresh folder,
including the worker pool's start-up (local) or not including ``ray.init`` (Ray: that is
measured on its own). Repeats are interleaved (1 worker, 2 workers, Ray, ...) and the
median is reported, with the machine's load average, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _plan(seeds: int):
    from mlplab.experiments import load_experiment
    from mlplab.sweep import Plan

    return Plan(load_experiment("auto-mpg"), list(range(seeds)))


def timed_run(seeds: int, backend: str, workers: int) -> float:
    from mlplab.sweep import run_plan

    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        out = run_plan(_plan(seeds), Path(d), backend=backend, workers=workers)
        seconds = time.perf_counter() - t0
        assert not out.failed, out.failed
    return seconds


def cli_run(extra: list[str], out: Path) -> float:
    """Wall time of ``mlplab run auto-mpg --seeds 0-1 -q`` with ``extra``, in a new process."""
    cmd = [str(Path(sys.executable).with_name("mlplab")), "run", "auto-mpg", "--seeds", "0-1",
           "-q", "--out", str(out), *extra]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def end_to_end(repeats: int) -> dict:
    """Interleaved CLI runs: local, Ray started by mlplab, Ray at a running head."""
    ray_bin = str(Path(sys.executable).with_name("ray"))
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    runs: dict[str, list[float]] = {"local": [], "ray (mlplab starts it)": [],
                                    "ray --address auto": []}
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        subprocess.run([ray_bin, "start", "--head", "--num-cpus", "2",
                        "--include-dashboard=false"], check=True, capture_output=True, env=env)
        head = time.perf_counter() - t0
        try:
            for i in range(repeats):
                runs["local"].append(cli_run([], Path(d) / f"l{i}"))
                runs["ray --address auto"].append(
                    cli_run(["--backend", "ray", "--address", "auto"], Path(d) / f"a{i}"))
        finally:
            subprocess.run([ray_bin, "stop"], check=True, capture_output=True, env=env)
        for i in range(repeats):
            runs["ray (mlplab starts it)"].append(
                cli_run(["--backend", "ray"], Path(d) / f"r{i}"))
    med = {k: statistics.median(v) for k, v in runs.items()}
    print(f"`mlplab run auto-mpg --seeds 0-1`, whole command, median of {repeats}")
    print(f"{'backend':<26}{'seconds':>9}{'over local':>12}   runs")
    for k, v in runs.items():
        print(f"{k:<26}{med[k]:>9.2f}{med[k] - med['local']:>+12.2f}   "
              f"{' '.join(f'{x:.2f}' for x in v)}")
    print(f"`ray start --head` (once, before the --address runs): {head:.2f} s")
    return {"runs": runs, "median": med, "ray_start_head": head}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--no-ray", action="store_true")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--cli", action="store_true", help="time whole commands (see above)")
    args = ap.parse_args(argv)
    if args.cli:
        load0 = os.getloadavg()
        report = end_to_end(args.repeats)
        print(f"load average {load0[0]:.2f} before, {os.getloadavg()[0]:.2f} after")
        if args.json:
            args.json.write_text(json.dumps(report, indent=1) + "\n")
        return

    load0 = os.getloadavg()
    results: dict[str, list[float]] = {"local 1 worker": [], "local 2 workers": []}
    ray_init = None
    use_ray = not args.no_ray
    if use_ray:
        try:
            import ray
        except ImportError:
            use_ray = False
            print("ray is not installed: pip install 'mlplab[ray]'; Ray not measured")
    if use_ray:
        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 logging_level="ERROR")
        ray_init = time.perf_counter() - t0
        results["ray, 2 CPUs"] = []
    # first use: the forkserver imports the runner once; Ray's worker processes import mlplab
    # once each. Timed apart (2 trials each) and left out of the medians below.
    first = {"local": timed_run(2, "local", 2)}
    if use_ray:
        first["ray"] = timed_run(2, "ray", 2)
    for _ in range(args.repeats):
        results["local 1 worker"].append(timed_run(args.seeds, "local", 1))
        results["local 2 workers"].append(timed_run(args.seeds, "local", 2))
        if use_ray:
            results["ray, 2 CPUs"].append(timed_run(args.seeds, "ray", 2))
    if use_ray:
        ray.shutdown()
    load1 = os.getloadavg()

    med = {k: statistics.median(v) for k, v in results.items()}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; load average "
          f"{load0[0]:.2f} before, {load1[0]:.2f} after")
    print(f"{args.seeds} seeds of auto-mpg, median of {args.repeats} interleaved runs")
    print(f"{'backend':<18}{'seconds':>9}{'per trial':>11}   runs")
    for k, v in results.items():
        print(f"{k:<18}{med[k]:>9.2f}{med[k] / args.seeds:>11.3f}   "
              f"{' '.join(f'{x:.2f}' for x in v)}")
    ratio = med["local 2 workers"] / med["local 1 worker"]
    print(f"2 workers / 1 worker: {ratio:.2f}x (target <= 0.6x)")
    report = {"seeds": args.seeds, "repeats": args.repeats, "load": [load0[0], load1[0]],
              "runs": results, "median": med, "two_vs_one": ratio}
    print(f"first 2 trials, cold: local {first['local']:.2f} s"
          + (f", Ray {first['ray']:.2f} s (after ray.init)" if use_ray else ""))
    report["first_two_trials"] = first
    if use_ray:
        over = med["ray, 2 CPUs"] / med["local 2 workers"] - 1
        fixed = ray_init + first["ray"] - first["local"]
        print(f"ray.init (local Ray, 2 CPUs): {ray_init:.2f} s; Ray's fixed start-up over local "
              f"processes (ray.init + cold first trials - local's): {fixed:.2f} s "
              "(target <= 1 s)")
        print(f"Ray per-trial overhead vs local processes: {100 * over:+.1f}% "
              "(target <= 10%)")
        report.update(ray_init=ray_init, ray_fixed_over_local=fixed, ray_overhead=over)
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()

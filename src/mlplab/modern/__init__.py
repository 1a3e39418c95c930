"""The roles of MLPs today (course unit 004), each as a small runnable demo with a plot and a table.

=====  ===========================================================  ==============
name   what it shows                                                engines
=====  ===========================================================  ==============
ffn    the transformer's feed-forward block acts on each position   numpy, torch
moe    a router sends each token to the top-k of N expert MLPs      torch
inr    a coordinate MLP (Fourier features) stores an image          torch
uat    one hidden layer fits a 1-D function better as it widens     numpy, torch
=====  ===========================================================  ==============

An experiment file lists them as ``[[demos]]`` (``name`` plus the demo's keyword arguments,
and an optional ``label``); the experiment runner's kind "demos" (:func:`prepare_demos`) calls
:func:`run_demos`, which runs each one into the run folder and writes metrics.json, report.md
and report.html. A demo that the
chosen engine cannot run is reported as ``skipped: needs --engine torch``.

Each demo module has ``run(ctx: DemoContext, **args) -> dict`` returning ``summary`` (one
line), ``header`` and ``rows`` (its table, at least three columns), ``plots`` ([(path,
caption)]), ``params`` (the headline parameter count), ``steps`` (training steps or None) and
``metrics`` (headline numbers).
"""

from __future__ import annotations

import importlib
import inspect
import time
from dataclasses import dataclass
from pathlib import Path

from mlplab.errors import ExperimentError
from mlplab.util import lookup


@dataclass(frozen=True)
class Demo:
    module: str
    title: str
    engines: tuple[str, ...]


DEMOS: dict[str, Demo] = {
    "ffn": Demo("mlplab.modern.ffn", "transformer feed-forward block (position-wise MLP)",
                ("numpy", "torch")),
    "moe": Demo("mlplab.modern.moe", "mixture of experts (router picks top-k of N expert MLPs)",
                ("torch",)),
    "inr": Demo("mlplab.modern.inr", "implicit neural representation (coordinate MLP with "
                "Fourier features)", ("torch",)),
    "uat": Demo("mlplab.modern.uat", "universal approximation (one hidden layer, growing width)",
                ("numpy", "torch")),
}


@dataclass
class DemoContext:
    """What every demo gets: where to write, which engine and device, the seed."""

    run_dir: Path
    engine: str = "torch"
    seed: int = 0
    device: str = "auto"
    progress: bool = False
    console: object = None

    def plot_path(self, name: str) -> Path:
        folder = self.run_dir / "plots"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / name


def demo_arguments(name: str) -> list[str]:
    """Keyword arguments the demo ``name`` accepts."""
    fn = importlib.import_module(DEMOS[name].module).run
    return [p for p in inspect.signature(fn).parameters if p != "ctx"]


def run_demo(name: str, ctx: DemoContext, **args) -> dict:
    """Run one demo; a result dict (see the module docstring) with ``status`` and ``seconds``
    added. Unknown arguments raise ExperimentError listing the valid ones."""
    demo = lookup(DEMOS, name, "demo")
    if ctx.engine not in demo.engines:
        needs = " or ".join(f"--engine {e}" for e in demo.engines)
        return {"status": f"skipped: needs {needs}", "seconds": 0.0, "params": 0, "steps": None,
                "summary": "", "header": [], "rows": [], "plots": [], "metrics": {}}
    valid = demo_arguments(name)
    unknown = sorted(set(args) - set(valid))
    if unknown:
        raise ExperimentError(f"demo {name}: unknown argument(s) {', '.join(unknown)}; it takes: "
                         f"{', '.join(valid)}")
    fn = importlib.import_module(demo.module).run
    t0 = time.perf_counter()
    result = fn(ctx, **args)
    result.update(status="ok", seconds=time.perf_counter() - t0)
    return result


def run_demos(exp, run_dir: Path, *, progress: bool = False, console=None) -> dict:
    """Run every ``[[demos]]`` entry of ``exp`` into ``run_dir`` and write metrics.json,
    report.md and report.html there; returns the metrics."""
    from mlplab.modern.report import write_demo_report

    ctx = DemoContext(Path(run_dir), exp.engine, exp.seed, exp.device, progress, console)
    results: dict[str, dict] = {}
    with _progress(progress, console, len(exp.demos)) as bar:
        for entry in exp.demos:
            args = {k: v for k, v in entry.items() if k not in ("name", "label")}
            key = entry.get("label", entry["name"])
            bar(key)
            results[key] = {"name": entry["name"], **run_demo(entry["name"], ctx, **args)}
    return write_demo_report(Path(run_dir), exp, results)


def prepare_demos(exp):
    """The runner's experiment kind "demos": nothing to load before the run folder exists;
    the body runs the demos into it. Ctrl-C during a demo removes the partial folder, as any
    failure does: a demo has no report of what ran."""

    def body(run_dir: Path, progress: bool, console):
        from mlplab.runresult import RunResult

        metrics = run_demos(exp, run_dir, progress=progress, console=console)
        return RunResult.from_dict(metrics, exp.to_dict())   # no demo status is "interrupted"

    return body


class _progress:
    """A transient rich bar over the demos (nothing when ``progress`` is False)."""

    def __init__(self, progress: bool, console, total: int):
        self.on, self.console, self.total = progress, console, total

    def __enter__(self):
        if not self.on:
            return lambda key: None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self.p = Progress(TextColumn("demo {task.description}"), BarColumn(),
                          MofNCompleteColumn(), console=self.console, transient=True)
        self.p.__enter__()
        task = self.p.add_task("", total=self.total)
        first = [True]

        def advance(key):
            self.p.update(task, description=key, advance=0 if first[0] else 1)
            first[0] = False

        return advance

    def __exit__(self, *exc):
        if self.on:
            self.p.__exit__(*exc)
        return False


__all__ = ["DEMOS", "Demo", "DemoContext", "demo_arguments", "prepare_demos", "run_demo",
           "run_demos"]

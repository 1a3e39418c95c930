"""``mlplab sweep`` and ``mlplab run NAME --seeds``: parse, run the plan, print the table."""

from __future__ import annotations

from pathlib import Path

import typer

from mlplab.console import console as _console
from mlplab.console import fail, stopped_by
from mlplab.errors import UsageError

BACKEND_HELP = ("local: worker processes on this machine (default); ray: Ray tasks, on a "
                "local Ray or the cluster at --address (pip install 'mlplab[ray]').")


def run_seeds(exp, seeds: str, *, seed: int | None = None, out: Path,
              workers: int | None = None, backend: str = "local", address: str | None = None,
              resume: bool = False, quiet: bool = False, console=None) -> None:
    """``mlplab run NAME --seeds 0-9``: every model of ``exp`` once per seed."""
    from mlplab.sweep import Plan, parse_seeds

    if seed is not None:
        raise UsageError(f"--seed {seed} and --seeds {seeds}: give one of them")
    _execute(Plan(exp, parse_seeds(seeds)), out, workers, backend, address, resume, quiet,
             console or _console())


def sweep(
    name: str = typer.Argument(..., help="Experiment name (see `mlplab list`) or a .toml file."),
    sets: list[str] = typer.Option(None, "--set", help="KEY=V1,V2,...: a key to sweep and its "
                                   "values, e.g. models.mlp.lr=0.001,0.003 or "
                                   "data.preprocess=none,standardize; repeat for a grid "
                                   "(the product)."),
    seeds: str = typer.Option("0-4", "--seeds", help="Seeds of every setting: 0-4 or 0,3,7."),
    metric: str = typer.Option(None, "--metric", help="SPLIT.METRIC to choose on, e.g. val.mse "
                               "(default: val.accuracy or val.mse)."),
    model: str = typer.Option(None, "--model", help="The model to choose on (default: the one "
                              "the --set keys name, else the last)."),
    workers: int = typer.Option(None, "--workers", help="Trials at a time (default: the "
                                "number of cores)."),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    address: str = typer.Option(None, "--address", help="Ray only: auto or HOST:PORT of a "
                                "running cluster (default: start a local Ray)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the newest sweep with these "
                                "settings under --out, skipping trials already complete."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder that receives the sweep folder."),
    epochs: int = typer.Option(None, "--epochs", help="Override every trained model's epochs."),
    engine: str = typer.Option(None, "--engine", help="numpy (default) or torch."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Where your copy of the data lives."),
    offline: bool = typer.Option(False, "--offline", help="Never download data."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
):
    """Run a grid of settings (the product of the --set lists) over seeds; choose on the
    validation split and report held-out splits for the chosen setting only."""
    from mlplab.experiments import load_experiment
    from mlplab.experiments.config import with_overrides
    from mlplab.sweep import Plan, parse_seeds, parse_sets

    if not sets:
        raise UsageError("give at least one --set KEY=V1,V2 (to repeat the experiment over "
                         "seeds alone: mlplab run NAME --seeds 0-9)")
    exp = with_overrides(load_experiment(name), epochs=epochs, engine=engine,
                         data_dir=data_dir, data_args={"offline": True} if offline else {})
    plan = Plan(exp, parse_seeds(seeds), parse_sets(sets), metric=metric, model=model)
    _execute(plan, out, workers, backend, address, resume, quiet, _console())


def _execute(plan, out, workers, backend, address, resume, quiet, console) -> None:
    from mlplab.sweep import report, run_plan
    from mlplab.sweep.backends import default_workers
    from mlplab.sweep.core import check_plan
    from mlplab.util import TerminateAsInterrupt, check_out_folder

    # a bad option or value is an MlplabError: the CLI's error boundary prints its one line
    check_plan(plan)
    check_out_folder(Path(out))
    n = len(plan.points()) * len(plan.seeds)
    w = workers or default_workers()
    where = "Ray" if backend == "ray" else f"{min(w, n)} worker processes"
    console.print(f"{plan.exp.name}: {n} trials ({len(plan.points())} settings x "
                  f"{len(plan.seeds)} seeds) on {where}", highlight=False)
    if backend == "ray" and not address:
        # Ray's own processes take seconds to start; a running Ray is reused in well under 1
        console.print("starting a local Ray for this command; `ray start --head` once and "
                      "--address auto reuse one instead", highlight=False, style="dim")
    # SIGTERM does what Ctrl-C does: stop the workers, keep and summarise finished trials
    with TerminateAsInterrupt() as term, _progress(console, quiet) as show:
        outcome = run_plan(plan, out, backend=backend, workers=workers, address=address,
                           resume=resume, on_result=show)
    s = outcome.summary
    console.print(report.rich(s))
    for line in report.chosen_lines(s) if s["kind"] == "sweep" else []:
        console.print(line, highlight=False, markup=False)
    for line in report.failures(s):
        console.print(f"[red]{line}[/red]", highlight=False)
    if outcome.skipped:
        console.print(f"resumed: {outcome.skipped} trials were already complete", highlight=False)
    console.print(f"{outcome.ran} trials in {outcome.seconds:.1f} s; summary: "
                  f"{outcome.folder / 'summary.md'}", highlight=False)
    if outcome.interrupted:
        code, by = stopped_by(term)
        raise fail(f"{by}; the {s['trials']['complete']} finished trials are kept in "
                   f"{outcome.folder} (add --resume to finish)", code=code)


class _progress:
    """A progress line per finished trial (a bar in a terminal); failures as they come."""

    def __init__(self, console, quiet: bool):
        self.console, self.quiet, self.bar = console, quiet, None

    def __enter__(self):
        if not self.quiet and self.console.is_terminal:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress("trials", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                console=self.console, transient=True)
            self.bar.start()
            self.task = self.bar.add_task("trials", total=None)
        return self.show

    def show(self, result: dict, done: int, total: int) -> None:
        if result["status"] == "failed":
            self.console.print(f"[red]trial {result['id']} failed:[/red] "
                               f"{result.get('error', '')}", highlight=False)
        if self.bar is not None:
            self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False

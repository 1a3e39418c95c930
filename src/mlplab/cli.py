"""The ``mlplab`` command: parses arguments and delegates; no logic lives here.

Start-up stays light: ``mlplab --version`` and ``mlplab --help`` import typer and nothing of
mlplab's numerics. Each command imports what it needs inside, and the sub-apps registered with
:func:`_mount` are imported only when their name is on the command line.

One error boundary (:meth:`_Group.invoke`): an :class:`~mlplab.errors.MlplabError` (an error the
user can fix) becomes one red line ``error: ...`` and exit code 2; any other exception is a bug
in mlplab and prints its traceback and one line asking to report it (exit 1). Commands raise;
they do not catch.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer
from typer.core import TyperGroup

from mlplab import __version__
from mlplab.console import console as _console
from mlplab.console import fail
from mlplab.console import stopped_by as _stopped_by
from mlplab.errors import MlplabError, UsageError

# Sub-apps imported on first use: command name -> ("module:attribute", one-line help for the
# command list). The attribute is a typer.Typer (a group of commands) or a plain function with
# typer parameters (one command).
_LAZY: dict[str, tuple[str, str]] = {}


def _click_signals() -> tuple[type[BaseException], ...]:
    """Exceptions typer/click use for control flow (exit codes, usage errors, --help): the
    boundary lets them through. Typer >= 0.2x vendors click and bases them on TyperException."""
    try:
        from typer import TyperException as base
    except ImportError:  # older typer on top of click
        from click import ClickException as base
    return typer.Exit, typer.Abort, base


_SIGNALS = _click_signals()


def _report_bug() -> typer.Exit:
    """Print the traceback of the exception being handled and one line asking to report it."""
    import traceback

    traceback.print_exc()
    typer.secho(f"mlplab {__version__} hit a bug (traceback above), not a mistake of yours: "
                "please report it with the command you ran and this traceback", err=True,
                fg="red")
    return typer.Exit(1)


class _Group(TyperGroup):
    """The top-level command group: the error boundary and the lazily imported sub-apps."""

    def list_commands(self, ctx) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in _LAZY if n not in self.commands)]

    def get_command(self, ctx, cmd_name):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in _LAZY:
            # Only the command list of --help asks for a command it will not run: a stub with
            # the one-line help spares importing the sub-app (resolve_command loads the real one).
            return typer.core.TyperCommand(cmd_name, help=_LAZY[cmd_name][1])
        return cmd

    def resolve_command(self, ctx, args):
        if args and args[0] in _LAZY and args[0] not in self.commands:
            self.add_command(_load(args[0]), args[0])
        return super().resolve_command(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except MlplabError as e:
            raise fail(str(e)) from None
        except BrokenPipeError:
            # the reader went away (`mlplab course | head`): stop quietly, as cat does, with
            # the shell's code for SIGPIPE; stdout is pointed at nothing so the interpreter's
            # last flush cannot fail again
            import os
            import sys

            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(141) from None
        except _SIGNALS:
            raise
        except Exception:
            raise _report_bug() from None


def _mount(name: str, target: str, help: str) -> None:
    """Register the sub-app or command ``target`` ("module:attribute") as ``mlplab NAME``,
    imported only when NAME is on the command line; ``help`` is its line in ``mlplab --help``."""
    _LAZY[name] = (target, help)


def _load(name: str):
    """The click command of the lazily registered ``name``, built as ``app.add_typer`` (a
    typer.Typer) or ``app.command`` (a function) would have built it."""
    module, _, attr = _LAZY[name][0].partition(":")
    obj = getattr(importlib.import_module(module), attr)
    holder = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    if isinstance(obj, typer.Typer):
        holder.add_typer(obj, name=name)
        return typer.main.get_command(holder).commands[name]
    holder.command(name=name)(obj)
    return typer.main.get_command(holder)  # one command: typer returns it, not a group


app = typer.Typer(
    name="mlplab",
    cls=_Group,
    help="Multilayer perceptrons you can see, check and compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool):
    if value:
        typer.echo(f"mlplab {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
):
    """Multilayer perceptrons you can see, check and compare."""


@app.command()
def summary(
    spec: str = typer.Argument(..., help="Model spec, e.g. 784-256-relu-10 or "
                                         "28x28-flatten-256-relu-10."),
):
    """Print a model's layers, output shapes and parameter counts (like torchsummary)."""
    from mlplab.spec import ModelSpec

    model_spec = ModelSpec.parse(spec)
    typer.echo(f"{model_spec}")
    # Counted from the spec: no model is built, so no weights are allocated.
    typer.echo(str(model_spec.summary()))
    if model_spec.twin_only:  # conv, maxpool, mixer
        typer.echo("(twin-only layers: train this model with --engine torch)")


@app.command()
def course():
    """The course unit by unit: each deck's experiments, worked examples, figures, and the
    unit 002 quiz with the command that answers each question (docs/course.md)."""
    from mlplab.course import lines

    for line in lines():
        typer.echo(line)


@app.command("list")
def list_experiments():
    """List the experiments, each with a one-line description."""
    from rich.table import Table

    from mlplab.experiments import available

    t = Table(show_header=True)
    t.add_column("experiment")
    t.add_column("description")
    for name, desc in available():
        t.add_row(name, desc)
    _console().print(t)


@app.command()
def run(
    name: str = typer.Argument(..., help="Experiment name (see `mlplab list`) or a .toml file."),
    epochs: int = typer.Option(None, "--epochs", help="Override every trained model's epochs."),
    seed: int = typer.Option(None, "--seed", help="Seed for initial weights and shuffling "
                                                  "(default: the experiment's, 0)."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder that receives the run folder."),
    data_dir: Path = typer.Option(None, "--data-dir", help="Where your copy of the data lives "
                                                           "(fer2013, cifar10, course files)."),
    engine: str = typer.Option(None, "--engine", help="numpy (default) or torch."),
    device: str = typer.Option(None, "--device", help="Torch engine only: auto (CUDA when "
                                                      "available, the default), cpu or cuda."),
    offline: bool = typer.Option(False, "--offline", help="Never download data."),
    trust_pickle: bool = typer.Option(False, "--trust-pickle",
                                      help="Allow reading pickled course files (runs code)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    record_dynamics: bool = typer.Option(
        False, "--record-dynamics", help="Record per layer and epoch the gradient norm, dead "
        "and saturated units and activation histograms (metrics.json and the report)."),
    seeds: str = typer.Option(None, "--seeds", help="Run every model once per seed (0-9 or "
                              "0,3,7): mean ± sd, 95% CI, paired comparison with the baseline."),
    workers: int = typer.Option(None, "--workers", help="--seeds: trials at a time (default: "
                                "the number of cores)."),
    backend: str = typer.Option("local", "--backend", help="--seeds: local processes or ray."),
    address: str = typer.Option(None, "--address", help="--backend ray: auto or HOST:PORT."),
    resume: bool = typer.Option(False, "--resume", help="Continue the newest unfinished run "
                                "of NAME in --out (killed: .partial; failed: .incomplete) "
                                "from its checkpoints; with --seeds: finish the newest such "
                                "run. Pass the options it was started with."),
):
    """Run an experiment: train every model, then print and save the comparison."""
    from mlplab.experiments import load_experiment
    from mlplab.experiments.config import with_overrides

    console = _console()
    data_args = {}
    if offline:
        data_args["offline"] = True
    if trust_pickle:
        data_args["trust_pickle"] = True
    exp = with_overrides(load_experiment(name), epochs=epochs, seed=seed, engine=engine,
                         data_dir=data_dir, data_args=data_args, device=device,
                         record_dynamics=record_dynamics)
    if seeds is not None:   # many seeds: mlplab.sweep runs and summarises them
        from mlplab.sweep.cli import run_seeds

        return run_seeds(exp, seeds, seed=seed, out=out, workers=workers, backend=backend,
                         address=address, resume=resume, quiet=quiet, console=console)
    run_and_show(exp, out, quiet, console, resume=resume)


def run_and_show(exp, out, quiet, console, resume: bool = False):
    """Run ``exp`` and print its table; Ctrl-C prints what ran and exits 130, SIGTERM does
    the same and exits 143 (128 + 15)."""
    from mlplab.experiments import RunInterrupted
    from mlplab.experiments.runner import run
    from mlplab.util import TerminateAsInterrupt

    with TerminateAsInterrupt() as term:
        try:
            # torch missing for --engine torch is a UsageError too (mlplab.torch.TorchMissing)
            result = run(exp, out, progress=not quiet, console=console, resume=resume)
        except RunInterrupted as e:
            code, by = _stopped_by(term)
            _show(console, e.result)
            raise fail(f"{by}; the report of what ran is in {e.run_dir}", code=code) from None
        except KeyboardInterrupt as e:   # outside training, or a second Ctrl-C / SIGTERM
            code, by = _stopped_by(term)
            kept = " ".join(getattr(e, "__notes__", ())) or \
                "no model had been saved, so nothing was kept"
            raise fail(f"{by} before the run finished; {kept}", code=code) from None
        _show(console, result)


# Training outcomes (metrics.json "outcome", History.status) whose message is not printed under
# the table; diverged, interrupted and worse_than_start are.
QUIET_OUTCOMES = ("ok", "early_stopped")


def _show(console, result):
    """Print a run's comparison table (split into tables that fit the console, never cutting
    a number), the messages of models that did not end well, and the report's path;
    ``result``: the run's RunResult (mlplab.runresult), in memory or read back."""
    from rich.markup import escape

    from mlplab.report.tables import comparison, fitted_tables

    run_dir, metrics = result.path, result.to_dict()
    tables = fitted_tables(*comparison(metrics), width=console.width,
                           title=f"{metrics['experiment']} (seed {metrics['seed']})")
    for t in tables:
        console.print(t)
    if len(tables) > 1:
        console.print(f"(split to fit {console.width} columns; report.md and report.html "
                      "hold the whole table)", highlight=False)
    for key, info in metrics["models"].items():
        # a metrics.json written before "outcome" existed: its "status" stands in
        if info.get("message") and info.get("outcome", info["status"]) not in QUIET_OUTCOMES:
            # markup only for the name: a message such as "inputs range over [nan, nan]"
            # or a model named "[red]" is printed as written
            console.print(f"[bold]{escape(key)}[/bold] {escape(info['status'])}: "
                          f"{escape(info['message'])}", highlight=False)
    if "demos" in metrics:  # a demo experiment (mlplab.modern): each demo's own table
        from mlplab.modern.report import show

        show(console, metrics)
    # absolute, and never broken across lines, so that it can be copied or clicked
    path = str((run_dir / "report.html").resolve())
    fits = len("report: ") + len(path) <= console.width
    console.print("report: " + path if fits else f"report:\n{path}", soft_wrap=True,
                  markup=False, highlight=False)


@app.command()
def report(run_dir: Path = typer.Argument(..., help="A folder written by `mlplab run`.")):
    """Re-render report.md and report.html of a finished run and print its table."""
    from mlplab.report.build import rerender

    # rerender reads the folder through mlplab.runfolder: a damaged file is a DataError
    _show(_console(), rerender(run_dir))


@app.command()
def results(
    out: Path = typer.Option(Path("docs/experiments.md"), "--out", help="Markdown file to write."),
    runs: Path = typer.Option(Path("runs"), "--runs", help="Where the run folders go."),
    seed: int = typer.Option(0, "--seed"),
    only: list[str] = typer.Option(None, "--only", help="Run only these experiments."),
    seeds: bool = typer.Option(True, "--seeds/--no-seeds", help="Also run auto-mpg (seeds "
                               "0-19), nonlinear (0-9) and fashion-mnist (1 epoch, 0-4) once "
                               "per seed, with mean, sd, 95% CI and paired comparisons."),
):
    """Run every experiment whose data are here and write their tables to docs/experiments.md."""
    from mlplab.results import write_results

    typer.echo(str(write_results(out, runs, seed, only or None, progress=True,
                                 console=_console(), seeds=seeds)))


plot_app = typer.Typer(help="Figures that explain the building blocks.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")


@plot_app.command("activations")
def plot_activations(out: Path = typer.Option(Path("activations.png"), "--out", "-o",
                                              help="PNG file to write.")):
    """Every activation function and its derivative, from the engine's own backward."""
    from mlplab.report.plots import activations

    typer.echo(str(activations(out)))


@plot_app.command("optimizers")
def plot_optimizers(
    out: Path = typer.Option(Path("optimizers.png"), "--out", "-o", help="PNG file to write."),
    surface: str = typer.Option("rosenbrock", "--surface",
                                help="rosenbrock (a curved valley) or valley (a tilted narrow "
                                     "bowl)."),
    steps: int = typer.Option(500, "--steps", help="Steps of each optimizer (1 to 20000)."),
):
    """Each optimizer's path on a 2-D loss surface, with mlplab.optim's own classes."""
    from mlplab.report.optimizer_paths import SURFACES
    from mlplab.report.optimizer_paths import plot_optimizers as draw

    if surface not in SURFACES:
        raise UsageError(f"--surface {surface!r}: choose one of {', '.join(SURFACES)}")
    if not 1 <= steps <= 20_000:
        raise UsageError(f"--steps {steps}: choose 1 to 20000")
    typer.echo(str(draw(out, surface, steps)))


_mount("train", "mlplab.byod.cli:train",
       "Train the course's baseline (linear or softmax regression) and an MLP on your own data, "
       "then print and save the comparison (the same run folder and report as `mlplab run`).")
_mount("predict", "mlplab.byod.cli:predict",
       "Predict new rows with a model of a `mlplab train` run, preprocessed as in training.")
_mount("data", "mlplab.data.cli:app",
       "Data sets: list them, and show what one holds (shape, classes, rows or images).")
_mount("explain", "mlplab.explain.cli:explain",
       "Work a forward pass, the loss, the backward pass and the SGD update out by hand.")
_mount("export", "mlplab.export.cli:export",
       "Write a trained model with its preprocessing as an ONNX graph: raw rows in, "
       "probabilities and labels (classification) or values (regression) out.")
_mount("sweep", "mlplab.sweep.cli:sweep",
       "Run a grid of settings (the product of the --set lists) over seeds; choose on the "
       "validation split and report held-out splits for the chosen setting only.")
_mount("runs", "mlplab.runs:app",
       "Unfinished run folders (killed: .partial, failed: .incomplete): list and clean them.")
_mount("playground", "mlplab.playground.cli:playground",
       "TensorFlow Playground on mlplab's engine: train small networks on 2-D data, live.")


if __name__ == "__main__":  # pragma: no cover
    app()

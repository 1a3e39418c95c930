"""The ``mlplab`` command: parses arguments and delegates; no logic lives here."""

from __future__ import annotations

from pathlib import Path

import typer

from mlplab import __version__

app = typer.Typer(
    name="mlplab",
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


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear line to stderr and return the Exit to raise."""
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)


@app.command()
def summary(
    spec: str = typer.Argument(..., help="Model spec, e.g. 784-256-relu-10 or "
                                         "28x28-flatten-256-relu-10."),
):
    """Print a model's layers, output shapes and parameter counts (like torchsummary)."""
    from mlplab.nn import summary as nn_summary
    from mlplab.spec import ModelSpec, SpecError

    try:
        model_spec = ModelSpec.parse(spec)
    except SpecError as e:
        raise fail(str(e)) from None
    typer.echo(f"{model_spec}")
    if model_spec.twin_only:  # conv, maxpool, mixer: counted from the spec, no model built
        typer.echo(str(model_spec.summary()))
        typer.echo("(twin-only layers: train this model with --engine torch)")
        return
    typer.echo(str(nn_summary(model_spec.build(seed=0), model_spec.input_shape)))


@app.command("list")
def list_experiments():
    """List the experiments, each with a one-line description."""
    from rich.console import Console
    from rich.table import Table

    from mlplab.experiments import available

    t = Table(show_header=True)
    t.add_column("experiment")
    t.add_column("description")
    for name, desc in available():
        t.add_row(name, desc)
    Console().print(t)


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
):
    """Run an experiment: train every model, then print and save the comparison."""

    from mlplab.data import DataError
    from mlplab.experiments import load_experiment
    from mlplab.experiments.config import ExperimentError, with_overrides

    console = _console()
    data_args = {}
    if offline:
        data_args["offline"] = True
    if trust_pickle:
        data_args["trust_pickle"] = True
    try:
        exp = with_overrides(load_experiment(name), epochs=epochs, seed=seed, engine=engine,
                             data_dir=data_dir, data_args=data_args, device=device)
    except (ExperimentError, DataError, ValueError, FileNotFoundError, ImportError) as e:
        raise fail(str(e)) from None
    _run_and_show(exp, out, quiet, console)


def _run_and_show(exp, out, quiet, console):
    """Run ``exp`` and print its table; the project's errors become one line and exit 2,
    Ctrl-C prints what ran and exits 130."""
    from mlplab.data import DataError
    from mlplab.experiments import RunInterrupted, run_experiment
    from mlplab.experiments.config import ExperimentError
    from mlplab.report.tables import comparison, rich_table

    try:
        run_dir = run_experiment(exp, out, progress=not quiet, console=console)
    except RunInterrupted as e:
        _show(console, e.run_dir, comparison, rich_table)
        raise fail(str(e), code=130) from None
    except (ExperimentError, DataError, ValueError, FileNotFoundError, ImportError) as e:
        raise fail(str(e)) from None
    _show(console, run_dir, comparison, rich_table)


def _console():
    """A rich console; 150 columns when the output is not a terminal (pipes, CI logs)."""
    import sys

    from rich.console import Console

    return Console(width=None if sys.stdout.isatty() else 150)


def _show(console, run_dir, comparison, rich_table):
    import json

    metrics = json.loads((run_dir / "metrics.json").read_text())
    console.print(rich_table(*comparison(metrics), title=f"{metrics['experiment']} "
                                                         f"(seed {metrics['seed']})"))
    for key, info in metrics["models"].items():
        if info.get("message") and info["status"] != "ok" or "above where" in \
                info.get("message", ""):
            console.print(f"[bold]{key}[/bold] {info['status']}: {info['message']}")
    if "demos" in metrics:  # a demo experiment (mlplab.modern): each demo's own table
        from mlplab.modern.report import show

        show(console, metrics)
    console.print(f"report: {run_dir / 'report.html'}")


@app.command()
def report(run_dir: Path = typer.Argument(..., help="A folder written by `mlplab run`.")):
    """Re-render report.md and report.html of a finished run and print its table."""

    from mlplab.report.build import rerender
    from mlplab.report.tables import comparison, rich_table

    try:
        rerender(run_dir)
    except (FileNotFoundError, ValueError, KeyError) as e:
        raise fail(str(e)) from None
    _show(_console(), run_dir, comparison, rich_table)


@app.command()
def results(
    out: Path = typer.Option(Path("docs/experiments.md"), "--out", help="Markdown file to write."),
    runs: Path = typer.Option(Path("runs"), "--runs", help="Where the run folders go."),
    seed: int = typer.Option(0, "--seed"),
    only: list[str] = typer.Option(None, "--only", help="Run only these experiments."),
):
    """Run every experiment whose data are here and write their tables to docs/experiments.md."""
    from mlplab.report.results import write_results

    typer.echo(str(write_results(out, runs, seed, only or None, progress=True,
                                 console=_console())))


@app.command()
def train(
    data: Path = typer.Argument(..., help="A CSV file with a header row (any of , ; tab |), an "
                                          "image folder (root/<class>/<image> or "
                                          "root/{train,test}/<class>/<image>), or an .npz "
                                          "with arrays X and y."),
    target: str = typer.Option(None, "--target", help="CSV: the column to predict."),
    task: str = typer.Option(None, "--task", help="regression or classification. Default: "
                                                  "inferred from the target (numbers with "
                                                  "over 20 values or any fractions: "
                                                  "regression; text or a few integer codes: "
                                                  "classification)."),
    missing: str = typer.Option("drop", "--missing", help="Rows with a missing value: drop "
                                                          "them, or fill with the training "
                                                          "mean (mean). Rows without a target "
                                                          "are always dropped."),
    drop: str = typer.Option(None, "--drop", help="CSV: columns to leave out, e.g. name,notes."),
    categorical: str = typer.Option(None, "--categorical", help="CSV: numeric columns to "
                                                                "one-hot, e.g. origin (codes "
                                                                "1/2/3). Text columns always "
                                                                "are."),
    image_size: int = typer.Option(None, "--image-size", help="Images: resize to N x N "
                                                              "(default: all images must "
                                                              "share one size)."),
    color: bool = typer.Option(False, "--color", help="Images: keep RGB (default grayscale)."),
    hidden: str = typer.Option("64,64", "--hidden", help="The MLP's hidden widths."),
    activation: str = typer.Option("relu", "--activation", help="The MLP's activation: relu, "
                                                                "tanh, sigmoid, leakyrelu, "
                                                                "gelu, silu, softplus, "
                                                                "identity."),
    optimizer: str = typer.Option("adam", "--optimizer", help="adam, sgd, rmsprop, adagrad, "
                                                              "adadelta or adamw (both "
                                                              "models)."),
    lr: float = typer.Option(None, "--lr", help="Learning rate. Default by optimizer: 0.001 "
                                                "for adam, adamw and rmsprop; 0.01 for sgd "
                                                "and adagrad; 1.0 for adadelta."),
    epochs: int = typer.Option(100, "--epochs"),
    batch_size: int = typer.Option(32, "--batch-size"),
    val_fraction: float = typer.Option(0.2, "--val-fraction", help="Share of rows for "
                                                                   "validation (0: none)."),
    test_fraction: float = typer.Option(0.2, "--test-fraction", help="Share of rows for the "
                                                                     "test split (0: none; an "
                                                                     "image folder's test/ "
                                                                     "wins)."),
    early_stopping: int = typer.Option(None, "--early-stopping", metavar="PATIENCE",
                                       help="Stop when the validation loss has not improved "
                                            "for PATIENCE epochs, keeping the best weights "
                                            "(default: off)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the weights and shuffling."),
    engine: str = typer.Option("numpy", "--engine", help="numpy or torch."),
    compare_sklearn: bool = typer.Option(False, "--compare-sklearn",
                                         help="Add scikit-learn's linear/logistic regression "
                                              "and MLP, with matching settings, as rows."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder that receives the run folder."),
    name: str = typer.Option(None, "--name", help="Run name (default: the file's name)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
):
    """Train the course's baseline (linear or softmax regression) and an MLP on your own data,
    then print and save the comparison (the same run folder and report as `mlplab run`)."""
    from mlplab.byod import TrainOptions, build_experiment, parse_hidden, parse_names
    from mlplab.data import DataError
    from mlplab.experiments.config import ExperimentError

    console = _console()
    try:
        opts = TrainOptions(target=target, task=task, missing=missing, drop=parse_names(drop),
                            categorical=parse_names(categorical), image_size=image_size,
                            grayscale=not color, hidden=parse_hidden(hidden),
                            activation=activation, optimizer=optimizer, lr=lr, epochs=epochs,
                            batch_size=batch_size, val_fraction=val_fraction,
                            test_fraction=test_fraction, early_stopping=early_stopping,
                            seed=seed, engine=engine, compare_sklearn=compare_sklearn, name=name)
        exp = build_experiment(data, opts)
        for note in exp.notes:
            console.print(note, soft_wrap=True, markup=False, highlight=False)
    except (ExperimentError, DataError, ValueError, FileNotFoundError, ImportError) as e:
        raise fail(str(e)) from None
    _run_and_show(exp, out, quiet, console)


@app.command()
def predict(
    run_dir: Path = typer.Argument(..., help="A folder written by `mlplab train`."),
    data: Path = typer.Argument(..., help="New rows: a CSV with the training file's columns "
                                          "(the target may be there: it is scored), an .npz "
                                          "with X, or a folder of images."),
    model: str = typer.Option("mlp", "--model", help="Which model of the run."),
    out: Path = typer.Option(Path("predictions.csv"), "--out", help="CSV file to write."),
):
    """Predict new rows with a model of a `mlplab train` run, preprocessed as in training."""
    from mlplab.byod import describe
    from mlplab.byod import predict as byod_predict
    from mlplab.data import DataError

    try:
        result = byod_predict(run_dir, data, model=model, out=out)
    except (DataError, ValueError, FileNotFoundError) as e:
        raise fail(str(e)) from None
    for line in describe(result):
        typer.echo(line)


plot_app = typer.Typer(help="Figures that explain the building blocks.", no_args_is_help=True)
app.add_typer(plot_app, name="plot")


@plot_app.command("activations")
def plot_activations(out: Path = typer.Option(Path("activations.png"), "--out", "-o",
                                              help="PNG file to write.")):
    """Every activation function and its derivative, from the engine's own backward."""
    from mlplab.report.plots import activations

    typer.echo(str(activations(out)))


def _mount():
    from mlplab.data.cli import app as data_app
    from mlplab.explain.cli import explain

    app.add_typer(data_app, name="data")
    app.command()(explain)


_mount()


if __name__ == "__main__":  # pragma: no cover
    app()

"""``mlplab train`` and ``mlplab predict``: the practitioner's door (own data in, a baseline
against an MLP out, then new rows scored).

Imported only when ``train`` is on the command line (``mlplab.cli`` mounts it lazily), so its
help texts can be written from the records: the activations and optimizers it offers and each
optimizer's default learning rate are those of ``mlplab.registry`` and ``mlplab.optim``.
"""

from __future__ import annotations

from pathlib import Path

import typer

from mlplab.cli import run_and_show
from mlplab.console import console as _console
from mlplab.errors import UsageError
from mlplab.optim import OPTIMIZERS
from mlplab.registry import activations, names


def suggested_lrs() -> str:
    """"0.001 for adam, adamw and rmsprop; 0.01 for sgd and adagrad; ...": each optimizer's
    ``suggested_lr``, grouped."""
    groups: dict[float, list[str]] = {}
    for name, cls in OPTIMIZERS.items():
        groups.setdefault(cls.suggested_lr, []).append(name)
    return "; ".join(f"{lr:g} for {names(sorted(group), last='and')}"
                     for lr, group in sorted(groups.items()))


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
    activation: str = typer.Option("relu", "--activation", help=f"The MLP's activation: "
                                   f"{', '.join(activations(hidden=True))}."),
    optimizer: str = typer.Option("adam", "--optimizer",
                                  help=f"{names(OPTIMIZERS)} (both models)."),
    lr: float = typer.Option(None, "--lr", help=f"Learning rate. Default by optimizer: "
                                                f"{suggested_lrs()}."),
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
                                            "(default: on with patience 10 when there is a "
                                            "validation split)."),
    no_early_stopping: bool = typer.Option(False, "--no-early-stopping",
                                           help="Train every epoch, keeping the last weights."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split, the weights and shuffling."),
    engine: str = typer.Option("numpy", "--engine", help="numpy or torch."),
    compare_sklearn: bool = typer.Option(False, "--compare-sklearn",
                                         help="Add scikit-learn's linear/logistic regression "
                                              "and MLP, with matching settings, and its "
                                              "HistGradientBoosting, as rows."),
    out: Path = typer.Option(Path("runs"), "--out", help="Folder that receives the run folder."),
    name: str = typer.Option(None, "--name", help="Run name (default: the file's name)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    record_dynamics: bool = typer.Option(
        False, "--record-dynamics", help="Record per layer and epoch the gradient norm, dead "
        "and saturated units and activation histograms (metrics.json and the report)."),
):
    """Train the course's baseline (linear or softmax regression) and an MLP on your own data,
    then print and save the comparison (the same run folder and report as `mlplab run`)."""
    from mlplab.byod import TrainOptions, build_experiment, parse_hidden, parse_names

    if no_early_stopping and early_stopping is not None:
        raise UsageError("--early-stopping and --no-early-stopping: give one of them")
    console = _console()
    opts = TrainOptions(target=target, task=task, missing=missing, drop=parse_names(drop),
                        categorical=parse_names(categorical), image_size=image_size,
                        grayscale=not color, hidden=parse_hidden(hidden),
                        activation=activation, optimizer=optimizer, lr=lr, epochs=epochs,
                        batch_size=batch_size, val_fraction=val_fraction,
                        test_fraction=test_fraction,
                        early_stopping=False if no_early_stopping else early_stopping,
                        seed=seed, engine=engine, compare_sklearn=compare_sklearn, name=name)
    exp = build_experiment(data, opts)
    if record_dynamics:
        from mlplab.experiments.config import with_overrides

        exp = with_overrides(exp, record_dynamics=True)
    for note in exp.notes:
        console.print(note, soft_wrap=True, markup=False, highlight=False)
    run_and_show(exp, out, quiet, console)


def predict(
    run_dir: Path = typer.Argument(..., help="A folder written by `mlplab train`, or an .onnx "
                                             "file that `mlplab export` wrote from one."),
    data: Path = typer.Argument(..., help="New rows: a CSV with the training file's columns "
                                          "(the target may be there: it is scored), an .npz "
                                          "with X, or a folder of images."),
    model: str = typer.Option("mlp", "--model", help="Which model of the run."),
    out: Path = typer.Option(Path("predictions.csv"), "--out", help="CSV file to write."),
):
    """Predict new rows with a model of a `mlplab train` run, preprocessed as in training."""
    from mlplab.byod import describe
    from mlplab.byod import predict as byod_predict

    # the run folder is read through mlplab.runfolder: a damaged file is a DataError
    result = byod_predict(run_dir, data, model=model, out=out)
    for line in describe(result):
        typer.echo(line)

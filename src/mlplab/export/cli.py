"""``mlplab export``: a plain function with typer parameters, registered by the main CLI with
``app.command()(export)``. It parses, delegates to :func:`mlplab.export.export` and prints."""

from __future__ import annotations

from pathlib import Path

import typer


def export(
    run_dir: Path = typer.Argument(...,
                                   help="A run folder written by `mlplab run` or `mlplab train`."),
    model: str | None = typer.Option(None, "--model",
                                     help="The model to export (default: the only one, or mlp)."),
    fmt: str = typer.Option("onnx", "--format", help="Export format: onnx."),
    out: Path | None = typer.Option(None, "-o", "--out",
                                    help="File to write (default: <model>.onnx)."),
    input_shape: str | None = typer.Option(
        None, "--input-shape", help="Raw rows' shape, e.g. 28x28, when the run flattened "
                                    "images (default: the model's input, or the data's schema)."),
):
    """Write a trained model with its preprocessing as an ONNX graph: raw rows in,
    probabilities and labels (classification) or values (regression) out."""
    from mlplab.export import export as do_export

    # an MlplabError (bad folder, model, format or shape) goes to the CLI's one error boundary
    result = do_export(run_dir, out, model=model, fmt=fmt, input_shape=input_shape)
    typer.echo(result.describe())

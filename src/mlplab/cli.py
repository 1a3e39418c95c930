"""The ``mlplab`` command: parses arguments and delegates; no logic lives here."""

from __future__ import annotations

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
    typer.echo(str(nn_summary(model_spec.build(seed=0), model_spec.input_shape)))


if __name__ == "__main__":  # pragma: no cover
    app()

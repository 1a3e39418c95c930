"""``mlplab explain``: a plain function with typer parameters, registered by the main CLI
with ``app.command()(explain)``. It parses, delegates to ``mlplab.explain`` and prints."""

from __future__ import annotations

from pathlib import Path

import typer

from mlplab.explain.core import MAX_STEPS, ExplainError
from mlplab.explain.presets import PRESETS
from mlplab.registry import LOSSES, names

# render.BACKENDS' keys, spelled out so that registering the command imports no renderer
# (tests/explain checks that the two agree).
FORMATS = ("text", "markdown", "latex")


def _fail(message: str) -> typer.Exit:
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(2)


def explain(
    spec: str | None = typer.Argument(
        None, metavar="SPEC", help="Model spec, e.g. 2-2-relu-1-sigmoid (Linear layers, each "
                                   "optionally followed by one elementwise activation)."),
    x: str | None = typer.Option(None, "--x", help="Input: '1,2', or a batch '1.5,0.2;4.7,1.6'."),
    y: str | None = typer.Option(None, "--y", help="Target: a class index (cross_entropy), "
                                                   "0/1 (bce) or numbers (mse); a batch "
                                                   "'0;1;2'."),
    weights: float | None = typer.Option(None, "--weights",
                                         help="Set every weight and bias to this constant."),
    weights_file: Path | None = typer.Option(
        None, "--weights-file", help='JSON of state_dict arrays: {"0.weight": [[...]], '
                                     '"0.bias": [...], ...}.'),
    loss: str | None = typer.Option(None, "--loss", help=f"{names(LOSSES)}; default from "
                                                         "the output layer."),
    lr: float | None = typer.Option(None, "--lr", help="SGD learning rate (default 0.1)."),
    steps: int = typer.Option(1, "--steps", help=f"SGD steps to show (1 to {MAX_STEPS})."),
    fmt: str = typer.Option("text", "--format", help="text, markdown or latex."),
    precision: int | None = typer.Option(
        None, "--precision", help="Decimals printed (default 4; 5 for softmax-step)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the default initialisation."),
    example: str | None = typer.Option(
        None, "--example", help=f"A worked example of the course: {', '.join(PRESETS)}."),
):
    """Work a forward pass, the loss, the backward pass and the SGD update out by hand."""
    from mlplab.explain.core import explain_network
    from mlplab.explain.presets import get_preset

    try:
        if fmt not in FORMATS:
            raise ExplainError(f"unknown --format {fmt!r}; choose one of {', '.join(FORMATS)}")
        if precision is not None and not 0 <= precision <= 12:
            raise ExplainError(f"--precision must be from 0 to 12, got {precision}")
        if not 1 <= steps <= MAX_STEPS:
            raise ExplainError(f"--steps must be from 1 to {MAX_STEPS}, got {steps}")
        if example is not None:
            given = [name for name, v in (("SPEC", spec), ("--x", x), ("--y", y),
                                          ("--weights", weights),
                                          ("--weights-file", weights_file), ("--loss", loss),
                                          ("--lr", lr)) if v is not None]
            if given:
                raise ExplainError(f"--example sets the network, data and learning rate; "
                                   f"drop {', '.join(given)} (only --steps, --format and "
                                   "--precision apply)")
            preset = get_preset(example)
            if steps > 1 and not preset.multi_step:
                raise ExplainError(f"--example {example} shows one step; drop --steps")
            expl = preset.build(steps)
            precision = preset.precision if precision is None else precision
        else:
            if spec is None:
                raise ExplainError("give a SPEC with --x and --y (e.g. mlplab explain "
                                   "2-2-relu-1-sigmoid --x 1,2 --y 0), or --example NAME")
            if x is None or y is None:
                raise ExplainError(f"explain {spec} needs --x and --y (e.g. --x 1,2 --y 0)")
            expl = explain_network(spec, x, y, loss=loss, weights=weights,
                                   weights_file=weights_file, lr=0.1 if lr is None else lr,
                                   steps=steps, seed=seed)
    except ExplainError as e:
        raise _fail(str(e)) from None
    precision = 4 if precision is None else precision
    from mlplab.explain.render import document, print_text, render

    if fmt == "text":
        from rich.console import Console

        console = Console(highlight=False)
        if console.is_terminal:
            print_text(document(expl), precision, console)
            return
        typer.echo(render(expl, "text", precision, width=console.width), nl=False)
    else:
        typer.echo(render(expl, fmt, precision), nl=False)

"""``mlplab data``: list the data sets, show what one holds. Parses and delegates only."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from mlplab.console import console as _console
from mlplab.data import available, load, loader_parameters
from mlplab.data.dataset import Dataset
from mlplab.data.registry import typed_args

app = typer.Typer(
    help="Data sets: list them, and show what one holds (shape, classes, rows or images).",
    no_args_is_help=True,
)


def _parse_value(text: str):
    """'3' -> 3, '0.2' -> 0.2, 'true' -> True, '28,28' -> (28, 28), anything else -> str."""
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text   # not a Python literal (or one nested too deep): the text itself


def _parse_sets(name: str, items: list[str] | None) -> dict:
    """``--set KEY=VALUE`` items as the loader's keyword arguments, typed: the loader's
    annotations decide (``mlplab.data.registry.typed_args``; ``load`` refuses the rest)."""
    parsed, texts = {}, {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(
                f"{item!r}: expected KEY=VALUE, e.g. noise=0.3", param_hint="--set"
            )
        key = key.strip().replace("-", "_")
        parsed[key], texts[key] = _parse_value(value), value
    return typed_args(name, parsed, texts) if parsed else parsed


@app.command("list")
def list_datasets() -> None:
    """List every data set with a one-line description and the arguments its loader takes."""
    table = Table(title="mlplab data sets")
    table.add_column("name", style="bold cyan", no_wrap=True)
    table.add_column("description")
    table.add_column("arguments", style="dim")
    for name, description in available():
        table.add_row(name, description, ", ".join(loader_parameters(name)))
    _console().print(table)


def _summary(ds: Dataset) -> Table:
    t = Table(title=f"{ds.name}", show_header=False)
    t.add_column("field", style="bold")
    t.add_column("value")
    t.add_row("task", ds.task)
    t.add_row("X", f"{tuple(ds.X.shape)} {ds.X.dtype}")
    t.add_row("y", f"{tuple(ds.y.shape)} {ds.y.dtype}")
    t.add_row("inputs per sample", str(ds.n_features))
    t.add_row("splits", ", ".join(f"{k}: {len(v)}" for k, v in ds.splits.items()))
    if ds.task == "regression":
        t.add_row("target", f"{ds.target_name or 'y'}: min {ds.y.min():.4g}, "
                            f"mean {ds.y.mean():.4g}, max {ds.y.max():.4g}")
    t.add_row("source", ds.source)
    return t


def _classes(ds: Dataset) -> Table:
    t = Table(title="classes")
    t.add_column("#", justify="right")
    t.add_column("class")
    for split in ds.splits:
        t.add_column(split, justify="right")
    counts = {s: ds.class_counts(s) for s in ds.splits}
    for k, name in enumerate(ds.class_names or []):
        t.add_row(str(k), name, *(str(int(counts[s][k])) for s in ds.splits))
    return t


def _rows(ds: Dataset, n: int) -> Table:
    t = Table(title=f"first {min(n, ds.n_samples)} rows")
    names = ds.feature_names or [f"x{j}" for j in range(ds.X.shape[1])]
    target = ds.target_name or ("class" if ds.task == "classification" else "y")
    for name in [target, *names]:
        t.add_column(name, justify="right")
    for i in range(min(n, ds.n_samples)):
        if ds.task == "classification" and ds.class_names:
            tval = ds.class_names[int(ds.y[i])]
        else:
            tval = f"{ds.y[i]:.6g}"
        t.add_row(tval, *(f"{v:.6g}" for v in ds.X[i]))
    return t


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="data set name (see `mlplab data list`)")],
    path: Annotated[
        Path | None,
        typer.Option("--path", "--data-dir", "-p", help="file or folder to read the data from"),
    ] = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="never download (fashion-mnist, mnist)")
    ] = False,
    trust_pickle: Annotated[
        bool, typer.Option("--trust-pickle", help="allow reading pickled files (they can run code)")
    ] = False,
    out: Annotated[
        Path, typer.Option("--out", help="folder for the sample-image grid or scatter PNG")
    ] = Path("runs/data"),
    rows: Annotated[int, typer.Option("--rows", help="rows of tabular data to print")] = 5,
    sets: Annotated[
        list[str] | None,
        typer.Option("--set", help="extra loader argument KEY=VALUE (repeatable), e.g. noise=0.3"),
    ] = None,
) -> None:
    """Load one data set and show its shape, splits, classes, and a few rows or a sample grid."""
    console = _console()
    kwargs = _parse_sets(name, sets)
    if path is not None:
        kwargs["path"] = path
    if offline:
        kwargs["offline"] = True
    if trust_pickle:
        kwargs["trust_pickle"] = True
    ds = load(name, **kwargs)  # a DataError reaches the CLI's boundary: one line, exit 2
    console.print(_summary(ds))
    if ds.class_names:
        console.print(_classes(ds))
    if ds.is_image:
        from mlplab.data.preview import save_sample_grid

        png = save_sample_grid(ds, out / f"{ds.name}-samples.png")
        console.print(f"sample grid saved: {png}", soft_wrap=True)
    else:
        console.print(_rows(ds, rows))
        if ds.X.shape[1] == 2 and ds.task == "classification":
            from mlplab.data.preview import save_scatter

            png = save_scatter(ds, out / f"{ds.name}-scatter.png")
            console.print(f"scatter saved: {png}", soft_wrap=True)
    if ds.is_image:
        head = ds.X[:1000]
        console.print(
            f"pixels of the first {len(head)} images: {int(head.min())}..{int(head.max())}, "
            f"mean {float(head.mean()):.2f}"
        )

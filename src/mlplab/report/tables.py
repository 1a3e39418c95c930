"""The comparison table of a run, built once from metrics.json and rendered three ways."""

from __future__ import annotations

import math

SPLIT_ORDER = ("train", "val", "test")
METRIC_ORDER = ("loss", "accuracy", "mse", "mae", "r2")
LABELS = {"loss": "loss", "accuracy": "acc", "mse": "MSE", "mae": "MAE", "r2": "R²"}


def columns(models: dict) -> tuple[list[tuple[str, str]], bool]:
    """The (split, metric) columns present in metrics.json's ``models`` (in table order),
    and whether any model kept its best evaluation epoch."""
    cols = []
    for split in SPLIT_ORDER:
        for m in METRIC_ORDER:
            if m == "loss" and any("mse" in info.get(split, {}) for info in models.values()):
                continue  # a regression loss is the MSE column already
            if any(m in info.get(split, {}) for info in models.values()):
                cols.append((split, m))
    return cols, any("best" in info for info in models.values())


def comparison(metrics: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows: model, status, epochs, seconds, then split/metric columns present."""
    models = metrics["models"]
    cols, best = columns(models)
    header = ["model", "params", "status", "epochs", "seconds"] + [
        f"{split} {LABELS[m]}" for split, m in cols] + (["best@epoch"] if best
                                                          else [])
    rows = []
    for name, info in models.items():
        params = info.get("params")   # absent for a tree ensemble: nothing to count
        row = [name, f"{params:,}" if params is not None else "-", info["status"],
               str(info["epochs"]),
               f"{info['seconds']:.1f}"]
        for split, m in cols:
            v = info.get(split, {}).get(m)
            row.append(_fmt(m, v))
        if best:
            b = info.get("best")
            row.append(f"{b['loss']:.4g}@{b['epoch']}" if b else "-")
        rows.append(row)
    return header, rows


def _fmt(metric: str, v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    if metric == "accuracy":
        return f"{100 * v:.2f}%"
    return f"{v:.4g}"


def markdown(header, rows) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def rich_table(header, rows, title: str = "", widths: list[int] | None = None,
               styles: list[str | None] | None = None):
    """One rich Table of ``header`` and ``rows`` (lists of cell strings). Number columns fold
    rather than cut a value when squeezed; with ``widths`` each column gets exactly that width
    (only the first, the names, may then fold). ``styles``: one rich style per row (default:
    red for a diverged and yellow for an interrupted model, read from the status column)."""
    from rich.markup import escape
    from rich.table import Table

    # cells and title are text, not markup: a model or class named "[red]" or "[/b]" is
    # shown as written (and cannot break the table)
    t = Table(title=escape(title) if title else None)
    for i, h in enumerate(header):
        fixed = {} if widths is None else {"width": widths[i]}
        t.add_column(h, justify="left" if i == 0 else "right",
                     no_wrap=i == 0 if widths is None else i > 0, overflow="fold", **fixed)
    if styles is None:
        styles = [row_style(r) for r in rows]
    for r, style in zip(rows, styles):
        t.add_row(*map(escape, r), style=style)
    return t


def row_style(row) -> str | None:
    status = row[2] if len(row) > 2 else None
    return "red" if status == "diverged" else ("yellow" if status == "interrupted" else None)


# -- fitting the terminal --------------------------------------------------------------------
# rich's default box: "│ a │ b │" is each column's width plus 3, plus 1 for the left edge
COLUMN_OVERHEAD, EDGE = 3, 1


def table_width(widths) -> int:
    """Characters a rich table with these column widths takes (default box and padding)."""
    return sum(widths) + COLUMN_OVERHEAD * len(widths) + EDGE


def _natural(header, rows) -> list[int]:
    from rich.cells import cell_len

    return [max([cell_len(header[j])] + [cell_len(r[j]) for r in rows])
            for j in range(len(header))]


def _groups(header) -> list[list[int]]:
    """Column indices after the first, grouped: the run's own columns (params, status,
    epochs, seconds, best@epoch), then one group per split ("train ...", "val ...")."""
    run, splits = [], {}
    for j, h in enumerate(header[1:], 1):
        split = h.split(" ", 1)[0] if " " in h else None
        if split is None:
            run.append(j)
        else:
            splits.setdefault(split, []).append(j)
    return [g for g in [run, *splits.values()] if g]


def fit_layout(header, rows, width: int) -> tuple[list[list[int]], list[int]]:
    """The column indices of each table and every column's width so that no table is wider
    than ``width``: the whole table when it fits, else the name column followed by groups of
    columns (see ``_groups``), packed greedily, a group split only when it alone is too wide.
    Cells are never cut: a number column is as wide as its widest cell or header; only the
    name column is narrowed (its names fold) when even one other column would not fit."""
    widths = _natural(header, rows)
    if table_width(widths) <= width or len(header) == 1:
        return [list(range(len(header)))], widths
    widest = max(widths[1:])
    widths[0] = max(1, min(widths[0], width - table_width([widest]) - COLUMN_OVERHEAD))
    tables: list[list[int]] = []
    current = [0]
    for group in _groups(header):
        if table_width([widths[j] for j in current + group]) > width:
            if len(current) > 1:
                tables.append(current)
                current = [0]
            for j in group:   # a group too wide alone is split column by column
                if len(current) > 1 and table_width([widths[k] for k in current + [j]]) > width:
                    tables.append(current)
                    current = [0]
                current = current + [j]
        else:
            current = current + group
    tables.append(current)
    return tables, widths


def fitted_tables(header, rows, width: int, title: str = "") -> list:
    """Rich Tables that together show every column of the comparison, none wider than
    ``width`` (see ``fit_layout``); the first carries the title."""
    layout, widths = fit_layout(header, rows, width)
    if len(layout) == 1:
        return [rich_table(header, rows, title)]
    styles = [row_style(r) for r in rows]
    return [rich_table([header[j] for j in cols], [[r[j] for j in cols] for r in rows],
                       title if i == 0 else "", [widths[j] for j in cols], styles)
            for i, cols in enumerate(layout)]

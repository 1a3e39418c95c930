"""The comparison table of a run, built once from metrics.json and rendered three ways."""

from __future__ import annotations

import math

SPLIT_ORDER = ("train", "val", "test")
METRIC_ORDER = ("loss", "accuracy", "mse", "mae", "r2")
LABELS = {"loss": "loss", "accuracy": "acc", "mse": "MSE", "mae": "MAE", "r2": "R²"}


def comparison(metrics: dict) -> tuple[list[str], list[list[str]]]:
    """Header and rows: model, status, epochs, seconds, then split/metric columns present."""
    models = metrics["models"]
    cols = []
    for split in SPLIT_ORDER:
        for m in METRIC_ORDER:
            if m == "loss" and any("mse" in info.get(split, {}) for info in models.values()):
                continue  # a regression loss is the MSE column already
            if any(m in info.get(split, {}) for info in models.values()):
                cols.append((split, m))
    best = any("best" in info for info in models.values())
    header = ["model", "params", "status", "epochs", "seconds"] + [
        f"{split} {LABELS[m]}" for split, m in cols] + (["best@epoch"] if best
                                                          else [])
    rows = []
    for name, info in models.items():
        row = [name, f"{info.get('params', 0):,}", info["status"], str(info["epochs"]),
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


def rich_table(header, rows, title: str = ""):
    from rich.table import Table

    t = Table(title=title or None)
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i == 0 else "right", no_wrap=i == 0)
    for r in rows:
        style = "red" if r[2] == "diverged" else ("yellow" if r[2] == "interrupted" else None)
        t.add_row(*r, style=style)
    return t

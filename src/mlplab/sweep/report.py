"""Tables of a seeds run or a sweep, built once from its metrics.json content and rendered as
Markdown (summary.md) or as a rich table (the terminal)."""

from __future__ import annotations

import math
from pathlib import Path

from mlplab.report.tables import LABELS
from mlplab.report.tables import markdown as md_table

_SPLITS = ("train", "val", "test")
_ORDER = ("accuracy", "mse", "mae", "r2", "loss")


def label(metric: str) -> str:
    """"val.mse" -> "val MSE"."""
    split, _, m = metric.partition(".")
    return f"{split} {LABELS.get(m, m)}"


def num(metric: str, v) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "-"
    if metric.endswith(".accuracy"):
        return f"{100 * v:.2f}%"
    return f"{v:.4g}"


def cell(metric: str, s: dict, ci: bool = True) -> str:
    """"6.90 ± 1.40 [6.24, 7.55]": mean ± sd and the 95% interval of the mean."""
    if not s or not s.get("n"):
        return "-"
    text = num(metric, s["mean"])
    if s["n"] >= 2:
        sd = 100 * s["sd"] if metric.endswith(".accuracy") else s["sd"]
        text += f" ± {sd:.2g}" + ("pp" if metric.endswith(".accuracy") else "")
        if ci:
            text += f" [{num(metric, s['ci'][0])}, {num(metric, s['ci'][1])}]"
    return text


def shown_metrics(models: dict, held_out: bool = True) -> list[str]:
    """The evaluation splits' metrics in the run table's order; the training split and a
    regression loss (the MSE again) are left out."""
    names = {k for info in models.values() for k in info["aggregate"]}
    out = []
    for split in _SPLITS[1:]:
        if not held_out and split != "val":
            continue
        for m in _ORDER:
            if m == "loss" and f"{split}.mse" in names:
                continue
            if f"{split}.{m}" in names:
                out.append(f"{split}.{m}")
    return out or sorted(n for n in names if n.startswith("train."))[:2]


def count(info: dict) -> str:
    """"20", or "18 (2 diverged)": finished seeds, and the others counted."""
    text = str(info["n"])
    extra = [f"{info[k]} {k}" for k in ("diverged", "failed", "missing") if info.get(k)]
    return text + (f" ({', '.join(extra)})" if extra else "")


def p_value(p) -> str:
    if p is None or not math.isfinite(p):
        return "-"
    return f"{p:.2g}" if p >= 0.001 else "<0.001"


def seeds_table(summary: dict) -> tuple[list[str], list[list[str]]]:
    models = summary["models"]
    metrics = shown_metrics(models)
    base, metric = summary["baseline"], summary["metric"]
    header = ["model", "seeds"] + [label(m) for m in metrics] + [
        f"{label(metric)}: wins vs {base}", "paired p"]
    rows = []
    for name, info in models.items():
        vs = info.get("vs_baseline")
        wins = f"{vs['wins']}/{vs['n']}" if vs and vs["n"] else ("baseline" if name == base
                                                                  else "-")
        rows.append([name, count(info)] + [cell(m, info["aggregate"].get(m)) for m in metrics]
                    + [wins, p_value(vs["p"]) if vs else "-"])
    return header, rows


def sweep_table(summary: dict) -> tuple[list[str], list[list[str]]]:
    """One row per setting, best first, for the model chosen on; validation metrics only."""
    model, metric = summary["model"], summary["metric"]
    points = sorted(summary["points"], key=lambda p: p["rank"])
    metrics = [metric] + [m for m in shown_metrics({model: points[0]["models"][model]},
                                                   held_out=False) if m != metric]
    header = ["rank", *summary["keys"], "seeds"] + [label(m) for m in metrics]
    rows = []
    chosen = summary.get("chosen", {}).get("index")
    for p in points:
        info = p["models"][model]
        rank = f"{p['rank']}" + (" *" if p["index"] == chosen else "")
        rows.append([rank, *(p["label"][k] for k in summary["keys"]), count(info)]
                    + [cell(m, info["aggregate"].get(m), ci=i == 0)
                       for i, m in enumerate(metrics)])
    return header, rows


def chosen_lines(summary: dict) -> list[str]:
    """The chosen setting and, for it alone, the held-out splits."""
    c = summary.get("chosen")
    if not c:
        return ["no setting finished a seed: nothing chosen"] if summary.get("points") else []
    setting = ", ".join(f"{k}={v}" for k, v in c["label"].items())
    lines = [f"chosen on {label(c['metric'])} ({c['model']}): {setting}: "
             f"{cell(c['metric'], c['validation'])}"]
    if "held_out" in c:
        held = "; ".join(f"{label(k)} {cell(k, v)}" for k, v in c["held_out"].items()
                         if not k.endswith(".loss") or k.replace(".loss", ".mse")
                         not in c["held_out"])
        lines.append(f"held-out, chosen setting only ({c['held_out_n']} seeds): {held}")
        if not c.get("validation_reproduced", True):
            lines.append("warning: a rerun did not reproduce its trial's validation number")
    return lines


def failures(summary: dict) -> list[str]:
    return [f"trial {tid} failed: {err}" for tid, err in summary["trials"]["failed"].items()]


def table(summary: dict):
    return seeds_table(summary) if summary["kind"] == "seeds" else sweep_table(summary)


def title(summary: dict) -> str:
    seeds = summary["seeds"]
    span = (f"seeds {seeds[0]}-{seeds[-1]}" if seeds == list(range(seeds[0], seeds[-1] + 1))
            and len(seeds) > 2 else "seeds " + ",".join(map(str, seeds)))
    what = "sweep" if summary["kind"] == "sweep" else "over seeds"
    return f"{summary['experiment']} {what} ({span}, n={len(seeds)})"


def caption(summary: dict) -> str:
    if summary["kind"] == "seeds":
        return ("mean ± sd [95% CI of the mean] over the seeds that finished; wins: seeds "
                "better than the baseline; p: paired t-test")
    return (f"{summary['model']}, validation only: mean ± sd over seeds, [95% CI] for the "
            f"metric chosen on; * chosen")


def rich(summary: dict):
    from rich.table import Table

    header, rows = table(summary)
    t = Table(title=title(summary), caption=caption(summary))
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i == 0 else "right")
    for r in rows:
        t.add_row(*r)
    return t


def markdown(summary: dict, figures: list[Path], folder: Path) -> str:
    parts = [f"# {title(summary)}", ""]
    if summary.get("interrupted"):
        parts += ["Interrupted: the tables hold the trials that finished.", ""]
    parts += [md_table(*table(summary)), "", caption(summary) + ".", ""]
    notes = chosen_lines(summary) if summary["kind"] == "sweep" else []
    if summary["kind"] == "seeds":
        notes.append(f"Mean ± sample sd over the seeds that finished, 95% CI of the mean "
                     f"from the t distribution; paired comparison on {label(summary['metric'])}"
                     f" against {summary['baseline']} (same seed, same split): seeds won and "
                     "the paired t-test's two-sided p. Diverged seeds are counted, not "
                     "averaged.")
    notes += failures(summary)
    parts += [f"- {n}" for n in notes] + [""] if notes else []
    parts += [f"![{f.stem}]({f.relative_to(folder).as_posix()})" for f in figures]
    return "\n".join(parts).rstrip() + "\n"

"""Figures of a seeds run or a sweep (matplotlib, Agg backend, imported lazily).

- seeds.png: every seed's value of the chosen metric per model, with the mean and its 95% CI.
- curves.png: each model's mean learning curve over seeds with a band of ± one sd.
- sweep.png: the metric against each swept key's values, mean with 95% CI error bars (one
  line per value of the other key when two are swept).
- heatmap.png: two keys swept: the mean metric on the grid, the chosen setting outlined.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from mlplab.report.mpl import plt_module, save
from mlplab.runfolder import stem
from mlplab.sweep.report import label
from mlplab.train.history import History


def draw(folder: Path, plan, summary: dict) -> list[Path]:
    """Every figure the summary supports; returns their paths."""
    out = []
    plots = folder / "plots"
    if summary["kind"] == "seeds":
        if any(info["n"] for info in summary["models"].values()):
            out.append(seed_points(summary, plots / "seeds.png"))
        runs = {str(s): folder / "trials" / plan.trial_id(0, s) for s in plan.seeds}
        finished = {m: [runs[s] for s, e in info["seeds"].items() if e["status"] == "ok"]
                    for m, info in summary["models"].items()}
        path = mean_curves(finished, plots / "curves.png")
        if path:
            out.append(path)
    elif any(p["models"][summary["model"]]["n"] for p in summary["points"]):
        out.append(metric_vs_values(summary, plots / "sweep.png"))
        if len(summary["keys"]) == 2:
            out.append(heatmap(summary, plots / "heatmap.png"))
    return out


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


def seed_points(summary: dict, path: Path) -> Path:
    plt = plt_module()
    metric = summary["metric"]
    models = summary["models"]
    fig, ax = plt.subplots(figsize=(1.6 + 1.4 * len(models), 4))
    for i, info in enumerate(models.values()):
        vals = [e.get(metric) for e in info["seeds"].values() if e["status"] == "ok"]
        vals = [v for v in vals if _finite(v)]
        jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
        ax.scatter(i + jitter, vals, s=14, alpha=0.6, color=f"C{i}")
        s = info["aggregate"].get(metric, {})
        if s.get("n", 0) >= 2:
            lo, hi = s["ci"]
            ax.errorbar([i + 0.3], [s["mean"]], yerr=[[s["mean"] - lo], [hi - s["mean"]]],
                        fmt="o", color="black", capsize=4)
    ax.set_xticks(range(len(models)), list(models), rotation=20 if len(models) > 4 else 0)
    ax.set_ylabel(label(metric))
    ax.set_title(f"{summary['experiment']}: {label(metric)} per seed, mean and 95% CI",
                 fontsize=10)
    ax.grid(alpha=0.3, axis="y")
    return save(fig, path)


def mean_curves(finished: dict[str, list[Path]], path: Path) -> Path | None:
    """Loss per epoch of each model, mean over the seeds that finished (``finished``: model
    -> their run folders), band ± one sd. Seeds that stopped early contribute to the
    epochs they ran."""
    curves: dict[str, dict[str, list[np.ndarray]]] = {}
    for m, runs in finished.items():
        for run in runs:
            f = run / "history" / f"{stem(m)}.json"
            if not f.is_file():
                continue
            h = History.from_json(f)    # the runner's own record, unrounded
            for col in h.columns:
                v = np.array(h.column(col), dtype=float)
                if col.endswith("_loss") and np.all(np.isfinite(v)):
                    curves.setdefault(col, {}).setdefault(m, []).append(v)
    if not curves:
        return None
    plt = plt_module()
    cols = sorted(curves, key=lambda c: (c != "train_loss", c))
    fig, axes = plt.subplots(1, len(cols), figsize=(5.5 * len(cols), 4), squeeze=False)
    for ax, col in zip(axes[0], cols):
        positive = True
        for i, (m, seqs) in enumerate(curves[col].items()):
            n = max(len(s) for s in seqs)
            arr = np.full((len(seqs), n), np.nan)
            for j, s in enumerate(seqs):
                arr[j, :len(s)] = s
            mean = np.nanmean(arr, axis=0)
            sd = np.nanstd(arr, axis=0, ddof=1) if len(seqs) > 1 else np.zeros(n)
            ep = np.arange(1, n + 1)
            ax.plot(ep, mean, color=f"C{i}", label=f"{m} (n={len(seqs)})")
            ax.fill_between(ep, mean - sd, mean + sd, color=f"C{i}", alpha=0.2, linewidth=0)
            positive &= bool(np.all(mean - sd > 0))
        if positive:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(col.replace("_", " "))
        ax.set_title(f"{col.replace('_', ' ')}: mean over seeds, band ± 1 sd", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return save(fig, path)


def _mean_ci(point: dict, model: str, metric: str):
    s = point["models"][model]["aggregate"].get(metric, {})
    mean = s.get("mean", math.nan)
    if not _finite(mean):
        return math.nan, 0.0, 0.0
    if s.get("n", 0) < 2:
        return mean, 0.0, 0.0
    return mean, mean - s["ci"][0], s["ci"][1] - mean


def metric_vs_values(summary: dict, path: Path) -> Path:
    """One panel per key: x = the key's values (in the order given, evenly spaced and
    labelled as typed), y = the metric's mean with its 95% CI."""
    plt = plt_module()
    keys, model, metric = summary["keys"], summary["model"], summary["metric"]
    points = summary["points"]
    values = {k: list(dict.fromkeys(p["label"][k] for p in points)) for k in keys}
    fig, axes = plt.subplots(1, len(keys), figsize=(5.5 * len(keys), 4), squeeze=False)
    chosen = summary.get("chosen", {}).get("index")
    for ax, k in zip(axes[0], keys):
        others = [o for o in keys if o != k]
        groups: dict[tuple, list] = {}
        for p in points:
            groups.setdefault(tuple(p["label"][o] for o in others), []).append(p)
        n = len(groups)
        for gi, (g, pts) in enumerate(groups.items()):
            pts = sorted(pts, key=lambda p: values[k].index(p["label"][k]))
            x = np.array([values[k].index(p["label"][k]) for p in pts], float)
            x += (gi - (n - 1) / 2) * 0.06   # side by side, not on top of each other
            stats = [_mean_ci(p, model, metric) for p in pts]
            y = [s[0] for s in stats]
            err = [[s[1] for s in stats], [s[2] for s in stats]]
            name = ", ".join(f"{o}={v}" for o, v in zip(others, g)) or model
            ax.errorbar(x, y, yerr=err, fmt="-o", capsize=4, color=f"C{gi % 10}",
                        label=name if len(others) <= 1 else None)
            for xi, p in zip(x, pts):
                if p["index"] == chosen:
                    ax.scatter([xi], [_mean_ci(p, model, metric)[0]], s=180,
                               facecolors="none", edgecolors="black", zorder=5)
        ax.set_xticks(range(len(values[k])), values[k],
                      rotation=20 if max(len(v) for v in values[k]) > 8 else 0)
        ax.set_xlabel(k)
        ax.set_ylabel(f"{label(metric)} ({model})")
        ax.grid(alpha=0.3)
        if others and len(others) == 1:
            ax.legend(fontsize=8)
    fig.suptitle(f"{summary['experiment']}: {label(metric)} of {model}, mean and 95% CI over "
                 f"{len(summary['seeds'])} seeds (circled: chosen)", fontsize=10)
    return save(fig, path)


def heatmap(summary: dict, path: Path) -> Path:
    plt = plt_module()
    (k1, k2), model, metric = summary["keys"], summary["model"], summary["metric"]
    points = summary["points"]
    rows = list(dict.fromkeys(p["label"][k1] for p in points))
    cols = list(dict.fromkeys(p["label"][k2] for p in points))
    grid = np.full((len(rows), len(cols)), np.nan)
    half = np.zeros_like(grid)
    where = {}
    for p in points:
        i, j = rows.index(p["label"][k1]), cols.index(p["label"][k2])
        mean, lo, hi = _mean_ci(p, model, metric)
        grid[i, j], half[i, j] = mean, (lo + hi) / 2
        where[p["index"]] = (i, j)
    lower = not metric.endswith((".accuracy", ".r2"))
    fig, ax = plt.subplots(figsize=(1.6 + 1.5 * len(cols), 1.2 + 0.8 * len(rows)))
    im = ax.imshow(grid, cmap="viridis_r" if lower else "viridis", aspect="auto")
    fig.colorbar(im, ax=ax, label=f"{label(metric)} ({model})")
    finite = grid[np.isfinite(grid)]
    mid = (finite.min() + finite.max()) / 2 if finite.size else 0
    for i in range(len(rows)):
        for j in range(len(cols)):
            if np.isfinite(grid[i, j]):
                txt = f"{grid[i, j]:.3g}\n±{half[i, j]:.2g}"
                dark = (grid[i, j] > mid) == lower
                ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
            else:
                ax.text(j, i, "no seed\nfinished", ha="center", va="center", fontsize=7)
    chosen = summary.get("chosen", {}).get("index")
    if chosen in where:
        i, j = where[chosen]
        ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, edgecolor="red",
                                   linewidth=2.5))
    ax.set_xticks(range(len(cols)), cols, rotation=20 if max(map(len, cols)) > 8 else 0)
    ax.set_yticks(range(len(rows)), rows)
    ax.set_xlabel(k2)
    ax.set_ylabel(k1)
    ax.set_title(f"{summary['experiment']}: mean {label(metric)} ± 95% CI half-width over "
                 f"{len(summary['seeds'])} seeds (red: chosen)", fontsize=10)
    return save(fig, path)

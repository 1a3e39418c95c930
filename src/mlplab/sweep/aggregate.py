"""From the trials' metrics.json files to per-seed tables, aggregates over seeds, the paired
comparison with the baseline, and the sweep's honest choice.

A trial's model ends in one of: "ok" (finished; early stopping included), "diverged" (in
the run's metrics.json), "failed" (the trial raised) or "missing" (not run: interrupted).
Only "ok" seeds are averaged; the others are counted.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from mlplab.sweep.stats import lower_is_better, paired, summarize

_NOT_SPLITS = {"best"}


def seed_entry(info: dict) -> dict:
    """One model's metrics.json entry -> {"status", "split.metric": value, ...}."""
    out = {"status": "ok" if info.get("status") == "ok" else info.get("status", "failed")}
    if out["status"] == "ok":
        for split, values in info.items():
            if isinstance(values, dict) and split not in _NOT_SPLITS:
                for k, v in values.items():
                    if isinstance(v, int | float) and not isinstance(v, bool):
                        out[f"{split}.{k}"] = float(v)
    if "outcome" in info:
        out["outcome"] = info["outcome"]
    return out


def read_run(run_dir: Path) -> dict | None:
    """model -> seed entry of one finished run folder; None when it has no metrics.json."""
    f = Path(run_dir) / "metrics.json"
    if not f.is_file():
        return None
    return {name: seed_entry(info) for name, info in json.loads(f.read_text())["models"].items()}


def by_model(runs: dict, models: list[str], failed: dict | None = None) -> dict:
    """``runs``: seed -> (model -> entry) or None -> model -> seed -> entry; a trial with
    no result is "failed" when ``failed`` (seed -> error) names it, else "missing"."""
    failed = failed or {}
    out = {m: {} for m in models}
    for seed, run in runs.items():
        for m in models:
            if run is not None and m in run:
                out[m][seed] = run[m]
            else:
                entry = {"status": "failed" if seed in failed else "missing"}
                if seed in failed:
                    entry["error"] = failed[seed]
                out[m][seed] = entry
    return out


def metric_names(per_seed: dict) -> list[str]:
    """Every "split.metric" any seed of any model has, splits in first-seen order."""
    names: list[str] = []
    for seeds in per_seed.values():
        for e in seeds.values():
            for k in e:
                if "." in k and k not in names:
                    names.append(k)
    return names


def default_metric(per_seed: dict) -> str:
    """The validation split's accuracy (classification) or MSE (regression); without a
    validation split the first evaluated split's, else the training split's; "loss" when
    neither metric is there."""
    names = metric_names(per_seed)
    splits = list(dict.fromkeys(n.split(".", 1)[0] for n in names))
    split = "val" if "val" in splits else next((s for s in splits if s != "train"), "train")
    for metric in ("accuracy", "mse", "loss"):
        if f"{split}.{metric}" in names:
            return f"{split}.{metric}"
    return names[0] if names else f"{split}.loss"


def _values(seeds: dict, metric: str) -> list:
    return [e.get(metric) if e["status"] == "ok" else None for e in seeds.values()]


def summarize_models(per_seed: dict, metric: str, baseline: str | None) -> dict:
    """model -> {"seeds", "n", "diverged", "failed", "missing", "aggregate": {metric:
    summary}, "vs_baseline"?}. ``per_seed``: model -> seed -> entry (same seeds for every
    model)."""
    names = metric_names(per_seed)
    out = {}
    for model, seeds in per_seed.items():
        statuses = [e["status"] for e in seeds.values()]
        info = {"seeds": {str(s): e for s, e in seeds.items()},
                "n": statuses.count("ok"), "diverged": statuses.count("diverged"),
                "failed": statuses.count("failed"), "missing": statuses.count("missing"),
                "aggregate": {k: summarize(_values(seeds, k)) for k in names}}
        if baseline and model != baseline and baseline in per_seed:
            info["vs_baseline"] = {"baseline": baseline, "metric": metric,
                                   **paired(_values(seeds, metric),
                                            _values(per_seed[baseline], metric),
                                            lower_is_better(metric))}
        out[model] = info
    return out


def rank(points: list[dict], model: str, metric: str) -> list[int]:
    """Indices of ``points`` (each with "models" from :func:`summarize_models`), best first:
    settings whose every seed finished come first, then by the mean of ``metric`` on the
    chosen model (a setting that diverged in some seeds never wins on the rest)."""
    sign = 1.0 if lower_is_better(metric) else -1.0

    def key(i):
        info = points[i]["models"].get(model)
        if info is None:
            return (math.inf, math.inf, i)
        mean = info["aggregate"].get(metric, {}).get("mean", math.nan)
        unfinished = len(info["seeds"]) - info["n"]
        return (unfinished, sign * mean if math.isfinite(mean) else math.inf, i)

    return sorted(range(len(points)), key=key)


def json_safe(obj):
    """NaN and infinities -> None, so metrics.json is strict JSON."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [json_safe(v) for v in obj]
    return obj

"""Which model of a run is the best: the rule the report and the figures share."""

from __future__ import annotations

import math

SELECT_SPLITS = ("val", "test", "train")   # the best model is chosen on the first present


def best_model(infos: dict, split: str, task: str) -> str | None:
    """The key of the best model on ``split``: highest accuracy, or lowest MSE; models that
    diverged or were interrupted are not candidates."""
    metric, sign = ("accuracy", 1) if task == "classification" else ("mse", -1)
    scored = [(sign * info[split][metric], k) for k, info in infos.items()
              if info.get("status", "ok") == "ok" and isinstance(info.get(split), dict)
              and _is_number(info[split].get(metric))]
    return max(scored, key=lambda t: t[0])[1] if scored else None


def _is_number(v) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)

"""Statistics over seeds: mean, standard deviation, the t distribution's 95% interval and a
paired t-test. Plain Python (math only): ``mlplab run --seeds`` needs no SciPy.

The t distribution's CDF is the regularized incomplete beta function,
``P(T <= t) = 1 - I_x(df/2, 1/2) / 2`` with ``x = df / (df + t^2)`` for ``t >= 0``,
evaluated by its continued fraction (Numerical Recipes, 3rd ed., 6.4); quantiles invert it by
bisection. Both agree with SciPy to 1e-12 (tests/sweep/test_stats.py).
"""

from __future__ import annotations

import math

NAN = float("nan")


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny, eps = 1e-300, 1e-16
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c, d = 1.0, 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 10_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < eps:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
                     + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` degrees of freedom."""
    if math.isnan(t):
        return NAN
    if math.isinf(t):
        return 1.0 if t > 0 else 0.0
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return 1.0 - tail if t >= 0 else tail


def t_ppf(p: float, df: float) -> float:
    """The quantile: the t with P(T <= t) = p, 0 < p < 1."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p must be in (0, 1), got {p}")
    if p < 0.5:
        return -t_ppf(1.0 - p, df)
    lo, hi = 0.0, 1.0
    while t_cdf(hi, df) < p:
        lo, hi = hi, hi * 2.0
    for _ in range(200):   # bisection to the last bit of a double
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if t_cdf(mid, df) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def summarize(values, level: float = 0.95) -> dict:
    """Mean, sample standard deviation (n - 1) and the t interval of the mean of the finite
    ``values``; ``None`` and NaN entries (diverged seeds) are counted in ``missing``, not
    averaged. ``sd`` and the interval are NaN for n < 2."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(xs)
    out = {"n": n, "missing": len(list(values)) - n, "mean": NAN, "sd": NAN,
           "ci": [NAN, NAN]}
    if n == 0:
        return out
    mean = math.fsum(xs) / n
    out["mean"] = mean
    if n >= 2:
        sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
        half = t_ppf(0.5 + level / 2.0, n - 1) * sd / math.sqrt(n)
        out.update(sd=sd, ci=[mean - half, mean + half])
    return out


def paired(model, baseline, lower_is_better: bool) -> dict:
    """Compare a model with the baseline seed by seed. ``model`` and ``baseline`` are lists
    of the same length (one entry per seed; ``None`` where that run diverged or failed).
    Only seeds where both have a number are paired: ``n`` of them, ``wins`` where the
    model is strictly better, ``mean_difference`` (model - baseline) and the two-sided
    paired t-test's ``p`` (NaN for n < 2)."""
    pairs = [(float(a), float(b)) for a, b in zip(model, baseline)
             if a is not None and b is not None and math.isfinite(float(a))
             and math.isfinite(float(b))]
    n = len(pairs)
    diffs = [a - b for a, b in pairs]
    wins = sum(1 for d in diffs if (d < 0 if lower_is_better else d > 0))
    out = {"n": n, "wins": wins, "fraction": wins / n if n else NAN,
           "mean_difference": math.fsum(diffs) / n if n else NAN, "t": NAN, "p": NAN}
    if n >= 2:
        mean = out["mean_difference"]
        sd = math.sqrt(math.fsum((d - mean) ** 2 for d in diffs) / (n - 1))
        if sd == 0:
            out["p"] = 1.0 if mean == 0 else 0.0
            out["t"] = 0.0 if mean == 0 else math.copysign(math.inf, mean)
        else:
            t = mean / (sd / math.sqrt(n))
            out["t"] = t
            out["p"] = min(1.0, 2.0 * t_cdf(-abs(t), n - 1))
    return out


# metrics where a larger value is better; every other one (loss, mse, mae) is lower-better
HIGHER_IS_BETTER = {"accuracy", "r2", "f1", "precision", "recall", "auc"}


def lower_is_better(metric: str) -> bool:
    """``"val.mse"`` -> True, ``"val.accuracy"`` -> False."""
    return metric.rsplit(".", 1)[-1] not in HIGHER_IS_BETTER

"""Aggregation over seeds against numbers worked out by hand."""

from __future__ import annotations

import math

import pytest

from mlplab.sweep import aggregate as A
from mlplab.sweep import stats as S

# t quantiles with closed forms: df=1 is Cauchy, df=2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2))


@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.995, 0.01])
def test_t_ppf_closed_forms(p):
    assert S.t_ppf(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-12)
    assert S.t_ppf(p, 2) == pytest.approx((2 * p - 1) / math.sqrt(2 * p * (1 - p)), rel=1e-12)


def test_t_cdf_closed_form_and_table():
    for t in (-5.0, -1.0, 0.0, 0.3, 2.0, 40.0):
        assert S.t_cdf(t, 2) == pytest.approx(0.5 + t / (2 * math.sqrt(2 + t * t)), abs=1e-14)
    # t(0.975) for 3, 9 and 19 degrees of freedom (SciPy 1.17: stats.t.ppf)
    assert S.t_ppf(0.975, 3) == pytest.approx(3.182446305283708, rel=1e-12)
    assert S.t_ppf(0.975, 9) == pytest.approx(2.262157162798205, rel=1e-12)
    assert S.t_ppf(0.975, 19) == pytest.approx(2.093024054408309, rel=1e-12)


def test_summarize_by_hand():
    s = S.summarize([1.0, 2.0, 3.0, 4.0, None, float("nan")])
    sd = math.sqrt(5 / 3)                      # deviations 1.5, 0.5, 0.5, 1.5 over n - 1 = 3
    half = 3.182446305283708 * sd / 2          # t(0.975, 3) * sd / sqrt(4)
    assert (s["n"], s["missing"], s["mean"]) == (4, 2, 2.5)
    assert s["sd"] == pytest.approx(sd, rel=1e-15)
    assert s["ci"] == pytest.approx([2.5 - half, 2.5 + half], rel=1e-12)
    one = S.summarize([7.0])
    assert one["mean"] == 7.0 and math.isnan(one["sd"]) and math.isnan(one["ci"][0])


def test_paired_by_hand():
    # differences -1, 0, -2: mean -1, sd 1, t = -sqrt(3) on 2 df; the 4th seed: model diverged
    r = S.paired([1.0, 2.0, 3.0, None], [2.0, 2.0, 5.0, 4.0], lower_is_better=True)
    assert (r["n"], r["wins"], r["mean_difference"]) == (3, 2, -1.0)
    assert r["t"] == pytest.approx(-math.sqrt(3), rel=1e-14)
    assert r["p"] == pytest.approx(2 * (0.5 - math.sqrt(3) / (2 * math.sqrt(5))), rel=1e-12)
    higher = S.paired([1.0, 2.0, 3.0], [2.0, 2.0, 5.0], lower_is_better=False)
    assert higher["wins"] == 0 and higher["p"] == r["p"]
    same = S.paired([1.0, 2.0], [1.0, 2.0], lower_is_better=True)
    assert (same["wins"], same["p"]) == (0, 1.0)


def _seed(status, mse=None):
    return {"status": status, **({"val.mse": mse, "val.r2": 1 - mse / 10} if mse else {})}


def test_summarize_models_counts_diverged_and_failed():
    per_seed = {
        "linear": {0: _seed("ok", 10.0), 1: _seed("ok", 11.0), 2: _seed("ok", 12.0),
                   3: _seed("failed")},
        "mlp": {0: _seed("ok", 6.0), 1: _seed("diverged"), 2: _seed("ok", 13.0),
                3: _seed("failed")},
    }
    out = A.summarize_models(per_seed, "val.mse", "linear")
    mlp = out["mlp"]
    assert (mlp["n"], mlp["diverged"], mlp["failed"]) == (2, 1, 1)
    assert mlp["aggregate"]["val.mse"]["mean"] == 9.5          # (6 + 13) / 2: no diverged seed
    assert mlp["aggregate"]["val.mse"]["missing"] == 2
    vs = mlp["vs_baseline"]
    assert (vs["n"], vs["wins"], vs["mean_difference"]) == (2, 1, -1.5)  # seeds 0 and 2
    assert "vs_baseline" not in out["linear"]
    assert A.default_metric(per_seed) == "val.mse"


def test_rank_never_picks_a_setting_that_diverged_on_some_seeds():
    def point(i, values):
        seeds = {s: _seed("ok", v) if v else _seed("diverged") for s, v in enumerate(values)}
        return {"index": i, "models": A.summarize_models({"mlp": seeds}, "val.mse", None)}

    points = [point(0, [5.0, 6.0]), point(1, [1.0, None]), point(2, [4.0, 4.5])]
    assert A.rank(points, "mlp", "val.mse") == [2, 0, 1]
    acc = [{"index": i, "models": A.summarize_models(
        {"m": {0: {"status": "ok", "val.accuracy": a}}}, "val.accuracy", None)}
        for i, a in enumerate([0.5, 0.9])]
    assert A.rank(acc, "m", "val.accuracy") == [1, 0]

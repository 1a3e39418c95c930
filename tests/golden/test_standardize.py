"""`mlplab explain --example standardize` (course unit 000): the CGPA/salary rows, the
statistics their standardised values imply, and the gradients before and after."""

from __future__ import annotations

import numpy as np
import pytest

from mlplab.explain.presets import CGPA_SALARY, CGPA_SALARY_Z, implied_scaling, standardize
from mlplab.explain.render import render


def test_the_slides_z_values_imply_one_mean_and_std_per_column():
    mean, std = implied_scaling(CGPA_SALARY, CGPA_SALARY_Z)
    # (3 - m) / s = -1.184341 and (4 - m) / s = 0.416120  ->  s = 1 / 1.600461
    assert std[0] == pytest.approx(1 / 1.600461) and mean[0] == pytest.approx(3.74, abs=1e-5)
    assert std[1] == pytest.approx(20 / 2.620712) and mean[1] == pytest.approx(48.4, abs=1e-5)
    np.testing.assert_allclose((CGPA_SALARY - mean) / std, CGPA_SALARY_Z, atol=1e-12)


def test_the_gradients_are_twice_the_error_times_each_feature():
    expl = standardize()
    for part, x in zip(expl.parts, (CGPA_SALARY[0], CGPA_SALARY_Z[0])):
        y_hat = 0.1 * x[0] + 0.1 * x[1] + 0.1          # every weight 0.1, target 0
        grad = next(u.grad for u in part.trace.steps[0].updates if u.key == "0.weight")
        np.testing.assert_allclose(grad[0], 2 * y_hat * x, rtol=1e-12)
    text = render(expl, "text")
    assert "         raw          38.4000           768.0000           20.00" in text
    assert "standardised          -0.3164             0.4060            1.28" in text

"""`mlplab plot optimizers`: the paths are mlplab.optim's own updates on the surface."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from mlplab.cli import app
from mlplab.optim import optimizer_choices
from mlplab.report.optimizer_paths import SURFACES, best_paths, descend


def test_sgd_takes_the_plain_gradient_step():
    s = SURFACES["valley"]
    path = descend(s, "sgd", 0.03, 5)
    p = np.array(s.start)
    for k in range(1, 6):
        p = p - 0.03 * s.grad(p)
        np.testing.assert_allclose(path[k], p, rtol=1e-12)


def test_the_gradients_are_the_surfaces_own():
    for s in SURFACES.values():
        p, eps = np.array([0.3, -0.7]), 1e-6
        num = [(s.f(p + e) - s.f(p - e)) / (2 * eps) for e in np.eye(2) * eps]
        np.testing.assert_allclose(s.grad(p), num, rtol=1e-6, atol=1e-6)


def test_every_optimizer_and_preset_is_drawn_and_none_climbs():
    s = SURFACES["rosenbrock"]
    paths = best_paths(s, 60)
    assert set(paths) == set(optimizer_choices()) >= {"sgd", "momentum", "nesterov", "adam"}
    for key, (_lr, pts, loss) in paths.items():
        assert len(pts) == 61 and s.f(pts).max() <= s.f(pts[0]), key
        assert loss < s.f(pts[0]), key   # every rule gets somewhere


def test_the_command_writes_the_png_and_refuses_a_bad_surface(tmp_path):
    runner = CliRunner()
    out = tmp_path / "opt.png"
    res = runner.invoke(app, ["plot", "optimizers", "-o", str(out), "--steps", "30"])
    assert res.exit_code == 0, res.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    res = runner.invoke(app, ["plot", "optimizers", "--surface", "saddle"])
    assert res.exit_code == 2 and "choose one of rosenbrock, valley" in res.output

"""The lesson experiments show their point in their own numbers (short runs)."""

from __future__ import annotations

from mlplab.experiments import load_experiment
from mlplab.experiments.config import with_overrides
from mlplab.experiments.runner import run


def first_epoch(result, name):
    return result.model(name).dynamics["epochs"][0]


def test_activations_depth_shows_the_sigmoid_nets_vanishing_gradient(tmp_path):
    exp = with_overrides(load_experiment("activations-depth"), epochs=1)
    result = run(exp, tmp_path, progress=False)
    assert {m.name for m in result.models} >= {"sigmoid", "tanh", "relu", "leakyrelu", "gelu",
                                               "relu-lr0.5"}
    sig = first_epoch(result, "sigmoid")["grad_norm"]
    tanh = first_epoch(result, "tanh")["grad_norm"]
    assert sig[0] < 1e-6 * sig[-1]          # about 7 orders of magnitude across 9 layers
    assert tanh[0] > 1e-2 * tanh[-1]        # tanh's derivative is 1 at 0: no such fall
    assert all(m.dynamics is not None for m in result.models)


def test_optimizers_trains_one_net_with_each_rule_and_draws_them_together(tmp_path):
    exp = with_overrides(load_experiment("optimizers"), epochs=2)
    assert len({m.spec for m in exp.models}) == 1 and len({m.epochs for m in exp.models}) == 1
    result = run(exp, tmp_path, progress=False)
    assert [m.name for m in result.models] == ["sgd", "momentum", "nesterov", "adagrad",
                                               "adadelta", "rmsprop", "adam"]
    assert all(m.status == "ok" for m in result.models)
    assert (result.path / "plots" / "curves_together.png").is_file()
    assert "of every model on one axis" in (result.path / "report.md").read_text()

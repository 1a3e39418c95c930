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


def test_linear_collapse_multiplies_the_deep_linear_net_into_one_map(tmp_path):
    import numpy as np

    from mlplab.report.figures import collapse_linear
    from mlplab.spec import ModelSpec

    exp = with_overrides(load_experiment("linear-collapse"), epochs=20)
    result = run(exp, tmp_path, progress=False)
    acc = {m.name: m.scores["train"]["accuracy"] for m in result.models}
    assert abs(acc["deep-linear"] - acc["softmax"]) < 0.05   # one linear map each
    assert (result.path / "plots" / "linear_collapse.png").is_file()
    text = (result.path / "report.md").read_text()
    assert "deep-linear's 4 Linear layers multiply into W = " in text
    # the collapse itself, on random weights: the product equals the net's forward pass
    spec = ModelSpec.parse("3-5-4-2")
    net = spec.build(seed=1, dtype=np.float64)
    W, b = collapse_linear(spec, net.state_dict())
    x = np.random.default_rng(0).normal(size=(7, 3))
    np.testing.assert_allclose(x @ W.T + b, net(x), rtol=1e-12)
    assert collapse_linear(ModelSpec.parse("3-5-relu-2"), {}) is None


def test_normalization_shows_the_raw_features_first_gradients(tmp_path):
    exp = with_overrides(load_experiment("normalization"), epochs=2)
    result = run(exp, tmp_path, progress=False)
    first = {m.name: first_epoch(result, m.name)["first_grad_norm"][0] for m in result.models}
    assert first["linear-raw"] > 1e4 * first["linear-standardized"]
    assert first["mlp-raw"] > 100 * first["mlp-standardized"]
    assert result.model("linear-raw").status == "diverged"   # lr 0.1 on raw features
    assert result.model("linear-raw").dynamics["epochs"][0]["batches"] >= 1


def test_uat_compares_depth_with_width_at_the_same_parameter_count(tmp_path):
    from mlplab.experiments.config import from_dict
    from mlplab.modern.uat import deep_width
    from mlplab.spec import ModelSpec

    assert deep_width(2, 97) == 8 and deep_width(3, 97) == 6
    assert ModelSpec.parse("1-8-tanh-8-tanh-1").num_parameters() == 97
    exp = from_dict({"name": "uat-depth", "description": "uat, depth against width",
                     "kind": "demos", "demos": [{"name": "uat", "widths": [2, 8], "epochs": 3,
                                                 "n_train": 16, "batch_size": 16,
                                                 "budget_widths": [32]}]}, "test")
    result = run(exp, tmp_path, progress=False)
    metrics = result.extra["demos"]["uat"]["metrics"]
    assert [p for p, _ in metrics["deep"]["2"]] == [97]
    assert [p for p, _ in metrics["deep"]["3"]] == [103]

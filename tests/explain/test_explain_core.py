"""The trace against the engine's own backward and against central finite differences."""

import copy
import json

import numpy as np
import pytest

from mlplab import kinds
from mlplab.explain.core import (
    MAX_PARAMETERS,
    ExplainError,
    build_model,
    default_loss,
    explain_network,
    layers_of,
    parse_x,
    parse_y,
    trace,
)
from mlplab.explain.render import fmt
from mlplab.spec import ModelSpec

CASES = [  # spec, loss, x, y
    ("3-4-tanh-2", "cross_entropy", [[0.3, -1.2, 0.8], [1.1, 0.4, -0.5]], np.array([1, 0])),
    ("2-3-sigmoid-1-sigmoid", "bce", [[0.5, -0.7], [1.5, 0.2]], np.array([[1.0], [0.0]])),
    ("2-3-relu-2", "mse", [[0.9, -0.4], [0.3, 1.7], [-1.0, 0.6]],
     np.array([[0.5, -1.0], [2.0, 0.0], [0.1, 0.3]])),
    ("3-2-gelu-1", "bce_logits", [[0.2, 0.1, -0.3]], np.array([[1.0]])),
]


def _loss_value(model, loss, x, y):
    return float(kinds.get_loss(loss)(model.forward(x), y))


@pytest.mark.parametrize("spec, loss, x, y", CASES)
def test_every_gradient_is_the_engines_and_matches_finite_differences(spec, loss, x, y):
    x = np.array(x)
    model = ModelSpec.parse(spec).build(seed=3, dtype=np.float64)
    fresh = copy.deepcopy(model)
    tr = trace(model, x, y, loss=loss, lr=0.1)
    st = tr.steps[0]

    # The engine's own path: Sequential.forward, the loss, Sequential.backward.
    loss_fn = kinds.get_loss(loss)
    value = loss_fn(fresh.forward(x), y)
    dx = fresh.backward(loss_fn.backward())
    assert st.loss.value == pytest.approx(float(value), rel=1e-12)
    np.testing.assert_allclose(st.layers[0].dL_da_prev, dx, rtol=1e-12, atol=1e-15)
    params = dict(fresh.named_parameters())
    for lay, ls in zip(tr.layers, st.layers, strict=True):
        np.testing.assert_allclose(ls.dW, params[f"{lay.key}.weight"].grad, rtol=1e-12)
        np.testing.assert_allclose(ls.db, params[f"{lay.key}.bias"].grad, rtol=1e-12)

    # Central finite differences of the loss, parameter by parameter (float64).
    probe = copy.deepcopy(fresh)
    eps = 1e-6
    for lay, ls in zip(tr.layers, st.layers, strict=True):
        for kind, analytic in (("weight", ls.dW), ("bias", ls.db)):
            p = dict(probe.named_parameters())[f"{lay.key}.{kind}"].data
            numeric = np.zeros_like(p)
            for idx in np.ndindex(p.shape):
                old = p[idx]
                p[idx] = old + eps
                up = _loss_value(probe, loss, x, y)
                p[idx] = old - eps
                down = _loss_value(probe, loss, x, y)
                p[idx] = old
                numeric[idx] = (up - down) / (2 * eps)
            np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-8)

    # The chain as printed: delta = dL/da (.) da/dz, and dL/da^[l] = dL/da^[l-1] of layer l+1.
    for ls in st.layers:
        np.testing.assert_allclose(ls.dL_dz, ls.dL_da * ls.da_dz, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ls.dW, ls.dL_dz.T @ ls.a_prev, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ls.db, ls.dL_dz.sum(axis=0), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(ls.dL_da_prev, ls.dL_dz @ ls.weight, rtol=1e-12,
                                   atol=1e-15)
    for below, above in zip(st.layers, st.layers[1:]):
        np.testing.assert_array_equal(below.dL_da, above.dL_da_prev)
    np.testing.assert_array_equal(st.layers[-1].dL_da, st.loss.grad)

    # The update is SGD's: new = old - lr * grad.
    for u in st.updates:
        np.testing.assert_allclose(u.new, u.old - 0.1 * u.grad, rtol=1e-12, atol=1e-15)


def test_activation_derivative_comes_from_the_module():
    x = np.array([[0.3, -1.2, 0.8]])
    tr = trace(ModelSpec.parse("3-4-tanh-2").build(seed=1, dtype=np.float64), x,
               np.array([0]), loss="cross_entropy")
    ls = tr.steps[0].layers[0]
    np.testing.assert_allclose(ls.da_dz, 1 - np.tanh(ls.z) ** 2, rtol=1e-12)


def test_steps_chain_and_the_loss_falls_for_a_small_lr():
    model = ModelSpec.parse("3-4-tanh-2").build(seed=0, dtype=np.float64)
    x = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.5]])
    tr = trace(model, x, np.array([1, 0]), loss="cross_entropy", lr=0.05, steps=5)
    losses = tr.losses + [tr.final_loss]
    assert len(tr.steps) == 5
    assert all(b < a for a, b in zip(losses, losses[1:]))
    for prev, nxt in zip(tr.steps, tr.steps[1:]):
        for u, ls in zip(prev.updates[::2], nxt.layers, strict=True):
            np.testing.assert_array_equal(u.new, ls.weight)


def test_large_network_is_refused():
    with pytest.raises(ExplainError, match=r"4-64-relu-3 has 515 parameters.*at most 300.*"
                                           r"mlplab summary 4-64-relu-3"):
        build_model("4-64-relu-3")
    assert build_model("4-16-relu-3").num_parameters() == 131 <= MAX_PARAMETERS


@pytest.mark.parametrize("spec, match", [
    ("3-4-softmax", "not Softmax"),
    ("3-4-relu-dropout:0.5-2", "not Dropout"),
    ("3-4-layernorm-2", "not LayerNorm"),
    ("3-relu-2", "does not follow a Linear"),
    ("2x2-flatten-3", "flat inputs"),
    ("3-4-banana", "unknown layer"),
])
def test_what_explain_cannot_write_out_is_refused(spec, match):
    with pytest.raises(ExplainError, match=match):
        build_model(spec)


def test_default_loss_follows_the_output_layer():
    def loss_of(spec):
        return default_loss(layers_of(ModelSpec.parse(spec).build(0)))
    assert loss_of("2-2-relu-1-sigmoid") == "bce"
    assert loss_of("2-2-relu-1") == "mse"
    assert loss_of("2-2-relu-3") == "cross_entropy"


def test_parse_x_and_y():
    np.testing.assert_array_equal(parse_x("1.5,0.2; 4.7,1.6", 2, "2-3"), [[1.5, 0.2],
                                                                         [4.7, 1.6]])
    np.testing.assert_array_equal(parse_y("0;1;2", "cross_entropy", 3, 3), [0, 1, 2])
    np.testing.assert_array_equal(parse_y("0,1,1", "bce", 3, 1), [[0], [1], [1]])
    np.testing.assert_array_equal(parse_y("0.5,2;1,1", "mse", 2, 2), [[0.5, 2], [1, 1]])
    for text, loss, n, out, match in [
        ("3", "cross_entropy", 1, 3, "from 0 to 2"),
        ("0.5", "cross_entropy", 1, 3, "integers"),
        ("0;1", "cross_entropy", 1, 3, "one class index per sample"),
        ("2", "bce", 1, 1, "must be 0 or 1"),
        ("1,2", "mse", 1, 1, "expected 1 sample"),
        ("x", "mse", 1, 1, "not a number"),
    ]:
        with pytest.raises(ExplainError, match=match):
            parse_y(text, loss, n, out)
    for text, match in [("1,a", "'a' is not a number"), ("1,2;", "sample 2 is empty"),
                        ("1,nan", "finite"), ("1,2,3", "has 3 feature")]:
        with pytest.raises(ExplainError, match=match):
            parse_x(text, 2, "2-3")
    with pytest.raises(ExplainError, match="at most 16"):
        parse_x(";".join(["1,2"] * 17), 2, "2-3")


def test_weights_file_and_constant_weights(tmp_path):
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"0.weight": [[0.1, 0.1], [0.1, 0.1]], "0.bias": [0.1, 0.1],
                                "2.weight": [[0.1, 0.1]], "2.bias": [0.1]}))
    from_file = explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights_file=path)
    constant = explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights=0.1)
    for expl in (from_file, constant):
        s = expl.parts[0].trace.steps[0]
        assert expl.parts[0].trace.loss_name == "bce"
        assert s.loss.value == pytest.approx(0.7872, abs=5e-5)
    path.write_text(json.dumps({"0.weight": [[0.1, 0.1]], "0.bias": [0.1, 0.1],
                                "2.weight": [[0.1, 0.1]], "2.bias": [0.1]}))
    with pytest.raises(ExplainError, match=r"'0.weight'\] has shape \(1, 2\)"):
        explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights_file=path)
    path.write_text(json.dumps({"0.weight": [[0.1, 0.1], [0.1, 0.1]]}))
    with pytest.raises(ExplainError, match="missing keys"):
        explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights_file=path)
    path.write_text("{not json")
    with pytest.raises(ExplainError, match="not valid JSON"):
        explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights_file=path)
    with pytest.raises(ExplainError, match="No such file"):
        explain_network("2-2-relu-1-sigmoid", "1,2", "0", weights_file=tmp_path / "none.json")


def test_default_init_is_seeded():
    a = explain_network("2-3-relu-1", "1,2", "0.5", seed=4).parts[0].trace
    b = explain_network("2-3-relu-1", "1,2", "0.5", seed=4).parts[0].trace
    c = explain_network("2-3-relu-1", "1,2", "0.5", seed=5).parts[0].trace
    assert a.losses == b.losses != c.losses


def test_bce_needs_probabilities():
    with pytest.raises(ExplainError, match="probabilities in"):
        explain_network("2-1", "1,2", "0", loss="bce", weights=1.0)


def test_step_network_from_a_spec_stops_at_the_step():
    tr = explain_network("2-2-step-1-sigmoid", "1,2", "1", weights=0.1, steps=3).parts[0].trace
    assert len(tr.steps) == 1 and not tr.trainable and tr.steps[0].refused_layer == 1
    assert tr.steps[0].layers[1].dW is not None  # the output layer's gradient was reached
    assert tr.steps[0].updates == []


@pytest.mark.parametrize("value, precision, text", [
    (0.1, 4, "0.1"), (0.4000000000000001, 4, "0.4"), (0.24798, 4, "0.2480"), (2.0, 4, "2.0"),
    (-0.0000001, 4, "0.0000"), (0.0, 4, "0.0"), (3, 4, "3"), (1.23456, 2, "1.23"),
    (-2.4, 0, "-2"),
])
def test_number_format(value, precision, text):
    assert fmt(value, precision) == text

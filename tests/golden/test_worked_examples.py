"""SPEC.md section 2: the course's hand-worked numbers, reproduced by the engine.

Expected values are the mathematically correct ones (the errata table), to the precision the
slides print them.
"""

import numpy as np
import pytest

from mlplab import nn
from mlplab.optim import SGD
from mlplab.spec import ModelSpec

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core


def _set(linear: nn.Linear, weight, bias):
    linear.weight.data[...] = np.asarray(weight, dtype=linear.weight.dtype)
    linear.bias.data[...] = np.asarray(bias, dtype=linear.bias.dtype)


@pytest.mark.parametrize("lr, expected", [
    (0.01, [[0.10537, 0.19463], [0.30269, 0.39731]]),
    (0.1, [[0.15374, 0.14626], [0.32687, 0.37313]]),
])
def test_softmax_regression_one_sgd_step(lr, expected):
    # theta = [[b0, b1], [w0, w1]]; x = [1, 0.5] with 1 the bias input, so z_k = b_k + w_k * 0.5.
    lin = nn.Linear(1, 2, dtype=np.float64)
    _set(lin, [[0.3], [0.4]], [0.1, 0.2])
    loss_fn = nn.CrossEntropyLoss()
    opt = SGD(lin.parameters(), lr=lr)
    opt.zero_grad()
    loss_fn(lin(np.array([[0.5]])), np.array([0]))
    lin.backward(loss_fn.backward())
    opt.step()
    theta = np.array([lin.bias.data, lin.weight.data[:, 0]])
    np.testing.assert_allclose(theta, expected, atol=5e-6)


def test_activations_on_018():
    z = np.array([0.18, -0.18])
    np.testing.assert_allclose(nn.Sigmoid()(z), [0.5449, 0.4551], atol=5e-5)
    np.testing.assert_allclose(nn.ReLU()(z), [0.18, 0.0])
    np.testing.assert_allclose(nn.Tanh()(z), [0.1781, -0.1781], atol=5e-5)


def test_two_layer_forward_all_weights_01():
    net = nn.constant_all_(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 1)), 0.1).double()
    x = np.array([[1.0, 2.0]])
    hidden = net[0](x)
    np.testing.assert_allclose(hidden, [[0.4, 0.4]])
    np.testing.assert_allclose(net[1](hidden), [[0.18]])


def test_bce_step_of_the_2_2_1_network():
    net = nn.constant_all_(ModelSpec.parse("2-2-relu-1-sigmoid").build(dtype=np.float64), 0.1)
    loss_fn = nn.BCELoss()
    opt = SGD(net.parameters(), lr=0.1)
    pred = net(np.array([[1.0, 2.0]]))
    loss = loss_fn(pred, np.array([[0.0]]))
    assert pred[0, 0] == pytest.approx(0.5449, abs=5e-5)
    assert loss == pytest.approx(0.7872, abs=5e-5)
    net.backward(loss_fn.backward())
    opt.step()
    np.testing.assert_allclose(net[0].weight.data, [[0.0946, 0.0891], [0.0946, 0.0891]],
                               atol=5e-5)
    np.testing.assert_allclose(net[0].bias.data, [0.0946, 0.0946], atol=5e-5)
    np.testing.assert_allclose(net[2].weight.data, [[0.0782, 0.0782]], atol=5e-5)
    np.testing.assert_allclose(net[2].bias.data, [0.0455], atol=5e-5)


def test_cross_entropy_of_two_logits():
    assert nn.CrossEntropyLoss()(np.array([[0.0580, 0.4275]]), np.array([0])) == pytest.approx(
        0.8949, abs=5e-5)


@pytest.mark.parametrize("model, expected", [
    (nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2), nn.Sigmoid()), 12),
    (nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid()), 9),
    (ModelSpec.parse("4-8-relu-3").build(0), 67),
    (ModelSpec.parse("4-3-relu-3").build(0), 27),
    (ModelSpec.parse("4-3-relu-2-relu-3").build(0), 32),
    (ModelSpec.parse("784-256-relu-10").build(0), 203_530),
])
def test_parameter_counts(model, expected):
    assert nn.summary(model, model[0].in_features).total_params == expected


def test_petal_example_correct_values():
    X = np.array([[1.5, 0.2], [4.7, 1.6], [5.6, 2.2]])
    y = np.array([0, 1, 2])
    net = ModelSpec.parse("2-2-relu-3").build(dtype=np.float64)
    hidden_w = np.array([[0, 0], [0.86, -1.04], [0.41, -0.65]])  # bias row first, then (in, out)
    out_w = np.array([[0, 0, 0], [0.32, 0.25, 0.14], [-0.47, -1.06, 0.063]])
    _set(net[0], hidden_w[1:].T, hidden_w[0])
    _set(net[2], out_w[1:].T, out_w[0])
    z1 = net[0](X)
    np.testing.assert_allclose(z1, [[1.372, -1.69], [4.698, -5.928], [5.718, -7.254]], atol=5e-4)
    logits = net(X)
    np.testing.assert_allclose(logits[0], [0.439, 0.343, 0.192], atol=5e-4)
    assert nn.CrossEntropyLoss()(logits, y) == pytest.approx(1.2731, abs=5e-5)


def test_sigmoid_network_of_seed_003():
    unit = nn.Sequential(nn.Linear(3, 1, dtype=np.float64), nn.Sigmoid())
    _set(unit[0], [[0.5, -0.3, 0.1]], [0.0])
    assert unit(np.array([[7.0, 8.0, 8.0]]))[0, 0] == pytest.approx(0.870, abs=5e-4)
    out = nn.Sequential(nn.Linear(4, 1, dtype=np.float64), nn.Sigmoid())
    _set(out[0], [[0.7, -0.4, 0.2, 0.3]], [0.0])
    pred = out(np.array([[0.87, 0.68, 0.95, 0.59]]))
    assert pred[0, 0] == pytest.approx(0.669, abs=5e-4)
    # the slide's -ln(0.67) = 0.44 is a slip; the loss is 0.402
    assert nn.BCELoss()(pred, np.array([[1.0]])) == pytest.approx(0.402, abs=5e-4)


def test_xor_threshold_network_truth_table():
    net = nn.Sequential(nn.Linear(2, 2), nn.Step(), nn.Linear(2, 1), nn.Step())
    _set(net[0], [[1, 1], [1, 1]], [-1.5, -0.5])  # h1 = AND, h2 = OR
    _set(net[2], [[-1, 1]], [-0.5])               # y = OR and not AND
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    np.testing.assert_array_equal(net(X)[:, 0], [0, 1, 1, 0])
    with pytest.raises(RuntimeError, match="step function has zero gradient"):
        net.backward(np.ones((4, 1), dtype=np.float32))


def _train_logistic(X, y, epochs=2000):
    lin = nn.Linear(X.shape[1], 1, rng=np.random.default_rng(0), dtype=np.float64)
    loss_fn, opt = nn.BCEWithLogitsLoss(), SGD(lin.parameters(), lr=0.5)
    for _ in range(epochs):
        opt.zero_grad()
        loss_fn(lin(X), y)
        lin.backward(loss_fn.backward())
        opt.step()
    return ((lin(X) > 0) == (y > 0.5)).mean()


def test_xor_feature_map_makes_it_linearly_separable():
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    y = np.array([[0], [1], [1], [0]], dtype=np.float64)
    assert _train_logistic(X, y) <= 0.75
    psi = np.column_stack([X, X[:, 0] * X[:, 1]])
    assert _train_logistic(psi, y) == 1.0


def test_the_quoted_preset_prints_the_slides_single_numbers():
    from mlplab.explain.presets import quoted
    from mlplab.explain.render import render

    expl = quoted()
    assert all(c.agrees for c in expl.comparisons)
    text = render(expl, "text")
    for line in ("   sigmoid    0.5449     0.4551", "      tanh    0.1781    -0.1781",
                 "      1024        59          608", "      3500        18          500",
                 "  128    0.003922        0.003922"):
        assert line in text, line

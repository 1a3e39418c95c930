"""Module bookkeeping, dtypes, state dicts, saving, summaries, specs and error messages."""

import io
import math

import numpy as np
import pytest

from mlplab import kinds, nn
from mlplab.nn import activations
from mlplab.optim import SGD, Adam, get_optimizer
from mlplab.spec import ModelSpec, SpecError

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core


def test_state_dict_keys_follow_torch():
    net = ModelSpec.parse("4-8-relu-layernorm-3").build(0)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias", "3.weight",
                                      "3.bias"]
    assert net[0].weight.shape == (8, 4)


def test_same_seed_same_weights_no_global_state():
    a = ModelSpec.parse("4-8-relu-3").build(seed=5).state_dict()
    np.random.seed(123)  # global state must not matter
    b = ModelSpec.parse("4-8-relu-3").build(seed=5).state_dict()
    c = ModelSpec.parse("4-8-relu-3").build(seed=6).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert not np.array_equal(a["0.weight"], c["0.weight"])


def test_float32_by_default_float64_end_to_end():
    net = ModelSpec.parse("3-4-gelu-layernorm-2").build(0)
    x = np.ones((2, 3), dtype=np.float32)
    assert net(x).dtype == np.float32
    assert net.backward(np.ones((2, 2), dtype=np.float32)).dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    net.double()
    assert net(x.astype(np.float64)).dtype == np.float64
    loss = nn.CrossEntropyLoss()
    loss(net(x.astype(np.float64)), np.array([0, 1]))
    assert net.backward(loss.backward()).dtype == np.float64


def test_backward_accumulates_until_zero_grad():
    lin = nn.Linear(2, 1, rng=np.random.default_rng(0))
    x, g = np.ones((1, 2), np.float32), np.ones((1, 1), np.float32)
    lin(x)
    lin.backward(g)
    lin(x)
    lin.backward(g)
    np.testing.assert_allclose(lin.weight.grad, [[2, 2]])
    lin.zero_grad()
    assert not lin.weight.grad.any()


def test_lazy_zero_grad_then_accumulate_writes_the_exact_gradient():
    """zero_grad only marks the gradients; the next backward writes them with out=, a second
    one adds, and reading a cleared gradient gives zeros, never the stale values."""
    rng = np.random.default_rng(0)
    lin = nn.Linear(5, 3, rng=rng).double()
    x, g = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    lin(x)
    lin.backward(g)
    lin.zero_grad()
    assert not lin.weight.grad.any() and not lin.bias.grad.any()
    lin.zero_grad()
    lin(x)
    lin.backward(g)
    np.testing.assert_allclose(lin.weight.grad, g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(lin.bias.grad, g.sum(axis=0), rtol=1e-12)
    lin(x)
    lin.backward(g)
    np.testing.assert_allclose(lin.weight.grad, 2 * g.T @ x, rtol=1e-12)


def test_linear_weight_is_column_major_with_torch_shape_and_values():
    """The weight's memory is column-major (W.T contiguous) for BLAS; everything a user sees
    keeps torch's (out, in) layout, and the layout survives casting, grads and optimizers."""
    net = ModelSpec.parse("4-8-relu-3").build(0)
    w = net[0].weight
    assert w.shape == (8, 4) and w.data.flags.f_contiguous and w.data.T.flags.c_contiguous
    assert w.grad.flags.f_contiguous
    state = net.state_dict()["0.weight"]
    assert state.shape == (8, 4) and state.flags.c_contiguous
    np.testing.assert_array_equal(state, w.data)
    net.double()
    assert net[0].weight.data.flags.f_contiguous and net[0].weight.grad.flags.f_contiguous
    opt = SGD(net.parameters(), lr=0.1, momentum=0.9)
    net(np.ones((2, 4)))
    net.backward(np.ones((2, 3)))
    opt.step()
    assert opt.state[0]["momentum_buffer"].flags.f_contiguous


def test_assigning_data_keeps_the_gradient_in_its_dtype_shape_and_order():
    """``p.data = array`` of another dtype casts the gradient (its values too, as torch's
    Module.to does); another shape gives a zero gradient of that shape. A gradient left in
    float32 would make every float64 update a float32 one."""
    rng = np.random.default_rng(0)
    lin = nn.Linear(3, 2, rng=rng)                              # float32, column-major weight
    x, g = rng.standard_normal((4, 3)).astype(np.float32), np.ones((4, 2), np.float32)
    lin(x)
    lin.backward(g)
    before = lin.weight.grad.copy()
    lin.weight.data = lin.weight.data.astype(np.float64)       # keeps the column-major order
    w = lin.weight
    assert w.grad.dtype == np.float64 and w.grad.flags.f_contiguous
    np.testing.assert_array_equal(w.grad, before)
    lin.bias.data = np.zeros(2)                                 # float64, C order
    assert lin.bias.grad.dtype == np.float64
    lin.zero_grad()
    lin.bias.data = np.zeros(2, np.float32)                     # cleared stays zero
    assert not lin.bias.grad.any() and lin.bias.grad.dtype == np.float32
    lin.bias.data = np.ones(5, np.float32)
    assert lin.bias.grad.shape == (5,) and not lin.bias.grad.any()
    lin.bias.data = np.zeros(2)
    lin.weight.data = np.ascontiguousarray(w.data)              # C order, the same dtype
    lin(x.astype(np.float64))
    lin.weight.clear_grad()
    lin.backward(np.ones((4, 2)))
    np.testing.assert_allclose(w.grad, np.ones((4, 2)).T @ x, rtol=1e-15)
    with pytest.raises(ValueError, match=r"gradient of shape \(2, 3\) and dtype float32 does "
                                         r"not fit data of shape \(2, 3\) and dtype float64"):
        w.grad = np.zeros((2, 3), np.float32)


def test_casting_a_model_casts_its_gradients_with_their_values():
    net = ModelSpec.parse("3-4-tanh-2").build(0)
    net(np.ones((2, 3), np.float32))
    net.backward(np.ones((2, 2), np.float32))
    grads = {k: p.grad.copy() for k, p in net.named_parameters()}
    net.double()
    for k, p in net.named_parameters():
        assert p.data.dtype == p.grad.dtype == np.float64
        np.testing.assert_array_equal(p.grad, grads[k])


def test_dropout_train_and_eval():
    d = nn.Dropout(0.25, rng=np.random.default_rng(0))
    x = np.ones((1000, 100), np.float32)
    y = d(x)
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.01
    np.testing.assert_array_equal(d.backward(x), y)  # same mask, same scale
    d.eval()
    np.testing.assert_array_equal(d(x), x)


def test_train_eval_propagate():
    net = ModelSpec.parse("3-4-dropout:0.5-2").build(0)
    net.eval()
    assert not net[1].training
    net.train()
    assert net[1].training


def test_save_and_load_round_trip(tmp_path):
    net = ModelSpec.parse("4-8-relu-3").build(0)
    path = nn.save(net, tmp_path / "w.npz", spec="4-8-relu-3")
    other = ModelSpec.parse("4-8-relu-3").build(1)
    state, meta = nn.load(path, other)
    assert meta == {"spec": "4-8-relu-3"}
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[k], v)
    assert [p.name for p in tmp_path.iterdir()] == ["w.npz"]  # no temp file left


def test_load_rejects_a_mismatched_model(tmp_path):
    path = nn.save(ModelSpec.parse("4-8-relu-3").build(0), tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"state_dict\['0.weight'\] has shape \(8, 4\)"):
        nn.load(path, ModelSpec.parse("4-9-relu-3").build(0))
    with pytest.raises(KeyError, match="missing keys"):
        nn.load(path, ModelSpec.parse("4-8-relu-3-relu-3").build(0))
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.npz: not a weights file"):
        nn.load(bad)


def test_summary_prints_a_torchsummary_table():
    buf = io.StringIO()
    s = nn.summary(ModelSpec.parse("28x28-flatten-256-relu-10").build(0), (28, 28), file=buf)
    text = buf.getvalue()
    assert "Flatten-1" in text and "[-1, 784]" in text
    assert "Linear-2" in text and "200,960" in text
    assert "Total params: 203,530" in text
    assert [r.params for r in s.rows] == [0, 200_960, 0, 2_570]


def test_shape_mismatch_names_layer_and_shapes():
    net = ModelSpec.parse("4-8-relu-3").build(0)
    with pytest.raises(ValueError, match=r"Linear\(.*\) at '0': expected input of shape "
                                         r"\(N, 4\), got \(2, 5\)"):
        net(np.ones((2, 5), np.float32))


@pytest.mark.parametrize("make, message", [
    (lambda p: SGD(p, lr=-1), "Invalid learning rate: -1"),
    (lambda p: SGD(p, lr=0), "Invalid learning rate: 0"),
    (lambda p: Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0: 1.0"),
    (lambda p: SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda p: get_optimizer("adamax", p), "unknown optimizer 'adamax'; choose one of sgd"),
    (lambda p: SGD(p, lr=0.1, weight_decay=-1), "Invalid weight_decay value: -1"),
])
def test_bad_optimizer_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make(nn.Linear(2, 1).parameters())


def test_unknown_optimizer_argument_lists_valid_ones():
    with pytest.raises(TypeError, match=r"unknown argument 'beta'; choose one of"):
        Adam(nn.Linear(2, 1).parameters(), beta=0.9)


@pytest.mark.parametrize("make, message", [
    (lambda: nn.Dropout(1.0), r"Dropout: p must be in \[0, 1\), got 1.0"),
    (lambda: nn.Dropout(-0.1), r"got -0.1"),
    (lambda: nn.MSELoss(reduction="avg"), "unknown reduction 'avg'; choose one of mean, sum"),
    (lambda: nn.Linear(0, 3), "in_features must be a positive integer, got 0"),
    (lambda: nn.GELU("fast"), "approximate must be 'none' or 'tanh'"),
    (lambda: kinds.get_loss("hinge"), "unknown loss 'hinge'"),
])
def test_bad_hyperparameters(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_loss_refuses_silent_broadcasting():
    with pytest.raises(ValueError, match=r"prediction shape \(4, 1\) and target shape \(4,\)"):
        nn.MSELoss()(np.zeros((4, 1)), np.zeros(4))


def test_cross_entropy_validates_targets():
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\]"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="integer class indices"):
        nn.CrossEntropyLoss()(np.zeros((2, 3)), np.array([0.0, 1.0]))


def test_bce_refuses_logits():
    with pytest.raises(ValueError, match="use BCEWithLogitsLoss"):
        nn.BCELoss()(np.array([[2.0]]), np.array([[1.0]]))


def test_stable_for_extreme_inputs():
    z = np.array([[-1000.0, 0.0, 1000.0]])
    assert np.isfinite(nn.Sigmoid()(z)).all()
    assert np.isfinite(nn.Softmax()(z)).all()
    assert np.isfinite(nn.CrossEntropyLoss()(z, np.array([0])))
    assert np.isfinite(nn.BCEWithLogitsLoss()(z, np.zeros_like(z)))


# erf at a few points, rounded to the nearest double (computed with mpmath at 30 digits)
ERF_TABLE = {0.0: 0.0, 0.1: 0.1124629160182849, 0.5: 0.5204998778130465,
             1.0: 0.8427007929497149, 1.5: 0.9661051464753108, 2.0: 0.9953222650189527,
             3.0: 0.9999779095030014}


@pytest.mark.parametrize("scipy", [True, False], ids=["scipy", "fallback"])
def test_gelu_erf_against_a_table(monkeypatch, scipy):
    """erf with scipy and without (the math.erf fallback), each against tabulated values and
    an independent per-element math.erf, in both dtypes; never one path against itself."""
    if scipy:
        pytest.importorskip("scipy")
    else:
        monkeypatch.setattr(activations, "_erf", None)
    x = np.array(sorted({*ERF_TABLE, *(-v for v in ERF_TABLE)}))
    expected = np.array([np.sign(v) * ERF_TABLE[abs(v)] for v in x])
    got = activations.erf(x)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, expected, rtol=2e-16, atol=0)
    grid = np.linspace(-4, 4, 101)
    np.testing.assert_allclose(activations.erf(grid), [math.erf(v) for v in grid],
                               rtol=1e-15, atol=1e-16)
    x32 = grid.astype(np.float32)
    assert activations.erf(x32).dtype == np.float32
    np.testing.assert_allclose(activations.erf(x32), [math.erf(v) for v in x32], rtol=1e-7)


@pytest.mark.parametrize("text, canonical", [
    ("784-256-relu-10", "784-256-relu-10"),
    ("28X28-Flatten-256-ReLU-10", "28x28-flatten-256-relu-10"),
    ("2-4-leakyrelu:0.1-dropout:0.2-gelu:tanh-1", "2-4-leakyrelu:0.1-dropout:0.2-gelu:tanh-1"),
])
def test_spec_round_trip(text, canonical):
    spec = ModelSpec.parse(text)
    assert str(spec) == canonical
    assert ModelSpec.parse(str(spec)) == spec
    assert ModelSpec.parse([int(t) if t.isdigit() else t for t in canonical.split("-")]) == spec


@pytest.mark.parametrize("text, message", [
    ("relu-10", "must start with the input size"),
    ("784--10", "empty layer"),
    ("784-swish-10", "unknown layer 'swish'"),
    ("28x28-256", "must be flattened"),
    ("784-relu", "needs at least one layer width"),
    ("784-relu:3-10", "relu takes no argument"),
])
def test_spec_errors(text, message):
    with pytest.raises(SpecError, match=message):
        ModelSpec.parse(text)


def test_spec_counts_parameters_without_building():
    for text in ["784-256-relu-10", "4-3-relu-2-relu-3", "8-16-layernorm-relu-2"]:
        spec = ModelSpec.parse(text)
        assert spec.num_parameters() == spec.build(0).num_parameters()


def test_backward_without_input_grad_fills_the_same_parameter_grads():
    net = ModelSpec.parse("5-4-tanh-3").build(0).double()
    x = np.random.default_rng(0).standard_normal((6, 5))
    g = np.random.default_rng(1).standard_normal((6, 3))
    net(x)
    assert net.backward(g).shape == (6, 5)
    full = {k: p.grad.copy() for k, p in net.named_parameters()}
    net.zero_grad()
    net(x)
    assert net.backward(g, input_grad=False) is None
    for k, p in net.named_parameters():
        np.testing.assert_array_equal(p.grad, full[k])

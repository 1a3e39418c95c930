"""Parity with PyTorch, in float64.

Part 1, the NumPy engine's parts: every layer, activation, loss and optimizer against torch's.
Tolerance: relative error <= 1e-6 (in practice about 1e-15), measured as
max|a - b| / max(max|b|, 1e-12) over the whole array.

Part 2, the twin's acceptance test: from the same initial weights and the same batches, one
epoch of auto-mpg and of nonlinear gives per-batch losses equal to the NumPy engine's within
1e-5 and final weights within 1e-5 relative (float64). In practice both are about 1e-13 or
smaller.
"""

import inspect

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from mlplab import data, nn, optim  # noqa: E402
from mlplab.data.batching import iter_batches  # noqa: E402
from mlplab.experiments import load_experiment  # noqa: E402
from mlplab.experiments.preprocess import fit_preprocess  # noqa: E402
from mlplab.spec import ModelSpec  # noqa: E402
from mlplab.torch.engine import TorchEngine  # noqa: E402
from mlplab.train import Trainer  # noqa: E402
from mlplab.train.engine import NumpyEngine  # noqa: E402

RTOL = 1e-6
LOSS_TOL = 1e-5
WEIGHT_RTOL = 1e-5


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def _t(x, grad=True):
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


# -- part 1: layers, activations, losses, optimizers ---------------------------------------
# (mlplab module factory, torch module factory, input shape)
MODULES = {
    "linear": (lambda: nn.Linear(7, 5, dtype=np.float64), lambda: torch.nn.Linear(7, 5).double(),
               (6, 7)),
    "linear_nobias": (lambda: nn.Linear(4, 3, bias=False, dtype=np.float64),
                      lambda: torch.nn.Linear(4, 3, bias=False).double(), (5, 4)),
    "linear_3d": (lambda: nn.Linear(4, 3, dtype=np.float64),
                  lambda: torch.nn.Linear(4, 3).double(), (2, 5, 4)),
    "flatten": (nn.Flatten, torch.nn.Flatten, (3, 2, 4, 5)),
    "layernorm": (lambda: nn.LayerNorm(6, dtype=np.float64),
                  lambda: torch.nn.LayerNorm(6).double(), (4, 3, 6)),
    "layernorm_2d": (lambda: nn.LayerNorm((3, 6), dtype=np.float64),
                     lambda: torch.nn.LayerNorm((3, 6)).double(), (4, 3, 6)),
    "identity": (nn.Identity, torch.nn.Identity, (5, 4)),
    "sigmoid": (nn.Sigmoid, torch.nn.Sigmoid, (5, 4)),
    "tanh": (nn.Tanh, torch.nn.Tanh, (5, 4)),
    "relu": (nn.ReLU, torch.nn.ReLU, (5, 4)),
    "leakyrelu": (lambda: nn.LeakyReLU(0.1), lambda: torch.nn.LeakyReLU(0.1), (5, 4)),
    "softplus": (nn.Softplus, torch.nn.Softplus, (5, 4)),
    "softplus_beta": (lambda: nn.Softplus(beta=2.0, threshold=3.0),
                      lambda: torch.nn.Softplus(beta=2.0, threshold=3.0), (5, 4)),
    "gelu": (nn.GELU, torch.nn.GELU, (5, 4)),
    "gelu_tanh": (lambda: nn.GELU("tanh"), lambda: torch.nn.GELU("tanh"), (5, 4)),
    "silu": (nn.SiLU, torch.nn.SiLU, (5, 4)),
    "softmax": (lambda: nn.Softmax(dim=1), lambda: torch.nn.Softmax(dim=1), (5, 4)),
    "softmax_dim0": (lambda: nn.Softmax(dim=0), lambda: torch.nn.Softmax(dim=0), (5, 4)),
}


@pytest.mark.parametrize("name", sorted(MODULES))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_module_forward_backward(name, seed):
    make_np, make_t, shape = MODULES[name]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape) * 3
    g = rng.standard_normal(make_np()(x.copy()).shape)
    ours, theirs = make_np(), make_t()
    for p in theirs.parameters():  # random affine weights too, not just the init
        with torch.no_grad():
            p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape))))
    ours.load_state_dict(theirs.state_dict())
    xt = _t(x)
    yt = theirs(xt)
    yt.backward(torch.from_numpy(g))
    y = ours(x)
    dx = ours.backward(g)
    assert y.dtype == np.float64
    assert rel_err(y, yt.detach().numpy()) <= RTOL
    assert rel_err(dx, xt.grad.numpy()) <= RTOL
    for (k, p), (kt, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == kt
        assert rel_err(p.grad, pt.grad.numpy()) <= RTOL, k


def _bce_inputs(rng, shape):
    return rng.uniform(0.001, 0.999, shape), rng.integers(0, 2, shape).astype(np.float64)


LOSSES = {
    "mse": (nn.MSELoss, torch.nn.MSELoss,
            lambda r: (r.standard_normal((6, 3)), r.standard_normal((6, 3)))),
    "bce": (nn.BCELoss, torch.nn.BCELoss, lambda r: _bce_inputs(r, (8, 1))),
    "bce_soft": (nn.BCELoss, torch.nn.BCELoss,
                 lambda r: (r.uniform(0.01, 0.99, (5, 2)), r.uniform(0, 1, (5, 2)))),
    "bce_logits": (nn.BCEWithLogitsLoss, torch.nn.BCEWithLogitsLoss,
                   lambda r: (r.standard_normal((7, 2)) * 5, r.integers(0, 2, (7, 2)) * 1.0)),
    "cross_entropy": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
                      lambda r: (r.standard_normal((9, 4)) * 4, r.integers(0, 4, 9))),
    "cross_entropy_soft": (nn.CrossEntropyLoss, torch.nn.CrossEntropyLoss,
                           lambda r: (r.standard_normal((5, 3)),
                                      r.dirichlet(np.ones(3), size=5))),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("seed", [0, 1])
def test_loss_forward_backward(name, reduction, seed):
    make_np, make_t, data = LOSSES[name]
    x, y = data(np.random.default_rng(seed))
    ours = make_np(reduction=reduction)
    loss = ours(x, y)
    xt = _t(x)
    yt = torch.from_numpy(y)
    lt = make_t(reduction=reduction)(xt, yt)
    lt.backward()
    assert rel_err(loss, lt.item()) <= RTOL
    assert rel_err(ours.backward(), xt.grad.numpy()) <= RTOL


@pytest.mark.parametrize("eps", [0.1, 0.3])
def test_cross_entropy_label_smoothing(eps):
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 5)), rng.integers(0, 5, 6)
    ours = nn.CrossEntropyLoss(label_smoothing=eps)
    xt = _t(x)
    lt = torch.nn.CrossEntropyLoss(label_smoothing=eps)(xt, torch.from_numpy(y))
    lt.backward()
    assert rel_err(ours(x, y), lt.item()) <= RTOL
    assert rel_err(ours.backward(), xt.grad.numpy()) <= RTOL


def test_bce_clamps_log_like_torch():
    x = np.array([[0.0], [1.0], [0.5]])
    y = np.array([[1.0], [0.0], [1.0]])
    ours = nn.BCELoss()
    xt = _t(x)
    lt = torch.nn.BCELoss()(xt, torch.from_numpy(y))
    lt.backward()
    assert rel_err(ours(x, y), lt.item()) <= RTOL
    assert rel_err(ours.backward(), xt.grad.numpy()) <= RTOL


OPTIMIZERS = [
    ("sgd", dict(lr=0.05)),
    ("sgd", dict(lr=0.05, momentum=0.9)),
    ("sgd", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)),
    ("sgd", dict(lr=0.05, momentum=0.8, dampening=0.3, weight_decay=1e-2)),
    ("adagrad", dict()),
    ("adagrad", dict(lr=0.05, lr_decay=0.01, weight_decay=1e-3, initial_accumulator_value=0.1)),
    ("adadelta", dict()),
    ("adadelta", dict(lr=0.5, rho=0.8, eps=1e-5, weight_decay=1e-3)),
    ("rmsprop", dict()),
    ("rmsprop", dict(lr=0.005, alpha=0.9, momentum=0.9, centered=True, weight_decay=1e-3)),
    ("adam", dict()),
    ("adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=1e-3, amsgrad=True)),
    ("adamw", dict()),
    ("adamw", dict(lr=0.01, betas=(0.85, 0.995), weight_decay=0.1, amsgrad=True)),
]
TORCH_OPT = {"sgd": "SGD", "adagrad": "Adagrad", "adadelta": "Adadelta", "rmsprop": "RMSprop",
             "adam": "Adam", "adamw": "AdamW"}


def lockstep(ours, theirs, opt, opt_t, rng, steps, after_step=None):
    """``steps`` MSE steps of both models on the same random batches (16, 3) -> (16, 2)."""
    loss_fn = nn.MSELoss()
    for _ in range(steps):
        x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
        opt.zero_grad()
        loss_fn(ours(x), y)
        ours.backward(loss_fn.backward())
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt_t.step()
        if after_step:
            after_step()


@pytest.mark.parametrize("name, hyper", OPTIMIZERS, ids=[f"{n}-{i}" for i, (n, _) in
                                                          enumerate(OPTIMIZERS)])
def test_optimizer_100_steps(name, hyper):
    rng = np.random.default_rng(7)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 2)).double()
    ours.load_state_dict(theirs.state_dict())
    opt = optim.get_optimizer(name, ours.parameters(), **hyper)
    opt_t = getattr(torch.optim, TORCH_OPT[name])(theirs.parameters(), **hyper)
    lockstep(ours, theirs, opt, opt_t, rng, 100)
    for k, v in theirs.state_dict().items():
        assert rel_err(ours.state_dict()[k], v.numpy()) <= RTOL, k


@pytest.mark.parametrize("backward_first", [False, True], ids=["fresh", "after-a-step"])
def test_float64_data_given_to_a_float32_model_trains_in_float64(backward_first):
    """Assigning torch's float64 weights to a float32 model's ``p.data`` (a C-ordered array
    for Linear's column-major weight) casts each gradient with them, so 20 Adam steps stay in
    float64 and match torch to about 1e-15. With gradients left in float32 the same steps
    are about 3e-8 off, so the 1e-12 bound here fails."""
    rng = np.random.default_rng(11)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.Tanh(),
                                 torch.nn.Linear(8, 2)).double()
    ours = nn.Sequential(nn.Linear(3, 8, rng=rng), nn.Tanh(), nn.Linear(8, 2, rng=rng))
    loss_fn = nn.MSELoss()
    if backward_first:  # float32 gradients holding values, then cleared lazily
        x32 = rng.standard_normal((4, 3)).astype(np.float32)
        loss_fn(ours(x32), rng.standard_normal((4, 2)).astype(np.float32))
        ours.backward(loss_fn.backward())
    for (k, p), (kt, pt) in zip(ours.named_parameters(), theirs.named_parameters()):
        assert k == kt and p.dtype == np.float32
        p.data = pt.detach().numpy().copy()
        assert p.grad.dtype == np.float64 and p.grad.shape == p.shape
    opt = optim.Adam(ours.parameters(), lr=0.01)
    opt_t = torch.optim.Adam(theirs.parameters(), lr=0.01)

    def same_gradients():
        for p, pt in zip(ours.parameters(), theirs.parameters()):
            assert rel_err(p.grad, pt.grad.numpy()) <= 1e-12

    lockstep(ours, theirs, opt, opt_t, rng, 20, after_step=same_gradients)
    for k, v in theirs.state_dict().items():
        assert ours.state_dict()[k].dtype == np.float64
        assert rel_err(ours.state_dict()[k], v.numpy()) <= 1e-12, k


@pytest.mark.parametrize("name", sorted(TORCH_OPT))
def test_optimizer_defaults_match_torch(name):
    theirs = inspect.signature(getattr(torch.optim, TORCH_OPT[name]).__init__).parameters
    for k, v in optim.OPTIMIZERS[name].defaults.items():
        default = theirs[k].default
        assert (tuple(default) if isinstance(default, tuple) else default) == v, k


def test_linear_default_init_matches_torch_bounds():
    lin = nn.Linear(400, 300, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(400)
    for p in (lin.weight.data, lin.bias.data):
        assert p.min() >= -bound and p.max() <= bound
        assert p.max() > 0.95 * bound and p.min() < -0.95 * bound
    # the same law as torch's: compare the spread (uniform on [-b, b] has std b / sqrt(3))
    with torch.random.fork_rng(devices=[]):   # seeded, and the global generator left as it was
        torch.manual_seed(0)
        t = torch.nn.Linear(400, 300)
    assert lin.weight.data.std() == pytest.approx(t.weight.detach().numpy().std(), rel=0.02)


# -- part 2: the twin against the NumPy engine ---------------------------------------------
def experiment_cases(name):
    """(model name, spec, loss, optimizer, lr, batch size, train X float64, train y) of every
    trained model of a shipped experiment, with its data and preprocessing."""
    exp = load_experiment(name)
    (d,) = exp.data
    ds = data.load(d["name"], **d["args"])
    X, y = ds.split(d["train"])
    for m in exp.models:
        spec = ModelSpec.parse(m["spec"])
        prep = fit_preprocess(m.get("preprocess", d["preprocess"]), X, spec)
        yield (m["name"], m["spec"], m["loss"], m["optimizer"], m["lr"], m["batch_size"],
               prep(X).astype(np.float64), y)


CASES = [(exp, *case) for exp in ("auto-mpg", "nonlinear") for case in experiment_cases(exp)]


def one_epoch(engine, X, y, batch_size, seed=0):
    yt = engine.prepare_targets(y)
    rng = np.random.default_rng(seed)
    return [engine.train_step(xb, yb)[0] for xb, yb in iter_batches(X, yt, batch_size, rng=rng)]


def engines(spec, loss, optimizer, lr, **kw):
    common = dict(spec=spec, loss=loss, optimizer=optimizer, lr=lr, seed=0, dtype=np.float64,
                  **kw)
    return NumpyEngine.from_spec(**common), TorchEngine.from_spec(device="cpu", **common)


@pytest.mark.parametrize("exp,model,spec,loss,optimizer,lr,batch_size,X,y", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_one_epoch_matches_the_numpy_engine(exp, model, spec, loss, optimizer, lr, batch_size,
                                            X, y):
    a, b = engines(spec, loss, optimizer, lr)
    for k, v in a.state_dict().items():  # the same initial weights, bit for bit
        np.testing.assert_array_equal(v, b.state_dict()[k])
    la, lb = one_epoch(a, X, y, batch_size), one_epoch(b, X, y, batch_size)
    assert len(la) == len(lb) == -(-len(X) // batch_size)
    assert np.abs(np.array(la) - np.array(lb)).max() <= LOSS_TOL
    sa, sb = a.state_dict(), b.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert rel_err(sb[k], sa[k]) <= WEIGHT_RTOL, k


@pytest.mark.parametrize("optimizer,kwargs", [("sgd", {"momentum": 0.9, "nesterov": True}),
                                              ("adam", {}), ("rmsprop", {}), ("adagrad", {}),
                                              ("adadelta", {}), ("adamw", {})])
def test_every_optimizer_matches_on_nonlinear(optimizer, kwargs):
    (_, _, spec, loss, _, _, batch_size, X, y) = [c for c in CASES if c[1] == "mlp"
                                                 and c[0] == "nonlinear"][0]
    a, b = engines(spec, loss, optimizer, 0.01, optimizer_kwargs=kwargs)
    la, lb = one_epoch(a, X, y, batch_size), one_epoch(b, X, y, batch_size)
    assert np.abs(np.array(la) - np.array(lb)).max() <= LOSS_TOL
    for k, v in a.state_dict().items():
        assert rel_err(b.state_dict()[k], v) <= WEIGHT_RTOL, k


@pytest.mark.parametrize("optimizer,kwargs", [("sgd", {"momentum": 0.9}), ("adam", {})])
def test_the_l1_penalty_matches_on_nonlinear(optimizer, kwargs):
    (_, _, spec, loss, _, _, batch_size, X, y) = [c for c in CASES if c[1] == "mlp"
                                                 and c[0] == "nonlinear"][0]
    a, b = engines(spec, loss, optimizer, 0.01, optimizer_kwargs=kwargs, l1=0.01)
    plain, _ = engines(spec, loss, optimizer, 0.01, optimizer_kwargs=kwargs)
    la, lb = one_epoch(a, X, y, batch_size), one_epoch(b, X, y, batch_size)
    one_epoch(plain, X, y, batch_size)
    assert np.abs(np.array(la) - np.array(lb)).max() <= LOSS_TOL
    for k, v in a.state_dict().items():
        assert rel_err(b.state_dict()[k], v) <= WEIGHT_RTOL, k
    # and the penalty did something: the weights are smaller in L1 norm than without it
    assert (sum(np.abs(v).sum() for v in a.state_dict().values())
            < sum(np.abs(v).sum() for v in plain.state_dict().values()))


def test_the_trainer_gives_the_same_history_on_both_engines():
    (_, _, spec, loss, optimizer, lr, batch_size, X, y) = [c for c in CASES
                                                          if c[0] == "auto-mpg"][-1]
    hist = []
    for engine in engines(spec, loss, optimizer, lr):
        hist.append(Trainer(engine, epochs=3, batch_size=batch_size, progress=False)
                    .fit((X, y), {"train": (X, y)}))
    for col in ("train_loss", "train_r2", "train_mse"):
        np.testing.assert_allclose(hist[0].column(col), hist[1].column(col), rtol=1e-10)

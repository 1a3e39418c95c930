"""Every layer, activation, loss and optimizer against PyTorch, in float64.

Tolerance: relative error <= 1e-6 (in practice about 1e-15), measured as
max|a - b| / max(max|b|, 1e-12) over the whole array.
"""

import numpy as np
import pytest

import torch
from mlplab import nn, optim

RTOL = 1e-6


def rel_err(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-12))


def _t(x, grad=True):
    return torch.tensor(x, dtype=torch.float64, requires_grad=grad)


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
    loss_fn = nn.MSELoss()
    for _ in range(100):
        x, y = rng.standard_normal((16, 3)), rng.standard_normal((16, 2))
        opt.zero_grad()
        loss_fn(ours(x), y)
        ours.backward(loss_fn.backward())
        opt.step()
        opt_t.zero_grad()
        torch.nn.functional.mse_loss(theirs(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        opt_t.step()
    for k, v in theirs.state_dict().items():
        assert rel_err(ours.state_dict()[k], v.numpy()) <= RTOL, k


@pytest.mark.parametrize("name", sorted(TORCH_OPT))
def test_optimizer_defaults_match_torch(name):
    import inspect
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
    t = torch.nn.Linear(400, 300)
    assert lin.weight.data.std() == pytest.approx(t.weight.detach().numpy().std(), rel=0.02)

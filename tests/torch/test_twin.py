"""The twin's building blocks: build covers every layer kind, weights copy both ways, the
engine keeps the NumPy engine's interface (state, optimizer state, checkpoints, saving)."""

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from mlplab import kinds, nn, optim  # noqa: E402
from mlplab.errors import UsageError  # noqa: E402
from mlplab.spec import ModelSpec, SpecError  # noqa: E402
from mlplab.torch import TORCH_MISSING, build, copy_weights  # noqa: E402
from mlplab.torch.builder import to_torch_dtype  # noqa: E402
from mlplab.torch.engine import LOSSES, OPTIMIZERS, TorchEngine, resolve_device  # noqa: E402
from mlplab.torch.layers import ACTIVATIONS, Dropout  # noqa: E402
from mlplab.train import Trainer  # noqa: E402

CNN = "3x8x8-conv:4-relu-maxpool-conv:6-relu-maxpool:2-flatten-16-relu-dropout:0.5-3"
MIXER = "1x8x8-mixer:patch=4,dim=8,depth=2,tokens_hidden=6,channels_hidden=16-3"

# One spec per activation (with and without its argument) and per shape layer.
NUMPY_SPECS = [f"5-7-{name}-3" for name in kinds.ACTIVATIONS if name != "softmax"] + [
    "5-7-leakyrelu:0.2-3", "5-7-softplus:2.0-3", "5-7-gelu:tanh-3", "5-3-softmax",
    "5-3-softmax:1", "2x3-flatten-4-layernorm-dropout:0.3-tanh-2", "5-1-sigmoid",
]


def test_registries_cover_the_numpy_engine():
    assert set(ACTIVATIONS) == set(kinds.ACTIVATIONS)
    assert set(LOSSES) == set(kinds.LOSSES)
    assert set(OPTIMIZERS) == set(optim.OPTIMIZERS)


@pytest.mark.parametrize("text", NUMPY_SPECS)
def test_build_matches_the_numpy_model(text):
    spec = ModelSpec.parse(text)
    net = spec.build(3, dtype=np.float64)
    model = build(spec, seed=3, dtype=torch.float64)
    assert list(model.state_dict()) == list(net.state_dict())   # same keys, same order
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[k].numpy(), v)
    net.eval()
    model.eval()
    x = np.random.default_rng(0).standard_normal((4, *spec.input_shape))
    with torch.no_grad():
        out = model(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, net(x), rtol=1e-12, atol=1e-12)


def test_layer_arguments_reach_torch():
    model = build("5-7-leakyrelu:0.2-softplus:2.0-gelu:tanh-3-softmax:0")
    assert model[1].negative_slope == 0.2 and model[2].beta == 2.0
    assert model[3].approximate == "tanh" and model[5].dim == 0
    assert isinstance(build("5-dropout:0.25-3")[0], Dropout)


@pytest.mark.parametrize("text,shape", [(CNN, (2, 3, 8, 8)), (MIXER, (2, 1, 8, 8))])
def test_twin_only_layers_build_count_and_train(text, shape):
    spec = ModelSpec.parse(text)
    state = torch.get_rng_state()
    model = build(spec, seed=1)
    assert torch.equal(state, torch.get_rng_state())    # the global RNG is left alone
    assert sum(p.numel() for p in model.parameters()) == spec.num_parameters()
    again = build(spec, seed=1)
    for k, v in model.state_dict().items():
        assert torch.equal(v, again.state_dict()[k])
    first = next(iter(model.state_dict()))
    assert not torch.equal(build(spec, seed=2).state_dict()[first], model.state_dict()[first])
    out = model(torch.zeros(shape))
    assert out.shape == (2, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_twin_only_specs_parse_and_refuse_the_numpy_engine():
    spec = ModelSpec.parse(CNN)
    assert spec.twin_only and str(ModelSpec.parse(str(spec))) == str(spec)
    assert [s for _, s, _ in spec.layer_table()][:3] == [(4, 8, 8), (4, 8, 8), (4, 4, 4)]
    with pytest.raises(SpecError, match="run only on the torch engine: use --engine torch"):
        spec.build(0)
    table = str(ModelSpec.parse(MIXER).summary())
    assert "MLPMixer-1" in table and f"{ModelSpec.parse(MIXER).num_parameters():,}" in table
    for bad, msg in [("784-conv:8-10", "needs a CxHxW input"), ("3x8x8-conv-10", "conv:32"),
                     ("1x8x8-mixer:patch=3-10", "does not divide"),
                     ("1x8x8-mixer:width=3-10", "unknown mixer option"),
                     ("3x8x8-conv:4-10", "flattened")]:
        with pytest.raises(SpecError, match=msg):
            ModelSpec.parse(bad)


def test_copy_weights_round_trips_both_ways():
    spec = ModelSpec.parse("4-6-relu-layernorm-2")
    net, model = spec.build(0), build(spec, seed=9)
    copy_weights(net, model)                          # NumPy -> torch
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(model.state_dict()[k].numpy(), v)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2)
    other = spec.build(5)
    copy_weights(model, other)                         # torch -> NumPy
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[k], v.numpy())
    copy_weights(other, build(spec, dtype=torch.float64))  # and across dtypes
    with pytest.raises(KeyError, match="missing keys"):
        copy_weights(ModelSpec.parse("4-2").build(0), model)
    with pytest.raises(ValueError, match="has shape"):
        copy_weights(ModelSpec.parse("4-7-relu-layernorm-2").build(0), model)


def test_step_runs_forward_and_refuses_backward():
    model = build("2-2-step-1-step")
    copy_weights(ModelSpec.parse("2-2-step-1-step").build(0), model)
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
        model[0].bias.copy_(torch.tensor([-1.5, -0.5]))
        model[2].weight.copy_(torch.tensor([[-1.0, 1.0]]))
        model[2].bias.copy_(torch.tensor([-0.5]))
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert model(x)[:, 0].tolist() == [0.0, 1.0, 1.0, 0.0]      # XOR
    with pytest.raises(RuntimeError, match="cannot train through it"):
        model(x).sum().backward()


def test_dropout_is_seeded_and_leaves_the_global_rng_alone():
    x = torch.ones(200, 50)
    state = torch.get_rng_state()
    a, b, c = Dropout(0.3, seed=1), Dropout(0.3, seed=1), Dropout(0.3, seed=2)
    ya = a(x)
    assert torch.equal(ya, b(x)) and not torch.equal(ya, c(x))
    assert torch.equal(state, torch.get_rng_state())
    np.testing.assert_allclose(ya.unique().numpy(), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs((ya == 0).float().mean().item() - 0.3) < 0.02
    a.eval()
    assert torch.equal(a(x), x)
    with pytest.raises(ValueError, match="p must be in"):
        Dropout(1.0)


def test_devices_and_dtypes():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu").type == "cpu" and resolve_device(None) == resolve_device("auto")
    with pytest.raises(UsageError, match="choose one of auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(UsageError, match="CUDA is not available"):
            resolve_device("cuda")
    assert to_torch_dtype(np.float64) is torch.float64 and to_torch_dtype("float32") is \
        torch.float32
    with pytest.raises(ValueError, match="float32 or float64"):
        to_torch_dtype(np.int32)


def engine(spec="4-8-relu-3", loss="cross_entropy", optimizer="adam", **kw):
    return TorchEngine.from_spec(spec, loss=loss, optimizer=optimizer, lr=0.01, seed=0,
                                 device="cpu", **kw)


def test_engine_names_and_errors():
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'; choose one of sgd"):
        engine(optimizer="lbfgs")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        engine(loss="hinge")
    e = engine(loss="bce", spec="4-1-sigmoid")
    assert e.threshold == 0.5 and e.task == "classification"
    assert engine(loss="mse", spec="4-1").task == "regression"
    with pytest.raises(ValueError, match="prediction shape"):
        e.train_step(np.zeros((3, 4), np.float32), np.zeros((3, 2), np.float32))
    with pytest.raises(ValueError, match="do not fit the model's input"):
        e.predict(np.zeros((3, 5), np.float32))


def test_the_twin_is_a_registered_engine_of_the_shared_interface():
    from mlplab.engines import build_engine, engine_class
    from mlplab.train.engine import BaseEngine, Engine

    assert engine_class("torch") is TorchEngine
    e = build_engine("torch", spec="4-8-relu-3", loss="cross_entropy", optimizer="adam",
                     lr=0.01, seed=0, device="cpu", dtype=np.float64)
    assert isinstance(e, Engine) and isinstance(e, BaseEngine)
    members = set(Engine.__annotations__) | {k for k in vars(Engine) if not k.startswith("_")}
    assert all(hasattr(e, m) for m in members)
    assert (e.name, e.task, e.threshold, e.dtype) == ("torch", "classification", 0.0,
                                                     np.float64)
    X = np.random.default_rng(0).standard_normal((50, 4))
    whole = e.predict(X)
    assert whole.shape == (50, 3) and whole.dtype == np.float64
    np.testing.assert_allclose(e.predict(X, batch_size=7), whole, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(e.predict(X, transform=lambda c: c * 2), e.predict(X * 2),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(e.labels(whole), whole.argmax(axis=1))
    # the same weights give the NumPy engine's outputs
    n = build_engine("numpy", spec="4-8-relu-3", loss="cross_entropy", optimizer="adam",
                     lr=0.01, seed=0, dtype=np.float64)
    np.testing.assert_allclose(whole, n.predict(X), rtol=1e-12, atol=1e-14)


def test_optimizer_state_from_json_lists_loads():
    """Checkpoints keep param_groups as JSON, where Adam's betas tuple becomes a list."""
    e = engine()
    state = e.optimizer_state_dict()
    state = {"state": state["state"],
             "param_groups": [{k: list(v) if isinstance(v, tuple) else v for k, v in g.items()}
                              for g in state["param_groups"]]}
    assert state["param_groups"][0]["betas"] == [0.9, 0.999]
    e.load_optimizer_state_dict(state)
    assert e.optimizer.param_groups[0]["betas"] == (0.9, 0.999)


def test_engine_state_optimizer_state_and_save(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((64, 4)).astype(np.float32), rng.integers(0, 3, 64)
    a = engine()
    Trainer(a, epochs=2, batch_size=16, progress=False).fit((X, y))
    b = engine()
    b.load_state_dict(a.state_dict())
    opt = a.optimizer_state_dict()     # NumPy arrays and plain numbers, as checkpoints keep
    assert all(isinstance(v, (np.ndarray, int, float)) for s in opt["state"].values()
               for v in s.values())
    json.dumps(opt["param_groups"])
    b.load_optimizer_state_dict(opt)
    yt = a.prepare_targets(y)
    for xb, yb in ((X[:16], yt[:16]), (X[16:32], yt[16:32])):
        assert a.train_step(xb, yb)[0] == b.train_step(xb, yb)[0]
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.loss(a.predict(X), yt) == pytest.approx(float(
        torch.nn.functional.cross_entropy(torch.from_numpy(a.predict(X)), torch.from_numpy(yt))))
    assert a.num_parameters() == ModelSpec.parse("4-8-relu-3").num_parameters()
    a.lr = 0.5
    assert a.lr == 0.5 and a.optimizer.param_groups[0]["lr"] == 0.5
    path = a.save(tmp_path / "w.npz", spec="4-8-relu-3")
    net = ModelSpec.parse("4-8-relu-3").build(1)
    state, meta = nn.load(path, net)                     # the NumPy engine reads the file
    assert meta == {"spec": "4-8-relu-3"}
    np.testing.assert_allclose(net(X), a.predict(X), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_checkpoint_resume_is_exact(tmp_path, optimizer):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((96, 4)).astype(np.float32), rng.integers(0, 3, 96)
    kw = {"optimizer_kwargs": {"momentum": 0.9}} if optimizer == "sgd" else {}
    full = Trainer(engine(optimizer=optimizer, **kw), epochs=4, batch_size=32,
                   progress=False).fit((X, y))
    ckpt = tmp_path / "c.npz"
    Trainer(engine(optimizer=optimizer, **kw), epochs=2, batch_size=32, progress=False,
            checkpoint=ckpt).fit((X, y))
    resumed = Trainer(engine(optimizer=optimizer, **kw), epochs=4, batch_size=32,
                      progress=False).fit((X, y), resume_from=ckpt)
    assert resumed.column("train_loss") == full.column("train_loss")


def test_images_are_reshaped_to_the_spec_input():
    e = engine(spec=MIXER)
    X = np.random.default_rng(0).random((5, 8, 8), dtype=np.float32)   # (n, H, W)
    assert e.predict(X).shape == (5, 3)
    loss, out = e.train_step(X, e.prepare_targets(np.array([0, 1, 2, 0, 1])))
    assert np.isfinite(loss) and out.shape == (5, 3)


def test_a_clear_message_when_torch_is_absent():
    code = ("import sys; sys.modules['torch'] = None\n"
            "import mlplab.torch as t\n"
            "try:\n    t.build\nexcept ImportError as e:\n    print(e)\n"
            "from mlplab.train import build_engine\n"
            "try:\n    build_engine('torch', spec='2-1', loss='mse', optimizer='sgd', lr=0.1)\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out == [TORCH_MISSING, TORCH_MISSING]
    assert TORCH_MISSING == "the PyTorch twin needs torch: pip install 'mlplab[torch]'"


def test_every_lazy_name_of_mlplab_torch_resolves():
    import mlplab.torch as twin

    for name in twin._LAZY:
        assert getattr(twin, name) is not None, name

"""The layer and loss registries (mlplab.registry) are the only tables of layer kinds and losses;
these tests walk every record and fail when one lacks a part, so the parser, both engines, the
summary and explain cannot drift apart.

A new layer kind needs: its module class, one record in LAYERS. Marking it twin-only (no NumPy
builder) or not writable by explain is an explicit decision, listed below.
"""

from pathlib import Path

import numpy as np
import pytest

from mlplab import kinds, nn, registry
from mlplab.explain.core import explain_network
from mlplab.explain.render import FORMATS, render
from mlplab.registry import LAYERS, LOSSES, task_of
from mlplab.spec import LayerSpec, ModelSpec, SpecError

pytestmark = pytest.mark.core   # the fast inner loop: pytest -m core

# Kinds only the PyTorch twin builds: a record without a NumPy builder must be listed here.
TWIN_ONLY = {"conv", "maxpool", "mixer"}
# Activations explain does not write out (not elementwise): every other one needs its form.
NOT_EXPLAINED = {"softmax"}

KINDS = list(LAYERS.values())


def _example(kind):
    spec = ModelSpec.parse(kind.example)
    assert kind.name in [layer.kind for layer in spec.layers], \
        f"{kind.name}: its example {kind.example!r} does not use it"
    return spec


def test_names_and_tokens_agree():
    for name, kind in LAYERS.items():
        assert kind.name == name and kind.summary_name
        assert callable(kind.torch), f"{name}: no torch builder"
        assert kind.twin_only == (name in TWIN_ONLY), \
            f"{name}: a NumPy builder is missing (or list it in TWIN_ONLY)"
        if not kind.twin_only:
            assert callable(kind.numpy) and kind.module is not None
    assert "linear" in LAYERS and {"flatten", "dropout", "layernorm"} <= set(LAYERS)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_example_round_trips_through_text(kind):
    spec = _example(kind)
    again = ModelSpec.parse(str(spec))
    assert again == spec and str(again) == str(spec)
    assert ModelSpec.parse(str(spec).split("-")) == spec      # the list form
    # Each token, read back by its record against its input shape, gives the same args.
    inputs = [spec.input_shape] + [shape for _, shape, _ in spec.layer_table()]
    for layer, shape in zip(spec.layers, inputs, strict=False):
        token = str(layer)
        arg = token if layer.kind == "linear" else token.partition(":")[2]
        assert LAYERS[layer.kind].read(arg, shape) == layer.args
        assert LAYERS[layer.kind].token(layer.args) == token


@pytest.mark.parametrize("kind", [k for k in KINDS if not k.twin_only], ids=lambda k: k.name)
def test_numpy_builder_matches_the_record(kind):
    """Parameter count without allocating == the built model's; output shapes and summary names
    == what the built modules produce (so ModelSpec.summary() and nn.summary agree)."""
    spec = _example(kind)
    model = spec.build(seed=0, dtype=np.float64)
    assert spec.num_parameters() == model.num_parameters()
    table = spec.layer_table()
    for (layer, _, params), mod in zip(table, model, strict=True):
        assert type(mod).__name__ == LAYERS[layer.kind].summary_name
        assert params == mod.num_parameters()
    model.eval()
    h = np.random.default_rng(0).standard_normal((2, *spec.input_shape))
    for (_, shape, _), mod in zip(table, model, strict=True):
        h = mod.forward(h)
        assert h.shape[1:] == shape
    assert str(spec.summary()) == str(nn.summary(model, spec.input_shape))


def test_twin_only_kinds_are_refused_by_the_numpy_engine():
    for name in TWIN_ONLY:
        spec = _example(LAYERS[name])
        assert spec.twin_only
        with pytest.raises(SpecError, match=f"{name} layers run only on the torch engine: "
                                            "use --engine torch"):
            spec.build(0)


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.name)
def test_torch_builder_matches_the_record(kind):
    torch = pytest.importorskip("torch")
    from mlplab.torch import build

    spec = _example(kind)
    model = build(spec, seed=0, dtype=torch.float64)
    assert sum(p.numel() for p in model.parameters()) == spec.num_parameters()
    model.eval()
    h = torch.zeros((2, *spec.input_shape), dtype=torch.float64)
    with torch.no_grad():
        for (layer, shape, params), mod in zip(spec.layer_table(), model, strict=True):
            assert type(mod).__name__ == LAYERS[layer.kind].summary_name
            assert params == sum(p.numel() for p in mod.parameters())
            h = mod(h)
            assert tuple(h.shape[1:]) == shape
    if not spec.twin_only:  # same weights, same outputs
        net = spec.build(seed=0, dtype=np.float64).eval()
        x = np.random.default_rng(1).standard_normal((3, *spec.input_shape))
        with torch.no_grad():
            out = model(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(out, net(x), rtol=1e-12, atol=1e-12)


def test_activations_are_the_registry_view():
    acts = {k.name: k.module for k in KINDS if k.activation}
    assert kinds.ACTIVATIONS == acts
    for name, cls in acts.items():
        assert LAYERS[name].summary_name == cls.__name__


@pytest.mark.parametrize("kind", [k for k in KINDS if k.activation], ids=lambda k: k.name)
def test_every_elementwise_activation_has_an_explain_rendering(kind):
    if kind.name in NOT_EXPLAINED:
        assert kind.explain is None
        return
    form = kind.explain
    assert form is not None, f"{kind.name}: no explain form (or list it in NOT_EXPLAINED)"
    assert form.text and form.latex
    # A derivative is shown exactly when the module has a backward pass.
    mod = kind.module()
    x = np.linspace(-2, 2, 5).reshape(1, 5)
    mod.forward(x)
    try:
        mod.backward(np.ones_like(x))
        has_backward = True
    except RuntimeError:
        has_backward = False
    assert (form.derivative is not None) == has_backward
    if form.derivative is not None:
        for spelling in form.derivative:
            assert " = " in spelling
    # explain writes a network with it out, in every format, naming it.
    expl = explain_network(f"2-2-{kind.name}-1", "1,-0.5", "0.5", loss="mse", seed=1)
    for fmt_name in FORMATS:
        out = render(expl, fmt_name)
        assert (form.text if fmt_name != "latex" else form.latex) in out
        if form.derivative is not None:
            assert form.derivative[fmt_name == "latex"].partition(" = ")[2] in out


def test_unknown_layer_lists_every_kind():
    with pytest.raises(SpecError) as err:
        ModelSpec.parse("784-swish-10")
    msg = str(err.value)
    assert msg.startswith("model spec '784-swish-10': unknown layer 'swish'; choose one of ")
    for name in LAYERS:
        if name != "linear":
            assert name in msg
    with pytest.raises(SpecError, match="unknown layer 'linear'"):  # written as a width
        ModelSpec.parse("4-linear-2")
    with pytest.raises(SpecError, match="unknown layer 'x'; choose one of"):
        registry.layer_kind("x")


def test_arguments_are_read_and_refused_through_the_record():
    assert LayerSpec("gelu", ("tanh",)) in ModelSpec.parse("3-gelu:tanh-2").layers
    for bad, msg in [("3-gelu:foo-2", "bad argument 'foo' for gelu"),
                     ("3-relu:2-2", "relu takes no argument"),
                     ("3-4:2-2", "a layer width takes no argument"),
                     ("3-dropout:x-2", "bad argument 'x' for dropout")]:
        with pytest.raises(SpecError, match=msg):
            ModelSpec.parse(bad)


# -- losses ---------------------------------------------------------------------------------
def _loss_sample(name):
    """(prediction (4, 3) or (4, 1), target) the loss accepts."""
    rng = np.random.default_rng(0)
    if name == "cross_entropy":
        return rng.standard_normal((4, 3)), np.array([0, 2, 1, 2])
    if name == "bce":
        return rng.uniform(0.05, 0.95, (4, 1)), np.array([[0.0], [1.0], [1.0], [0.0]])
    return rng.standard_normal((4, 1)), rng.uniform(0, 1, (4, 1)).round()


# How explain is run for each loss: (spec, --x, --y).
EXPLAIN_LOSS = {"mse": ("2-2-tanh-1", "1,2", "0.5"), "bce": ("2-2-relu-1-sigmoid", "1,2", "1"),
                "bce_logits": ("2-2-relu-1", "1,2", "1"),
                "cross_entropy": ("2-2-relu-3", "1,2", "2")}


def test_losses_are_the_registry_view():
    assert kinds.LOSSES == {k.name: k.numpy for k in LOSSES.values()}
    assert set(EXPLAIN_LOSS) == set(LOSSES), "give every loss an explain example"


@pytest.mark.parametrize("name", list(LOSSES))
def test_loss_record_is_complete(name):
    kind = LOSSES[name]
    assert kind.name == name and kind.task in ("regression", "classification")
    assert task_of(name) == kind.task
    assert issubclass(kind.numpy, nn.Loss) and isinstance(kinds.get_loss(name), kind.numpy)
    pred, target = _loss_sample(name)
    value = kinds.get_loss(name)(pred, target)
    assert np.isfinite(value)
    spec, x, y = EXPLAIN_LOSS[name]
    out = render(explain_network(spec, x, y, loss=name), "markdown")
    assert f"the loss is {kind.explain};" in out


@pytest.mark.usefixtures("one_torch_thread")
@pytest.mark.parametrize("name", list(LOSSES))
def test_torch_loss_matches_the_numpy_loss(name):
    torch = pytest.importorskip("torch")
    from mlplab.torch.engine import LOSSES as TORCH_LOSSES
    from mlplab.torch.engine import get_loss

    kind = LOSSES[name]
    assert TORCH_LOSSES[name] is getattr(torch.nn, kind.torch_name)
    pred, target = _loss_sample(name)
    for kwargs in ({}, {"reduction": "sum"}):
        expected = kinds.get_loss(name, **kwargs)(pred, target)
        got = get_loss(name, **kwargs)(torch.from_numpy(pred), torch.from_numpy(target)).item()
        assert got == pytest.approx(float(expected), rel=1e-12, abs=1e-12)


def test_unknown_loss_uses_the_one_wording():
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of mse, bce"):
        kinds.get_loss("hinge")
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of"):
        task_of("hinge")


def test_importing_the_registry_does_not_import_torch():
    import subprocess
    import sys

    code = ("import sys, mlplab.registry, mlplab.spec; "
            "sys.exit(1 if 'torch' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_the_experiment_file_page_lists_every_key_the_validator_knows():
    """docs/experiment-files.md is the user's reference: a key added to the validator and not
    to the page fails here."""
    from mlplab.experiments.config import DATA_KEYS, MODEL_KEYS, TOP_TYPES

    page = (Path(__file__).resolve().parents[2] / "docs" / "experiment-files.md").read_text()
    for keys in (MODEL_KEYS, DATA_KEYS, TOP_TYPES):
        missing = [k for k in keys if f"| `{k}` |" not in page]
        assert not missing, f"docs/experiment-files.md lacks {missing}"

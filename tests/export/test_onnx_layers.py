"""ONNX export, layer by layer: every layer kind ModelSpec accepts has a converter or a
refusal by name; each activation's graph equals the NumPy engine's forward within 1e-5; the
preprocessing steps and the output heads equal mlplab's own."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from mlplab import kinds
from mlplab import spec as spec_module
from mlplab.errors import SpecError, UsageError
from mlplab.experiments.preprocess import fit_preprocess, fit_target_preprocess
from mlplab.export.onnx import (
    OPSET,
    converters,
    refused,
    to_onnx,
)
from mlplab.spec import ModelSpec
from mlplab.train import build_engine
from mlplab.train import metrics as M


def layer_kinds() -> set[str]:
    """The layer registry's kinds; before it exists, the kinds ModelSpec.parse accepts."""
    try:
        from mlplab.registry import LAYERS
    except ImportError:
        return {"linear", *kinds.ACTIVATIONS, *spec_module.SHAPE_LAYERS, *spec_module.TWIN_PARSERS}
    return set(LAYERS)


def run(proto, X) -> dict[str, np.ndarray]:
    onnx.checker.check_model(proto, full_check=True)
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, {"input": np.asarray(X, np.float32)})))


def engine_for(spec: str, loss: str, seed: int = 0):
    return build_engine("numpy", spec=spec, loss=loss, optimizer="sgd", lr=0.1, seed=seed)


def test_every_layer_kind_exports_or_is_refused_by_name():
    kinds = layer_kinds()
    assert {"linear", "gelu", "layernorm", "dropout", "mixer"} <= kinds
    exported, refusals = converters(), refused()
    for kind in sorted(kinds):
        assert (kind in exported) != (kind in refusals), kind
        assert callable(exported.get(kind, len)), kind   # each lazy reference resolves
    assert set(exported) | set(refusals) == kinds   # no converter for a kind that is gone
    assert set(refusals) == {"mixer"}   # every other kind of the NumPy engine and twin exports


def test_a_refused_layer_is_named():
    spec = "1x28x28-mixer:patch=7,dim=8,depth=1,tokens_hidden=4,channels_hidden=8-10"
    with pytest.raises(SpecError, match="layer 'mixer' cannot be exported to ONNX: the "
                                        "MLP-Mixer trunk"):
        to_onnx(spec, {}, loss="cross_entropy")


# every activation, with and without its argument; inputs are spread wide (|x| up to ~30) so that
# softplus's threshold branch, sigmoid's saturation and GELU's tails are all reached
ACTIVATION_TOKENS = ["identity", "step", "sigmoid", "tanh", "relu", "leakyrelu",
                     "leakyrelu:0.2", "softplus", "softplus:2", "gelu", "gelu:tanh", "silu",
                     "softmax"]


def test_the_activation_list_covers_every_activation():
    assert {t.split(":")[0] for t in ACTIVATION_TOKENS} == set(kinds.ACTIVATIONS)


@pytest.mark.parametrize("token", ACTIVATION_TOKENS)
def test_each_activation_round_trips_within_1e_5(token):
    spec = f"4-16-{token}-16-{token}-3"
    engine = engine_for(spec, "cross_entropy", seed=3)
    X = np.random.default_rng(0).normal(scale=8.0, size=(301, 4)).astype(np.float32)
    out = run(to_onnx(spec, engine.state_dict(), loss="cross_entropy"), X)
    expected = engine.predict(X)
    np.testing.assert_allclose(out["outputs"], expected, rtol=0, atol=1e-5)


def test_shape_layers_round_trip():
    spec = "2x3-flatten-8-layernorm-relu-dropout:0.5-8-relu-2"
    engine = engine_for(spec, "cross_entropy", seed=1)
    state = engine.state_dict()
    rng = np.random.default_rng(1)
    state["2.weight"] = rng.normal(1, 0.3, 8).astype(np.float32)   # not the identity's 1 and 0
    state["2.bias"] = rng.normal(0, 0.3, 8).astype(np.float32)
    engine.load_state_dict(state)
    X = rng.normal(size=(50, 2, 3)).astype(np.float32)
    out = run(to_onnx(spec, state, loss="cross_entropy"), X)
    np.testing.assert_allclose(out["outputs"], engine.predict(X), atol=1e-5, rtol=0)
    proto = to_onnx(spec, state, loss="cross_entropy")
    assert "Dropout" not in {n.op_type for n in proto.graph.node}   # identity at inference
    assert proto.opset_import[0].version == OPSET


def test_conv_and_maxpool_equal_the_torch_twin():
    import torch
    from mlplab.torch.builder import build

    spec = "2x8x8-conv:4-relu-maxpool-conv:3-gelu-maxpool:2-flatten-5"
    model = build(spec, seed=0).eval()
    state = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    X = np.random.default_rng(2).normal(size=(9, 2, 8, 8)).astype(np.float32)
    with torch.no_grad():
        expected = model(torch.from_numpy(X)).numpy()
    out = run(to_onnx(spec, state, loss="cross_entropy"), X)
    np.testing.assert_allclose(out["outputs"], expected, atol=1e-5, rtol=0)


@pytest.mark.parametrize("spec,loss", [("4-8-relu-1-sigmoid", "bce"), ("4-8-relu-1", "bce_logits"),
                                       ("4-8-relu-3", "cross_entropy")])
def test_classification_heads_follow_the_engines_threshold(spec, loss):
    engine = engine_for(spec, loss, seed=5)
    X = np.random.default_rng(5).normal(size=(400, 4)).astype(np.float32)
    out = run(to_onnx(spec, engine.state_dict(), loss=loss), X)
    z = engine.predict(X)
    np.testing.assert_array_equal(out["label"], M.predicted_classes(z, engine.threshold))
    if loss == "cross_entropy":
        p = np.exp(z - z.max(1, keepdims=True))
        p /= p.sum(1, keepdims=True)
    else:
        p1 = z[:, 0] if loss == "bce" else 1 / (1 + np.exp(-z[:, 0].astype(np.float64)))
        p = np.column_stack([1 - p1, p1])
    np.testing.assert_allclose(out["probabilities"], p, atol=1e-6, rtol=0)
    assert out["label"].dtype == np.int64 and out["label"].shape == (400,)
    assert 0 < out["label"].mean() < 2   # both sides of the threshold are exercised


@pytest.mark.parametrize("name,shape,spec", [
    ("unit", (6, 6), "36-16-relu-3"),
    ("symmetric", (6, 6), "36-16-relu-3"),
    ("zscore", (6, 6), "6x6-flatten-16-relu-3"),
    ("standardize", (5,), "5-16-tanh-3"),
    ("impute+product+standardize", (2,), "3-16-relu-3"),
    ("none", (5,), "5-4-3"),
])
def test_preprocessing_inside_the_graph(name, shape, spec):
    rng = np.random.default_rng(7)
    X = rng.integers(0, 256, (120, *shape)).astype(np.float32)
    if name.startswith("impute"):
        X = rng.normal(3, 2, (120, *shape)).astype(np.float32)
        X[rng.random(X.shape) < 0.1] = np.nan
    transform = fit_preprocess(name, X[:80], ModelSpec.parse(spec))
    engine = engine_for(spec, "cross_entropy", seed=2)
    prep = {"input": transform.to_dict(), "target": None}
    proto = to_onnx(spec, engine.state_dict(), loss="cross_entropy", preprocess=prep,
                    input_shape=shape)
    out = run(proto, X)
    np.testing.assert_allclose(out["outputs"], engine.predict(X, transform=transform),
                               atol=1e-5, rtol=0)


def test_regression_undoes_the_target_scaling():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 3)).astype(np.float32)
    y = 150 + 40 * X[:, 0]
    spec = "3-8-silu-1"
    transform = fit_preprocess("standardize", X, ModelSpec.parse(spec))
    target = fit_target_preprocess("standardize", y)
    engine = engine_for(spec, "mse")
    prep = {"input": transform.to_dict(), "target": target.to_dict()}
    out = run(to_onnx(spec, engine.state_dict(), loss="mse", preprocess=prep), X)
    assert list(out) == ["values"]
    expected = target.inverse(engine.predict(X, transform=transform))
    np.testing.assert_allclose(out["values"], expected, rtol=1e-6, atol=1e-5)


def test_dynamic_batch_and_a_bad_input_shape():
    engine = engine_for("4-3", "cross_entropy")
    proto = to_onnx("4-3", engine.state_dict(), loss="cross_entropy")
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    for n in (1, 2, 1000):
        assert run(proto, np.ones((n, 4)))["label"].shape == (n,)
    with pytest.raises(UsageError, match="input shape 5 does not fit model spec '4-3'"):
        to_onnx("4-3", engine.state_dict(), loss="cross_entropy", input_shape=(5,))

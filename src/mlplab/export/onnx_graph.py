"""A model as an ONNX graph: raw features in, predictions out (graph building only; the
run-folder side is :mod:`mlplab.export.onnx`, scoring :mod:`mlplab.export.onnx_runtime`).

The graph is written with the ``onnx`` package's helper API from the ModelSpec, the weights
(``weights/<model>.npz``) and the fitted preprocessing (``weights/<model>.preprocess.json``)
of a run folder, so that a consumer needs neither mlplab nor its preprocessing code:

    input          float32 (batch, *raw input shape): the rows as loaded (pixels 0..255,
                   NaN where a value is missing when the run imputed)
    preprocessing  flatten, NaN -> training mean (impute), feature map (product), scaler
                   (standardize, zscore, unit, symmetric)
    network        one converter per layer kind, named by its record (``LayerKind.onnx``,
                   the functions of :mod:`mlplab.export.onnx_ops`); dropout is the identity
                   at inference; a kind without one is refused with its record's reason
    outputs        classification: ``label`` int64 (batch,), ``probabilities`` float32
                   (batch, classes) and ``outputs``, the network's own outputs (logits, or the
                   probability of class 1 after a bce model's sigmoid); regression:
                   ``values`` float32 (batch, k) in the target's own units (a run's
                   ``target_preprocess`` is undone inside the graph)

The batch dimension is symbolic (``batch``); the opset is :data:`OPSET` (IR version
:data:`IR_VERSION`, loadable by onnxruntime 1.17 and later). A JSON description (model name,
spec, loss, task, threshold and, for ``mlplab train`` runs, the data's schema) is stored in
the model's metadata under ``"mlplab"``.
"""

from __future__ import annotations

import json

import numpy as np

from mlplab.errors import SpecError, UsageError
from mlplab.registry import LAYERS, loss_kind
from mlplab.spec import ModelSpec
from mlplab.train.engine import task_of, threshold_of

OPSET = 17          # LayerNormalization is an opset-17 operator; GELU is composed from Erf
IR_VERSION = 8      # the IR version of opset 17: older runtimes refuse newer IR versions
BATCH = "batch"

_EXTRA = "ONNX export needs the onnx package: pip install 'mlplab[onnx]'"


def onnx_module():
    """The ``onnx`` package, or a UsageError saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise UsageError(_EXTRA) from None
    return onnx


# --------------------------------------------------------------------------- graph builder
class Graph:
    """Nodes and initializers of one graph, with fresh names."""

    def __init__(self):
        self.onnx = onnx_module()
        self.nodes, self.inits, self._n = [], [], 0

    def name(self, hint: str) -> str:
        self._n += 1
        return f"{hint}_{self._n}"

    def const(self, value, hint: str = "c", dtype=np.float32) -> str:
        name = self.name(hint)
        arr = np.ascontiguousarray(np.asarray(value, dtype=dtype))
        self.inits.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, out: str | None = None,
           **attrs) -> str:
        out = out or self.name(hint or op_type.lower())
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, [out], **attrs))
        return out


def converters() -> dict:
    """layer kind -> its ONNX converter, for every kind whose record has one."""
    return {name: kind.onnx_converter() for name, kind in LAYERS.items()
            if kind.onnx is not None}


def refused() -> dict[str, str]:
    """layer kind -> why it cannot be exported, for every kind without a converter."""
    return {name: kind.onnx_refused for name, kind in LAYERS.items() if kind.onnx is None}


def check_exportable(spec) -> None:
    """Raise SpecError naming the first layer of ``spec`` that cannot be exported."""
    spec = ModelSpec.parse(spec)
    for layer in spec.layers:
        if layer.record.onnx is None:
            raise SpecError(f"model spec {str(spec)!r}: layer {layer.kind!r} cannot be exported "
                            f"to ONNX: {layer.record.onnx_refused}")


# --------------------------------------------------------------------------- preprocessing
def _raw_width(spec: ModelSpec, prep: dict) -> int:
    """Features per row before the feature map (product adds x1*x2 to two inputs)."""
    from mlplab.data.pipeline import parse_preprocess

    fmap = parse_preprocess(prep["name"])[1]
    return spec.in_features - (1 if fmap == "product" else 0)


def _preprocess(g: Graph, x: str, prep: dict | None, flat: bool) -> str:
    """Nodes of ``mlplab.data.pipeline``'s transform: flatten, impute, feature map,
    scaler; float32 throughout, with the same float32 constants NumPy uses."""
    if prep is None:
        return x
    from mlplab.data.pipeline import FEATURE_MAPS, parse_preprocess

    _, fmap, _ = parse_preprocess(prep["name"])
    if fmap is not None and fmap != "product":
        raise SpecError(f"preprocess {prep['name']!r}: feature map {fmap!r} has no ONNX "
                        f"converter (exported: product; known: {', '.join(FEATURE_MAPS)})")
    if prep.get("flatten") and not flat:
        x = g.op("Flatten", [x], "flatten_input", axis=1)
    if prep.get("impute") is not None:
        x = g.op("Where", [g.op("IsNaN", [x]), g.const(prep["impute"], "fill"), x], "impute")
    if fmap == "product":
        starts, ends, axes = (g.const(v, "idx", np.int64) for v in ([0], [1], [1]))
        x0 = g.op("Slice", [x, starts, ends, axes])
        x1 = g.op("Slice", [x, g.const([1], "idx", np.int64), g.const([2], "idx", np.int64),
                            axes])
        x = g.op("Concat", [x, g.op("Mul", [x0, x1])], "product", axis=1)
    s = prep["scaler"]
    kind = s["kind"]
    if kind in ("standardize", "zscore"):
        x = g.op("Sub", [x, g.const(s["mean"], "mean")])
        x = g.op("Div", [x, g.const(s["std"], "std")], "scaled")
    elif kind in ("unit", "symmetric"):
        from mlplab.data.preprocessing import make_scaler

        scaler = make_scaler(kind)
        x = g.op("Div", [x, g.const(scaler.divisor, "divisor")], "scaled")
        if scaler.offset:
            x = g.op("Add", [x, g.const(scaler.offset, "offset")], "scaled")
    elif kind != "none":
        raise SpecError(f"preprocess {prep['name']!r}: scaler {kind!r} has no ONNX converter")
    return x


# --------------------------------------------------------------------------- heads
def _head(g: Graph, z: str, k: int, loss: str, target: dict | None) -> list[tuple[str, list]]:
    """Output nodes after the network's outputs ``z`` (batch, k); returns (name, shape)."""
    TP = g.onnx.TensorProto
    if task_of(loss) == "regression":
        if target is not None:   # TargetScaler.inverse: outputs * std + mean, in float32
            s = target
            if s["kind"] in ("standardize", "zscore"):
                z = g.op("Mul", [z, g.const(s["std"], "target_std")])
                z = g.op("Add", [z, g.const(s["mean"], "target_mean")])
            elif s["kind"] != "none":
                raise SpecError(f"target preprocess {s['kind']!r} has no ONNX converter")
        g.op("Identity", [z], out="values")
        return [("values", [BATCH, k])]
    g.op("Identity", [z], out="outputs")
    kind = loss_kind(loss)
    if kind.probabilities not in ("sigmoid", "identity"):   # softmax over the k outputs
        g.op("Softmax", [z], out="probabilities", axis=1)
        g.op("ArgMax", [z], out="label", axis=1, keepdims=0)
        return [("label", [BATCH]), ("probabilities", [BATCH, k]), ("outputs", [BATCH, k])]
    p = z if kind.probabilities == "identity" else g.op("Sigmoid", [z], "p")
    if k > 1:   # several sigmoid outputs: predicted_classes takes the argmax
        g.op("Identity", [p], out="probabilities")
        g.op("ArgMax", [z], out="label", axis=1, keepdims=0)
        return [("label", [BATCH]), ("probabilities", [BATCH, k]), ("outputs", [BATCH, k])]
    g.op("Concat", [g.op("Sub", [g.const([[1.0]]), p]), p], out="probabilities", axis=1)
    above = g.op("Greater", [z, g.const(threshold_of(loss))])
    flat = g.op("Squeeze", [above, g.const([1], "axes", np.int64)])
    g.op("Cast", [flat], out="label", to=TP.INT64)
    return [("label", [BATCH]), ("probabilities", [BATCH, 2]), ("outputs", [BATCH, 1])]


# --------------------------------------------------------------------------- the model
def to_onnx(spec, state: dict, *, loss: str, preprocess: dict | None = None,
            input_shape=None, metadata: dict | None = None, name: str = "mlplab"):
    """An ``onnx.ModelProto`` of ``spec`` with ``state`` (state-dict arrays, "0.weight", ...).

    preprocess : the content of a ``weights/<model>.preprocess.json`` (``{"input": ...,
        "target": ...}``), or None for a model that takes its inputs as they are.
    input_shape : the raw rows' shape without the batch dimension; default: the spec's input
        shape, or the flattened width when the preprocessing flattens.
    """
    onnx = onnx_module()
    helper, TP = onnx.helper, onnx.TensorProto
    spec = ModelSpec.parse(spec)
    check_exportable(spec)
    prep = (preprocess or {}).get("input")
    target = (preprocess or {}).get("target")
    flat_spec = len(spec.input_shape) == 1
    if input_shape is None:
        input_shape = (_raw_width(spec, prep),) if prep and flat_spec else spec.input_shape
    input_shape = tuple(int(d) for d in input_shape)
    want = _raw_width(spec, prep) if prep and flat_spec else spec.in_features
    if int(np.prod(input_shape)) != want or (not flat_spec and input_shape != spec.input_shape):
        raise UsageError(f"input shape {'x'.join(map(str, input_shape))} does not fit model "
                         f"spec {str(spec)!r}, which takes "
                         f"{want if flat_spec else 'x'.join(map(str, spec.input_shape))} "
                         "values per row")
    g = Graph()
    x = _preprocess(g, "input", prep, flat=len(input_shape) == 1)
    shape = spec.input_shape
    for i, layer in enumerate(spec.layers):
        params = {k.split(".", 1)[1]: np.asarray(v, np.float32) for k, v in state.items()
                  if k.split(".", 1)[0] == str(i)}
        x, shape = layer.record.onnx_converter()(g, layer, x, shape, params)
    outputs = _head(g, x, spec.out_features, loss, target)
    elem = {"label": TP.INT64}
    graph = helper.make_graph(
        g.nodes, name,
        [helper.make_tensor_value_info("input", TP.FLOAT, [BATCH, *input_shape])],
        [helper.make_tensor_value_info(n, elem.get(n, TP.FLOAT), s) for n, s in outputs],
        initializer=g.inits)
    from mlplab import __version__

    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="mlplab", producer_version=__version__,
                              doc_string=f"mlplab model {spec}")
    model.ir_version = IR_VERSION
    meta = {"spec": str(spec), "loss": loss, "opset": OPSET, **(metadata or {})}
    helper.set_model_props(model, {"mlplab": json.dumps(meta)})
    return model

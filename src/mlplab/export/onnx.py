"""A trained model as an ONNX graph: raw features in, predictions out.

The graph is written with the ``onnx`` package's helper API from the ModelSpec, the weights
(``weights/<model>.npz``) and the fitted preprocessing (``weights/<model>.preprocess.json``)
of a run folder, so that a consumer needs neither mlplab nor its preprocessing code:

    input          float32 (batch, *raw input shape): the rows as loaded (pixels 0..255,
                   NaN where a value is missing when the run imputed)
    preprocessing  flatten, NaN -> training mean (impute), feature map (product), scaler
                   (standardize, zscore, unit, symmetric)
    network        one converter per LayerSpec.kind (:data:`CONVERTERS`); dropout is the
                   identity at inference; layers without a converter are refused by name
                   (:data:`REFUSED`)
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
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mlplab.errors import DataError, SpecError, UsageError
from mlplab.spec import LayerSpec, ModelSpec
from mlplab.train.engine import task_of, threshold_of

OPSET = 17          # LayerNormalization is an opset-17 operator; GELU is composed from Erf
IR_VERSION = 8      # the IR version of opset 17: older runtimes refuse newer IR versions
BATCH = "batch"
SOFTPLUS_THRESHOLD = 20.0   # mlplab.nn.Softplus's (and torch's) threshold

_EXTRA = "ONNX export needs the onnx package: pip install 'mlplab[onnx]'"


def _onnx():
    try:
        import onnx
    except ImportError:
        raise UsageError(_EXTRA) from None
    return onnx


# --------------------------------------------------------------------------- graph builder
class _Graph:
    """Nodes and initializers of one graph, with fresh names."""

    def __init__(self):
        self.onnx = _onnx()
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


# --------------------------------------------------------------------------- converters
# converter(graph, layer, x, shape, params) -> (output name, output shape without the batch
# dimension); ``params`` are the layer's weights from the state dict ("weight", "bias").
Converter = Callable[[_Graph, LayerSpec, str, tuple, dict], tuple[str, tuple]]


def _linear(g, layer, x, shape, p):
    w, b = p["weight"], p["bias"]
    return g.op("Gemm", [x, g.const(w, "weight"), g.const(b, "bias")], "linear",
                transB=1), (layer.args[1],)


def _elementwise(op_type: str, **attrs) -> Converter:
    return lambda g, layer, x, shape, p: (g.op(op_type, [x], **attrs), shape)


def _step(g, layer, x, shape, p):   # 1 where x >= 0, else 0 (NaN gives 0, as in NumPy)
    ge = g.op("GreaterOrEqual", [x, g.const(0.0)])
    return g.op("Cast", [ge], "step", to=g.onnx.TensorProto.FLOAT), shape


def _leakyrelu(g, layer, x, shape, p):
    slope = layer.args[0] if layer.args else 0.01
    return g.op("LeakyRelu", [x], alpha=float(slope)), shape


def _softplus(g, layer, x, shape, p):
    # log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (torch's rule)
    beta = float(layer.args[0]) if layer.args else 1.0
    bx = g.op("Mul", [x, g.const(beta)]) if beta != 1.0 else x
    soft = g.op("Softplus", [bx])
    if beta != 1.0:
        soft = g.op("Div", [soft, g.const(beta)])
    big = g.op("Greater", [bx, g.const(SOFTPLUS_THRESHOLD)])
    return g.op("Where", [big, x, soft], "softplus"), shape


def _gelu(g, layer, x, shape, p):
    if layer.args and layer.args[0] == "tanh":
        # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.op("Mul", [x, g.op("Mul", [x, x])])
        inner = g.op("Add", [x, g.op("Mul", [x3, g.const(0.044715)])])
        t = g.op("Tanh", [g.op("Mul", [inner, g.const(math.sqrt(2 / math.pi))])])
        half_x = g.op("Mul", [x, g.const(0.5)])
        return g.op("Mul", [half_x, g.op("Add", [t, g.const(1.0)])], "gelu"), shape
    if layer.args and layer.args[0] != "none":
        raise SpecError(f"gelu:{layer.args[0]}: unknown GELU approximation; use gelu or "
                        "gelu:tanh")
    # x * 0.5 (1 + erf(x / sqrt 2)): the erf form, as mlplab.nn.GELU computes it
    e = g.op("Erf", [g.op("Div", [x, g.const(math.sqrt(2))])])
    cdf = g.op("Mul", [g.op("Add", [e, g.const(1.0)]), g.const(0.5)])
    return g.op("Mul", [x, cdf], "gelu"), shape


def _silu(g, layer, x, shape, p):
    return g.op("Mul", [x, g.op("Sigmoid", [x])], "silu"), shape


def _softmax(g, layer, x, shape, p):
    dim = int(layer.args[0]) if layer.args else -1
    return g.op("Softmax", [x], axis=dim), shape


def _flatten(g, layer, x, shape, p):
    return g.op("Flatten", [x], axis=1), (int(np.prod(shape)),)


def _dropout(g, layer, x, shape, p):
    return x, shape   # inverted dropout: the identity at inference


def _layernorm(g, layer, x, shape, p):
    return g.op("LayerNormalization", [x, g.const(p["weight"], "ln_weight"),
                                       g.const(p["bias"], "ln_bias")],
                "layernorm", axis=-1, epsilon=1e-5), shape


def _conv(g, layer, x, shape, p):   # Conv2d(in, out, 3, padding=1), as the twin builds it
    out = g.op("Conv", [x, g.const(p["weight"], "conv_weight"), g.const(p["bias"], "conv_bias")],
               "conv", kernel_shape=[3, 3], pads=[1, 1, 1, 1])
    return out, (layer.args[1], *shape[1:])


def _maxpool(g, layer, x, shape, p):   # MaxPool2d(k): stride k, no padding, floor
    k = int(layer.args[0]) if layer.args else 2
    return (g.op("MaxPool", [x], "maxpool", kernel_shape=[k, k], strides=[k, k]),
            (shape[0], shape[1] // k, shape[2] // k))


# One entry per LayerSpec.kind that exports; REFUSED names the kinds that do not, and why.
CONVERTERS: dict[str, Converter] = {
    "linear": _linear,
    "identity": lambda g, layer, x, shape, p: (x, shape),
    "step": _step,
    "sigmoid": _elementwise("Sigmoid"),
    "tanh": _elementwise("Tanh"),
    "relu": _elementwise("Relu"),
    "leakyrelu": _leakyrelu,
    "softplus": _softplus,
    "gelu": _gelu,
    "silu": _silu,
    "softmax": _softmax,
    "flatten": _flatten,
    "dropout": _dropout,
    "layernorm": _layernorm,
    "conv": _conv,
    "maxpool": _maxpool,
}
REFUSED: dict[str, str] = {
    "mixer": "the MLP-Mixer trunk (mlplab.torch.mixer) has no ONNX converter; export it with "
             "torch.onnx from the torch twin, or use a model without mixer",
}


def check_exportable(spec) -> None:
    """Raise SpecError naming the first layer of ``spec`` that cannot be exported."""
    spec = ModelSpec.parse(spec)
    for layer in spec.layers:
        if layer.kind in REFUSED:
            raise SpecError(f"model spec {str(spec)!r}: layer {layer.kind!r} cannot be exported "
                            f"to ONNX: {REFUSED[layer.kind]}")
        if layer.kind not in CONVERTERS:
            raise SpecError(f"model spec {str(spec)!r}: layer {layer.kind!r} has no ONNX "
                            "converter; it cannot be exported")


# --------------------------------------------------------------------------- preprocessing
def _raw_width(spec: ModelSpec, prep: dict) -> int:
    """Features per row before the feature map (product adds x1*x2 to two inputs)."""
    from mlplab.experiments.preprocess import _parse_preprocess

    fmap = _parse_preprocess(prep["name"])[1]
    return spec.in_features - (1 if fmap == "product" else 0)


def _preprocess(g: _Graph, x: str, prep: dict | None, flat: bool) -> str:
    """Nodes of ``mlplab.experiments.preprocess``'s transform: flatten, impute, feature map,
    scaler; float32 throughout, with the same float32 constants NumPy uses."""
    if prep is None:
        return x
    from mlplab.experiments.preprocess import FEATURE_MAPS, _parse_preprocess

    _, fmap, _ = _parse_preprocess(prep["name"])
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
BINARY = ("bce", "bce_logits")   # one output column, thresholded as the engines do


def _head(g: _Graph, z: str, k: int, loss: str, target: dict | None) -> list[tuple[str, list]]:
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
    if loss == "cross_entropy" or k > 1 and loss not in BINARY:
        g.op("Softmax", [z], out="probabilities", axis=1)
        g.op("ArgMax", [z], out="label", axis=1, keepdims=0)
        return [("label", [BATCH]), ("probabilities", [BATCH, k]), ("outputs", [BATCH, k])]
    p = z if loss == "bce" else g.op("Sigmoid", [z], "p")
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
    onnx = _onnx()
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
    g = _Graph()
    x = _preprocess(g, "input", prep, flat=len(input_shape) == 1)
    shape = spec.input_shape
    for i, layer in enumerate(spec.layers):
        params = {k.split(".", 1)[1]: np.asarray(v, np.float32) for k, v in state.items()
                  if k.split(".", 1)[0] == str(i)}
        x, shape = CONVERTERS[layer.kind](g, layer, x, shape, params)
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


# --------------------------------------------------------------------------- run folders
@dataclass
class Exported:
    """What :func:`export_onnx` wrote."""

    path: Path
    model: str
    spec: str
    opset: int
    inputs: list[tuple[str, list]]
    outputs: list[tuple[str, list]]

    def describe(self) -> str:
        def fmt(items):
            return ", ".join(f"{n} [{', '.join(map(str, s))}]" for n, s in items)

        return (f"wrote {self.path}: model {self.model} ({self.spec}), ONNX opset {self.opset}; "
                f"inputs {fmt(self.inputs)} -> outputs {fmt(self.outputs)}")


def _model_files(run) -> dict[str, Path]:
    """Saved models of a run: key (``mlp``, or ``data__mlp`` for several data sets) -> .npz;
    only the models config.json names (weights/ also holds e.g. split_rows.npz)."""
    names = {m["name"] for m in run.config["models"]}
    return {p.stem: p for p in sorted((run.path / "weights").glob("*.npz"))
            if p.stem.rsplit("__", 1)[-1] in names}


def load_run_model(run_dir, model: str | None = None):
    """``(key, config entry, state dict, preprocess dict, config)`` of one saved model, every
    file checked first (mlplab.runfolder: a damaged one is a DataError naming it)."""
    from mlplab.runfolder import RunFolder

    run = RunFolder.open(run_dir)
    run_dir, config = run.path, run.config
    files = _model_files(run)
    if not files:
        raise DataError(f"{run_dir}: no saved weights in weights/ (every model diverged, or "
                        "the run holds demos only); nothing to export")
    if model is None:
        if len(files) == 1:
            model = next(iter(files))
        elif "mlp" in files:
            model = "mlp"
        else:
            raise UsageError(f"{run_dir}: the run has several models; choose one with --model "
                             f"({', '.join(files)})")
    from mlplab.runfolder import stem

    key = stem(model)
    if key not in files:
        raise UsageError(f"--model {model!r}: the run has no saved model of that name; choose "
                         f"one of {', '.join(files)}")
    name = key.rsplit("__", 1)[-1]
    entry = run.entry(name)
    from mlplab.experiments.kinds import model_kind

    if not getattr(model_kind(entry), "exportable", False):
        raise UsageError(f"--model {model!r} is a scikit-learn row, which is not saved; choose "
                         f"one of {', '.join(files)}")
    spec, state = run.weights(key, entry)   # also checks the spec the file was saved with
    prep_path = files[key].with_name(f"{key}.preprocess.json")
    if not prep_path.is_file():
        raise DataError(f"{run_dir}: no saved preprocessing for {model!r} ({prep_path.name}); "
                        "the run is older than export, so run it again")
    return key, entry, state, run.preprocess(key, spec)[2], config


def _schema_shape(schema: dict):
    """The shape of one row as ``mlplab predict`` reads it: an image folder's images are
    (H, W) grayscale or (3, H, W) RGB; arrays and tables say their ``input_shape``."""
    if schema.get("format") == "images" and schema.get("image_size"):
        h, w = schema["image_size"]
        return (h, w) if schema.get("grayscale", True) else (3, h, w)
    return schema.get("input_shape")


def export_onnx(run_dir, out=None, *, model: str | None = None, input_shape=None) -> Exported:
    """Write one model of a run folder as ONNX to ``out`` (default ``<model>.onnx``), checked
    with ``onnx.checker.check_model(full_check=True)``; returns what was written."""
    onnx = _onnx()
    from mlplab.util import atomic_write_bytes

    key, entry, state, prep, config = load_run_model(run_dir, model)
    data = config.get("data") or [{}]
    schema = data[0].get("schema") if isinstance(data[0], dict) else None
    if input_shape is None and schema and prep["input"].get("flatten"):
        input_shape = _schema_shape(schema)   # rows as `mlplab predict` reads them
    if isinstance(input_shape, str):
        try:
            input_shape = tuple(int(d) for d in input_shape.lower().split("x"))
        except ValueError:
            raise UsageError(f"--input-shape {input_shape!r}: expected sizes joined by x, "
                             "e.g. 28x28 or 9") from None
    loss = entry["loss"]
    meta = {"model": key, "task": task_of(loss),
            "threshold": threshold_of(loss),
            "engine": config.get("engine", "numpy"), "run": Path(run_dir).name}
    if schema:
        meta["schema"] = schema
    proto = to_onnx(entry["spec"], state, loss=loss, preprocess=prep, input_shape=input_shape,
                    metadata=meta, name=key)
    onnx.checker.check_model(proto, full_check=True)
    out = Path(out) if out is not None else Path(f"{key}.onnx")
    atomic_write_bytes(out, proto.SerializeToString())

    def io(values):
        return [(v.name, [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim])
                for v in values]

    return Exported(out, key, str(ModelSpec.parse(entry["spec"])), OPSET,
                    io(proto.graph.input), io(proto.graph.output))


# --------------------------------------------------------------------------- scoring
def _session(path):
    try:
        import onnxruntime as ort
    except ImportError:
        raise UsageError("scoring an .onnx file needs onnxruntime: pip install "
                         "'mlplab[onnx]'") from None
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file; pass an .onnx file written by `mlplab export`")
    try:
        return ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    except Exception as e:   # onnxruntime raises its own exception types for a bad file
        raise DataError(f"{path}: not an ONNX model onnxruntime can load ({e})") from None


def predict_onnx(path, X) -> dict[str, np.ndarray]:
    """Run an exported model on raw rows ``X`` (batch, *input shape); returns its outputs by
    name (``label``/``probabilities``/``outputs``, or ``values``)."""
    return _run(_session(path), path, X)


def _run(sess, path, X) -> dict[str, np.ndarray]:
    X = np.ascontiguousarray(X, dtype=np.float32)
    want = sess.get_inputs()[0].shape[1:]
    if list(X.shape[1:]) != list(want):
        raise DataError(f"{path}: the model takes rows of shape {tuple(want)}, got "
                        f"{tuple(X.shape[1:])}")
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, {"input": X})))


def read_metadata(path) -> dict:
    """The ``"mlplab"`` description stored in an exported model."""
    return _metadata(_session(path), path)


def _metadata(sess, path) -> dict:
    props = sess.get_modelmeta().custom_metadata_map
    if "mlplab" not in props:
        raise DataError(f"{path}: not written by `mlplab export` (no mlplab metadata)")
    return json.loads(props["mlplab"])


class OnnxModel:
    """An exported model behind the engine's ``predict``/``threshold``, for ``mlplab
    predict``: ``predict(X)`` gives what ``engine.predict`` (then the target's inverse
    scaling) gives, from raw rows, because the preprocessing is inside the graph. One
    onnxruntime session serves the metadata and every prediction."""

    def __init__(self, path):
        self.path = Path(path)
        self.session = _session(self.path)
        self.meta = _metadata(self.session, self.path)
        self.threshold = float(self.meta.get("threshold", 0.0))
        self.task = self.meta.get("task")

    def predict(self, X, batch_size: int | None = None, transform=None):
        out = _run(self.session, self.path, X)
        return out["values"] if "values" in out else out["outputs"]


def load_onnx_model(path):
    """``(schema, entry, transform, target, engine)`` as ``mlplab.byod.predict.load_model``
    returns them, for an exported ``.onnx`` of a ``mlplab train`` run: the transform is the
    identity and the target scaler None, because both are inside the graph."""
    model = OnnxModel(path)
    schema = model.meta.get("schema")
    if not schema:
        raise DataError(f"{path}: exported from a `mlplab run` run, which has no data schema "
                        "for `mlplab predict`; score arrays with "
                        "mlplab.export.onnx.predict_onnx instead")
    entry = {"name": model.meta.get("model"), "spec": model.meta["spec"],
             "loss": model.meta["loss"]}

    def identity(X):
        return np.asarray(X, dtype=np.float32)

    return schema, entry, identity, None, model

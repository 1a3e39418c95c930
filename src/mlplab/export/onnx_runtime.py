"""Scoring an exported ``.onnx`` with onnxruntime: raw rows in, the graph's outputs out, and
the engine-like wrapper ``mlplab predict`` uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from mlplab.errors import DataError, UsageError


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

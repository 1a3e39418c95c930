"""A run folder's model as an ONNX file: ``mlplab export``'s side (run-folder I/O).

The graph is built by :mod:`mlplab.export.onnx_graph` (its docstring describes the inputs,
the preprocessing nodes and the outputs), each layer by its converter in
:mod:`mlplab.export.onnx_ops`; scoring an exported file is :mod:`mlplab.export.onnx_runtime`.
The names of those modules are re-exported here, so ``mlplab.export.onnx`` stays the one
import for users.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mlplab.errors import DataError, UsageError
from mlplab.export.onnx_graph import (  # noqa: F401  (re-exported)
    BATCH,
    IR_VERSION,
    OPSET,
    Graph,
    check_exportable,
    converters,
    onnx_module,
    refused,
    to_onnx,
)
from mlplab.export.onnx_runtime import (  # noqa: F401  (re-exported)
    OnnxModel,
    load_onnx_model,
    predict_onnx,
    read_metadata,
)
from mlplab.spec import ModelSpec
from mlplab.train.engine import task_of, threshold_of


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
    onnx = onnx_module()
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

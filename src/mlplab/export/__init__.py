"""Taking a trained model out of mlplab: ONNX export (``mlplab.export.onnx``, needs the
``[onnx]`` extra) and the ``mlplab export`` command (``mlplab.export.cli``).

Nothing heavy is imported here: ``onnx`` is imported only when a model is exported.
"""

from __future__ import annotations

FORMATS = ("onnx",)


def export(run_dir, out=None, *, model: str | None = None, fmt: str = "onnx",
           input_shape=None):
    """Export one model of a run folder; see :func:`mlplab.export.onnx.export_onnx`."""
    from mlplab.util import lookup

    lookup({f: f for f in FORMATS}, fmt, "export format")
    from mlplab.export.onnx import export_onnx

    return export_onnx(run_dir, out, model=model, input_shape=input_shape)


__all__ = ["FORMATS", "export"]

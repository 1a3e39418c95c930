"""Backpropagation worked out by hand for a small network: ``mlplab explain``.

``trace`` runs the engine's modules one by one and records every number of the forward pass,
the loss, the backward pass and the SGD update; ``mlplab.explain.render`` writes the trace as
text, Markdown or LaTeX; ``PRESETS`` are the course's worked examples with the slides' numbers
beside the engine's.
"""

from mlplab.explain.core import (
    MAX_PARAMETERS,
    Comparison,
    ExplainError,
    Explanation,
    LayerStep,
    Part,
    StepTrace,
    Trace,
    build_model,
    explain_network,
    trace,
)
from mlplab.explain.presets import PRESETS, get_preset

__all__ = [
    "MAX_PARAMETERS", "PRESETS", "Comparison", "ExplainError", "Explanation", "LayerStep",
    "Part", "StepTrace", "Trace", "build_model", "explain_network", "get_preset", "trace",
]

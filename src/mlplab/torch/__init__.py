"""The PyTorch twin: the same ModelSpec built as a ``torch.nn.Sequential``, driven by the same
Trainer through :class:`mlplab.torch.engine.TorchEngine` (``--engine torch``).

Needs the ``[torch]`` extra. Importing ``mlplab.torch`` itself never fails; the first use of
anything that needs torch raises one clear :class:`TorchMissing` (an ImportError, and a
UsageError: one line from the CLI and the notebook API) when torch is absent::

    from mlplab.torch import build, copy_weights, TorchEngine
    model = build("784-256-relu-10", seed=0)      # torch.nn.Sequential, keys "0.weight", ...
    copy_weights(model, ModelSpec.parse("784-256-relu-10").build())   # torch -> NumPy
"""

from __future__ import annotations

import importlib

from mlplab.errors import UsageError

TORCH_MISSING = "the PyTorch twin needs torch: pip install 'mlplab[torch]'"


class TorchMissing(UsageError, ImportError):
    """torch is not installed: an ImportError where code expects one, and a UsageError (the
    user can fix it) for the CLI's and the notebook API's error boundary."""


def require_torch():
    """Return the ``torch`` module, or raise TorchMissing with the install hint."""
    try:
        import torch
    except ImportError:
        raise TorchMissing(TORCH_MISSING) from None
    return torch


# Public names and the submodule that defines each; loaded on first use (PEP 562).
_LAZY = {
    "build": "builder", "copy_weights": "builder", "init_weights": "builder",
    "load_state": "builder",
    "to_torch_dtype": "builder", "ACTIVATIONS": "layers", "Step": "layers",
    "Dropout": "layers", "MLPMixer": "mixer", "MixerBlock": "mixer", "MlpBlock": "mixer",
    "TorchEngine": "engine", "LOSSES": "engine", "OPTIMIZERS": "engine",
    "resolve_device": "engine",
}

__all__ = ["TORCH_MISSING", "TorchMissing", "require_torch", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        require_torch()
        return getattr(importlib.import_module(f"mlplab.torch.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'mlplab.torch' has no attribute {name!r}")

"""The NumPy engine: torch.nn's vocabulary with every backward pass written by hand."""

from mlplab.nn.activations import (
    GELU,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from mlplab.nn.gradcheck import GradcheckError, gradcheck
from mlplab.nn.init import constant_, constant_all_
from mlplab.nn.layers import Dropout, Flatten, LayerNorm, Linear
from mlplab.nn.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, Loss, MSELoss
from mlplab.nn.module import Module, Parameter, Sequential
from mlplab.nn.serialization import load, save
from mlplab.nn.summary import ModelSummary, summary

# ACTIVATIONS (name -> module class) and LOSSES (name -> loss class) are views of the one
# table, mlplab.registry, made each time they are read (a kind registered later is in them):
# the registry imports this package's modules, so importing it here would be a cycle.
_REGISTRY_VIEWS = ("ACTIVATIONS", "LOSSES")


def __getattr__(name: str):
    if name in _REGISTRY_VIEWS:
        from mlplab import registry

        views = {"ACTIVATIONS": {k.name: k.module for k in registry.LAYERS.values()
                                 if k.activation},
                 "LOSSES": {k.name: k.numpy for k in registry.LOSSES.values()}}
        return views[name]
    raise AttributeError(f"module 'mlplab.nn' has no attribute {name!r}")


def get_loss(name: str, **kwargs) -> Loss:
    """Build a loss by name: one of ``LOSSES``' keys (``mlplab.registry.LOSSES``)."""
    from mlplab.registry import loss_kind

    return loss_kind(name).build(**kwargs)


__all__ = [
    "ACTIVATIONS", "LOSSES", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout",
    "Flatten", "GELU", "GradcheckError", "Identity", "LayerNorm", "LeakyReLU", "Linear", "Loss",
    "MSELoss", "ModelSummary", "Module", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Step", "Tanh", "constant_", "constant_all_", "get_loss", "gradcheck",
    "load", "save", "summary",
]

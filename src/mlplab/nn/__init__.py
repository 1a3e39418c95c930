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
from mlplab.util import lookup

ACTIVATIONS = {
    "identity": Identity, "step": Step, "sigmoid": Sigmoid, "tanh": Tanh, "relu": ReLU,
    "leakyrelu": LeakyReLU, "softplus": Softplus, "gelu": GELU, "silu": SiLU,
    "softmax": Softmax,
}
LOSSES = {
    "mse": MSELoss, "bce": BCELoss, "bce_logits": BCEWithLogitsLoss,
    "cross_entropy": CrossEntropyLoss,
}


def get_loss(name: str, **kwargs) -> Loss:
    """Build a loss by name: one of ``LOSSES``' keys."""
    return lookup(LOSSES, name, "loss")(**kwargs)


__all__ = [
    "ACTIVATIONS", "LOSSES", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout",
    "Flatten", "GELU", "GradcheckError", "Identity", "LayerNorm", "LeakyReLU", "Linear", "Loss",
    "MSELoss", "ModelSummary", "Module", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Step", "Tanh", "constant_", "constant_all_", "get_loss", "gradcheck",
    "load", "save", "summary",
]

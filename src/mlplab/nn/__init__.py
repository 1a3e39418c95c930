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

# The registry's tables by name (ACTIVATIONS, LOSSES, get_loss) are mlplab.kinds, read when
# used (a kind registered later is in them): the registry is made of this package's classes,
# so this package does not import it.

__all__ = [
    "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "Dropout",
    "Flatten", "GELU", "GradcheckError", "Identity", "LayerNorm", "LeakyReLU", "Linear", "Loss",
    "MSELoss", "ModelSummary", "Module", "Parameter", "ReLU", "Sequential", "SiLU", "Sigmoid",
    "Softmax", "Softplus", "Step", "Tanh", "constant_", "constant_all_", "gradcheck",
    "load", "save", "summary",
]

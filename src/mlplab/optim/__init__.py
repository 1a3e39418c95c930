"""Optimizers with torch.optim's names, defaults and update rules, written out in NumPy."""

from mlplab.optim.optimizers import (
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    AdamW,
    Optimizer,
    RMSprop,
    get_optimizer,
    optimizer_choices,
    register_optimizer,
)

__all__ = ["OPTIMIZERS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop",
           "get_optimizer", "optimizer_choices", "register_optimizer"]

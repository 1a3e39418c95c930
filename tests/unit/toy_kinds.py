"""A toy activation, loss and optimizer, each its class plus one record, registered by
``register()``: the only code a new kind needs (``test_new_kind.py`` checks every face)."""

from __future__ import annotations

import numpy as np

from mlplab import optim, registry
from mlplab.nn import Module
from mlplab.nn.losses import Loss


class Softsign(Module):
    """f(z) = z / (1 + |z|); f'(z) = 1 / (1 + |z|)^2."""

    def forward(self, x):
        self._d = 1 + np.abs(x)
        return x / self._d

    def backward(self, grad):
        return grad / (self._d * self._d)


class L1Loss(Loss):
    """mean |x - y| over every element; dL/dx = sign(x - y) / n_elements."""

    def forward(self, input, target):
        self._same_shape(input, target)
        diff = input - target
        self._grad = np.sign(diff) / (diff.size if self.reduction == "mean" else 1)
        return self._reduce(np.abs(diff), diff.size)


class PlainSGD(optim.Optimizer):
    """p -= lr g: SGD without momentum or weight decay (torch.optim.SGD's defaults)."""

    defaults = dict(lr=1e-2)
    name, label, torch_name, suggested_lr = "plainsgd", "Plain SGD", "SGD", 0.05

    def _update(self, p, g, state, group):
        p.data -= group["lr"] * g


def softsign_onnx(g, layer, x, shape, p):
    return g.op("Softsign", [x], "softsign"), shape


def _torch_softsign():
    import torch

    return torch.nn.Softsign()


ACTIVATION = registry.activation(
    Softsign, _torch_softsign,
    registry.ExplainForm("softsign", r"\operatorname{softsign}",
                         ("softsign'(z) = 1 / (1 + |z|)²",
                          r"\operatorname{softsign}'(z) = 1 / (1 + |z|)^2")),
    label="Softsign", onnx=softsign_onnx)
LOSS = registry.LossKind("l1", "regression", L1Loss, "L1Loss", "mean absolute error (L1Loss)",
                         label="MAE", gradient=("sign(a^[<L>] - y)",
                                                r"\operatorname{sign}(a^{[<L>]} - y)"))


def register() -> None:
    registry.register_layer(ACTIVATION)
    registry.register_loss(LOSS)
    optim.register_optimizer(PlainSGD)


def unregister() -> None:
    registry.LAYERS.pop(ACTIVATION.name, None)
    registry.LOSSES.pop(LOSS.name, None)
    optim.OPTIMIZERS.pop(PlainSGD.name, None)

"""The engine interface the Trainer drives, and the NumPy engine.

An engine owns a model, its loss and its optimizer, and speaks NumPy arrays at its edges, so
one Trainer serves the NumPy engine and the PyTorch twin alike:

    prepare_targets(y)      targets as the loss wants them, once per data set
    train_step(xb, yb)      forward, loss, backward, update -> (loss, outputs)
    predict(X, transform=None)  outputs in eval mode (logits or predictions), (n, k)
    loss(outputs, y)        the loss of given outputs, as a float
    state_dict() / load_state_dict(), optimizer_state_dict() / load_optimizer_state_dict()
    lr                      the learning rate (settable), for diagnoses and schedules
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np

from mlplab import nn
from mlplab.optim import get_optimizer
from mlplab.spec import ModelSpec
from mlplab.util import lookup

# Which task each loss serves (the course's output/loss pairs, seed 004).
LOSS_TASK = {"mse": "regression", "bce": "classification", "bce_logits": "classification",
             "cross_entropy": "classification"}


def task_of(loss: str) -> str:
    return lookup(LOSS_TASK, loss, "loss")


def prepare_targets(loss: str, y: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Class indices (n,) int64 for cross-entropy; a column (n, 1) of ``dtype`` for the
    losses that compare elementwise with a one-output network, so nothing broadcasts."""
    y = np.asarray(y)
    if loss == "cross_entropy":
        return np.ascontiguousarray(y, dtype=np.int64)
    return np.ascontiguousarray(y.reshape(len(y), -1), dtype=dtype)


class LearningRate:
    """``engine.lr``: the first parameter group's learning rate; setting it sets every
    group's (what a schedule needs). Shared by both engines, whose optimizers both keep
    torch-style ``param_groups``."""

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float):
        for g in self.optimizer.param_groups:
            g["lr"] = value


class NumpyEngine(LearningRate):
    """The hand-written engine: ``model.forward``, ``loss``, ``model.backward``, ``step``."""

    name = "numpy"

    def __init__(self, model: nn.Module, loss_name: str, optimizer, *, loss_kwargs=None,
                 dtype=np.float32):
        self.model, self.loss_name, self.optimizer = model, loss_name, optimizer
        self.task = task_of(loss_name)
        self.loss_fn = nn.get_loss(loss_name, **(loss_kwargs or {}))
        self._eval_loss = copy.deepcopy(self.loss_fn)
        self.dtype = np.dtype(dtype)
        # a single binary output is a probability after BCELoss's sigmoid, else a logit
        self.threshold = 0.5 if loss_name == "bce" else 0.0

    @classmethod
    def from_spec(cls, spec, loss: str, optimizer: str, lr: float, seed: int | None = 0,
                  optimizer_kwargs=None, loss_kwargs=None, dtype=np.float32, **_):
        model = ModelSpec.parse(spec).build(seed, dtype=dtype)
        opt = get_optimizer(optimizer, model.parameters(), lr=lr, **(optimizer_kwargs or {}))
        return cls(model, loss, opt, loss_kwargs=loss_kwargs, dtype=dtype)

    def prepare_targets(self, y):
        return prepare_targets(self.loss_name, y, self.dtype)

    def train_step(self, xb, yb):
        model = self.model
        model.train()
        out = model.forward(xb)
        loss = self.loss_fn(out, yb)
        self.optimizer.zero_grad()
        if isinstance(model, nn.Sequential):
            model.backward(self.loss_fn.backward(), input_grad=False)
        else:
            model.backward(self.loss_fn.backward())
        self.optimizer.step()
        return float(loss), out

    def predict(self, X, batch_size: int = 8192, transform=None):
        """Outputs (n, k) for every row of X in eval mode, ``batch_size`` rows at a time,
        each chunk passed through ``transform`` first (the model's preprocessing) when given.

        A chunk is always a fresh array: layers keep their last input for ``backward``, and a
        view would keep the caller's whole array alive for as long as the model lives.
        """
        self.model.eval()
        outs = []
        for i in range(0, len(X), batch_size):
            chunk = X[i:i + batch_size]
            outs.append(self.model.forward(transform(chunk) if transform else np.array(chunk)))
        return np.concatenate(outs) if len(outs) != 1 else outs[0].copy()

    def loss(self, outputs, y) -> float:
        return float(self._eval_loss(outputs, y))

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)

    def optimizer_state_dict(self):
        return self.optimizer.state_dict()

    def load_optimizer_state_dict(self, state):
        self.optimizer.load_state_dict(state)

    def num_parameters(self) -> int:
        return self.model.num_parameters()

    def save(self, path, **metadata):
        """Weights to ``.npz`` (state_dict keys, no pickle)."""
        return nn.save(self.model, path, **metadata)


def _torch_engine(**kwargs):
    from mlplab.torch.engine import TorchEngine  # needs the [torch] extra

    return TorchEngine.from_spec(**kwargs)


ENGINES: dict[str, Callable] = {"numpy": NumpyEngine.from_spec, "torch": _torch_engine}


def build_engine(engine: str, **kwargs):
    """``build_engine("numpy", spec=..., loss=..., optimizer=..., lr=..., seed=...)``."""
    return lookup(ENGINES, engine, "engine")(**kwargs)

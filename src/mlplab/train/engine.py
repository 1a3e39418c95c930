"""The engine interface the Trainer drives, the behaviour both engines share, and the NumPy
engine.

An engine owns a model, its loss and its optimizer, and speaks NumPy arrays at its edges, so
one Trainer, the runner, the reports and ``mlplab predict`` serve the NumPy engine and the
PyTorch twin alike. :class:`Engine` lists what they use; :class:`BaseEngine` holds what is
the same in both (chunked predict, thresholding, targets, the learning rate, saving); an
engine adds its forward pass, training step, loss and state. Engines are built by name
through :mod:`mlplab.engines` (``build_engine("numpy", spec=..., ...)``), which imports an
engine's module only when it is asked for, so this module never imports torch.
"""

from __future__ import annotations

import contextlib
import copy
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from mlplab import nn
from mlplab.kinds import get_loss
from mlplab.optim import get_optimizer
from mlplab.registry import loss_kind, task_of
from mlplab.spec import ModelSpec
from mlplab.train.metrics import predicted_classes


def prepare_targets(loss: str, y: np.ndarray, dtype=np.float32) -> np.ndarray:
    """Class indices (n,) int64 for cross-entropy; a column (n, 1) of ``dtype`` for the
    losses that compare elementwise with a one-output network, so nothing broadcasts."""
    y = np.asarray(y)
    if loss_kind(loss).targets == "indices":
        return np.ascontiguousarray(y, dtype=np.int64)
    return np.ascontiguousarray(y.reshape(len(y), -1), dtype=dtype)


def threshold_of(loss: str) -> float:
    """Where a single output column turns into class 1: 0.5 for a probability (BCELoss's
    outputs have been through a sigmoid), 0.0 for a logit (every other loss)."""
    threshold = loss_kind(loss).threshold
    return 0.0 if threshold is None else threshold


@runtime_checkable
class Engine(Protocol):
    """Everything the Trainer, the runner, the reports and ``mlplab predict`` use of an
    engine. Arrays in and out are NumPy; n is a number of rows, k the model's outputs.

    Engines are built by :func:`mlplab.engines.build_engine`, which calls ``from_spec``.
    Subclassing :class:`BaseEngine` gives everything but the forward pass, the training
    step, the loss and the state.
    """

    name: str          # the key in mlplab.engines.ENGINES: "numpy", "torch"
    l1: float          # the L1 penalty's rate (0: none), see BaseEngine.l1
    task: str          # "regression" or "classification", from the loss
    threshold: float   # one output column is class 1 above this (see threshold_of)
    dtype: np.dtype    # float32 or float64: of the parameters and the prepared targets

    @classmethod
    def from_spec(cls, spec, loss: str, optimizer: str, lr: float, seed: int | None = 0,
                  optimizer_kwargs=None, loss_kwargs=None, dtype=np.float32, l1: float = 0.0,
                  **options) -> Engine:
        """The model of ``spec`` (a ModelSpec or its text) with the initial weights of
        ``seed``, the loss and optimizer by name, and an L1 penalty of rate ``l1`` (see
        ``BaseEngine.l1``); ``options`` are an engine's own (torch: ``device``), ignored by an
        engine that has none."""

    @property
    def lr(self) -> float:
        """The learning rate of the first parameter group; setting it sets every group's."""

    @lr.setter
    def lr(self, value: float) -> None: ...

    def prepare_targets(self, y: np.ndarray) -> np.ndarray:
        """Targets y (n,) or (n, t) as the loss wants them, once per data set: class indices
        (n,) int64 for cross-entropy, else (n, t) of ``dtype`` ((n,) becomes (n, 1))."""

    def train_step(self, xb: np.ndarray, yb: np.ndarray) -> tuple[float, np.ndarray]:
        """Forward, loss, backward and update on one batch xb (b, ...) with prepared targets
        yb; returns the batch's loss and its outputs (b, k) from before the update."""

    def predict(self, X: np.ndarray, batch_size: int | None = None,
                transform=None) -> np.ndarray:
        """Outputs (n, k) (logits or predictions) for X (n, ...) in eval mode, ``batch_size``
        rows at a time (None: the engine's default), each chunk passed through ``transform``
        first when given (the model's preprocessing). A fresh array, never a view."""

    def labels(self, outputs: np.ndarray) -> np.ndarray:
        """Class labels (n,) int64 from outputs (n, k): the argmax, or for k == 1 whether the
        output is above ``threshold``."""

    def loss(self, outputs: np.ndarray, y: np.ndarray) -> float:
        """The loss of outputs (n, k) against prepared targets y, as a float."""

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed as torch keys them ("0.weight" (out, in), ...)."""

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Copy arrays with ``state_dict``'s keys and shapes into the parameters."""

    def optimizer_state_dict(self) -> dict:
        """``{"state": {i: {name: array or number}}, "param_groups": [dict]}``: torch's
        layout with NumPy arrays and plain numbers (what the Trainer's checkpoints keep)."""

    def load_optimizer_state_dict(self, state: dict) -> None:
        """The inverse of ``optimizer_state_dict``."""

    def num_parameters(self) -> int:
        """How many trainable numbers the model has."""

    def save(self, path, **metadata: str) -> Path:
        """The weights to ``.npz`` in :func:`mlplab.nn.save`'s format (no pickle), with
        ``metadata`` strings such as ``spec=...``; returns the path."""


class BaseEngine(ABC):
    """What both engines share. A subclass sets ``name`` and implements ``from_spec``,
    ``train_step``, ``_forward`` (one chunk of ``predict``), ``loss`` and the four state
    methods. It keeps its model in ``model`` and its optimizer, whose ``param_groups`` are
    torch's, in ``optimizer``."""

    name: str = ""
    predict_batch: int = 8192      # rows per forward pass in predict when none is given
    # The L1 penalty l1 * sum|p| over every parameter, applied as its subgradient
    # l1 * sign(p) added to each gradient before the optimizer's step: the counterpart of
    # the optimizers' weight_decay for L2 (also every parameter, also not in the reported
    # loss). 0 leaves the step untouched.
    l1: float = 0.0
    model: object                  # the engine's own: an nn.Module, a torch.nn.Module
    optimizer: object              # the engine's own, with torch-style param_groups

    def __init__(self, model, loss_name: str, optimizer, *, dtype=np.float32):
        self.model, self.loss_name, self.optimizer = model, loss_name, optimizer
        self.task = task_of(loss_name)
        self.dtype = np.dtype(dtype)
        self.threshold = threshold_of(loss_name)

    @classmethod
    @abstractmethod
    def from_spec(cls, spec, loss: str, optimizer: str, lr: float, seed: int | None = 0,
                  optimizer_kwargs=None, loss_kwargs=None, dtype=np.float32, l1: float = 0.0,
                  **options):
        """See :meth:`Engine.from_spec`."""

    def _with_l1(self, l1) -> BaseEngine:
        """This engine with L1 rate ``l1`` (a finite number >= 0), for ``from_spec``."""
        l1 = float(l1)
        if not (l1 >= 0 and np.isfinite(l1)):
            raise ValueError(f"l1 must be a finite number >= 0 (the L1 penalty's rate), "
                             f"not {l1!r}")
        self.l1 = l1
        return self

    # -- the learning rate ------------------------------------------------------------------
    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float):
        # every group: what a schedule means
        for g in self.optimizer.param_groups:
            g["lr"] = value

    # -- targets, outputs, labels -----------------------------------------------------------
    def prepare_targets(self, y):
        return prepare_targets(self.loss_name, y, self.dtype)

    def predict(self, X, batch_size: int | None = None, transform=None):
        """Outputs (n, k) for every row of X (n, ...) in eval mode, ``batch_size`` rows at a
        time (default ``predict_batch``), each chunk passed through ``transform`` first
        (the model's preprocessing) when given."""
        batch_size = batch_size or self.predict_batch
        self.model.eval()
        outs, n = [], len(X)
        with self._inference():
            for i in range(0, n, batch_size):
                chunk = X[i:i + batch_size]
                if transform:
                    outs.append(self._forward(transform(chunk), owned=True))
                else:
                    # what a model keeps of its input is the next chunk's to replace: only
                    # the last chunk would outlive the call
                    outs.append(self._forward(chunk, owned=i + batch_size < n))
        return np.concatenate(outs) if len(outs) != 1 else outs[0].copy()

    def _inference(self):
        """The context ``predict``'s forward passes run in (torch: no autograd)."""
        return contextlib.nullcontext()

    @abstractmethod
    def _forward(self, x, owned: bool) -> np.ndarray:
        """Outputs (m, k) of one chunk x (m, ...) in eval mode, as a NumPy array. ``owned``:
        the model may keep x after the call (a transform's fresh result, or a chunk that the
        next chunk's forward pass replaces); else x is a view of the caller's data that must
        not outlive the call."""

    def labels(self, outputs):
        return predicted_classes(outputs, self.threshold)

    @abstractmethod
    def loss(self, outputs, y) -> float:
        """See :meth:`Engine.loss`."""

    # -- state ------------------------------------------------------------------------------
    @abstractmethod
    def state_dict(self) -> dict[str, np.ndarray]:
        """See :meth:`Engine.state_dict`."""

    @abstractmethod
    def load_state_dict(self, state) -> None:
        """See :meth:`Engine.load_state_dict`."""

    @abstractmethod
    def optimizer_state_dict(self) -> dict:
        """See :meth:`Engine.optimizer_state_dict`."""

    @abstractmethod
    def load_optimizer_state_dict(self, state) -> None:
        """See :meth:`Engine.load_optimizer_state_dict`."""

    def num_parameters(self) -> int:
        return sum(int(np.prod(p.shape)) for p in self.model.parameters())

    def save(self, path, **metadata) -> Path:
        """Weights to ``.npz`` (``state_dict``'s keys, no pickle), which
        :func:`mlplab.nn.load` reads whichever engine wrote them."""
        return nn.save(self, path, **metadata)


class NumpyEngine(BaseEngine):
    """The hand-written engine: ``model.forward``, ``loss``, ``model.backward``, ``step``."""

    name = "numpy"

    def __init__(self, model: nn.Module, loss_name: str, optimizer, *, loss_kwargs=None,
                 dtype=np.float32):
        super().__init__(model, loss_name, optimizer, dtype=dtype)
        self.loss_fn = get_loss(loss_name, **(loss_kwargs or {}))
        self._eval_loss = copy.deepcopy(self.loss_fn)

    @classmethod
    def from_spec(cls, spec, loss: str, optimizer: str, lr: float, seed: int | None = 0,
                  optimizer_kwargs=None, loss_kwargs=None, dtype=np.float32, l1: float = 0.0,
                  **_):
        model = ModelSpec.parse(spec).build(seed, dtype=dtype)
        opt = get_optimizer(optimizer, model.parameters(), lr=lr, **(optimizer_kwargs or {}))
        return cls(model, loss, opt, loss_kwargs=loss_kwargs, dtype=dtype)._with_l1(l1)

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
        if self.l1:
            for p in model.parameters():
                p.grad += self.l1 * np.sign(p.data)
        self.optimizer.step()
        return float(loss), out

    def _forward(self, x, owned):
        # layers keep their last input for backward, and a view would keep the caller's whole
        # array alive for as long as the model lives: a chunk is copied unless it is owned
        return self.model.forward(x if owned else np.array(x))

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

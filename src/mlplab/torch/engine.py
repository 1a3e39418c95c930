"""TorchEngine: the PyTorch twin behind the engine interface the Trainer drives.

A :class:`mlplab.train.engine.BaseEngine` like the NumPy engine, NumPy arrays at the edges
(``train_step``, ``predict``, ``loss``, ``state_dict``, ``optimizer_state_dict`` take and give
NumPy arrays and plain numbers), so ``--engine torch`` runs every experiment through the same
Trainer, checkpoints and reports. Loss and optimizer names map to torch's classes below.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mlplab.errors import UsageError
from mlplab.registry import loss_kind
from mlplab.spec import ModelSpec
from mlplab.torch import require_torch
from mlplab.torch.builder import build, load_state, to_torch_dtype
from mlplab.train.engine import BaseEngine
from mlplab.util import lookup

torch = require_torch()


def _torch_losses() -> dict:
    """mlplab's loss names -> torch.nn classes, read from the loss registry."""
    from mlplab.registry import LOSSES as kinds

    return {name: kind.torch_class() for name, kind in kinds.items()}


LOSSES = _torch_losses()
def _torch_optimizers() -> dict:
    """mlplab's optimizer names -> torch.optim classes, read from each optimizer's
    ``torch_name`` (mlplab.optim.OPTIMIZERS)."""
    from mlplab.optim import OPTIMIZERS as kinds

    return {name: getattr(torch.optim, cls.torch_name) for name, cls in kinds.items()}


OPTIMIZERS = _torch_optimizers()


def _cuda(name: str):
    if not torch.cuda.is_available():
        raise UsageError(f"Invalid device: {name!r}: CUDA is not available here (torch "
                         f"{torch.__version__}); use --device cpu or --device auto")
    try:
        dev = torch.device(name)
    except RuntimeError:
        raise UsageError(f"Invalid device: {name!r}; write cuda or cuda:N") from None
    if dev.index is not None and dev.index >= torch.cuda.device_count():
        raise UsageError(f"Invalid device: {name!r}; this machine has "
                         f"{torch.cuda.device_count()} CUDA device(s)")
    return dev


DEVICES: dict[str, Callable] = {
    "auto": lambda name: torch.device("cuda" if torch.cuda.is_available() else "cpu"),
    "cpu": lambda name: torch.device("cpu"),
    "cuda": _cuda,
}


def resolve_device(device=None):
    """A ``torch.device`` from "auto" (CUDA when available, else the CPU; also None), "cpu",
    "cuda" or "cuda:N", or a ``torch.device``. A device this machine lacks is a UsageError."""
    if isinstance(device, torch.device):
        return device
    name = "auto" if device is None else str(device).strip().lower()
    kind = name.split(":")[0]
    if kind not in DEVICES:
        raise UsageError(f"Invalid device: {device!r}; choose one of {', '.join(DEVICES)}")
    return DEVICES[kind](name)


def get_loss(name: str, **kwargs):
    """A torch loss module by mlplab's loss name (the loss registry's keys, read now, so a
    loss registered after this module was imported is found too)."""
    return lookup(_torch_losses(), name, "loss")(**kwargs)


def get_optimizer(name: str, params, **hyper):
    """A ``torch.optim`` optimizer by mlplab's optimizer name (mlplab.optim.OPTIMIZERS' keys,
    read now)."""
    return lookup(_torch_optimizers(), name.lower(), "optimizer")(params, **hyper)


def _plain(v):
    """A tensor of optimizer state as a NumPy array (a 0-d one as a Python number)."""
    if isinstance(v, torch.Tensor):
        v = v.detach().cpu()
        return v.item() if v.ndim == 0 else v.numpy().copy()
    return v


class TorchEngine(BaseEngine):
    """A ``torch.nn.Module``, a torch loss and a ``torch.optim`` optimizer on one device.

    Inputs arrive as NumPy arrays (N, ...) and are moved to ``device`` in ``dtype``; when the
    model was built from a spec, inputs whose trailing shape differs from the spec's input but
    holds as many values are reshaped to it ((N, 28, 28) images for a 1x28x28 spec).
    """

    name = "torch"

    def __init__(self, model, loss_name: str, optimizer, *, loss_kwargs=None,
                 dtype=np.float32, device=None, input_shape: tuple | None = None):
        super().__init__(model, loss_name, optimizer, dtype=dtype)
        self.loss_fn = get_loss(loss_name, **(loss_kwargs or {}))
        # targets compared elementwise (every loss but class indices' cross-entropy)
        self._values = loss_kind(loss_name).targets == "values"
        self.tdtype = to_torch_dtype(dtype)
        first = next(model.parameters(), None)
        self.device = (resolve_device(device) if device is not None
                       else first.device if first is not None else torch.device("cpu"))
        self.model.to(self.device)
        self.input_shape = tuple(input_shape) if input_shape is not None else None

    @classmethod
    def from_spec(cls, spec, loss: str, optimizer: str, lr: float, seed: int | None = 0,
                  optimizer_kwargs=None, loss_kwargs=None, dtype=np.float32, l1: float = 0.0,
                  device="auto", **_):
        """Build ``spec`` on ``device`` ("auto", "cpu", "cuda") starting from the NumPy
        engine's initial weights for ``seed`` (see :func:`mlplab.torch.build`)."""
        spec = ModelSpec.parse(spec)
        dev = resolve_device(device)
        model = build(spec, seed, dtype=dtype, device=dev)
        opt = get_optimizer(optimizer, model.parameters(), lr=lr, **(optimizer_kwargs or {}))
        engine = cls(model, loss, opt, loss_kwargs=loss_kwargs, dtype=dtype, device=dev,
                     input_shape=spec.input_shape)._with_l1(l1)
        # keep predict's activations near 2^24 values (64 MB in float32): a conv layer's output
        # is thousands of values per image
        widest = max([spec.in_features] + [int(np.prod(s)) for _, s, _ in spec.layer_table()])
        engine.predict_batch = int(np.clip(2**24 // widest, 1, 8192))
        return engine

    # -- arrays in and out ------------------------------------------------------------------
    def _inputs(self, X) -> torch.Tensor:
        X = np.asarray(X)
        if not X.flags.writeable:  # torch.from_numpy warns on read-only arrays
            X = X.copy()
        x = torch.from_numpy(np.ascontiguousarray(X))
        want = self.input_shape
        if want is not None and tuple(x.shape[1:]) != want:
            if int(np.prod(x.shape[1:])) != int(np.prod(want)):
                raise ValueError(f"TorchEngine: inputs of shape {tuple(X.shape)} do not fit the "
                                 f"model's input {want}")
            x = x.reshape(len(x), *want)
        return x.to(self.device, self.tdtype)

    def _targets(self, y) -> torch.Tensor:
        t = torch.from_numpy(np.ascontiguousarray(y))
        if self._values:
            t = t.to(self.tdtype)
        return t.to(self.device)

    def _check(self, out, y) -> None:
        if self._values and out.shape != y.shape:
            raise ValueError(f"{type(self.loss_fn).__name__}: prediction shape "
                             f"{tuple(out.shape)} and target shape {tuple(y.shape)} differ; "
                             f"reshape the target to {tuple(out.shape)}")

    # -- the engine interface ---------------------------------------------------------------
    def train_step(self, xb, yb):
        """Forward, loss, backward, update on one batch -> (loss, outputs as NumPy)."""
        self.model.train()
        x, y = self._inputs(xb), self._targets(yb)
        out = self.model(x)
        self._check(out, y)
        loss = self.loss_fn(out, y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.l1:
            with torch.no_grad():
                for p in self.model.parameters():
                    if p.grad is not None:
                        p.grad.add_(torch.sign(p), alpha=self.l1)
        self.optimizer.step()
        return float(loss.detach()), out.detach().cpu().numpy()

    def _inference(self):
        return torch.inference_mode()

    def _forward(self, x, owned):
        # unlike the NumPy engine's layers, a torch model keeps nothing of its input
        return self.model(self._inputs(x)).cpu().numpy()

    def loss(self, outputs, y) -> float:
        """The loss of given outputs (n, k) against prepared targets, as a float."""
        out = torch.from_numpy(np.ascontiguousarray(outputs))
        t = torch.from_numpy(np.ascontiguousarray(y))
        if self._values:
            t = t.to(out.dtype)
        self._check(out, t)
        with torch.no_grad():
            return float(self.loss_fn(out, t))

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter as NumPy arrays, keyed "0.weight", "0.bias", ..."""
        return {k: v.detach().cpu().numpy().copy() for k, v in self.model.state_dict().items()}

    def load_state_dict(self, state) -> None:
        load_state(self.model, state)

    def optimizer_state_dict(self) -> dict:
        """torch's optimizer state dict with tensors as NumPy arrays and 0-d tensors (the
        step counts) as numbers: what the Trainer's checkpoints store."""
        sd = self.optimizer.state_dict()
        state = {int(i): {k: _plain(v) for k, v in s.items()} for i, s in sd["state"].items()}
        groups = [{k: _plain(v) for k, v in g.items()} for g in sd["param_groups"]]
        return {"state": state, "param_groups": groups}

    def load_optimizer_state_dict(self, state) -> None:
        """The inverse of ``optimizer_state_dict``. Lists in ``param_groups`` (JSON's form of
        a tuple such as Adam's betas) become tuples, as torch writes them."""
        def tensor(name, v):
            if isinstance(v, np.ndarray):
                return torch.from_numpy(np.array(v))
            if name == "step":
                return torch.tensor(float(v), dtype=torch.float32)
            return v

        st = {int(i): {k: tensor(k, v) for k, v in s.items()} for i, s in state["state"].items()}
        groups = [{k: tuple(v) if isinstance(v, list) and k != "params" else v
                   for k, v in g.items()} for g in state["param_groups"]]
        self.optimizer.load_state_dict({"state": st, "param_groups": groups})

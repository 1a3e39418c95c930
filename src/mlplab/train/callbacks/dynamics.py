"""TrainingDynamics: what happens inside the network while it trains, layer by layer.

The course's lessons on activations (why they matter, vanishing gradients, saturation, dead
ReLUs) are statements about these numbers. Per epoch and per layer (a layer is a Linear and
the activation after it) the callback records:

    grad_norm   the mean over the epoch's batches of ||dL/dW|| of the layer's weights (the
                gradient of the batch's loss, before the update); ``first_grad_norm`` the
                epoch's first batch's (the first update is lr times it)
    saturated   sigmoid and tanh layers: the share of unit outputs within ``SATURATION`` of the
                activation's bounds, where its derivative is nearly 0
    inactive    ReLU-like layers (relu, leakyrelu, gelu, silu): the share of units whose output
                was never positive on any of the epoch's batches. For ReLU those units are dead
                (their gradient is 0 for every input); a LeakyReLU unit still passes slope x
                gradient and can come back
    histogram   the distribution of the layer's activations on the epoch's last batch
                (``BINS`` bins over the activation's range)

A fit stopped within an epoch (a divergence, Ctrl-C) records that epoch too, over the batches
it trained (``"batches"`` says how many).

It reads the model through forward hooks on its activation modules (both engines have
``register_forward_hook``) and the weights' gradients after each step, so a batch costs a few
reductions per layer: about a gradient's size and an activation's size, against the step's
matrix products (benchmarks/bench.py measures it).
"""

from __future__ import annotations

import numpy as np

from mlplab.train.callbacks.base import Callback, FitState

SATURATION = 0.02     # an output this close to a bound of sigmoid (0, 1) or tanh (-1, 1)
BINS = 30
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
RELU_LIKE = ("relu", "leakyrelu", "gelu", "silu")


def _numpy(a) -> np.ndarray:
    """A NumPy array of a NumPy array or a torch tensor (detached, on the CPU)."""
    if isinstance(a, np.ndarray):
        return a
    return a.detach().cpu().numpy()


def network_layers(model) -> list[tuple[object, object | None, str]]:
    """(Linear, the activation after it or None, the activation's name) of a NumPy or torch
    Sequential, in order; "identity" where no activation follows."""
    from mlplab.registry import activations

    by_class = {k.summary_name: n for n, k in activations().items()}
    mods = list(model)
    layers = []
    for i, mod in enumerate(mods):
        if type(mod).__name__ != "Linear":
            continue
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        name = by_class.get(type(nxt).__name__) if nxt is not None else None
        layers.append((mod, nxt if name else None, name or "identity"))
    return layers


class TrainingDynamics(Callback):
    """Records per layer and epoch the gradient norm, saturation, inactive units and the
    activation histogram (see the module's docstring); ``records`` holds one dict per epoch,
    ``summary()`` all of them with the layers' names, as metrics.json stores them."""

    def __init__(self):
        self.records: list[dict] = []
        self.names: list[str] = []
        self._handles: list = []

    # -- hooks ----------------------------------------------------------------------------
    def on_fit_start(self, fit: FitState) -> None:
        self._batches = 0
        self._layers = network_layers(fit.engine.model)
        self.names = [f"{i} {act}" for i, (_, _, act) in enumerate(self._layers, 1)]
        for index, (_, act_mod, act) in enumerate(self._layers):
            if act_mod is not None:
                self._handles.append(act_mod.register_forward_hook(self._observer(index, act)))

    def _observer(self, index: int, act: str):
        def observe(module, inputs, output):
            if not module.training:      # evaluation passes (eval mode) are not batches
                return
            out = _numpy(output)
            self._last[index] = out
            if act in BOUNDED:
                lo, hi = BOUNDED[act]
                self._saturated[index] += int(np.count_nonzero(
                    (out <= lo + SATURATION) | (out >= hi - SATURATION)))
                self._seen[index] += out.size
            elif act in RELU_LIKE:
                active = (out > 0).any(axis=0)
                prev = self._active[index]
                self._active[index] = active if prev is None else prev | active
        return observe

    def on_epoch_start(self, fit: FitState) -> None:
        n = len(self._layers)
        self._grad = np.zeros(n)
        self._first = [None] * n   # the epoch's first batch: the size of its first update
        self._batches = 0      # batches of this epoch seen so far
        self._saturated, self._seen = [0] * n, [0] * n
        self._active: list = [None] * n
        self._last: list = [None] * n

    def on_batch_end(self, fit: FitState) -> None:
        for i, (lin, _, _) in enumerate(self._layers):
            # order="K": a view of Linear's column-major gradient, not a copy of it
            g = _numpy(lin.weight.grad).ravel(order="K")
            with np.errstate(over="ignore", invalid="ignore"):
                norm = float(np.sqrt(np.dot(g, g)))
            self._grad[i] += norm
            if not self._batches:
                self._first[i] = norm
        self._batches += 1

    def on_epoch_end(self, fit: FitState, logs: dict) -> None:
        self._record(fit.epoch)

    def on_fit_end(self, fit: FitState) -> None:
        # a run stopped within an epoch (diverged, interrupted) keeps the batches it trained:
        # a diverging model's first, huge gradients are the lesson
        if self._batches and (not self.records or self.records[-1]["epoch"] != fit.epoch):
            self._record(fit.epoch, partial=True)

    def _record(self, epoch: int, partial: bool = False) -> None:
        record = {"epoch": epoch, "grad_norm": [], "first_grad_norm": [], "saturated": [],
                  "inactive": [], "histogram": []}
        if partial:
            record["batches"] = self._batches
        for i, (_, _, act) in enumerate(self._layers):
            norm = self._grad[i] / max(self._batches, 1)
            record["grad_norm"].append(float(norm) if np.isfinite(norm) else None)
            first = self._first[i]
            record["first_grad_norm"].append(first if first is not None and np.isfinite(first)
                                             else None)
            record["saturated"].append(self._saturated[i] / self._seen[i]
                                       if self._seen[i] else None)
            active = self._active[i]
            record["inactive"].append(float(1 - active.mean()) if active is not None else None)
            last = self._last[i]
            if last is None:
                record["histogram"].append(None)
                continue
            lo, hi = BOUNDED.get(act, (-3.0, 3.0))
            last = last[np.isfinite(last)]   # a diverging batch: only its finite values
            counts, edges = np.histogram(np.clip(last, lo, hi), bins=BINS, range=(lo, hi))
            record["histogram"].append({"range": [lo, hi], "counts": counts.tolist()})
        self.records.append(record)

    def teardown(self, fit: FitState) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- results --------------------------------------------------------------------------
    def summary(self) -> dict:
        """``{"layers": [...], "epochs": [records]}``: plain numbers, lists and None."""
        return {"layers": list(self.names), "saturation_margin": SATURATION,
                "epochs": [dict(r) for r in self.records]}

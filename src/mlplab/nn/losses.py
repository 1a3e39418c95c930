"""Loss functions: ``loss(prediction, target)`` returns the scalar, ``loss.backward()`` returns
dLoss/dprediction (same shape as the prediction) for the last call.

Output layer and loss per task, as the course pairs them: regression = identity + MSELoss;
binary = sigmoid + BCELoss (or logits + BCEWithLogitsLoss); multi-class = logits +
CrossEntropyLoss (softmax is inside the loss).
"""

from __future__ import annotations

import numpy as np

from mlplab.nn.activations import sigmoid
from mlplab.nn.module import BackwardBeforeForward

REDUCTIONS = ("mean", "sum")


class Loss:
    """Base class: validates ``reduction`` and keeps what ``backward`` needs."""

    def __init__(self, reduction: str = "mean"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"{type(self).__name__}: unknown reduction {reduction!r}; "
                             f"choose one of {', '.join(REDUCTIONS)}")
        self.reduction = reduction
        self._grad = None

    def __call__(self, input: np.ndarray, target: np.ndarray):
        return self.forward(input, target)

    def forward(self, input, target):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dLoss/dinput of the last call, shape of that input."""
        if self._grad is None:   # the same error as every module's (mlplab.nn.module)
            raise BackwardBeforeForward(repr(self))
        return self._grad

    def _reduce(self, per_item: np.ndarray, n: int):
        total = per_item.sum()
        return total / n if self.reduction == "mean" else total

    def _same_shape(self, input, target) -> None:
        if input.shape != target.shape:
            raise ValueError(
                f"{type(self).__name__}: prediction shape {tuple(input.shape)} and target shape "
                f"{tuple(target.shape)} differ; reshape the target to {tuple(input.shape)} "
                "(broadcasting them would silently compare every pair)"
            )

    def __repr__(self) -> str:
        return f"{type(self).__name__}(reduction={self.reduction!r})"


class MSELoss(Loss):
    """mean((x - y)^2) over every element; dL/dx = 2 (x - y) / n_elements."""

    def forward(self, input, target):
        self._same_shape(input, target)
        diff = input - target.astype(input.dtype, copy=False)
        scale = 2.0 / diff.size if self.reduction == "mean" else 2.0
        self._grad = diff * input.dtype.type(scale)
        return self._reduce(diff * diff, diff.size)


class BCELoss(Loss):
    """Binary cross-entropy on probabilities x in [0, 1]:
    -(y log x + (1 - y) log(1 - x)), with each log clamped at -100 as torch does.
    dL/dx = (x - y) / max(x (1 - x), 1e-12)."""

    def forward(self, input, target):
        self._same_shape(input, target)
        if input.size and (input.min() < 0 or input.max() > 1):
            raise ValueError("BCELoss: predictions must be probabilities in [0, 1], got values "
                             f"in [{input.min():.4g}, {input.max():.4g}]; put a Sigmoid before "
                             "the loss or use BCEWithLogitsLoss on the logits")
        y = target.astype(input.dtype, copy=False)
        with np.errstate(divide="ignore"):
            log_x = np.maximum(np.log(input), -100)
            log_1mx = np.maximum(np.log1p(-input), -100)
        per = -(y * log_x + (1 - y) * log_1mx)
        grad = (input - y) / np.maximum(input * (1 - input), 1e-12)
        self._grad = grad / input.size if self.reduction == "mean" else grad
        return self._reduce(per, input.size)


class BCEWithLogitsLoss(Loss):
    """Sigmoid and binary cross-entropy fused on logits z:
    max(z, 0) - z y + log(1 + e^-|z|), which never overflows; dL/dz = sigmoid(z) - y."""

    def forward(self, input, target):
        self._same_shape(input, target)
        y = target.astype(input.dtype, copy=False)
        per = np.maximum(input, 0) - input * y + np.log1p(np.exp(-np.abs(input)))
        grad = sigmoid(input) - y
        self._grad = grad / input.size if self.reduction == "mean" else grad
        return self._reduce(per, input.size)


class CrossEntropyLoss(Loss):
    """Softmax and negative log-likelihood fused on logits.

    input : (N, C) logits; target : (N,) integer class indices in [0, C), or (N, C) class
    probabilities. loss_i = -log softmax(z_i)[y_i] computed as logsumexp(z_i) - z_i[y_i];
    dL/dz = softmax(z) - onehot(y), divided by N for ``reduction="mean"``.
    ``label_smoothing`` mixes the target with the uniform distribution, as in torch.
    """

    def __init__(self, reduction: str = "mean", label_smoothing: float = 0.0):
        super().__init__(reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError("CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing!r}")
        self.label_smoothing = float(label_smoothing)

    def forward(self, input, target):
        if input.ndim != 2:
            raise ValueError(f"CrossEntropyLoss: expected logits of shape (N, C), got "
                             f"{tuple(input.shape)}")
        n, c = input.shape
        if target.shape == input.shape and np.issubdtype(target.dtype, np.floating):
            soft = target.astype(input.dtype, copy=False)
        else:
            soft = None
            if target.shape != (n,) or not np.issubdtype(target.dtype, np.integer):
                raise ValueError(f"CrossEntropyLoss: targets must be integer class indices of "
                                 f"shape ({n},), got {target.dtype} {tuple(target.shape)}")
            if n and (target.min() < 0 or target.max() >= c):
                raise ValueError(f"CrossEntropyLoss: target classes must lie in [0, {c - 1}], "
                                 f"got values in [{target.min()}, {target.max()}]")
        shifted = input - input.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        sumexp = probs.sum(axis=1, keepdims=True)
        log_sumexp = np.log(sumexp)[:, 0]   # log softmax(z)_k = shifted_k - log_sumexp
        probs /= sumexp                     # softmax, then turned into the gradient in place
        eps = self.label_smoothing
        if soft is None:
            rows = np.arange(n)
            per = log_sumexp - shifted[rows, target]
            probs[rows, target] -= 1 - eps
        else:
            per = log_sumexp * soft.sum(axis=1) - (soft * shifted).sum(axis=1)
            probs -= soft * (1 - eps)
        if eps:
            # the uniform part of the target: -(1/c) sum_k log softmax(z)_k
            per = (1 - eps) * per + eps * (log_sumexp - shifted.mean(axis=1))
            probs -= eps / c
        if self.reduction == "mean":
            probs /= input.dtype.type(n)
        self._grad = probs
        return self._reduce(per, n)

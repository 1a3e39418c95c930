"""Metrics computed from a model's outputs and the targets.

outputs : (n, k) raw model outputs (logits for classification, predictions for regression).
y : (n,) integer classes, or (n,) / (n, 1) real targets.
"""

from __future__ import annotations

import numpy as np

from mlplab.util import lookup


def predicted_classes(outputs: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """argmax over classes; a single output column is binary: class 1 where the output
    exceeds ``threshold`` (0 for logits, 0.5 for probabilities)."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return (outputs.reshape(-1) > threshold).astype(np.int64)


def accuracy(outputs, y, threshold: float = 0.0) -> float:
    return float((predicted_classes(outputs, threshold) == np.asarray(y).reshape(-1)).mean())


def mse(outputs, y, threshold=None) -> float:
    d = np.asarray(outputs, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)
    return float((d * d).mean())


def mae(outputs, y, threshold=None) -> float:
    d = np.asarray(outputs, np.float64).reshape(-1) - np.asarray(y, np.float64).reshape(-1)
    return float(np.abs(d).mean())


def r2(outputs, y, threshold=None) -> float:
    """1 - RSS/TSS: 1 is perfect, 0 is no better than predicting the mean."""
    y = np.asarray(y, np.float64).reshape(-1)
    rss = ((np.asarray(outputs, np.float64).reshape(-1) - y) ** 2).sum()
    tss = ((y - y.mean()) ** 2).sum()
    return float(1 - rss / tss) if tss > 0 else float("nan")


def confusion_matrix(y_true, y_pred, n_classes: int | None = None) -> np.ndarray:
    """(n_classes, n_classes) counts; row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true).reshape(-1), np.asarray(y_pred).reshape(-1)
    k = n_classes or int(max(y_true.max(initial=0), y_pred.max(initial=0)) + 1)
    return np.bincount(y_true * k + y_pred, minlength=k * k).reshape(k, k)


def per_class_accuracy(cm: np.ndarray) -> np.ndarray:
    """Recall of each class from a confusion matrix (nan for a class with no samples)."""
    totals = cm.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(cm) / totals, np.nan)


# Which metrics each task reports, by the names metrics.json uses.
TASK_METRICS = {
    "regression": {"mse": mse, "mae": mae, "r2": r2},
    "classification": {"accuracy": accuracy},
}


def compute(task: str, outputs, y, threshold: float = 0.0) -> dict[str, float]:
    """The task's metrics; ``threshold`` splits a single binary output column (0 for
    logits, 0.5 for probabilities)."""
    fns = lookup(TASK_METRICS, task, "task")
    return {name: fn(outputs, y, threshold) for name, fn in fns.items()}

"""Figures of training dynamics (mlplab.train.callbacks.TrainingDynamics' summaries).

Each function takes ``{model name: summary}`` (the ``"dynamics"`` entry metrics.json keeps per
model) and writes one PNG, comparing the models on the same axes: the course's lessons on
vanishing gradients, saturation and dead ReLUs as a learner sees them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from mlplab.report.mpl import plt_module as _plt
from mlplab.report.mpl import save as _save


def _layers(summary: dict) -> list[int]:
    return list(range(1, len(summary["layers"]) + 1))


def gradient_norms(dynamics: dict[str, dict], path, epoch: int | None = None) -> Path:
    """The gradient norm of each layer's weights (log scale) at ``epoch`` (default: the
    first, where vanishing gradients show before training hides them), one line per model."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for name, summary in dynamics.items():
        records = summary["epochs"]
        rec = records[0] if epoch is None else records[min(epoch, len(records)) - 1]
        norms = np.array([np.nan if v is None else v for v in rec["grad_norm"]], dtype=float)
        label = name
        if np.isnan(norms).all() and rec.get("first_grad_norm"):
            # the epoch's mean overflowed (a diverging model): its first batch's gradient
            norms = np.array([np.nan if v is None else v for v in rec["first_grad_norm"]],
                             dtype=float)
            label = f"{name} (first batch; it diverged)"
        ax.plot(_layers(summary), np.where(norms > 0, norms, np.nan), "o-", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("layer (1 = next to the input)")
    ax.set_ylabel("||dL/dW|| (mean over the epoch's batches)")
    ax.set_title(f"gradient norm per layer, epoch {epoch or 1}")
    ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    return _save(fig, path)


def unit_health(dynamics: dict[str, dict], path) -> Path:
    """Per model, over the epochs: the share of never-positive units (ReLU-like layers) and
    of saturated outputs (sigmoid/tanh layers), averaged over its hidden layers."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
    for key, ax, title in (("inactive", axes[0], "units never positive in the epoch (dead "
                                                 "ReLUs)"),
                           ("saturated", axes[1], "outputs within 0.02 of the bounds "
                                                  "(saturated)")):
        for name, summary in dynamics.items():
            epochs = [r["epoch"] for r in summary["epochs"]]
            values = [[v for v in r[key] if v is not None] for r in summary["epochs"]]
            if not any(values):
                continue
            style = "o-" if len(epochs) <= 30 else "-"   # dots only where they can be told apart
            ax.plot(epochs, [np.mean(v) if v else np.nan for v in values], style, label=name)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(plt.MaxNLocator(integer=True))
        ax.set_ylim(-0.02, 1.02)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    axes[0].set_ylabel("share (mean over hidden layers)")
    return _save(fig, path)


def activation_histograms(dynamics: dict[str, dict], path) -> Path:
    """Each model's activations per hidden layer on the last epoch's last batch: one row per
    model, one panel per layer."""
    plt = _plt()
    rows = [(n, s) for n, s in dynamics.items()]
    cols = max(sum(h is not None for h in s["epochs"][-1]["histogram"]) for _, s in rows)
    fig, axes = plt.subplots(len(rows), max(cols, 1), figsize=(1.9 * max(cols, 1) + 1,
                                                               1.6 * len(rows) + 0.6),
                             squeeze=False)
    for r, (name, summary) in enumerate(rows):
        hists = [(i, h) for i, h in enumerate(summary["epochs"][-1]["histogram"], 1) if h]
        for c in range(axes.shape[1]):
            ax = axes[r, c]
            if c >= len(hists):
                ax.set_visible(False)
                continue
            i, h = hists[c]
            lo, hi = h["range"]
            edges = np.linspace(lo, hi, len(h["counts"]) + 1)
            ax.bar(edges[:-1], h["counts"], width=np.diff(edges), align="edge")
            ax.set_yticks([])
            ax.tick_params(labelsize=6)
            if r == 0:
                ax.set_title(f"layer {i}", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle("activations on the last batch, per hidden layer", fontsize=10)
    fig.tight_layout()
    return _save(fig, path)

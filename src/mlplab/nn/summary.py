"""A torchsummary-style table: each layer, its output shape and parameter count, and totals."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from mlplab.nn.module import Module, Sequential


@dataclass
class SummaryRow:
    name: str             # e.g. "Linear-1"
    output_shape: tuple   # with -1 for the batch dimension
    params: int


@dataclass
class ModelSummary:
    rows: list[SummaryRow] = field(default_factory=list)
    total_params: int = 0
    trainable_params: int = 0
    input_shape: tuple = ()

    def __str__(self) -> str:
        line, rule = "-" * 64, "=" * 64
        out = [line, f"{'Layer (type)':>20}  {'Output Shape':>25} {'Param #':>15}", rule]
        for r in self.rows:
            shape = "[" + ", ".join(str(d) for d in r.output_shape) + "]"
            out.append(f"{r.name:>20}  {shape:>25} {r.params:>15,}")
        out += [rule,
                f"Total params: {self.total_params:,}",
                f"Trainable params: {self.trainable_params:,}",
                f"Non-trainable params: {self.total_params - self.trainable_params:,}",
                line]
        return "\n".join(out)


def _leaves(module: Module):
    """Modules as the forward pass meets them: Sequentials are opened, others kept whole."""
    if isinstance(module, Sequential):
        for child in module:
            yield from _leaves(child)
    else:
        yield module


def summary(model: Module, input_shape, dtype=np.float32, file=None) -> ModelSummary:
    """Run one zero input of shape ``(2, *input_shape)`` through ``model`` and tabulate it.

    ``input_shape`` excludes the batch dimension (``(784,)`` or ``784``). Prints the table to
    ``file`` when given and returns the ``ModelSummary``.
    """
    if isinstance(input_shape, (int, np.integer)):
        input_shape = (int(input_shape),)
    x = np.zeros((2, *input_shape), dtype=dtype)
    result = ModelSummary(input_shape=tuple(input_shape))
    was_training = model.training
    model.eval()
    counts: dict[str, int] = {}
    try:
        for layer in _leaves(model):
            x = layer.forward(x)
            kind = type(layer).__name__
            counts[kind] = counts.get(kind, 0) + 1
            n = layer.num_parameters()
            result.rows.append(SummaryRow(f"{kind}-{len(result.rows) + 1}",
                                          (-1, *x.shape[1:]), n))
    finally:
        model.train(was_training)
    result.total_params = result.trainable_params = model.num_parameters()
    if file is not None:
        print(result, file=file)
    return result

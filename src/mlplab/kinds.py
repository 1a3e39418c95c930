"""mlplab's NumPy classes by name, read from :mod:`mlplab.registry`: ``ACTIVATIONS`` (spec
token -> module class), ``LOSSES`` (loss name -> loss class) and :func:`get_loss`.

They live above both :mod:`mlplab.nn` and the registry (which is made of nn's classes), so
that nn never imports the registry back. The two tables are made each time they are read,
from the records registered by then (a kind registered after import is in them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlplab import registry

if TYPE_CHECKING:
    from mlplab.nn.losses import Loss

_VIEWS = ("ACTIVATIONS", "LOSSES")


def __getattr__(name: str):
    if name in _VIEWS:
        views = {"ACTIVATIONS": {k.name: k.module for k in registry.LAYERS.values()
                                 if k.activation},
                 "LOSSES": {k.name: k.numpy for k in registry.LOSSES.values()}}
        return views[name]
    raise AttributeError(f"module 'mlplab.kinds' has no attribute {name!r}")


def get_loss(name: str, **kwargs) -> Loss:
    """Build a loss by name: one of ``LOSSES``' keys (``mlplab.registry.LOSSES``)."""
    return registry.loss_kind(name).build(**kwargs)


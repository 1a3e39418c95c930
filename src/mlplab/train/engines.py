"""The engines by name: ``--engine numpy`` and ``--engine torch``.

Each entry is a lazy ``"module:Class"`` string, so naming the engines imports neither; an
engine's module (and with it torch, for the twin) is imported when that engine is built.
Every class follows :class:`mlplab.train.engine.Engine`. Adding an engine is one class and
one line here. ``mlplab.engines`` and ``mlplab.train`` both export these names::

    from mlplab.engines import build_engine
    engine = build_engine("numpy", spec="784-256-relu-10", loss="cross_entropy",
                          optimizer="adam", lr=1e-3, seed=0)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mlplab.util import load_attr, lookup

if TYPE_CHECKING:
    from mlplab.train.engine import Engine

ENGINES: dict[str, str] = {
    "numpy": "mlplab.train.engine:NumpyEngine",
    "torch": "mlplab.torch.engine:TorchEngine",   # needs the [torch] extra
}


def engine_class(name: str) -> type[Engine]:
    """The class of engine ``name``; an unknown name is a UsageError listing the engines, a
    missing torch the twin's ImportError with its install hint."""
    return load_attr(lookup(ENGINES, name, "engine"))


def build_engine(name: str, **kwargs) -> Engine:
    """``build_engine("numpy", spec=..., loss=..., optimizer=..., lr=..., seed=...)``, and
    optionally optimizer_kwargs, loss_kwargs, dtype, l1, and device (torch only; the NumPy
    engine ignores it): the engine's ``from_spec``."""
    return engine_class(name).from_spec(**kwargs)

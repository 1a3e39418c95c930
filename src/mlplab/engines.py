"""The engines by name, ``--engine numpy`` and ``--engine torch``: see
:mod:`mlplab.train.engines`, where the table lives (next to the engine interface, so that
``mlplab.train`` exports it without importing this module back)::

    from mlplab.engines import build_engine
    engine = build_engine("numpy", spec="784-256-relu-10", loss="cross_entropy",
                          optimizer="adam", lr=1e-3, seed=0)
"""

from mlplab.train.engines import ENGINES, build_engine, engine_class

__all__ = ["ENGINES", "build_engine", "engine_class"]

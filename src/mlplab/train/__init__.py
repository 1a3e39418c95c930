"""Training for every engine: the Trainer, its History, metrics and the engine interface.

``Engine`` is the interface the Trainer drives and ``BaseEngine`` the behaviour engines share;
``build_engine`` and ``ENGINES`` (from :mod:`mlplab.train.engines`) build one by name. Nothing here
imports torch.
"""

from mlplab.train.callbacks import Callback
from mlplab.train.engine import BaseEngine, Engine, NumpyEngine, task_of
from mlplab.train.engines import ENGINES, build_engine
from mlplab.train.history import History, Outcome
from mlplab.train.trainer import EarlyStopping, Trainer

__all__ = ["ENGINES", "BaseEngine", "Callback", "EarlyStopping", "Engine", "History",
           "NumpyEngine", "Outcome", "Trainer", "build_engine", "task_of"]

"""Training for every engine: the Trainer, its History, metrics and the engine interface."""

from mlplab.train.engine import ENGINES, NumpyEngine, build_engine, task_of
from mlplab.train.history import History
from mlplab.train.trainer import EarlyStopping, Trainer

__all__ = ["ENGINES", "EarlyStopping", "History", "NumpyEngine", "Trainer", "build_engine",
           "task_of"]

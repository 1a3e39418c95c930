"""mlplab.data: the course's data sets by name, preprocessing and batching.

>>> from mlplab import data
>>> ds = data.load("auto-mpg")                       # doctest: +SKIP
>>> X_train, y_train = ds.split("train")              # doctest: +SKIP
>>> [name for name, _ in data.available()][:3]
['auto-mpg', 'nonlinear', 'xor']
"""

import importlib

from mlplab.data.batching import BatchLoader, iter_batches, num_batches
from mlplab.data.dataset import DataError, Dataset
from mlplab.data.preprocessing import (
    OneHotEncoder,
    Standardizer,
    flatten,
    make_scaler,
    one_hot,
    split_indices,
    train_val_test_split,
)
from mlplab.data.registry import available, load, loader_parameters, register

# Importing a loader module registers its data sets; this order is the order of `available()`.
_LOADER_MODULES = ("autompg", "nonlinear", "toys", "iris", "mnist", "images", "cifar", "csvfile")
for _module in _LOADER_MODULES:
    importlib.import_module(f"mlplab.data.{_module}")

__all__ = [
    "Dataset", "DataError", "load", "available", "register", "loader_parameters",
    "BatchLoader", "iter_batches", "num_batches",
    "Standardizer", "OneHotEncoder", "one_hot", "make_scaler", "split_indices",
    "train_val_test_split", "flatten",
]

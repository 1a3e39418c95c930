"""The table rules of own-data training, kept under their old import path: the reader itself
is ``mlplab.data.table`` (one reader for the ``csv`` loader, ``mlplab train`` and
``mlplab predict``)."""

from mlplab.data.table import *  # noqa: F403
from mlplab.data.table import __all__  # noqa: F401

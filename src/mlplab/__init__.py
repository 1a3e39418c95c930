"""mlplab: multilayer perceptrons you can see, check and compare."""

__version__ = "0.1.0"

"""mlplab: multilayer perceptrons you can see, check and compare."""

__version__ = "0.1.0"

# mlplab.run / mlplab.load_run (mlplab.notebook) are imported on first use, so that
# `import mlplab` and `mlplab --version` stay light
_LAZY = {"run": "mlplab.notebook", "load_run": "mlplab.notebook", "Run": "mlplab.notebook"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mlplab' has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY])

"""The data-set registry: loaders are looked up by name, in one place."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from mlplab.data.dataset import DataError, Dataset
from mlplab.data.validate import check_loader_args, loader_text_value
from mlplab.util import unknown_name


@dataclass(frozen=True)
class _Entry:
    name: str
    description: str
    loader: Callable[..., Dataset]


_REGISTRY: dict[str, _Entry] = {}


def _normalize(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def register(name: str, description: str) -> Callable[[Callable[..., Dataset]], Callable]:
    """Decorator that registers a loader under ``name`` with a one-line description."""

    def deco(fn: Callable[..., Dataset]) -> Callable[..., Dataset]:
        key = _normalize(name)
        if key in _REGISTRY:
            raise ValueError(f"Data set {key!r} is registered twice")
        _REGISTRY[key] = _Entry(key, description, fn)
        return fn

    return deco


def available() -> list[tuple[str, str]]:
    """``(name, one-line description)`` for every registered data set, in registration order."""
    return [(e.name, e.description) for e in _REGISTRY.values()]


def loader_parameters(name: str) -> list[str]:
    """Keyword arguments the loader of ``name`` accepts."""
    return list(inspect.signature(_entry(name).loader).parameters)


def typed_args(name: str, parsed: dict, texts: dict[str, str]) -> dict:
    """Command-line loader options: ``parsed[key]`` is the value read from ``texts[key]``
    (``3`` from "3"); where the loader's parameter takes text and the parsed value is not of
    a type it takes, the text itself is used (a column named "3")."""
    loader = _entry(name).loader
    return {k: loader_text_value(loader, k, v, texts[k]) for k, v in parsed.items()}


def _entry(name: str) -> _Entry:
    key = _normalize(name)
    if key not in _REGISTRY:
        raise DataError(unknown_name(_REGISTRY, name, "data set"))
    return _REGISTRY[key]


def load(name: str, **kwargs) -> Dataset:
    """Load the data set registered as ``name`` (e.g. ``"auto-mpg"``), passing ``kwargs`` on.

    Unknown names, arguments the loader does not take and values of the wrong type (against
    the loader's annotations, ``mlplab.data.validate.check_loader_args``) raise
    :class:`DataError`.
    ``features=[...]`` replaces a two-feature data set's columns by the named features of
    ``mlplab.data.features`` (x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)).
    """
    entry = _entry(name)
    features = kwargs.pop("features", None)   # any 2-D data set: see mlplab.data.features
    params = inspect.signature(entry.loader).parameters
    if not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        unknown = sorted(set(kwargs) - set(params))
        if unknown:
            raise DataError(
                f"{entry.name}: unknown argument(s) {', '.join(unknown)}; "
                f"it takes: {', '.join(params) or 'no arguments'}"
            )
    # typed before the loader runs: `--set noise=abc` is one line, not a TypeError inside it
    check_loader_args(entry.name, entry.loader, kwargs)
    ds = entry.loader(**kwargs)
    if features is not None:
        from mlplab.data.features import with_features

        ds = with_features(ds, features)
    return ds

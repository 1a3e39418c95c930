"""A run's result in memory: what metrics.json holds, typed, plus what the report shows of
the experiment (its description, notes and model entries from config.json).

The runner returns a :class:`RunResult`; :mod:`mlplab.runfolder` writes it (``to_json``) and
reads it back (``RunFolder.load``); the report renders it. ``from_dict(to_dict())`` is the
identity, and ``to_json`` writes the same keys, in the same order, as metrics.json always had::

    {"experiment", "seed", "engine", "machine", "command",
     "models": {key: {"status", "outcome", "epochs", "seconds", "params",
                      "spec", "preprocess", "lr", "optimizer", "batch_size", "data",
                      "message"?, "best"?, <split>: {metric: value}, ...,
                      "per_class_accuracy"?}},
     "figures": [{"file", "caption"}]}

A demo experiment's metrics.json (mlplab.modern) has fewer model keys and more top-level
ones (``device``, ``demos``): absent keys stay absent, unknown ones are kept in ``extra``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

# keys of one model's metrics.json entry that are not a split's scores
SETTING_KEYS = ("spec", "preprocess", "lr", "optimizer", "batch_size", "data")
_MODEL_KEYS = ("status", "outcome", "epochs", "seconds", "params", *SETTING_KEYS, "message",
               "best", "per_class_accuracy", "dynamics")
_RUN_KEYS = ("experiment", "seed", "engine", "machine", "command", "models", "figures")


def _plain(v):
    """A NumPy scalar as the Python number metrics.json writes (``float(v)``, as
    ``json.dumps(default=float)`` does); anything else unchanged."""
    if hasattr(v, "dtype") and getattr(v, "shape", None) == ():
        return v.item() if v.dtype.kind in "iub" else float(v)
    return v


def _frozen(d: Mapping) -> Mapping:
    return MappingProxyType(dict(d))


@dataclass(frozen=True)
class BestEpoch:
    """The epoch of lowest loss on the monitored evaluation split."""

    epoch: int
    loss: float
    split: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> BestEpoch:
        return cls(d["epoch"], _plain(d["loss"]), d.get("split"))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"epoch": self.epoch}
        if self.split is not None:
            out["split"] = self.split
        out["loss"] = self.loss
        return out


@dataclass(frozen=True)
class Figure:
    """A figure of the report: its file relative to the run folder and its caption."""

    file: str
    caption: str

    @classmethod
    def from_dict(cls, d: Mapping) -> Figure:
        return cls(d["file"], d["caption"])

    def to_dict(self) -> dict:
        return {"file": self.file, "caption": self.caption}


@dataclass(frozen=True)
class ModelSettings:
    """How a model was built and trained, as it ran (a scikit-learn row's optimizer is its
    solver): the settings table's columns that metrics.json records."""

    spec: str | None = None
    preprocess: str | None = None
    lr: float | None = None
    optimizer: str | None = None
    batch_size: int | None = None
    data: str | None = None

    @classmethod
    def from_dict(cls, d: Mapping) -> ModelSettings:
        return cls(*(_plain(d.get(k)) for k in SETTING_KEYS))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in SETTING_KEYS}


@dataclass(frozen=True)
class ModelResult:
    """One model's metrics.json entry. ``scores``: split -> metric -> value (None: not
    defined), splits in the order they were evaluated; ``per_class_accuracy``: split ->
    class -> accuracy. ``settings`` is None for a demo, whose entry has none."""

    key: str
    status: str
    epochs: int | str
    seconds: float
    outcome: str | None = None
    params: int | None = None
    settings: ModelSettings | None = None
    message: str | None = None
    best: BestEpoch | None = None
    scores: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    per_class_accuracy: Mapping[str, Mapping[str, float | None]] | None = None
    dynamics: Mapping[str, Any] | None = None   # TrainingDynamics.summary(), when recorded

    @property
    def name(self) -> str:
        """The model's name: the last part of a ``data/model`` key."""
        return self.key.split("/")[-1]

    @property
    def data(self) -> str:
        return (self.settings.data if self.settings else None) or ""

    @classmethod
    def from_dict(cls, key: str, d: Mapping) -> ModelResult:
        scores = {s: _frozen({m: _plain(v) for m, v in v.items()}) for s, v in d.items()
                  if s not in _MODEL_KEYS and isinstance(v, Mapping)}
        per_class = d.get("per_class_accuracy")
        has_settings = any(k in d for k in SETTING_KEYS)
        return cls(key, d["status"], d["epochs"], _plain(d["seconds"]), d.get("outcome"),
                   _plain(d.get("params")),
                   ModelSettings.from_dict(d) if has_settings else None, d.get("message"),
                   BestEpoch.from_dict(d["best"]) if d.get("best") else None,
                   _frozen(scores),
                   _frozen({s: _frozen(a) for s, a in per_class.items()})
                   if per_class is not None else None, d.get("dynamics"))

    def with_per_class(self, per_class: Mapping) -> ModelResult:
        from dataclasses import replace

        return replace(self, per_class_accuracy=_frozen(
            {s: _frozen(a) for s, a in per_class.items()}))

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"status": self.status}
        if self.outcome is not None:
            out["outcome"] = self.outcome
        out["epochs"], out["seconds"] = self.epochs, self.seconds
        if self.params is not None:
            out["params"] = self.params
        if self.settings is not None:
            out.update(self.settings.to_dict())
        if self.message is not None:
            out["message"] = self.message
        if self.best is not None:
            out["best"] = self.best.to_dict()
        out.update({s: dict(v) for s, v in self.scores.items()})
        if self.per_class_accuracy is not None:
            out["per_class_accuracy"] = {s: dict(a)
                                         for s, a in self.per_class_accuracy.items()}
        if self.dynamics is not None:
            out["dynamics"] = self.dynamics
        return out


@dataclass(frozen=True)
class RunResult:
    """A whole run: metrics.json's content, the experiment's description and notes, and its
    model entries (config.json's ``models``) for the settings table. ``figures`` is None for
    a run that recorded none (a demo, or a folder from before figures were listed);
    ``command_known`` is False when metrics.json has no ``command`` key at all."""

    experiment: str
    seed: int
    engine: str
    machine: str
    models: tuple[ModelResult, ...]
    command: str | None = None
    figures: tuple[Figure, ...] | None = None
    description: str = ""
    notes: tuple[str, ...] = ()
    entries: tuple[Mapping, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)
    command_known: bool = True
    path: Path | None = field(default=None, compare=False)

    @property
    def interrupted(self) -> bool:
        return any(m.status == "interrupted" for m in self.models)

    def model(self, key: str) -> ModelResult | None:
        return next((m for m in self.models if m.key == key), None)

    def entry(self, name: str) -> Mapping:
        """The config.json entry of model ``name``; {} when the run has none of that name."""
        return next((e for e in self.entries if e.get("name") == name), {})

    @classmethod
    def from_dict(cls, metrics: Mapping, config: Mapping | None = None,
                  path: Path | None = None) -> RunResult:
        """From metrics.json's content and (optionally) config.json's."""
        config = config or {}
        figures = metrics.get("figures")
        return cls(metrics["experiment"], metrics["seed"], metrics["engine"],
                   metrics["machine"],
                   tuple(ModelResult.from_dict(k, v) for k, v in metrics["models"].items()),
                   metrics.get("command"),
                   tuple(Figure.from_dict(f) for f in figures) if figures is not None
                   else None,
                   config.get("description", ""), tuple(config.get("notes", ())),
                   tuple(config.get("models", ())),
                   _frozen({k: v for k, v in metrics.items() if k not in _RUN_KEYS}),
                   "command" in metrics, path)

    def to_dict(self) -> dict:
        """metrics.json's content."""
        out: dict[str, Any] = {"experiment": self.experiment, "seed": self.seed,
                               "engine": self.engine}
        extra = dict(self.extra)
        if "device" in extra:   # a demo run's device sits before the machine
            out["device"] = extra.pop("device")
        out["machine"] = self.machine
        if self.command_known:
            out["command"] = self.command
        out["models"] = {m.key: m.to_dict() for m in self.models}
        if self.figures is not None:
            out["figures"] = [f.to_dict() for f in self.figures]
        out.update(extra)
        return out

    def to_json(self) -> str:
        """metrics.json's text."""
        return json.dumps(self.to_dict(), indent=1, default=float)


__all__ = ["SETTING_KEYS", "BestEpoch", "Figure", "ModelResult", "ModelSettings", "RunResult"]

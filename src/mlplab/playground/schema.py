"""What the page may send, validated at the door: every number bounded, every name from a list.

The bounds are also what keeps the server's memory bounded: at most MAX_POINTS generated
points, MAX_UPLOAD_ROWS uploaded rows, 6 hidden layers of 8 units, and a fixed grid.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mlplab import optim
from mlplab.data.features import FEATURES
from mlplab.registry import activation_named, activations

MAX_LAYERS, MAX_UNITS, MAX_CLASSES = 6, 8, 6
MAX_POINTS = 2000
MAX_UPLOAD_BYTES = 256 * 1024
MAX_UPLOAD_ROWS = 5000
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 16 * 1024   # any request body, JSON overhead included


@dataclass(frozen=True)
class DataChoice:
    """A data set of the page: the registered mlplab data set and the arguments it gets."""

    registry: str                  # a name of mlplab.data.available()
    problem: str                   # "classification" or "regression"
    label: str
    noise: float                   # default noise (the generator's own unit)
    noise_max: float
    args: dict = field(default_factory=dict)
    classes: bool = False          # the page's class count becomes the loader's k


DATASETS: dict[str, DataChoice] = {
    "circle": DataChoice("circles", "classification", "Circle", 0.05, 0.3),
    "xor": DataChoice("xor", "classification", "XOR", 0.15, 0.5),
    "gaussian": DataChoice("blobs", "classification", "Gaussian", 0.6, 2.0,
                           {"k": 2, "radius": 1.5}),
    "spiral": DataChoice("spiral", "classification", "Spiral", 0.2, 0.6, classes=True),
    "moons": DataChoice("moons", "classification", "Moons", 0.1, 0.5),
    "blobs": DataChoice("blobs", "classification", "Blobs", 1.0, 3.0, classes=True),
    "checkerboard": DataChoice("checkerboard", "classification", "Checkerboard", 0.0, 0.3),
    "plane": DataChoice("plane", "regression", "Plane", 0.0, 0.5),
    "multigauss": DataChoice("multigauss", "regression", "Multi-Gaussian", 0.0, 0.5),
    "upload": DataChoice("csv", "any", "Your CSV", 0.0, 0.0),
}
class _Live(Mapping):
    """A read-only table computed from the records each time it is read, so a kind
    registered after this module was imported is offered too."""

    def __init__(self, build):
        self._build = build

    def __getitem__(self, key):
        return self._build()[key]

    def __iter__(self):
        return iter(self._build())

    def __len__(self):
        return len(self._build())


def _activations() -> dict[str, str]:
    """page name -> spec token: every activation a hidden layer can use, by its token; its
    aliases (TensorFlow Playground's "linear") are read as the token (``Config``)."""
    return {name: name for name in activations(hidden=True)}


def _optimizers() -> dict[str, tuple[str, dict]]:
    """page name -> (mlplab.optim name, keyword arguments): mlplab.optim's choices."""
    return {k: (name, kw) for k, (_, name, kw) in optim.optimizer_choices().items()}


def labels() -> dict[str, str]:
    """Display names of the page's choices, from the records (served to the page)."""
    out = {n: k.display for n, k in activations(hidden=True).items()}
    out.update({k: label for k, (label, _, _) in optim.optimizer_choices().items()})
    return {**out, "none": "None", "l1": "L1", "l2": "L2"}


ACTIVATIONS: Mapping[str, str] = _Live(_activations)
OPTIMIZERS: Mapping[str, tuple[str, dict]] = _Live(_optimizers)

# the names the page may send, read from the tables above: one list each
DatasetName = Literal[tuple(DATASETS)]
FeatureName = Literal[tuple(FEATURES)]


def _choice(what: str, table: Mapping, value: str) -> str:
    if value not in table:
        raise ValueError(f"unknown {what} {value!r}; choose one of {', '.join(table)}")
    return value


class Config(BaseModel):
    """One playground setup: data, network and training; the page's URL holds the same keys."""

    model_config = ConfigDict(extra="forbid")

    problem: Literal["classification", "regression"] = "classification"
    dataset: DatasetName = "circle"
    classes: int = Field(3, ge=2, le=MAX_CLASSES, description="spiral arms, blobs")
    points: int = Field(500, ge=20, le=MAX_POINTS)
    noise: float | None = Field(None, ge=0, le=3.0, description="None: the data set's default")
    train_pct: int = Field(50, ge=10, le=90, description="percent of points trained on")
    batch_size: int = Field(10, ge=1, le=100)
    seed: int = Field(0, ge=0, le=2**31 - 1)
    features: list[FeatureName] = Field(default_factory=lambda: ["x1", "x2"], min_length=1,
                                        max_length=len(FEATURES))
    layers: list[int] = Field(default_factory=lambda: [4, 2], max_length=MAX_LAYERS)
    activation: str = "tanh"
    lr: float = Field(0.03, gt=0, le=10)
    regularization: Literal["none", "l1", "l2"] = "none"
    reg_rate: float = Field(0.0, ge=0, le=10)
    optimizer: str = "sgd"
    dropout: float = Field(0.0, ge=0, le=0.9)

    @field_validator("layers")
    @classmethod
    def _units(cls, v: list[int]) -> list[int]:
        for u in v:
            if not 1 <= u <= MAX_UNITS:
                raise ValueError(f"every hidden layer needs 1 to {MAX_UNITS} units, got {u}")
        return v

    @field_validator("activation")
    @classmethod
    def _activation(cls, v: str) -> str:
        kind = activation_named(v)   # an alias ("linear") is read as its kind ("identity")
        return _choice("activation", ACTIVATIONS, kind.name if kind is not None else v)

    @field_validator("optimizer")
    @classmethod
    def _optimizer(cls, v: str) -> str:
        return _choice("optimizer", OPTIMIZERS, v)

    @field_validator("features")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a feature is listed twice")
        return v

    @model_validator(mode="after")
    def _fits(self) -> Config:
        choice = DATASETS[self.dataset]
        if choice.problem not in ("any", self.problem):
            raise ValueError(f"data set {self.dataset!r} is a {choice.problem} problem; "
                             f"choose one for {self.problem}")
        if self.noise is not None and self.noise > choice.noise_max and self.dataset != "upload":
            raise ValueError(f"noise for {self.dataset} must be at most {choice.noise_max}")
        return self


class Upload(BaseModel):
    """A CSV the page read from the user's disk: a header, two feature columns, a target."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field("data.csv", min_length=1, max_length=100)
    text: str = Field(..., min_length=1, max_length=MAX_UPLOAD_BYTES)


class Point(BaseModel):
    """A point of the input plane for "explain this point"."""

    model_config = ConfigDict(extra="forbid")

    x1: float = Field(..., ge=-1e6, le=1e6)
    x2: float = Field(..., ge=-1e6, le=1e6)


class Control(BaseModel):
    """A message of the live stream: play, pause, one step (an epoch), reset, a new learning
    rate, or the acknowledgement of a drawn frame."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["play", "pause", "step", "reset", "lr", "ack"]
    lr: float | None = Field(None, gt=0, le=10)
    frame: int | None = Field(None, ge=0)


def loader_args(config: Config) -> dict:
    """The keyword arguments of a generated data set's loader for ``config`` (its points,
    noise or the data set's default, seed, and class count where the set takes one)."""
    choice = DATASETS[config.dataset]
    args = {**choice.args, "n": config.points,
            "noise": choice.noise if config.noise is None else config.noise, "seed": config.seed}
    if choice.classes:
        args["k"] = config.classes
    return args


def options() -> dict:
    """Choices and bounds for the page's controls."""
    return {
        "datasets": {k: {"label": c.label, "problem": c.problem, "noise": c.noise,
                         "noise_max": c.noise_max, "classes": c.classes}
                     for k, c in DATASETS.items()},
        "activations": list(ACTIVATIONS), "optimizers": list(OPTIMIZERS),
        "labels": labels(),
        "features": list(FEATURES), "regularization": ["none", "l1", "l2"],
        "max_layers": MAX_LAYERS, "max_units": MAX_UNITS, "max_classes": MAX_CLASSES,
        "max_points": MAX_POINTS, "max_upload_bytes": MAX_UPLOAD_BYTES,
        "max_upload_rows": MAX_UPLOAD_ROWS, "defaults": Config().model_dump(),
    }

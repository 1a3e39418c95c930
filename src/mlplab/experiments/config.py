"""Experiment files: parsing, validation and overrides.

An experiment names one or more data sets (``[[data]]``) and a list of models
(``[[models]]``); every model is trained on every data set by the same runner::

    name = "auto-mpg"
    description = "..."
    [[data]]
    name = "auto-mpg"          # a name from mlplab.data.available()
    preprocess = "standardize" # default preprocessing for the models below
    train = "train"            # the split trained on
    eval = ["val"]             # splits evaluated after every epoch
    [[models]]
    name = "mlp"
    spec = "9-64-relu-64-relu-1"
    loss = "mse"
    optimizer = "sgd"
    lr = 0.003
    epochs = 100
    batch_size = 32

A demo experiment lists ``[[demos]]`` instead (``name`` from ``mlplab.modern.DEMOS``, the other
keys are the demo's arguments) and needs no ``[[data]]`` or ``[[models]]``. ``engine`` and
``device`` ("auto", "cpu", "cuda"; the torch engine's) may be set at the top level, and
``seed``, ``notes`` (lines for the report) and ``[defaults]`` (keys every model gets unless
it sets them). ``kind`` names the experiment kind (mlplab.experiments.kinds); it is usually
left out: "demos" when there are ``[[demos]]``, otherwise "models".

Every ``[[data]]`` and ``[[models]]`` key is listed with its meaning in ``DATA_KEYS`` and
``MODEL_KEYS`` below (plus the keys of an experiment or model kind, in its record); any other
key is an error, whether it comes from a file or from Python (``mlplab train`` builds its
experiment as a dict and validates it with :func:`from_dict` too).
"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from mlplab.errors import ExperimentError  # re-exported here
from mlplab.experiments.kinds import DEFAULT_MODEL_KIND, EXPERIMENT_KINDS, MODEL_KINDS
from mlplab.util import is_int as _is_int
from mlplab.util import is_number as _is_number
from mlplab.util import unknown_name

# [[models]] keys and what each means; name, spec and loss are required, and so are
# optimizer, lr, epochs and batch_size unless the model has hand-set weights.
MODEL_KEYS: dict[str, str] = {
    "name": "the model's name in tables and file names (unique within the experiment)",
    "spec": "the network as a spec string, e.g. 9-64-relu-1 (mlplab.spec); a first token "
            "auto takes the data's input width (auto-64-relu-7)",
    "loss": "the loss: mse, cross_entropy, bce, ... (mlplab.nn)",
    "optimizer": "sgd, adam, ... (mlplab.optim)",
    "lr": "the learning rate",
    "epochs": "passes over the training split (--epochs overrides it)",
    "batch_size": "examples per step",
    "preprocess": "input preprocessing for this model; default: its data set's preprocess",
    "optimizer_kwargs": "further optimizer arguments, e.g. {momentum = 0.9}",
    "loss_kwargs": "further loss arguments",
    "l1": "an L1 penalty's rate: l1 * sign(p) is added to every parameter's gradient before "
          "each step (L2 is the optimizer's weight_decay); default 0",
    "weights": "hand-set weights {parameter name = nested list}: evaluated, never trained",
    "description": "a line about the model (not shown in tables)",
    "early_stopping": "{patience = ..., ...}: mlplab.train.EarlyStopping's arguments",
    "schedule": "a learning-rate schedule, e.g. \"cosine\" (mlplab.train.trainer)",
    "augment": "training-time augmentation of image batches (mlplab.experiments.preprocess)",
    "record_dynamics": "true: record per layer and epoch the gradient norm, saturated and dead "
                       "units and an activation histogram (mlplab.train.callbacks."
                       "TrainingDynamics), kept in metrics.json and drawn in the report",
    "kind": "how the entry is run: mlplab (the default) or another model kind "
            "(mlplab.experiments.kinds.MODEL_KINDS)",
}
# [[data]] keys and what each means; only name is required.
DATA_KEYS: dict[str, str] = {
    "name": "a data set of mlplab.data.available() (own data: the file's format)",
    "args": "the loader's keyword arguments, e.g. {path = \"...\"}",
    "preprocess": "default input preprocessing of the models: none, standardize, unit, ...",
    "train": "the split trained on (default train)",
    "eval": "the splits evaluated after every epoch and reported (default none)",
    "val_fraction": "carve this share of the training split out as a validation split",
    "stratify": "keep the class shares in that carved validation split",
    "label": "the data set's name in tables and plots (default: name)",
    "target_preprocess": "scale a regression target for training (standardize); metrics, "
                         "plots and predictions stay in its own units",
}


# -- value types -----------------------------------------------------------------------------
# What each documented key holds, checked before anything is built: `epochs = "ten"` is one
# line naming the file, the model and the key, not a TypeError deep in the runner. A check is
# (words for the message, test); keys of an experiment or model kind are left to the kind.
_Check = tuple[str, Callable[[Any], bool]]


def _is_text(v) -> bool:
    return isinstance(v, str) and v.strip() != ""


def _list_of_text(v) -> bool:
    return isinstance(v, list) and all(_is_text(t) for t in v)


_TEXT: _Check = ("a non-empty string", _is_text)
_TABLE: _Check = ("a table, e.g. {key = value}", lambda v: isinstance(v, dict))
MODEL_TYPES: dict[str, _Check] = {
    "name": _TEXT,
    "spec": ("a spec string like \"9-64-relu-1\" or a list of its tokens",
             lambda v: _is_text(v) or (isinstance(v, list) and len(v) > 0 and all(
                 _is_text(t) or _is_int(t) for t in v))),
    "loss": _TEXT,
    "optimizer": _TEXT,
    "lr": ("a positive number, e.g. 0.01", lambda v: _is_number(v) and v > 0),
    "epochs": ("an integer >= 1, e.g. 100", lambda v: _is_int(v) and v >= 1),
    "batch_size": ("an integer >= 1, e.g. 32", lambda v: _is_int(v) and v >= 1),
    "preprocess": _TEXT,
    "optimizer_kwargs": _TABLE,
    "loss_kwargs": _TABLE,
    "l1": ("a number >= 0, e.g. 0.001", lambda v: _is_number(v) and v >= 0),
    "weights": _TABLE,
    "description": ("a string", lambda v: isinstance(v, str)),
    "early_stopping": ("a table like {patience = 10}, or false",
                       lambda v: isinstance(v, dict) or v is False or v is None),
    "schedule": ("a name like \"cosine\" or a table like {kind = \"cosine\"}",
                 lambda v: _is_text(v) or isinstance(v, dict)),
    "augment": ("a string like \"flip+shift:2\"", lambda v: isinstance(v, str) or v is None),
    "record_dynamics": ("true or false", lambda v: isinstance(v, bool)),
    "kind": _TEXT,
}
DATA_TYPES: dict[str, _Check] = {
    "name": _TEXT,
    "args": _TABLE,
    "preprocess": _TEXT,
    "train": _TEXT,
    "eval": ("a list of split names, e.g. [\"val\"]", _list_of_text),
    "val_fraction": ("a number from 0 to below 1, e.g. 0.2",
                     lambda v: _is_number(v) and 0 <= v < 1),
    "stratify": ("true or false", lambda v: isinstance(v, bool)),
    "label": _TEXT,
    "target_preprocess": ("a string like \"standardize\"",
                          lambda v: isinstance(v, str) or v is None),
}
TOP_TYPES: dict[str, _Check] = {
    "name": _TEXT,
    "description": ("a string", lambda v: isinstance(v, str)),
    "seed": ("an integer >= 0", lambda v: _is_int(v) and v >= 0),
    "engine": _TEXT,
    "device": _TEXT,
    "kind": _TEXT,
    "notes": ("a list of strings", lambda v: isinstance(v, list)
              and all(isinstance(t, str) for t in v)),
    "defaults": _TABLE,
    "data": ("a list of [[data]] tables", lambda v: isinstance(v, Mapping) or (
        isinstance(v, list) and all(isinstance(d, Mapping) for d in v))),
    "models": ("a list of [[models]] tables",
               lambda v: isinstance(v, list) and all(isinstance(m, Mapping) for m in v)),
    "demos": ("a list of [[demos]] tables",
              lambda v: isinstance(v, list) and all(isinstance(d, dict) for d in v)),
}


def check_types(entry: dict, types: dict[str, _Check], where: str = "") -> None:
    """ExperimentError naming ``where`` (when given) and the key for the first value of a
    wrong type. ``types``: MODEL_TYPES, DATA_TYPES or TOP_TYPES. A sweep checks each --set
    value with it too."""
    for key, (words, ok) in types.items():
        if key in entry and not ok(entry[key]):
            shown = repr(entry[key])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ExperimentError(f"{where + ': ' if where else ''}{key} = {shown} must be "
                                  f"{words}")


class _Entry(Mapping):
    """An entry read once from the file (or from Python), typed: its keys are attributes,
    absent ones at their defaults. ``given`` keeps the keys it was given, in order, which is
    what :meth:`to_dict` writes (config.json) and what reading it as a mapping shows
    (``"weights" in entry``, ``{**entry}``), so a key left out stays out."""

    given: tuple[str, ...]
    extra: Mapping[str, Any]

    @classmethod
    def from_dict(cls, d: Mapping):
        """The entry of a dict of documented keys (and its kind's keys, kept in ``extra``);
        the values are not checked here (:func:`check_types` does that)."""
        own = {f.name for f in fields(cls)} - {"given", "extra"}
        return cls(**{k: v for k, v in d.items() if k in own}, given=tuple(d),
                   extra={k: v for k, v in d.items() if k not in own})

    def to_dict(self) -> dict:
        return {k: self[k] for k in self.given}

    def with_(self, **changes):
        """A copy with ``changes`` set (given keys, in their place; new ones at the end)."""
        return type(self).from_dict({**self.to_dict(), **changes})

    def __getitem__(self, key: str):
        if key not in self.given:
            raise KeyError(key)
        return self.extra[key] if key in self.extra else getattr(self, key)

    def __iter__(self) -> Iterator[str]:
        return iter(self.given)

    def __len__(self) -> int:
        return len(self.given)

    def __contains__(self, key) -> bool:
        return key in self.given


@dataclass(frozen=True, eq=True)
class ModelEntry(_Entry):
    """One ``[[models]]`` entry (MODEL_KEYS say what each key means); ``extra`` holds its
    model kind's own keys (a scikit-learn row's estimator, hidden, activation)."""

    name: str
    spec: str | list
    loss: str
    optimizer: str | None = None
    lr: float | None = None
    epochs: int | None = None
    batch_size: int | None = None
    preprocess: str | None = None          # None: the data set's
    optimizer_kwargs: Mapping | None = None
    loss_kwargs: Mapping | None = None
    l1: float = 0.0
    weights: Mapping | None = None         # hand-set: evaluated, never trained
    description: str = ""
    early_stopping: Mapping | bool | None = None
    schedule: str | Mapping | None = None
    augment: str | None = None
    record_dynamics: bool = False
    kind: str = DEFAULT_MODEL_KIND
    given: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def trained(self) -> bool:
        """False for a network given by hand-set weights."""
        return self.weights is None


@dataclass(frozen=True, eq=True)
class DataEntry(_Entry):
    """One ``[[data]]`` entry (DATA_KEYS say what each key means); ``dataset`` and
    ``schema`` are the own-data experiment's (mlplab train)."""

    name: str
    args: Mapping = field(default_factory=dict)
    preprocess: str = "none"
    train: str = "train"
    eval: list = field(default_factory=list)
    val_fraction: float | None = None
    stratify: bool = False
    label: str | None = None
    target_preprocess: str | None = None
    dataset: Any = None
    schema: Mapping | None = None
    given: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """The data set's name in tables, plots and metrics keys: its label, else its name."""
        return self.label or self.name


@dataclass
class Experiment:
    name: str
    description: str
    data: tuple[DataEntry, ...]
    models: tuple[ModelEntry, ...]
    seed: int = 0
    engine: str = "numpy"
    source: str = ""
    notes: list[str] = field(default_factory=list)
    device: str = "auto"                                  # the torch engine's device
    demos: list[dict] = field(default_factory=list)       # [[demos]]: mlplab.modern
    kind: str = "models"                                  # mlplab.experiments.kinds

    def to_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "seed": self.seed,
                "engine": self.engine, "device": self.device,
                "data": [d.to_dict() for d in self.data],
                "models": [m.to_dict() for m in self.models], "demos": self.demos,
                "notes": self.notes,
                "source": self.source}

    def to_json(self) -> str:
        """config.json's text: every setting as the run used it (an object that JSON cannot
        hold, such as an in-memory Dataset, as its repr)."""
        return json.dumps(self.to_dict(), indent=1, default=repr)


def _builtin_dir():
    return resources.files("mlplab.experiments")


def available() -> list[tuple[str, str]]:
    """(name, description) of every experiment shipped with mlplab."""
    out = []
    for f in sorted(_builtin_dir().iterdir(), key=lambda p: p.name):
        if f.name.endswith(".toml"):
            out.append((f.name[:-5], tomllib.loads(f.read_text())["description"]))
    return out


def load_experiment(name_or_path: str) -> Experiment:
    """A shipped experiment by name, or a TOML file by path."""
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.exists():
        text, source = path.read_text(), str(path)
    else:
        f = _builtin_dir() / f"{name_or_path}.toml"
        if not f.is_file():
            names = ", ".join(n for n, _ in available())
            raise ExperimentError(f"unknown experiment {name_or_path!r}; choose one of {names}, "
                                  "or give the path of a .toml file")
        text, source = f.read_text(), f"mlplab/experiments/{name_or_path}.toml"
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ExperimentError(f"{source}: not valid TOML ({e})") from None
    return from_dict(raw, source)


def _kind(registry: dict, name, what: str, source: str):
    if name not in registry:
        raise ExperimentError(f"{source}: {unknown_name(registry, name, what)}")
    return registry[name]


def from_dict(raw: dict, source: str) -> Experiment:
    """Validate an experiment given as a dict (a parsed TOML file, or built in Python) and
    return it with the defaults filled in; ``source`` names it in error messages."""
    if not isinstance(raw, dict):
        raise ExperimentError(f"{source}: an experiment is a table of keys (name, description, "
                              f"[[data]], [[models]]), got {type(raw).__name__}")
    if "demos" in raw:
        raw = {"data": [], "models": [], **raw}
    for key in ("name", "description", "data", "models"):
        if key not in raw:
            raise ExperimentError(f"{source}: missing top-level key {key!r}")
    check_types(raw, TOP_TYPES, source)
    kind = raw.get("kind", "demos" if raw.get("demos") else "models")
    data_keys = {**DATA_KEYS, **_kind(EXPERIMENT_KINDS, kind, "experiment kind",
                                      source).data_keys}
    # copies: an entry given from Python (a dict, or another experiment's entry) stays as it was
    data = [dict(d) for d in (raw["data"] if isinstance(raw["data"], list) else [raw["data"]])]
    for d in data:
        unknown = set(d) - set(data_keys)
        if unknown:
            raise ExperimentError(f"{source}: [[data]] " + unknown_name(
                sorted(data_keys), sorted(map(str, unknown))[0], "key"))
        if "name" not in d:
            raise ExperimentError(f"{source}: a [[data]] entry lacks 'name' (a data set of "
                                  "`mlplab data list`)")
        check_types(d, DATA_TYPES, f"{source}: [[data]] {d.get('name')!r}")
        if kind == "own-data":
            _check_in_memory(d, source)
        d.setdefault("args", {})
        d.setdefault("preprocess", "none")
        d.setdefault("train", "train")
        d.setdefault("eval", [])
    data = tuple(DataEntry.from_dict(d) for d in data)
    defaults = raw.get("defaults", {})
    models = []
    for m in raw["models"]:
        m = {**defaults, **m}
        check_types(m, MODEL_TYPES, f"{source}: model {m.get('name')!r}")
        model_kind = _kind(MODEL_KINDS, m.get("kind", DEFAULT_MODEL_KIND), "model kind", source)
        model_keys = {**MODEL_KEYS, **model_kind.keys}
        unknown = set(m) - set(model_keys)
        if unknown:
            raise ExperimentError(f"{source}: model {m.get('name')!r}: " + unknown_name(
                sorted(model_keys), sorted(map(str, unknown))[0], "key"))
        missing = {"name", "spec", "loss", *model_kind.required} - set(m)
        if "weights" not in m:
            missing |= {"optimizer", "lr", "epochs", "batch_size"} - set(m)
        if missing:
            raise ExperimentError(f"{source}: model {m.get('name')!r} lacks {sorted(missing)}")
        models.append(ModelEntry.from_dict(m))
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ExperimentError(f"{source}: model names must be unique, got {names}")
    demos = [dict(d) for d in raw.get("demos", [])]
    if demos:
        from mlplab.modern import DEMOS

        for d in demos:
            if not _is_text(d.get("name")) or d["name"] not in DEMOS:
                raise ExperimentError(f"{source}: unknown demo {d.get('name')!r}; choose one "
                                      f"of {', '.join(DEMOS)}")
    return Experiment(raw["name"], raw["description"], data, tuple(models), raw.get("seed", 0),
                      raw.get("engine", "numpy"), source, list(raw.get("notes", [])),
                      raw.get("device", "auto"), demos, kind)


def _check_in_memory(d: dict, source: str) -> None:
    from mlplab.data.dataset import Dataset

    if not isinstance(d.get("dataset"), Dataset):
        raise ExperimentError(f"{source}: an own-data experiment needs each [[data]] entry's "
                              "'dataset' to be an mlplab.data.Dataset in memory; a file names "
                              "its data sets with 'name' instead")


def with_overrides(exp: Experiment, *, epochs=None, seed=None, engine=None, data_dir=None,
                   data_args=None, device=None, record_dynamics: bool = False) -> Experiment:
    """A copy with command-line overrides applied (``--epochs`` applies to every trained
    model; ``--data-dir`` becomes the loaders' ``path``; ``--device`` the torch engine's
    device; ``--record-dynamics`` turns on every trained model's ``record_dynamics``)."""
    exp = copy.deepcopy(exp)
    if record_dynamics:
        exp.models = tuple(m.with_(record_dynamics=True) if m.trained else m
                           for m in exp.models)
    if epochs is not None:
        if epochs < 1:
            raise ExperimentError(f"--epochs must be at least 1, got {epochs}")
        exp.models = tuple(m.with_(epochs=epochs) if m.trained else m for m in exp.models)
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ExperimentError(f"--seed {seed}: must be an integer, 0 or more")
        exp.seed = seed
    if engine is not None:
        exp.engine = engine
    if device is not None:
        exp.device = device
    if exp.engine != "torch" and exp.device not in ("auto", "cpu"):
        raise ExperimentError(f"--device {exp.device} needs the torch engine: add --engine torch")
    from mlplab.data import loader_parameters

    data = []
    for d in exp.data:
        # command-line data options reach only the loaders that take them (--offline means
        # nothing to a generated data set)
        takes = set(loader_parameters(d.name))
        extra = dict(data_args or {})
        if data_dir is not None:
            if "path" not in takes:
                raise ExperimentError(f"--data-dir: the {d.name} data set is generated or "
                                      "bundled and reads no folder; leave --data-dir out")
            extra["path"] = str(data_dir)
        data.append(d.with_(args={**d.args, **{k: v for k, v in extra.items() if k in takes}}))
    exp.data = tuple(data)
    return exp

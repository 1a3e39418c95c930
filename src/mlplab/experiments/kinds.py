"""The kinds of experiment and of model entry that the runner knows, as lazy records.

An experiment kind says how a validated Experiment runs inside the one run-folder lifecycle
of :func:`mlplab.experiments.runner.run_experiment`: its ``prepare(exp)`` checks and loads
everything that can fail before a folder exists, and returns the body
``body(run_dir, progress, console) -> bool`` that writes the run (True: a model was
interrupted and the report shows what ran). A model kind says how one ``[[models]]`` entry is
trained and evaluated: ``run(job: ModelJob) -> ModelResult``.

Functions are named as ``"module:function"`` strings and imported when used, so this table
imports nothing (neither mlplab.byod nor scikit-learn). To add a kind, write the function and
add one record here; the keys a kind reads besides the documented experiment keys
(mlplab.experiments.config) are listed in its record, so the validator accepts them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

Ref = str | Callable   # "module:function", or the function itself


@dataclass(frozen=True)
class ExperimentKind:
    prepare: Ref                      # (Experiment) -> body(run_dir, progress, console) -> bool
    doc: str
    data_keys: Mapping[str, str] = field(default_factory=dict)   # extra [[data]] keys


@dataclass(frozen=True)
class ModelKind:
    """How one kind of ``[[models]]`` entry runs, and what the faces after the run may do
    with it (instead of testing its name)."""

    run: Ref                          # (ModelJob) -> ModelRun
    doc: str
    keys: Mapping[str, str] = field(default_factory=dict)        # extra [[models]] keys
    required: tuple[str, ...] = ()    # of those, the ones an entry must have
    saves_weights: bool = False       # weights/<key>.npz (+ .preprocess.json) of a model
    predictable: bool = False         # mlplab predict / Run.predict can rebuild it
    exportable: bool = False          # mlplab export can write it as ONNX
    runs_engine: bool = False         # trained by mlplab's engine: its size sets the threads


EXPERIMENT_KINDS: dict[str, ExperimentKind] = {
    "models": ExperimentKind(
        "mlplab.experiments.runner:prepare_models",
        "every [[models]] entry trained on every [[data]] set (loaded by name from "
        "mlplab.data), compared in one table"),
    "demos": ExperimentKind(
        "mlplab.modern:prepare_demos",
        "the [[demos]] of mlplab.modern, each writing its plots and table"),
    "own-data": ExperimentKind(
        "mlplab.byod.build:prepare_run",
        "the models comparison on a user's data read into memory (mlplab train)",
        {"dataset": "the in-memory mlplab.data.Dataset (from Python only, never from a file)",
         "schema": "how the user's file was read, saved for mlplab predict"}),
}

# the kind of an entry that names none
DEFAULT_MODEL_KIND = "mlplab"

MODEL_KINDS: dict[str, ModelKind] = {
    DEFAULT_MODEL_KIND: ModelKind(
        "mlplab.experiments.runner:run_model",
        "an mlplab network trained by the Trainer (or given by hand-set weights)",
        saves_weights=True, predictable=True, exportable=True, runs_engine=True),
    "sklearn": ModelKind(
        "mlplab.byod.sklearn_rows:run_sklearn_model",
        "a scikit-learn estimator as a row of the same table (mlplab train --compare-sklearn)",
        {"estimator": "LinearRegression, LogisticRegression, MLPRegressor or MLPClassifier",
         "hidden": "the MLP's hidden widths, e.g. [64, 64]",
         "activation": "the MLP's hidden activation (relu, tanh, sigmoid or identity)"},
        ("estimator",)),
}


def model_kind(entry: Mapping) -> ModelKind | None:
    """The record of a model entry's kind (``kind``, default DEFAULT_MODEL_KIND); None for
    a name no record has (a config.json edited by hand, or from a newer mlplab)."""
    return MODEL_KINDS.get(entry.get("kind", DEFAULT_MODEL_KIND))


def resolve(ref: Ref) -> Callable:
    """The function a record names (imported on first use)."""
    if callable(ref):
        return ref
    module, _, name = ref.partition(":")
    return getattr(importlib.import_module(module), name)

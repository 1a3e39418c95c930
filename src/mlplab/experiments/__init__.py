"""The course's experiments as TOML files, and the one runner that runs any of them.

config: the experiment file and its validator (every key documented); kinds: the registries of
experiment kinds and model kinds; runner: the run-folder lifecycle and one ModelJob per model;
results: docs/experiments.md from a run of every experiment.
"""

from mlplab.experiments.config import Experiment, available, load_experiment
from mlplab.experiments.kinds import EXPERIMENT_KINDS, MODEL_KINDS
from mlplab.experiments.runner import ModelJob, RunInterrupted, run_experiment

__all__ = ["EXPERIMENT_KINDS", "MODEL_KINDS", "Experiment", "ModelJob", "RunInterrupted",
           "available", "load_experiment", "run_experiment"]

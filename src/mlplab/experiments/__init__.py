"""The course's experiments as TOML files, and the one runner that runs any of them."""

from mlplab.experiments.config import Experiment, available, load_experiment
from mlplab.experiments.runner import RunInterrupted, run_experiment

__all__ = ["Experiment", "RunInterrupted", "available", "load_experiment", "run_experiment"]

"""Bring your own data: ``mlplab train`` turns a CSV, an image folder or an .npz into the
course's linear-vs-MLP comparison, and ``mlplab predict`` applies a trained model to new rows.

>>> from mlplab import byod
>>> exp = byod.build_experiment("wine.csv", byod.TrainOptions(target="class"))  # doctest: +SKIP
>>> run_dir = run_experiment(exp, "runs")                                       # doctest: +SKIP
>>> byod.predict(run_dir, "new.csv", model="mlp", out="predictions.csv")       # doctest: +SKIP

Reading: mlplab.byod.sources (SOURCES) and mlplab.data.table (the table reader); the experiment
(the runner's experiment kind "own-data"): mlplab.byod.build; scikit-learn rows (the model
kind "sklearn"): mlplab.byod.sklearn_rows; prediction: mlplab.byod.predict. Both kinds are
registered in mlplab.experiments.kinds, so importing this package changes no registry.
"""

from mlplab.byod.build import build_experiment, experiment_for
from mlplab.byod.options import TrainOptions, parse_hidden, parse_names
from mlplab.byod.predict import Predictions, describe, load_model, predict
from mlplab.byod.sources import SOURCES, Prepared, prepare

__all__ = ["SOURCES", "Predictions", "Prepared", "TrainOptions", "build_experiment",
           "describe", "experiment_for", "load_model", "parse_hidden", "parse_names",
           "predict", "prepare"]

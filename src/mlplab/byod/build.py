"""``mlplab train``: a user's data becomes an Experiment that the one runner runs, so the run
folder, the report and the comparison table are those of ``mlplab run``.

The models are the course's pair: the baseline (linear regression, or softmax regression for
classification) and an MLP, with the same optimizer, learning rate, batch size and epochs.
Binary classification takes the multi-class path: two logits, softmax and cross-entropy.
Regression targets are standardised with the training split's mean and std for training
(``target_preprocess``); predictions and metrics are in the target's own units.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlplab.byod.options import TrainOptions
from mlplab.byod.sources import Prepared, prepare
from mlplab.experiments.config import Experiment, from_dict

# task -> (baseline model name, loss, what the baseline is called)
BASELINES = {
    "regression": ("linear", "mse", "linear regression"),
    "classification": ("softmax", "cross_entropy", "softmax regression"),
}


def build_experiment(path, opts: TrainOptions) -> Experiment:
    """Validate ``opts``, read ``path`` and return the Experiment to run; nothing is
    written. Bad input raises DataError (one line) before any training."""
    opts.validate()
    return experiment_for(prepare(path, opts), opts)


def experiment_for(p: Prepared, opts: TrainOptions) -> Experiment:
    """The Experiment for prepared data: baseline and MLP (and sklearn rows if asked), of
    the experiment kind "own-data", validated like an experiment file."""
    opts.validate()
    ds = p.dataset
    n_in = ds.n_features
    n_out = ds.n_classes if ds.task == "classification" else 1
    base, loss, base_desc = BASELINES[ds.task]
    common = {"loss": loss, "optimizer": opts.optimizer, "lr": opts.lr, "epochs": opts.epochs,
              "batch_size": opts.batch_size}
    if opts.early_stopping:
        common["early_stopping"] = {"patience": opts.early_stopping}
    hidden = "-".join(f"{w}-{opts.activation}" for w in opts.hidden)
    models = [{"name": base, "spec": f"{n_in}-{n_out}", **common},
              {"name": "mlp", "spec": f"{n_in}-{hidden}-{n_out}", **common}]
    notes = list(p.notes)
    notes.append(f"models: {base_desc} ({n_in}-{n_out}) and an MLP ({models[1]['spec']}), "
                 f"both {opts.optimizer} lr {opts.lr:g}, batch {opts.batch_size}, "
                 f"{opts.epochs} epochs"
                 + (f", early stopping on the validation loss (patience {opts.early_stopping}, "
                    "best weights restored)" if opts.early_stopping else ""))
    if ds.task == "classification" and n_out == 2:
        notes.append("binary classification uses two logits with softmax and cross-entropy "
                     "(the multi-class path)")
    if ds.task == "regression":
        notes.append("the target is standardised with the training split's mean and std for "
                     "training (losses and curves are in those units); predictions and the "
                     "MSE, MAE and R² columns are in the target's own units")
    if opts.compare_sklearn:
        from mlplab.byod.sklearn_rows import sklearn_models

        models += sklearn_models(ds.task, models, opts.activation, opts.hidden)
        baseline = ("LinearRegression is solved in closed form (0 epochs)"
                    if ds.task == "regression" else "LogisticRegression keeps its default L2 "
                    "penalty (C=1) and counts lbfgs iterations as epochs")
        stop = (f"; its early stopping watches its own 10% of the training split (patience "
                f"{opts.early_stopping})" if opts.early_stopping else "")
        notes.append("sklearn rows: scikit-learn's models on the same splits and "
                     "preprocessing, scored by mlplab's metrics; the MLP matches widths, "
                     "activation, solver, lr, batch size, epochs and seed, with alpha=0"
                     f"{stop}; {baseline}")
    data = {"name": p.kind, "label": p.name, "dataset": ds, "schema": p.schema, "args": {},
            "preprocess": p.preprocess, "train": "train",
            "eval": [s for s in ("val", "test") if s in ds.splits]}
    if ds.task == "regression":
        data["target_preprocess"] = "standardize"
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", opts.name).strip("-.") if opts.name else p.name
    what = (f"target {ds.target_name!r}" if p.kind == "csv" else
            "classes from the folder names" if p.kind == "images" else "y")
    raw = {"name": name or p.name, "kind": "own-data",
           "description": f"{base_desc} vs MLP on {Path(p.schema['file']).name} "
                          f"({ds.task}, {what})",
           "data": [data], "models": models, "seed": opts.seed, "engine": opts.engine,
           "notes": notes}
    return from_dict(raw, f"mlplab train {p.schema['file']}")


def prepare_run(exp: Experiment):
    """The runner's experiment kind "own-data": the model comparison on the data sets the
    experiment holds in memory (``dataset`` of each [[data]] entry)."""
    from mlplab.experiments.runner import check_models, compare

    check_models(exp)
    return compare(exp, [(d, d["dataset"]) for d in exp.data])

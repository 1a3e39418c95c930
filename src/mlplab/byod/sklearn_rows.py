"""``--compare-sklearn``: scikit-learn's models as rows of the same comparison table.

Each is a model of kind ``"sklearn"`` in the experiment (registered in
mlplab.experiments.kinds.MODEL_KINDS), run by the one runner as a ModelJob: the same splits,
the same fitted preprocessing (and target scaling), and metrics computed by
``mlplab.train.metrics`` from its outputs, so the rows are comparable. Settings that mlplab
shares are matched: the MLP's hidden widths, activation, solver (sgd without momentum, or
adam), learning rate, batch size, epochs (``max_iter``, with sklearn's own convergence stop
switched off), no weight decay (``alpha=0``) and the seed. LogisticRegression keeps its default
L2 penalty (C=1): unpenalised softmax regression has no finite optimum on separable classes,
which lbfgs would chase; mlplab's softmax row stops after its epochs instead. sklearn models
are not saved (mlplab writes no pickles), so ``mlplab predict`` uses mlplab's models.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable

import numpy as np

from mlplab.data.dataset import DataError
from mlplab.experiments.config import ExperimentError
from mlplab.experiments.preprocess import fit_preprocess, fit_target_preprocess
from mlplab.experiments.runner import ModelJob, ModelRun
from mlplab.kinds import get_loss
from mlplab.optim import OPTIMIZERS
from mlplab.registry import activations
from mlplab.runresult import ModelResult
from mlplab.spec import ModelSpec
from mlplab.train import metrics as M
from mlplab.train.engine import prepare_targets
from mlplab.train.history import History, Outcome


def sk_activations() -> dict[str, str]:
    """mlplab's activation names -> scikit-learn's, from the records (``LayerKind.sklearn``)."""
    return {n: k.sklearn for n, k in activations().items() if k.sklearn}


def sk_solvers() -> dict[str, str]:
    """mlplab's optimizer names -> scikit-learn's solvers (``Optimizer.sklearn_solver``)."""
    return {n: c.sklearn_solver for n, c in OPTIMIZERS.items() if c.sklearn_solver}


def _linear_regression(m, seed, n_train):
    from sklearn.linear_model import LinearRegression

    return LinearRegression()


def _logistic_regression(m, seed, n_train):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=1.0, max_iter=1000)


def _mlp(cls_name):
    def make(m, seed, n_train):
        from sklearn import neural_network

        es = m.early_stopping
        return getattr(neural_network, cls_name)(
            hidden_layer_sizes=tuple(m.extra["hidden"]),
            activation=sk_activations()[m.extra["activation"]],
            solver=sk_solvers()[m.optimizer], alpha=0.0, learning_rate_init=m.lr,
            batch_size=min(m.batch_size, n_train), max_iter=m.epochs, shuffle=True,
            random_state=seed, momentum=0.0, nesterovs_momentum=False,
            # no convergence stop; with early stopping a tie is no improvement, as in mlplab
            tol=1e-12 if es else 0.0, early_stopping=bool(es),
            n_iter_no_change=es["patience"] if es else m.epochs + 1)
    return make


def _boosting(cls_name):
    """scikit-learn's histogram gradient boosting with its defaults (100 iterations, lr 0.1,
    early stopping on its own 10% validation split above 10,000 rows): the tree model a
    practitioner tries first on a table, as the strong baseline beside the MLP."""
    def make(m, seed, n_train):
        from sklearn import ensemble

        return getattr(ensemble, cls_name)(random_state=seed)
    return make


# estimator name -> factory(model entry, seed, n_train) -> unfitted estimator
ESTIMATORS: dict[str, Callable] = {
    "LinearRegression": _linear_regression,
    "LogisticRegression": _logistic_regression,
    "MLPRegressor": _mlp("MLPRegressor"),
    "MLPClassifier": _mlp("MLPClassifier"),
    "HistGradientBoostingRegressor": _boosting("HistGradientBoostingRegressor"),
    "HistGradientBoostingClassifier": _boosting("HistGradientBoostingClassifier"),
}
# per task: (row name, estimator, which mlplab model it matches)
ROWS = {
    "regression": [("sklearn-linear", "LinearRegression", 0), ("sklearn-mlp", "MLPRegressor", 1),
                   ("sklearn-hgb", "HistGradientBoostingRegressor", 1)],
    "classification": [("sklearn-logistic", "LogisticRegression", 0),
                       ("sklearn-mlp", "MLPClassifier", 1),
                       ("sklearn-hgb", "HistGradientBoostingClassifier", 1)],
}


def sklearn_models(task: str, mlplab_models: list[dict], activation: str,
                   hidden: tuple[int, ...]) -> list[dict]:
    """The experiment's model entries for the sklearn rows matching ``mlplab_models``
    ([baseline, mlp]); raises DataError when sklearn is missing or lacks a setting."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise DataError("--compare-sklearn needs scikit-learn: pip install scikit-learn") \
            from None
    mlp = mlplab_models[1]
    if activation not in sk_activations():
        raise DataError(f"--compare-sklearn: scikit-learn's MLP has no {activation!r} "
                        f"activation; use one of {', '.join(sk_activations())}")
    if mlp["optimizer"] not in sk_solvers():
        raise DataError(f"--compare-sklearn: scikit-learn's MLP trains with "
                        f"{' or '.join(sk_solvers())}, not {mlp['optimizer']!r}")
    out = []
    for name, est, i in ROWS[task]:
        out.append({**mlplab_models[i], "name": name, "kind": "sklearn", "estimator": est,
                    "hidden": list(hidden), "activation": activation})
    return out


def _outputs(est, X, task: str, n_classes: int) -> np.ndarray:
    """What an mlplab model would output: log-probabilities (n, n_classes) for
    classification (their cross-entropy is the log loss), predictions (n, 1) otherwise."""
    if task == "regression":
        return np.asarray(est.predict(X), dtype=np.float32).reshape(-1, 1)
    out = np.full((len(X), n_classes), np.log(1e-12), dtype=np.float32)
    with np.errstate(divide="ignore"):
        out[:, est.classes_] = np.log(np.clip(est.predict_proba(X), 1e-12, None))
    return out


def _params(est) -> int | None:
    """The estimator's parameter count; None for a tree ensemble (no weights to count)."""
    if type(est).__name__.startswith("HistGradientBoosting"):
        return None
    if hasattr(est, "coefs_"):
        return int(sum(w.size for w in est.coefs_) + sum(b.size for b in est.intercepts_))
    return int(np.size(est.coef_) + np.size(est.intercept_))


def run_sklearn_model(job: ModelJob) -> ModelRun:
    """The runner's model kind "sklearn": fit, evaluate every split, write the history."""
    m, d, ds, splits = job.model, job.data, job.dataset, job.splits
    spec = job.spec or ModelSpec.parse(m.spec)
    prep = fit_preprocess(job.preprocess, splits["train"][0], spec)
    target = fit_target_preprocess(d.target_preprocess, splits["train"][1])
    task, loss_name, estimator = ds.task, m.loss, m.extra["estimator"]
    X_train, y_train = splits["train"]
    if estimator not in ESTIMATORS:
        raise ExperimentError(f"{job.exp.source}: model {m.name!r}: unknown estimator "
                              f"{estimator!r}; choose one of {', '.join(ESTIMATORS)}")
    est = ESTIMATORS[estimator](m, job.exp.seed, len(X_train))
    fit_y = target.forward(y_train) if target else y_train
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(prep(X_train), fit_y)
        seconds = time.perf_counter() - t0
    epochs = int(np.max(getattr(est, "n_iter_", 0)))
    boosting = estimator.startswith("HistGradientBoosting")
    if boosting:   # early_stopping="auto": on above 10,000 rows, before max_iter iterations
        stopped_early = epochs < est.max_iter
    else:
        stopped_early = getattr(est, "early_stopping", False) is True and epochs < m.epochs
    outcome = Outcome.EARLY_STOPPED if stopped_early else Outcome.OK
    info = {"status": str(Outcome.OK), "outcome": str(outcome),
            "epochs": epochs, "seconds": round(seconds, 3),
            "params": _params(est), "spec": _describe(est),
            "preprocess": job.preprocess,
            "lr": float(est.learning_rate) if boosting else m.lr,
            "optimizer": getattr(est, "solver", None), "batch_size": getattr(est, "batch_size",
                                                                             None),
            "data": job.data_key}
    if info["params"] is None:
        del info["params"]
    expected_stop = estimator.startswith("MLP") and epochs >= m.epochs
    if not expected_stop and any(issubclass(w.category, ConvergenceWarning) for w in caught):
        info["message"] = (f"{type(est).__name__} stopped at max_iter={epochs} before "
                           "converging")
    if stopped_early:
        info["message"] = (f"stopped after epoch {epochs}: its own validation score (on "
                           f"{est.validation_fraction:.0%} of the training split) had not "
                           f"improved for {est.n_iter_no_change} epochs; kept its best "
                           "weights")
    loss_fn = get_loss(loss_name)
    k = ds.n_classes or 1

    def outputs(Z):   # in the target's own units
        out = _outputs(est, prep(Z), task, k)
        return target.inverse(out) if target else out

    eval_outputs, history = {}, History()
    for s, (X, y) in splits.items():
        out = _outputs(est, prep(X), task, k)   # in the units trained on
        fit_y = target.forward(y) if target else y
        info[s] = {"loss": float(loss_fn(out, prepare_targets(loss_name, fit_y)))}
        if target:
            out = target.inverse(out)
        info[s].update(M.compute(task, out, prepare_targets(loss_name, y)))
        eval_outputs[s] = out
    curve = getattr(est, "loss_curve_", None)
    if curve is not None:   # sklearn's squared error is half the MSE
        scale = 2.0 if task == "regression" else 1.0
        history = History([{"epoch": i + 1, "train_loss": scale * float(v)}
                           for i, v in enumerate(curve) if math.isfinite(v)])
    job.write_history(history)
    return ModelRun(ModelResult.from_dict(job.key, info), history, outputs, eval_outputs)


def _describe(est) -> str:
    name = type(est).__name__
    if name.startswith("MLP"):
        return (f"{name}({','.join(map(str, est.hidden_layer_sizes))}, {est.activation}, "
                f"{est.solver}, lr={est.learning_rate_init:g}, alpha=0)")
    if name == "LogisticRegression":
        return "LogisticRegression(L2, C=1)"
    if name.startswith("HistGradientBoosting"):
        return f"{name}(max_iter={est.max_iter}, lr={est.learning_rate:g})"
    return name


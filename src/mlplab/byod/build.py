"""``mlplab train``: a user's data becomes an Experiment that the one runner runs, so the run
folder, the report and the comparison table are those of ``mlplab run``.

The models are the course's pair: the baseline (linear regression, or softmax regression for
classification) and an MLP, with the same optimizer, learning rate, batch size and epochs.
Binary classification takes the multi-class path: two logits, softmax and cross-entropy.
Regression targets are standardised with the training split's mean and std for training
(``target_preprocess``); predictions and metrics are in the target's own units.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np

from mlplab.byod.options import TrainOptions
from mlplab.byod.sources import Prepared, prepare
from mlplab.experiments.config import Experiment, from_dict
from mlplab.spec import head_for, mlp_text

# task -> (baseline model name, what the baseline is called); the loss is the head's
BASELINES = {
    "regression": ("linear", "linear regression"),
    "classification": ("softmax", "softmax regression"),
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
    # two classes keep two logits and cross-entropy (binary="softmax")
    head = head_for(ds.task, ds.n_classes if ds.task == "classification" else 0)
    n_out = head.width
    base, base_desc = BASELINES[ds.task]
    common = {"loss": head.loss, "optimizer": opts.optimizer, "lr": opts.lr,
              "epochs": opts.epochs, "batch_size": opts.batch_size}
    patience = opts.patience
    if patience:
        common["early_stopping"] = {"patience": patience}
    models = [{"name": base, "spec": mlp_text(n_in, (), opts.activation, head), **common},
              {"name": "mlp", "spec": mlp_text(n_in, opts.hidden, opts.activation, head),
               **common}]
    notes = list(p.notes)
    notes.append(f"models: {base_desc} ({n_in}-{n_out}) and an MLP ({models[1]['spec']}), "
                 f"both {opts.optimizer} lr {opts.lr:g}, batch {opts.batch_size}, "
                 f"{opts.epochs} epochs"
                 + (f", early stopping on the validation loss (patience {patience}, "
                    "best weights restored"
                    + ("; --no-early-stopping turns it off)" if opts.early_stopping is None
                       else ")") if patience else ""))
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
                f"{patience})" if patience else "")
        notes.append("sklearn rows: scikit-learn's models on the same splits and "
                     "preprocessing, scored by mlplab's metrics; the MLP matches widths, "
                     "activation, solver, lr, batch size, epochs and seed, with alpha=0"
                     f"{stop}; {baseline}; HistGradientBoosting (sklearn-hgb) runs with "
                     "scikit-learn's defaults, the tree model to beat on a table")
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
    experiment holds in memory (``dataset`` of each [[data]] entry), with thread counts
    chosen for the size of the MLP (mlplab.threads), after saving the hashes of every
    split's rows (``ROWS_FILE``) for ``mlplab predict``."""
    from mlplab.experiments.runner import check_models, compare

    specs = check_models(exp)   # parsed once: the jobs and the thread plan reuse them
    body = compare(exp, [(d, d.dataset) for d in exp.data], specs)

    def run(run_dir: Path, progress: bool, console):
        from mlplab import threads
        from mlplab.experiments.kinds import model_kind

        save_row_hashes(run_dir / ROWS_FILE, exp.data[0].dataset)
        # 0 when no model runs on mlplab's engine (scikit-learn rows only)
        plan = threads.choose(exp.engine, max((_macs(m, specs[m.name]) for m in exp.models
                                               if model_kind(m).runs_engine), default=0))
        if exp.engine == "torch" and plan.torch is not None:
            try:   # imported now, so that its threads are set too
                import torch  # noqa: F401
            except ImportError:
                pass   # the engine reports it, as one line
        with threads.limited(plan):
            return body(run_dir, progress, console)

    return run


def _macs(model, spec) -> int:
    """Multiply-adds of the model's linear layers (``spec``: its parsed ModelSpec) over one
    training batch."""
    # conv layers of the twin count as nothing here: their images make big models anyway
    return model.batch_size * sum(a * b for a, b in spec.linear_layers)


# -- the rows a run saw ----------------------------------------------------------------------
# split_rows.npz: per split ("train", "val", "test"), the sorted 64-bit hashes of its rows,
# so that predict can say which of the rows it scores the model has seen. 8 bytes a row. Not
# in weights/, where every .npz is a model's.
ROWS_FILE = Path("split_rows.npz")


def row_hashes(X: np.ndarray) -> np.ndarray:
    """(n,) uint64: the first 8 bytes of the BLAKE2b digest of each row of X (n, ...), read
    as float32 (uint8 images and float32 tables hash alike; a NaN is a NaN)."""
    rows = np.ascontiguousarray(np.asarray(X, dtype=np.float32).reshape(len(X), -1))
    return np.array([int.from_bytes(hashlib.blake2b(r.tobytes(), digest_size=8).digest(),
                                    "little") for r in rows], dtype=np.uint64)


def save_row_hashes(path: Path, ds) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{s: np.sort(row_hashes(ds.split(s)[0])) for s in ds.splits})


def seen_rows_notes(run_dir, X: np.ndarray) -> list[str]:
    """Notes for ``mlplab predict``: how many rows of X (n, ...) are rows of the run's
    training, validation or test split (by their hashes; none for a run without them)."""
    path = Path(run_dir) / ROWS_FILE
    if not path.is_file() or len(X) == 0:
        return []
    hashes = row_hashes(X)
    with np.load(path, allow_pickle=False) as f:
        seen = {s: int(np.isin(hashes, f[s]).sum()) for s in ("train", "val", "test")
                if s in f.files}
    n = len(X)
    notes = []
    if seen.get("train"):
        notes.append(f"{seen['train']} of these {n} row(s) are the run's training rows: the "
                     "model was fitted on them, so scores on them overstate how it does on "
                     "new data")
    held = [f"{seen[s]} are the run's {what}" for s, what in (
        ("val", "validation rows (early stopping, when on, chose the epoch on them)"),
        ("test", "test rows")) if seen.get(s)]
    if held:
        notes.append(f"of these {n} row(s), {' and '.join(held)}")
    return notes

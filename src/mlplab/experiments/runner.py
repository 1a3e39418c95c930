"""The one experiment runner: data -> preprocessing -> one job per model -> report.

Every kind of experiment (mlplab.experiments.kinds: model comparison, demos, own data) runs
inside the same run-folder lifecycle: the run is written into a hidden
``.<name>-<timestamp>.partial`` folder and renamed when it is complete, or when a model was
interrupted (Ctrl-C), with the report of what ran; any other failure removes the partial
folder, so a crash leaves nothing half-written behind.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from mlplab import data as datalib
from mlplab.experiments.config import Experiment, ExperimentError
from mlplab.experiments.kinds import EXPERIMENT_KINDS, MODEL_KINDS, resolve
from mlplab.experiments.preprocess import (
    fit_preprocess,
    fit_target_preprocess,
    make_augment,
    save_preprocess,
)
from mlplab.spec import ModelSpec
from mlplab.train import EarlyStopping, Trainer, build_engine
from mlplab.train import metrics as M
from mlplab.train.history import History, Outcome
from mlplab.util import atomic_write_text

# body(run_dir, progress, console) -> True when a model was interrupted
RunBody = Callable[[Path, bool, object], bool]


class RunInterrupted(Exception):
    """Ctrl-C during a run; ``run_dir`` holds the report of what had run."""

    def __init__(self, run_dir: Path):
        super().__init__(f"interrupted; the report of what ran is in {run_dir}")
        self.run_dir = run_dir


@dataclass
class ModelJob:
    """One ``[[models]]`` entry on one data set: everything a model kind's run gets."""

    exp: Experiment
    model: dict                     # the [[models]] entry
    key: str                        # its metrics.json key: "<data label>/<name>" or "<name>"
    data_key: str                   # the data set's label
    dataset: object                 # the Dataset
    data: dict                      # the [[data]] entry
    splits: dict                    # split -> (X (n, ...), y (n,) or (n, 1)): train + evaluated
    run_dir: Path                   # the (still partial) run folder
    progress: bool = False
    console: object = None

    @property
    def stem(self) -> str:
        """The key as a file name (weights/, history/, checkpoints/)."""
        return self.key.replace("/", "__")

    @property
    def preprocess(self) -> str:
        return self.model.get("preprocess", self.data["preprocess"])

    def write_history(self, history: History) -> None:
        folder = self.run_dir / "history"
        folder.mkdir(exist_ok=True)
        if history.records:
            history.to_csv(folder / f"{self.stem}.csv")
        history.to_json(folder / f"{self.stem}.json")


@dataclass
class ModelResult:
    """What the report needs of one trained model."""

    key: str
    data_key: str
    info: dict                      # the metrics.json entry
    history: object                 # History
    predict: object = None          # (n, d) float32 -> outputs, with the model's preprocessing
    eval_outputs: dict = field(default_factory=dict)   # split -> outputs
    threshold: float = 0.0          # splits a single binary output column


def metrics_status(outcome: str) -> str:
    """metrics.json's ``status`` for a training outcome (History.status): "diverged" and
    "interrupted" stay, every other outcome (early stopped, ended worse than it started)
    still gave a model, so "ok"; the entry's ``outcome`` keeps the detail."""
    kept = (Outcome.DIVERGED, Outcome.INTERRUPTED)
    return str(outcome) if outcome in kept else str(Outcome.OK)


# ---- the run-folder lifecycle -----------------------------------------------------------

def run_experiment(exp: Experiment, out_dir="runs", *, progress: bool = True,
                   console=None) -> Path:
    """Run ``exp`` (every model on every data set, or its demos); returns the finished run
    folder. Raises RunInterrupted (after writing the report of what ran) on Ctrl-C."""
    if exp.kind not in EXPERIMENT_KINDS:
        raise ExperimentError(f"{exp.source}: unknown experiment kind {exp.kind!r}; choose "
                              f"one of {', '.join(EXPERIMENT_KINDS)}")
    body = resolve(EXPERIMENT_KINDS[exp.kind].prepare)(exp)   # fails before any writing
    return run_in_folder(exp, Path(out_dir), body, progress, console)


def run_in_folder(exp: Experiment, out: Path, body: RunBody, progress: bool = False,
                  console=None) -> Path:
    """config.json, then ``body`` writes the rest into the hidden partial folder, which is
    renamed to ``<name>-<stamp>`` when the body returns; on any exception it is removed."""
    partial, final = _new_run_dir(out, exp.name)
    try:
        atomic_write_text(partial / "config.json", json.dumps(exp.to_dict(), indent=1,
                                                              default=repr))
        interrupted = body(partial, progress, console)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(final)
    if interrupted:
        raise RunInterrupted(final)
    return final


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _new_run_dir(out: Path, name: str) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    base = f"{name}-{_stamp()}"
    final, i = out / base, 1
    while final.exists() or (out / f".{final.name}.partial").exists():
        i += 1
        final = out / f"{base}-{i}"
    partial = out / f".{final.name}.partial"
    partial.mkdir()
    return partial, final


# ---- the model comparison (experiment kinds "models" and "own-data") ---------------------

def prepare_models(exp: Experiment) -> RunBody:
    """Experiment kind "models": check the models, load every data set by name."""
    check_models(exp)
    return compare(exp, [(d, datalib.load(d["name"], **d["args"])) for d in exp.data])


def check_models(exp: Experiment) -> None:
    """Fail on a spec this engine cannot build before any data is loaded."""
    for m in exp.models:
        if ModelSpec.parse(m["spec"]).twin_only and exp.engine != "torch":
            raise ExperimentError(f"{exp.source}: model {m['name']!r} has layers that run only "
                                  "on the torch engine: use --engine torch")


def compare(exp: Experiment, loaded: list[tuple[dict, object]]) -> RunBody:
    """The body that trains every model on every loaded (data entry, Dataset), then writes
    metrics.json, the plots and the report; it stops after an interrupted model."""

    def body(run_dir: Path, progress: bool, console) -> bool:
        results: list[ModelResult] = []
        shown = []   # (data entry, dataset, its splits) for the report's plots
        multi = len(loaded) > 1
        interrupted = False
        for d, ds in loaded:
            data_key = d.get("label", d["name"])
            splits = _splits(d, ds, exp.seed)
            shown.append((d, ds, splits))
            for m in exp.models:
                job = ModelJob(exp, m, f"{data_key}/{m['name']}" if multi else m["name"],
                               data_key, ds, d, splits, run_dir, progress, console)
                res = run_job(job)
                results.append(res)
                if res.info["status"] == "interrupted":
                    interrupted = True
                    break
            if interrupted:
                break
        from mlplab.report.build import write_report

        write_report(run_dir, exp, results, shown)
        return interrupted

    return body


def run_job(job: ModelJob) -> ModelResult:
    """Run one job by its model kind and add what every kind reports alike."""
    run = resolve(MODEL_KINDS[job.model.get("kind", "mlplab")].run)
    result = run(job)
    if job.dataset.task == "classification" and result.eval_outputs:
        result.info["per_class_accuracy"] = _per_class(job, result)
    return result


def _per_class(job: ModelJob, result: ModelResult) -> dict:
    """split -> class name -> accuracy on that class's examples (None: no examples)."""
    ds = job.dataset
    names = ds.class_names or [str(i) for i in range(ds.n_classes or 0)]
    out = {}
    for s, outputs in result.eval_outputs.items():
        y = np.asarray(job.splits[s][1]).reshape(-1)
        cm = M.confusion_matrix(y, M.predicted_classes(outputs, result.threshold),
                                ds.n_classes)
        acc = M.per_class_accuracy(cm)
        out[s] = {(names[i] if i < len(names) else str(i)): (None if np.isnan(a) else float(a))
                  for i, a in enumerate(acc)}
    return out


def _splits(d: dict, ds, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """train plus the evaluation splits named in the experiment; a ``val_fraction`` carves
    a validation split out of the training split."""
    X, y = ds.split(d["train"])
    out = {}
    if d.get("val_fraction"):
        from mlplab.data.preprocessing import train_val_test_split

        parts = train_val_test_split(len(X), val=d["val_fraction"], test=0.0, seed=seed,
                                     stratify=y if d.get("stratify") else None)
        out["train"] = (X[parts["train"]], y[parts["train"]])
        out["val"] = (X[parts["val"]], y[parts["val"]])
    else:
        out["train"] = (X, y)
    for name in d["eval"]:
        if name not in out:
            out[name] = ds.split(name)
    return out


# ---- model kind "mlplab" -----------------------------------------------------------------

def run_model(job: ModelJob) -> ModelResult:
    """Model kind "mlplab": train the network with the Trainer (or load its hand-set
    weights), evaluate every split, save weights, preprocessing and history."""
    exp, m, d, splits, run_dir = job.exp, job.model, job.data, job.splits, job.run_dir
    spec = ModelSpec.parse(m["spec"])
    prep = fit_preprocess(job.preprocess, splits["train"][0], spec)
    # a regression target may be scaled for training ("target_preprocess"); metrics, plots
    # and predict are in its own units
    target = fit_target_preprocess(d.get("target_preprocess"), splits["train"][1])
    # inputs stay as loaded (uint8 images stay uint8): prep runs per batch and per chunk
    arrays = {s: (X, target.forward(y) if target else y) for s, (X, y) in splits.items()}
    engine = build_engine(exp.engine, spec=spec, loss=m["loss"],
                          optimizer=m.get("optimizer", "sgd"), lr=m.get("lr", 0.1),
                          seed=exp.seed, optimizer_kwargs=m.get("optimizer_kwargs"),
                          loss_kwargs=m.get("loss_kwargs"), device=exp.device)
    t0 = time.perf_counter()
    if "weights" in m:  # a hand-set network: no training, only evaluation
        engine.load_state_dict({k: np.asarray(v, dtype=np.float32)
                                for k, v in m["weights"].items()})
        history = History(message="hand-set weights, not trained")
    else:
        es = m.get("early_stopping")
        trainer = Trainer(engine, epochs=m["epochs"], batch_size=m["batch_size"],
                          seed=exp.seed, progress=job.progress, console=job.console,
                          label=job.key, checkpoint=run_dir / "checkpoints" / f"{job.stem}.npz",
                          early_stopping=EarlyStopping(**es) if es else None,
                          schedule=m.get("schedule"),
                          augment=make_augment(m.get("augment"), job.dataset.X.shape[1:]),
                          transform=prep)
        eval_sets = {s: a for s, a in arrays.items() if s != "train"}
        history = trainer.fit(arrays["train"], eval_sets)
    seconds = time.perf_counter() - t0
    info = {"status": metrics_status(history.status), "outcome": str(history.status),
            "epochs": history.epochs, "seconds": round(seconds, 3),
            "params": spec.num_parameters(), "spec": str(spec),
            "preprocess": job.preprocess, "lr": m.get("lr"),
            "optimizer": m.get("optimizer"), "batch_size": m.get("batch_size"),
            "data": job.data_key}
    if history.message:
        info["message"] = history.message
    monitored = next((f"{s}_loss" for s in d["eval"] if f"{s}_loss" in history.columns), None)
    if monitored:  # the final epoch can sit on a spike of the curve: show the best one too
        losses = history.column(monitored)
        i = min(range(len(losses)), key=losses.__getitem__)
        info["best"] = {"epoch": i + 1, "split": monitored[:-5], "loss": losses[i]}
    result = ModelResult(job.key, job.data_key, info, history, threshold=engine.threshold)
    if history.status != Outcome.DIVERGED:
        task = engine.task
        for s, (X, y) in arrays.items():
            out = engine.predict(X, transform=prep)
            yt = engine.prepare_targets(y)
            loss = engine.loss(out, yt)
            if target:
                out, yt = target.inverse(out), engine.prepare_targets(splits[s][1])
            info[s] = {"loss": loss, **M.compute(task, out, yt, engine.threshold)}
            result.eval_outputs[s] = out
        result.predict = lambda Z, _p=prep, _e=engine, _t=target: (
            _t.inverse(_e.predict(Z, transform=_p)) if _t else _e.predict(Z, transform=_p))
        engine.save(run_dir / "weights" / f"{job.stem}.npz", spec=str(spec))
        save_preprocess(run_dir / "weights" / f"{job.stem}.preprocess.json", prep, target)
    job.write_history(history)
    return result


__all__ = ["EXPERIMENT_KINDS", "MODEL_KINDS", "ModelJob", "ModelResult", "RunInterrupted",
           "check_models", "compare", "metrics_status", "prepare_models", "run_experiment",
           "run_in_folder", "run_job", "run_model"]

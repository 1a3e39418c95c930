"""The one experiment runner: data -> preprocessing -> one job per model -> report.

Every kind of experiment (mlplab.experiments.kinds: model comparison, demos, own data) runs
inside the same run-folder lifecycle: the run is written into a hidden
``.<name>-<timestamp>.partial`` folder and renamed to ``<name>-<timestamp>`` when it is
complete, or when a model was interrupted (Ctrl-C, SIGTERM), with the report of what ran.
A failure before any model was saved removes the partial folder; a failure after one was
(a full disk while the report is written) renames it to a visible
``<name>-<timestamp>.incomplete`` with everything written so far, and the error says where.
A run killed outright (SIGKILL, a power cut) leaves its partial folder, which
``run_experiment(..., resume=True)`` (``mlplab run NAME --resume``) continues from its
checkpoints and ``mlplab runs`` lists and cleans (:mod:`mlplab.runs`).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

import numpy as np

from mlplab import data as datalib
from mlplab.errors import MlplabError
from mlplab.experiments.config import DataEntry, Experiment, ExperimentError, ModelEntry
from mlplab.experiments.kinds import EXPERIMENT_KINDS, MODEL_KINDS, model_kind, resolve
from mlplab.experiments.preprocess import (
    fit_preprocess,
    fit_target_preprocess,
    make_augment,
    save_preprocess,
)
from mlplab.runresult import ModelResult, RunResult
from mlplab.runs import OWNER_FILE, find_resumable, saved_models
from mlplab.spec import ModelSpec, with_input_width
from mlplab.train import EarlyStopping, Trainer, build_engine
from mlplab.train import metrics as M
from mlplab.train.callbacks import TrainingDynamics
from mlplab.train.history import History, Outcome
from mlplab.util import (
    atomic_write_text,
    check_file_name,
    check_out_folder,
    os_error_text,
    unknown_name,
)

# body(run_dir, progress, console) -> the RunResult it wrote (interrupted when a model
# was), or a bool (True: a model was interrupted) for a body that keeps no result in memory
RunBody = Callable[[Path, bool, object], "RunResult | bool"]


class RunInterrupted(Exception):
    """Ctrl-C during a run; ``run_dir`` holds the report of what had run, ``result`` (when
    the body kept one) the same in memory."""

    def __init__(self, run_dir: Path, result: RunResult | None = None):
        super().__init__(f"interrupted; the report of what ran is in {run_dir}")
        self.run_dir = run_dir
        self.result = result


@dataclass
class ModelJob:
    """One ``[[models]]`` entry on one data set: everything a model kind's run gets."""

    exp: Experiment
    model: ModelEntry               # the [[models]] entry
    key: str                        # its metrics.json key: "<data label>/<name>" or "<name>"
    data_key: str                   # the data set's label
    dataset: object                 # the Dataset
    data: DataEntry                 # the [[data]] entry
    splits: dict                    # split -> (X (n, ...), y (n,) or (n, 1)): train + evaluated
    run_dir: Path                   # the (still partial) run folder
    progress: bool = False
    console: object = None
    spec: ModelSpec | None = None   # the entry's spec, parsed once (check_models)

    @property
    def stem(self) -> str:
        """The key as a file name (weights/, history/, checkpoints/)."""
        from mlplab.runfolder import stem

        return stem(self.key)

    @property
    def preprocess(self) -> str:
        return self.model.preprocess or self.data.preprocess

    def write_history(self, history: History) -> None:
        folder = self.run_dir / "history"
        folder.mkdir(exist_ok=True)
        if history.records:
            history.to_csv(folder / f"{self.stem}.csv")
        history.to_json(folder / f"{self.stem}.json")


@dataclass
class ModelRun:
    """What a model kind's run returns: the model's result record and what the figures need
    of it while it is still in memory."""

    result: ModelResult             # its metrics.json entry
    history: History
    predict: Callable | None = None   # (n, d) float32 -> outputs, with the preprocessing
    eval_outputs: dict = field(default_factory=dict)   # split -> outputs (n, k)
    threshold: float = 0.0          # splits a single binary output column
    snapshots: dict = field(default_factory=dict)   # 2-D data: epoch -> classes on a grid
    state: dict | None = None       # the saved weights: state_dict key -> array
    spec: ModelSpec | None = None   # the network, for kinds that build one
    confusion: dict = field(default_factory=dict)   # split -> (k, k) confusion matrix

    @property
    def key(self) -> str:
        return self.result.key

    @property
    def data_key(self) -> str:
        return self.result.data


def metrics_status(outcome: str) -> str:
    """metrics.json's ``status`` for a training outcome (History.status): "diverged" and
    "interrupted" stay, every other outcome (early stopped, ended worse than it started)
    still gave a model, so "ok"; the entry's ``outcome`` keeps the detail."""
    kept = (Outcome.DIVERGED, Outcome.INTERRUPTED)
    return str(outcome) if outcome in kept else str(Outcome.OK)


# ---- the run-folder lifecycle -----------------------------------------------------------

def run_experiment(exp: Experiment, out_dir="runs", *, progress: bool = True,
                   console=None, resume: bool = False) -> Path:
    """:func:`run`, returning the finished run folder only."""
    return run(exp, out_dir, progress=progress, console=console, resume=resume).path


def run(exp: Experiment, out_dir="runs", *, progress: bool = True, console=None,
        resume: bool = False) -> RunResult:
    """Run ``exp`` (every model on every data set, or its demos); returns its RunResult,
    whose ``path`` is the finished run folder. Raises RunInterrupted (after writing the
    report of what ran) on Ctrl-C.

    ``resume``: continue the newest partial folder of ``exp`` in ``out_dir`` that a killed
    run left (same settings): models with a saved result are not trained again, the others
    continue from their checkpoints."""
    if exp.kind not in EXPERIMENT_KINDS:
        raise ExperimentError(f"{exp.source}: "
                              f"{unknown_name(EXPERIMENT_KINDS, exp.kind, 'experiment kind')}")
    out = Path(out_dir)
    check_file_name(exp.name, f"{exp.source + ': ' if exp.source else ''}experiment name")
    check_out_folder(out)
    folder = find_resumable(out, exp) if resume else None
    body = resolve(EXPERIMENT_KINDS[exp.kind].prepare)(exp)   # fails before any writing
    return write_run(exp, out, body, progress, console, folder=folder)


def run_in_folder(exp: Experiment, out: Path, body: RunBody, progress: bool = False,
                  console=None, *, folder: Path | None = None) -> Path:
    """:func:`write_run`, returning the finished folder only (no result is read back)."""
    return write_run(exp, out, body, progress, console, folder=folder, read_back=False).path


def write_run(exp: Experiment, out: Path, body: RunBody, progress: bool = False,
              console=None, *, folder: Path | None = None,
              read_back: bool = True) -> RunResult:
    """config.json, then ``body`` writes the rest into the hidden partial folder (a new one,
    or ``folder``: a partial or incomplete folder to resume), which is renamed to
    ``<name>-<stamp>`` when the body returns. On an exception the folder is removed when no
    model was saved yet, else kept as ``<name>-<stamp>.incomplete`` (see
    :func:`_keep_or_remove`); an OSError (disk full, read-only) becomes one line.

    Returns the body's RunResult with its ``path`` set to the finished folder; a body that
    returns a bool kept none, so its folder is read back (``read_back``) or only its
    ``path`` is known (a RunResult of nothing else)."""
    result = None
    if folder is None:
        partial, final = _new_run_dir(Path(out), exp.name)
    else:
        partial, final = Path(folder), _final_name(Path(folder))
    try:
        _claim(partial)
        atomic_write_text(partial / "config.json", exp.to_json())
        written = body(partial, progress, console)
        if isinstance(written, RunResult):
            result, interrupted = written, written.interrupted
        else:
            interrupted = bool(written)
        (partial / OWNER_FILE).unlink(missing_ok=True)
    except BaseException as e:
        err = _keep_or_remove(exp, partial, final, e)
        if err is e:
            raise
        raise err from e
    try:
        partial.rename(final)
    except OSError as e:
        raise ExperimentError(f"the run is complete in {partial}, but renaming it to "
                              f"{final.name} failed ({os_error_text(e)}); rename it by "
                              "hand") from e
    if result is not None:
        result = replace(result, path=final)
    elif read_back:   # a body that kept nothing in memory: its folder, read back
        from mlplab.runfolder import RunFolder

        result = RunFolder.open(final).load()
    else:
        result = RunResult(exp.name, exp.seed, exp.engine, "", (), path=final)
    if interrupted:
        raise RunInterrupted(final, result)
    return result


# errno values that say the disk, not the run, was at fault: full, quota, read-only, denied
_DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def _keep_or_remove(exp: Experiment, partial: Path, final: Path,
                    e: BaseException) -> BaseException:
    """After ``e`` stopped a run: remove ``partial`` when nothing trained is in it; else keep
    it as ``<final>.incomplete`` (in place when that rename fails) and say where. Returns
    the exception to raise: an MlplabError keeps its class with the place added; an OSError
    becomes an ExperimentError of one line; Ctrl-C and bugs pass unchanged, with a note."""
    saved = saved_models(partial) if partial.is_dir() else []
    disk = isinstance(e, OSError) and e.errno in _DISK_ERRORS
    fix = "; free space or pass another --out" if disk else ""
    if not saved:
        shutil.rmtree(partial, ignore_errors=True)
        if isinstance(e, OSError):
            return ExperimentError(f"the run in {partial.parent} failed: {os_error_text(e)}; "
                                   f"nothing had been trained, so nothing was kept{fix}")
        return e
    (partial / OWNER_FILE).unlink(missing_ok=True)
    kept = final.with_name(f"{final.name}.incomplete")
    try:
        partial.rename(kept)
    except OSError:
        kept = partial
    where = (f"the {len(saved)} model(s) saved so far ({', '.join(saved)}: weights, "
             f"checkpoints, history) are kept in {kept}")
    # the same run can succeed later when the machine was the cause (disk, a signal)
    if exp.kind == "models" and (disk or not isinstance(e, Exception)):
        where += f"; `mlplab run {_run_name(exp)} --resume` with the same options finishes it"
    if isinstance(e, OSError):
        return ExperimentError(f"the run failed: {os_error_text(e)}; {where}{fix}")
    if isinstance(e, MlplabError):
        try:
            return type(e)(f"{e}; {where}")
        except TypeError:   # a subclass with another constructor
            return ExperimentError(f"{e}; {where}")
    e.add_note(where)
    return e


def _run_name(exp: Experiment) -> str:
    """What to type after ``mlplab run`` for ``exp``: its file, or a shipped one's name."""
    builtin = exp.source.startswith("mlplab/experiments/")
    return exp.source if exp.source.endswith(".toml") and not builtin else exp.name


def _claim(partial: Path) -> None:
    """Record which process writes ``partial`` so that ``mlplab runs`` never cleans, and
    ``--resume`` never takes, the folder of a run that is still going."""
    atomic_write_text(partial / OWNER_FILE, json.dumps({"pid": os.getpid(),
                                                        "host": socket.gethostname()}))


def _final_name(folder: Path) -> Path:
    """The finished name of a partial (``.<base>.partial``) or incomplete
    (``<base>.incomplete``) folder: ``<base>``, or ``<base>-2`` ... when that is taken."""
    name = folder.name
    if name.endswith(".partial"):
        base = name[1:-len(".partial")]
    elif name.endswith(".incomplete"):
        base = name[:-len(".incomplete")]
    else:
        base = name
    final, i = folder.parent / base, 1
    while final.exists():
        i += 1
        final = folder.parent / f"{base}-{i}"
    return final


def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def _new_run_dir(out: Path, name: str) -> tuple[Path, Path]:
    check_file_name(name, "experiment name")   # also for callers of run_in_folder
    try:
        out.mkdir(parents=True, exist_ok=True)
        base = f"{name}-{_stamp()}"
        final, i = out / base, 1
        while (final.exists() or (out / f".{final.name}.partial").exists()
               or final.with_name(f"{final.name}.incomplete").exists()):
            i += 1
            final = out / f"{base}-{i}"
        partial = out / f".{final.name}.partial"
        partial.mkdir()
    except OSError as e:
        check_out_folder(out)   # the clearer reason when there is one
        raise ExperimentError(f"--out {out}: cannot make the run folder there "
                              f"({os_error_text(e)}); pass a folder you can write to") from e
    return partial, final


# ---- the model comparison (experiment kinds "models" and "own-data") ---------------------

def prepare_models(exp: Experiment) -> RunBody:
    """Experiment kind "models": check the models, load every data set by name, and give
    the specs that start with ``auto`` the data's input width (config.json records it)."""
    check_models(exp)
    loaded = [(d, datalib.load(d.name, **d.args)) for d in exp.data]
    resolve_auto_width(exp, loaded)
    return compare(exp, loaded, check_models(exp))


def resolve_auto_width(exp: Experiment, loaded) -> None:
    """Replace a spec's leading ``auto`` by the flattened width of the data's samples
    (FER-2013 at image_size 180: 32,400), in ``exp.models``; one width for every data set."""
    widths = {int(np.prod(ds.X.shape[1:])) for _, ds in loaded}
    autos = [m for m in exp.models if with_input_width(m.spec, 0) != m.spec]
    if not autos:
        return
    if len(widths) != 1:
        raise ExperimentError(f"{exp.source}: model {autos[0].name!r} starts with 'auto', "
                              f"but the data sets have different input widths "
                              f"({', '.join(map(str, sorted(widths)))}); give the width")
    (width,) = widths
    exp.models = tuple(m.with_(spec=with_input_width(m.spec, width)) if m in autos else m
                       for m in exp.models)


def check_heads(exp: Experiment, loaded, specs: dict[str, ModelSpec]) -> None:
    """Before anything is written: a model trained with a class-index loss (cross-entropy)
    must end in one output per class of each data set it trains on."""
    from mlplab.registry import LOSSES

    for d, ds in loaded:
        classes = getattr(ds, "class_names", None) or []
        if getattr(ds, "task", None) != "classification" or not classes:
            continue
        for m in exp.models:
            kind, spec = LOSSES.get(m.loss), specs.get(m.name)
            if kind is None or kind.targets != "indices" or spec is None or not m.trained:
                continue
            if spec.out_features != len(classes):
                raise ExperimentError(
                    f"{exp.source}: model {m.name!r} ends in {spec.out_features} outputs, but "
                    f"data set {d.key!r} has {len(classes)} classes ({', '.join(classes[:8])}"
                    f"{', ...' if len(classes) > 8 else ''}); end its spec with "
                    f"{len(classes)}")


def check_models(exp: Experiment) -> dict[str, ModelSpec]:
    """Fail on a spec this engine cannot build before any data is loaded; returns model
    name -> its parsed spec, which the model's jobs reuse. A spec starting with ``auto``
    is checked with a stand-in width until the data give the real one."""
    specs = {}
    for m in exp.models:
        specs[m.name] = spec = ModelSpec.parse(with_input_width(m.spec, 1))
        if spec.twin_only and exp.engine != "torch":
            raise ExperimentError(f"{exp.source}: model {m.name!r} has layers that run only "
                                  "on the torch engine: use --engine torch")
    return specs


def compare(exp: Experiment, loaded: list[tuple[dict, object]],
            specs: dict[str, ModelSpec] | None = None) -> RunBody:
    """The body that trains every model on every loaded (data entry, Dataset), then writes
    metrics.json, the plots and the report, and returns the RunResult; it stops after an
    interrupted model. ``specs``: model name -> parsed spec (:func:`check_models`)."""
    specs = specs if specs is not None else check_models(exp)
    check_heads(exp, loaded, specs)

    def body(run_dir: Path, progress: bool, console) -> RunResult:
        results: list[ModelRun] = []
        shown = []   # (data entry, dataset, its splits) for the report's plots
        multi = len(loaded) > 1
        interrupted = False
        for d, ds in loaded:
            data_key = d.key
            splits = _splits(d, ds, exp.seed)
            shown.append((d, ds, splits))
            for m in exp.models:
                job = ModelJob(exp, m, f"{data_key}/{m.name}" if multi else m.name,
                               data_key, ds, d, splits, run_dir, progress, console,
                               specs[m.name])
                res = run_job(job)
                results.append(res)
                if res.result.status == "interrupted":
                    interrupted = True
                    break
            if interrupted:
                break
        from mlplab.report.build import write_report

        return write_report(run_dir, exp, results, shown)

    return body


def run_job(job: ModelJob) -> ModelRun:
    """Run one job by its model kind and add what every kind reports alike: on
    classification, each evaluated split's confusion matrix (kept for the report's figure)
    and per-class accuracy."""
    run = resolve(model_kind(job.model).run)
    out = run(job)
    if job.dataset.task == "classification" and out.eval_outputs:
        out.result = out.result.with_per_class(_per_class(job, out))
    return out


def _per_class(job: ModelJob, out: ModelRun) -> dict:
    """split -> class name -> accuracy on that class's examples (None: no examples); fills
    ``out.confusion``."""
    ds = job.dataset
    names = ds.class_names or [str(i) for i in range(ds.n_classes or 0)]
    per_class = {}
    for s, outputs in out.eval_outputs.items():
        y = np.asarray(job.splits[s][1]).reshape(-1)
        cm = M.confusion_matrix(y, M.predicted_classes(outputs, out.threshold),
                                ds.n_classes)
        out.confusion[s] = cm
        acc = M.per_class_accuracy(cm)
        per_class[s] = {(names[i] if i < len(names) else str(i)):
                        (None if np.isnan(a) else float(a)) for i, a in enumerate(acc)}
    return per_class


def _splits(d: dict, ds, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """train plus the evaluation splits named in the experiment; a ``val_fraction`` carves
    a validation split out of the training split."""
    X, y = ds.split(d.train)
    out = {}
    if d.val_fraction:
        from mlplab.data.preprocessing import train_val_test_split

        parts = train_val_test_split(len(X), val=d.val_fraction, test=0.0, seed=seed,
                                     stratify=y if d.stratify else None)
        out["train"] = (X[parts["train"]], y[parts["train"]])
        out["val"] = (X[parts["val"]], y[parts["val"]])
    else:
        out["train"] = (X, y)
    for name in d.eval:
        if name not in out:
            out[name] = ds.split(name)
    return out


def _finished(job: ModelJob) -> History | None:
    """In a resumed run folder, the History of the job's model when it had finished (its
    history is written last, after its weights); None when it must (still) train."""
    path = job.run_dir / "history" / f"{job.stem}.json"
    if not path.is_file():
        return None
    history = History.from_json(path)
    if history.status == Outcome.INTERRUPTED:
        return None     # continues from its checkpoint
    if history.status != Outcome.DIVERGED \
            and not (job.run_dir / "weights" / f"{job.stem}.npz").is_file():
        return None
    return history


# ---- model kind "mlplab" -----------------------------------------------------------------

def run_model(job: ModelJob) -> ModelRun:
    """Model kind "mlplab": train the network with the Trainer (or load its hand-set
    weights), evaluate every split, save weights, preprocessing and history."""
    exp, m, d, splits, run_dir = job.exp, job.model, job.data, job.splits, job.run_dir
    spec = job.spec or ModelSpec.parse(m.spec)
    prep = fit_preprocess(job.preprocess, splits["train"][0], spec)
    # a regression target may be scaled for training ("target_preprocess"); metrics, plots
    # and predict are in its own units
    target = fit_target_preprocess(d.target_preprocess, splits["train"][1])
    # inputs stay as loaded (uint8 images stay uint8): prep runs per batch and per chunk
    arrays = {s: (X, target.forward(y) if target else y) for s, (X, y) in splits.items()}
    # a hand-set network names no optimizer: any builds it, none steps
    engine = build_engine(exp.engine, spec=spec, loss=m.loss,
                          optimizer=m.optimizer or "sgd", lr=m.lr or 0.1,
                          seed=exp.seed, optimizer_kwargs=m.optimizer_kwargs,
                          loss_kwargs=m.loss_kwargs, l1=m.l1,
                          device=exp.device)
    t0 = time.perf_counter()
    finished = _finished(job)
    checkpoint = run_dir / "checkpoints" / f"{job.stem}.npz"
    snaps = None   # 2-D data: the boundary at a few epochs, for the report
    dynamics = None   # TrainingDynamics when the entry asks for it
    if not m.trained:  # a hand-set network: no training, only evaluation
        engine.load_state_dict({k: np.asarray(v, dtype=np.float32)
                                for k, v in m.weights.items()})
        history = History(message="hand-set weights, not trained")
    elif finished is not None:   # a resumed run: this model was done before the run stopped
        history = finished
        if history.status != Outcome.DIVERGED:
            from mlplab.nn import load as load_weights

            engine.load_state_dict(load_weights(run_dir / "weights" / f"{job.stem}.npz")[0])
    else:
        es = m.early_stopping
        from mlplab.report.snapshots import boundary_snapshots

        snaps = boundary_snapshots(job.dataset, splits["train"][0], m.epochs)
        dynamics = TrainingDynamics() if m.record_dynamics else None
        trainer = Trainer(engine, epochs=m.epochs, batch_size=m.batch_size,
                          seed=exp.seed, progress=job.progress, console=job.console,
                          label=job.key, checkpoint=checkpoint,
                          early_stopping=EarlyStopping(**es) if es else None,
                          schedule=m.schedule,
                          augment=make_augment(m.augment, job.dataset.X.shape[1:]),
                          transform=prep,
                          callbacks=[c for c in (snaps, dynamics) if c is not None])
        eval_sets = {s: a for s, a in arrays.items() if s != "train"}
        # a resumed run continues a model from the checkpoint the stopped run left
        history = trainer.fit(arrays["train"], eval_sets,
                              resume_from=checkpoint if checkpoint.is_file() else None)
    seconds = time.perf_counter() - t0
    info = {"status": metrics_status(history.status), "outcome": str(history.status),
            "epochs": history.epochs, "seconds": round(seconds, 3),
            "params": spec.num_parameters(), "spec": str(spec),
            "preprocess": job.preprocess, "lr": m.lr,
            "optimizer": m.optimizer, "batch_size": m.batch_size,
            "data": job.data_key}
    if history.message:
        info["message"] = history.message
    if dynamics is not None and dynamics.records:
        info["dynamics"] = dynamics.summary()
    monitored = next((f"{s}_loss" for s in d.eval if f"{s}_loss" in history.columns), None)
    if monitored:  # the final epoch can sit on a spike of the curve: show the best one too
        losses = history.column(monitored)
        i = min(range(len(losses)), key=losses.__getitem__)
        info["best"] = {"epoch": i + 1, "split": monitored[:-5], "loss": losses[i]}
    outputs, predict, state = {}, None, None
    if history.status != Outcome.DIVERGED:
        task = engine.task
        for s, (X, y) in arrays.items():
            out = engine.predict(X, transform=prep)
            yt = engine.prepare_targets(y)
            loss = engine.loss(out, yt)
            if target:
                out, yt = target.inverse(out), engine.prepare_targets(splits[s][1])
            info[s] = {"loss": loss, **M.compute(task, out, yt, engine.threshold)}
            outputs[s] = out

        def predict(Z, _p=prep, _e=engine, _t=target):
            out = _e.predict(Z, transform=_p)
            return _t.inverse(out) if _t else out

        engine.save(run_dir / "weights" / f"{job.stem}.npz", spec=str(spec))
        save_preprocess(run_dir / "weights" / f"{job.stem}.preprocess.json", prep, target)
        # the figures read the weights saved here from memory, not back from the file
        state = engine.state_dict()
    job.write_history(history)
    return ModelRun(ModelResult.from_dict(job.key, info), history, predict, outputs,
                    engine.threshold, snaps.frames if snaps else {}, state, spec)


__all__ = ["EXPERIMENT_KINDS", "MODEL_KINDS", "ModelJob", "ModelResult", "ModelRun",
           "RunInterrupted", "RunResult", "check_models", "compare", "metrics_status",
           "prepare_models", "run", "run_experiment", "run_in_folder", "run_job", "run_model",
           "write_run"]

"""The one experiment runner: data -> preprocessing -> Trainer per model -> report.

The run is written into a hidden ``.<name>-<timestamp>.partial`` folder and renamed when it is
complete (or interrupted, with the report of what ran), so a crash leaves nothing
half-written behind.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np

from mlplab import data as datalib
from mlplab.experiments.config import Experiment, ExperimentError
from mlplab.experiments.preprocess import (
    fit_preprocess,
    fit_target_preprocess,
    make_augment,
    save_preprocess,
)
from mlplab.spec import ModelSpec
from mlplab.train import EarlyStopping, Trainer, build_engine
from mlplab.train import metrics as M
from mlplab.util import atomic_write_text


class RunInterrupted(Exception):
    """Ctrl-C during a run; ``run_dir`` holds the report of what had run."""

    def __init__(self, run_dir: Path):
        super().__init__(f"interrupted; the report of what ran is in {run_dir}")
        self.run_dir = run_dir


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


def _load_data(exp: Experiment) -> list[tuple[dict, object]]:
    loaded = []
    for d in exp.data:   # a "dataset" entry is an in-memory Dataset (mlplab train)
        ds = d["dataset"] if "dataset" in d else datalib.load(d["name"], **d["args"])
        loaded.append((d, ds))
    return loaded


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


def run_experiment(exp: Experiment, out_dir="runs", *, progress: bool = True,
                   console=None) -> Path:
    """Run every model of ``exp`` on every data set; returns the finished run folder."""
    if exp.demos:
        return _run_demos(exp, Path(out_dir), progress, console)
    for m in exp.models:   # fail on a spec this engine cannot build before loading data
        if ModelSpec.parse(m["spec"]).twin_only and exp.engine != "torch":
            raise ExperimentError(f"{exp.source}: model {m['name']!r} has layers that run only "
                                  "on the torch engine: use --engine torch")
    loaded = _load_data(exp)   # fail on missing data before anything is written
    for m in exp.models:
        ModelSpec.parse(m["spec"])
    partial, final = _new_run_dir(Path(out_dir), exp.name)
    interrupted = False
    try:
        atomic_write_text(partial / "config.json", json.dumps(exp.to_dict(), indent=1,
                                                              default=repr))
        results: list[ModelResult] = []
        multi = len(loaded) > 1
        shown = []   # (data entry, dataset, its splits) for the report's plots
        for d, ds in loaded:
            data_key = d.get("label", d["name"])
            splits = _splits(d, ds, exp.seed)
            shown.append((d, ds, splits))
            for m in exp.models:
                key = f"{data_key}/{m['name']}" if multi else m["name"]
                res = MODEL_KINDS[m.get("kind", "mlplab")](exp, m, key, data_key, ds, d,
                                                           splits, partial, progress, console)
                results.append(res)
                if res.info["status"] == "interrupted":
                    interrupted = True
                    break
            if interrupted:
                break
        from mlplab.report.build import write_report

        write_report(partial, exp, results, shown)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(final)
    if interrupted:
        raise RunInterrupted(final)
    return final


def _run_model(exp, m, key, data_key, ds, d, splits, run_dir, progress, console) -> ModelResult:
    spec = ModelSpec.parse(m["spec"])
    prep = fit_preprocess(m.get("preprocess", d["preprocess"]), splits["train"][0], spec)
    # a regression target may be scaled for training ("target_preprocess"); metrics, plots
    # and predict are in its own units
    target = fit_target_preprocess(d.get("target_preprocess"), splits["train"][1])
    # inputs stay as loaded (uint8 images stay uint8): prep runs per batch and per chunk
    arrays = {s: (X, target.forward(y) if target else y) for s, (X, y) in splits.items()}
    engine = build_engine(exp.engine, spec=spec, loss=m["loss"],
                          optimizer=m.get("optimizer", "sgd"), lr=m.get("lr", 0.1),
                          seed=exp.seed, optimizer_kwargs=m.get("optimizer_kwargs"),
                          loss_kwargs=m.get("loss_kwargs"), device=exp.device)
    safe = key.replace("/", "__")
    t0 = time.perf_counter()
    if "weights" in m:  # a hand-set network: no training, only evaluation
        engine.load_state_dict({k: np.asarray(v, dtype=np.float32)
                                for k, v in m["weights"].items()})
        from mlplab.train.history import History

        history = History(message="hand-set weights, not trained")
    else:
        es = m.get("early_stopping")
        trainer = Trainer(engine, epochs=m["epochs"], batch_size=m["batch_size"],
                          seed=exp.seed, progress=progress, console=console, label=key,
                          checkpoint=run_dir / "checkpoints" / f"{safe}.npz",
                          early_stopping=EarlyStopping(**es) if es else None,
                          schedule=m.get("schedule"),
                          augment=make_augment(m.get("augment"), ds.X.shape[1:]),
                          transform=prep)
        eval_sets = {s: a for s, a in arrays.items() if s != "train"}
        history = trainer.fit(arrays["train"], eval_sets)
    seconds = time.perf_counter() - t0
    info = {"status": "ok" if history.status == "early_stopped" else history.status,
            "epochs": history.epochs, "seconds": round(seconds, 3),
            "params": spec.num_parameters(), "spec": str(spec),
            "preprocess": m.get("preprocess", d["preprocess"]), "lr": m.get("lr"),
            "optimizer": m.get("optimizer"), "batch_size": m.get("batch_size"),
            "data": data_key}
    if history.message:
        info["message"] = history.message
    monitored = next((f"{s}_loss" for s in d["eval"] if f"{s}_loss" in history.columns), None)
    if monitored:  # the final epoch can sit on a spike of the curve: show the best one too
        losses = history.column(monitored)
        i = min(range(len(losses)), key=losses.__getitem__)
        info["best"] = {"epoch": i + 1, "split": monitored[:-5], "loss": losses[i]}
    result = ModelResult(key, data_key, info, history, threshold=engine.threshold)
    if history.status != "diverged":
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
        engine.save(run_dir / "weights" / f"{safe}.npz", spec=str(spec))
        save_preprocess(run_dir / "weights" / f"{safe}.preprocess.json", prep, target)
    (run_dir / "history").mkdir(exist_ok=True)
    if history.records:
        history.to_csv(run_dir / "history" / f"{safe}.csv")
    history.to_json(run_dir / "history" / f"{safe}.json")
    return result


# How each kind of model entry is run (``m["kind"]``, default "mlplab"): every runner takes
# (exp, m, key, data_key, ds, d, splits, run_dir, progress, console) and returns a
# ModelResult. mlplab.byod.sklearn_rows adds "sklearn" (scikit-learn's models as table rows).
MODEL_KINDS: dict = {"mlplab": _run_model}


def _run_demos(exp: Experiment, out_dir: Path, progress, console) -> Path:
    """A demo experiment (``[[demos]]``): each demo of ``mlplab.modern.DEMOS`` writes its
    plots into the run folder and returns its table; then metrics.json and the report."""
    from mlplab.modern import run_demos

    partial, final = _new_run_dir(out_dir, exp.name)
    try:
        atomic_write_text(partial / "config.json", json.dumps(exp.to_dict(), indent=1))
        run_demos(exp, partial, progress=progress, console=console)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    partial.rename(final)
    return final


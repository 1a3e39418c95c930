"""Many seeds and sweeps: the plan, the sweep folder, running its trials and summarising them.

A sweep folder::

    <out>/<experiment>-seeds-<stamp>/   (mlplab run NAME --seeds ...)
    <out>/<experiment>-sweep-<stamp>/   (mlplab sweep NAME --set ...)
        sweep.json        the plan: experiment, keys and values, seeds, every trial
        trials/<id>/      one ordinary run folder per trial (mlplab report / predict work)
        chosen/<id>/      sweeps only: the chosen setting rerun with its held-out splits
        metrics.json      every seed's numbers beside the aggregates
        summary.md, plots/

Honest selection: a sweep's trials evaluate only the validation split (one is carved from
the training split, ``val_fraction`` 0.2, when the experiment has none); the setting is
chosen on it; then only the chosen setting is rerun, seed by seed, with the experiment's
other evaluation splits (test), and those numbers are reported for it alone.
"""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from mlplab.errors import UsageError
from mlplab.sweep import aggregate as A
from mlplab.sweep import grid as G
from mlplab.util import atomic_write_text, check_out_folder

CARVED_VAL_FRACTION = 0.2


@dataclass
class Plan:
    """What to run. ``exp`` is the experiment with the command line's overrides."""

    exp: object
    seeds: list[int]
    axes: list = field(default_factory=list)      # grid.Axis; empty: seeds only
    metric: str | None = None                     # "val.mse"; default from the results
    model: str | None = None                      # the model a sweep chooses on
    baseline: str | None = None                   # default: the experiment's first model

    @property
    def kind(self) -> str:
        return "sweep" if self.axes else "seeds"

    def points(self) -> list[dict]:
        return G.points(self.axes)

    def key(self) -> str:
        """Identifies the trials (not the metric or the model chosen on): --resume finds a
        sweep folder by it."""
        doc = {"kind": self.kind, "experiment": _exp_dict(self.exp), "seeds": self.seeds,
               "axes": [[a.key, list(a.raw)] for a in self.axes]}
        return hashlib.sha256(json.dumps(doc, sort_keys=True, default=repr)
                              .encode()).hexdigest()[:16]

    def trial_id(self, point: int, seed: int) -> str:
        return f"seed{seed}" if not self.axes else f"p{point:02d}-seed{seed}"


def _exp_dict(exp) -> dict:
    d = exp.to_dict()
    d.pop("source", None)
    return d


def check_plan(plan: Plan) -> None:
    """Every problem the command line can have, as one UsageError, before anything runs."""
    exp = plan.exp
    if exp.demos:
        raise UsageError(f"{exp.name} is a demo experiment: it has no models to repeat over "
                         "seeds or sweep")
    if not plan.seeds:
        raise UsageError("--seeds: no seeds given")
    names = [m.name for m in exp.models]
    for opt, name in (("--model", plan.model), ("--baseline", plan.baseline)):
        if name is not None and name not in names:
            raise UsageError(f"{opt}: unknown model {name!r}; choose one of {', '.join(names)}")
    if plan.metric is not None and (plan.metric.count(".") != 1 or "" in
                                    plan.metric.split(".")):
        raise UsageError(f"--metric {plan.metric!r}: write SPLIT.METRIC, e.g. val.mse or "
                         "val.accuracy")
    if plan.metric is not None and plan.axes and plan.metric.split(".")[0] not in ("val",
                                                                                   "train"):
        raise UsageError(f"--metric {plan.metric}: a sweep chooses on the validation split "
                         f"(val.{plan.metric.split('.')[1]}); held-out splits are reported "
                         "for the chosen setting only")
    G.check(exp, plan.axes)


def chosen_model(plan: Plan) -> str:
    """The model a sweep chooses on: --model, else the one model the --set keys name, else
    the experiment's last model (the course lists the baseline first)."""
    if plan.model:
        return plan.model
    named = {a.key.split(".")[1] for a in plan.axes if a.key.startswith("models.")} - {"*"}
    if len(named) == 1:
        return named.pop()
    return plan.exp.models[-1].name


def baseline_model(plan: Plan) -> str:
    return plan.baseline or plan.exp.models[0].name


def _selection_data(exp, held: bool):
    """``exp`` with evaluation on the validation split only (``held`` False), or with the
    validation split and the held-out ones (``held`` True); carves a validation split from
    the training split where the experiment has none."""
    exp = copy.deepcopy(exp)
    data = []
    for d in exp.data:
        evals = list(d.eval)
        if "val" not in evals and not d.val_fraction:
            d = d.with_(val_fraction=CARVED_VAL_FRACTION)
        others = [e for e in evals if e not in ("train", "val")]
        data.append(d.with_(eval=["val", *others] if held else ["val"]))
    exp.data = tuple(data)
    return exp


def held_out_splits(exp) -> list[str]:
    return list(dict.fromkeys(e for d in exp.data for e in d.eval
                              if e not in ("train", "val")))


def trial_experiment(plan: Plan, point: dict, seed: int, held: bool = False):
    exp = G.build(copy.deepcopy(plan.exp), plan.axes, point)
    if plan.axes:
        exp = _selection_data(exp, held)
    exp.seed = seed
    return exp


# ---------------------------------------------------------------------------------------
# the folder

def _stamp() -> str:
    return datetime.now().strftime("%Y%m%d-%H%M%S")


def new_folder(out: Path, plan: Plan) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    base = f"{plan.exp.name}-{plan.kind}-{_stamp()}"
    folder, i = out / base, 1
    while folder.exists():
        i += 1
        folder = out / f"{base}-{i}"
    folder.mkdir()
    return folder


def find_resumable(out: Path, plan: Plan) -> Path:
    """The newest sweep folder under ``out`` with this plan."""
    key = plan.key()
    found = []
    for f in Path(out).glob(f"{plan.exp.name}-{plan.kind}-*/sweep.json"):
        try:
            if json.loads(f.read_text()).get("plan_key") == key:
                found.append(f.parent)
        except (OSError, ValueError):
            continue
    if not found:
        raise UsageError(f"--resume: no {plan.kind} folder of {plan.exp.name} with these "
                         f"seeds and settings under {out}; run without --resume to start one")
    return max(found, key=lambda p: p.stat().st_mtime)


def write_plan(folder: Path, plan: Plan) -> None:
    trials = [{"id": plan.trial_id(i, s), "point": i, "seed": s}
              for i, _ in enumerate(plan.points()) for s in plan.seeds]
    doc = {"kind": plan.kind, "plan_key": plan.key(), "experiment": _exp_dict(plan.exp),
           "seeds": plan.seeds,
           "axes": [{"key": a.key, "values": list(a.values), "raw": list(a.raw)}
                    for a in plan.axes],
           "points": [{"index": i, "setting": {k: plan.axes[j].raw[v]
                                               for j, (k, v) in enumerate(p.items())}}
                      for i, p in enumerate(plan.points())],
           "trials": trials}
    atomic_write_text(folder / "sweep.json", json.dumps(A.json_safe(doc), indent=1,
                                                        default=repr))


def _complete(folder: Path) -> bool:
    return (folder / "metrics.json").is_file()


def _clean_leftovers(trials_dir: Path) -> None:
    """Hidden work folders of trials that were stopped (Ctrl-C, a killed worker)."""
    if trials_dir.is_dir():
        for p in trials_dir.glob(".*.tmp"):
            shutil.rmtree(p, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# running

@dataclass
class Outcome:
    """What :func:`run_plan` did: the folder, the summary (metrics.json's content), the
    trials that failed (id -> error) and whether Ctrl-C stopped it."""

    folder: Path
    summary: dict
    failed: dict
    interrupted: bool = False
    ran: int = 0
    skipped: int = 0
    seconds: float = 0.0


def run_plan(plan: Plan, out: Path, *, backend: str = "local", workers: int | None = None,
             address: str | None = None, resume: bool = False, on_result=None,
             folder: Path | None = None) -> Outcome:
    """Run every trial of ``plan`` that is not complete; summarise; draw the figures.
    ``on_result(result, done, total)`` is called in this process after every trial.
    Ctrl-C stops the trials and still writes the summary of the finished ones
    (``Outcome.interrupted``)."""
    from mlplab.sweep.backends import default_workers, run_jobs

    check_plan(plan)
    workers = workers or default_workers()
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if folder is None:
        check_out_folder(Path(out))   # a file, under a file, read-only: one line, exit 2
        folder = find_resumable(Path(out), plan) if resume else new_folder(Path(out), plan)
    write_plan(folder, plan)
    trials_dir = folder / "trials"
    _clean_leftovers(trials_dir)
    t0 = time.perf_counter()
    failed: dict[str, str] = {}
    todo, skipped = [], 0
    for i, point in enumerate(plan.points()):
        for s in plan.seeds:
            tid = plan.trial_id(i, s)
            if _complete(trials_dir / tid):
                skipped += 1
            else:
                todo.append((tid, trial_experiment(plan, point, s)))
    total, done = len(todo), [0]
    known: dict[Path, dict] = {}   # trial folder -> its models' seed entries, in memory

    def record(result, where: Path = trials_dir):
        if "models" in result:
            known[where / result["id"]] = result.pop("models")
        done[0] += 1
        if result["status"] == "failed":
            failed[result["id"]] = result.get("error", "failed")
        if on_result:
            on_result(result, done[0], total)

    interrupted = False
    try:
        run_jobs(backend, todo, trials_dir, record, workers, address)
        summary = summarize_folder(folder, plan, failed, known)
        if plan.axes and summary.get("chosen") and held_out_splits(plan.exp):
            summary = _run_chosen(folder, plan, summary, backend, workers, address, record,
                                  failed, known)
    except KeyboardInterrupt:
        interrupted = True
        _clean_leftovers(trials_dir)
        summary = summarize_folder(folder, plan, failed, known)
        summary["interrupted"] = True
    _finish(folder, plan, summary)
    return Outcome(folder, summary, failed, interrupted, done[0], skipped,
                   time.perf_counter() - t0)


def _run_chosen(folder, plan, summary, backend, workers, address, record, failed,
                known) -> dict:
    """Rerun the chosen setting, seed by seed, with the held-out splits."""
    from mlplab.sweep.backends import run_jobs

    idx = summary["chosen"]["index"]
    point = plan.points()[idx]
    chosen_dir = folder / "chosen"
    _clean_leftovers(chosen_dir)
    todo = [(f"seed{s}", trial_experiment(plan, point, s, held=True)) for s in plan.seeds
            if not _complete(chosen_dir / f"seed{s}")]
    run_jobs(backend, todo, chosen_dir, lambda r: record(r, chosen_dir), workers, address)
    return summarize_folder(folder, plan, failed, known)


def summarize_folder(folder: Path, plan: Plan, failed: dict | None = None,
                     known: dict | None = None) -> dict:
    """metrics.json's content, from the trial folders that are complete. ``known``: trial
    folder -> model -> seed entry of the trials this process ran (their results in
    memory); the others (a resumed sweep's) are read from their folders."""
    failed = failed or {}
    known = known or {}

    def read(path: Path):
        return known[path] if path in known else A.read_run(path)

    models = [m.name for m in plan.exp.models]
    points, complete = [], 0
    for i, point in enumerate(plan.points()):
        runs, errs = {}, {}
        for s in plan.seeds:
            tid = plan.trial_id(i, s)
            runs[s] = read(folder / "trials" / tid)
            complete += runs[s] is not None
            if tid in failed:
                errs[s] = failed[tid]
        points.append({"index": i, "setting": G.setting_of(plan.axes, point),
                       "label": {a.key: a.raw[point[a.key]] for a in plan.axes},
                       "per_seed": A.by_model(runs, models, errs)})
    metric = plan.metric or A.default_metric(
        {m: s for p in points for m, s in p["per_seed"].items()})
    baseline = baseline_model(plan)
    for p in points:
        p["models"] = A.summarize_models(p.pop("per_seed"), metric, baseline)
    summary = {"kind": plan.kind, "experiment": plan.exp.name, "engine": plan.exp.engine,
               "seeds": plan.seeds, "metric": metric, "baseline": baseline,
               "trials": {"total": len(plan.seeds) * len(points), "complete": complete,
                          "failed": dict(sorted(failed.items()))}}
    if not plan.axes:
        summary["models"] = points[0]["models"]
        return summary
    model = chosen_model(plan)
    order = A.rank(points, model, metric)
    for r, i in enumerate(order):
        points[i]["rank"] = r + 1
    summary.update(keys=[a.key for a in plan.axes], model=model, points=points)
    best = points[order[0]]
    if best["models"][model]["n"] > 0:
        summary["chosen"] = {"index": best["index"], "setting": best["setting"],
                             "label": best["label"], "model": model, "metric": metric,
                             "validation": best["models"][model]["aggregate"][metric]}
        held = held_out_splits(plan.exp)
        if held:
            summary["chosen"].update(_held_out(plan, model, metric, best, held, [
                read(folder / "chosen" / f"seed{s}") for s in plan.seeds]))
    return summary


def _held_out(plan, model, metric, best, held, reruns: list) -> dict:
    """The chosen setting's reruns (``reruns``: a seed entry per seed of the plan):
    held-out aggregates, and whether each rerun reproduced its trial's validation number
    exactly (the runs are deterministic)."""
    models = [m.name for m in plan.exp.models]
    runs = dict(zip(plan.seeds, reruns))
    per_seed = A.by_model(runs, models)
    info = A.summarize_models(per_seed, metric, baseline_model(plan))
    agg = {k: v for k, v in info[model]["aggregate"].items()
           if k.split(".", 1)[0] in held}
    reproduced = all(
        per_seed[model][s].get(metric) == best["models"][model]["seeds"][str(s)].get(metric)
        for s in plan.seeds if per_seed[model][s]["status"] == "ok")
    return {"held_out": agg, "held_out_n": info[model]["n"],
            "validation_reproduced": reproduced,
            "held_out_models": {m: {k: v for k, v in i["aggregate"].items()
                                    if k.split(".", 1)[0] in held}
                                for m, i in info.items()}}


def _finish(folder: Path, plan: Plan, summary: dict) -> None:
    from mlplab.sweep import plots, report

    atomic_write_text(folder / "metrics.json", json.dumps(A.json_safe(summary), indent=1))
    figures = plots.draw(folder, plan, summary)
    atomic_write_text(folder / "summary.md", report.markdown(summary, figures, folder))

"""What a run folder says about its result: report.md and a self-contained report.html,
rendered from a RunResult alone (mlplab.runresult). ``write_report`` is the end of a model
comparison: the figures (mlplab.report.figures), metrics.json (mlplab.runfolder) and the
report; ``rerender`` rebuilds the report of a finished folder from what it holds.

The report, per data set: the comparison and each model's settings (the best one marked),
the command that made the run, per-class accuracy, and the figures, each with its caption.
"""

from __future__ import annotations

import platform
import shlex
import sys
from pathlib import Path

import numpy as np

from mlplab.report.document import Document
from mlplab.report.selection import SELECT_SPLITS, best_model
from mlplab.report.tables import comparison
from mlplab.runresult import ModelResult, RunResult
from mlplab.util import atomic_write_text

__all__ = ["SELECT_SPLITS", "best_model", "command_line", "machine", "per_class_tables",
           "render", "rerender", "settings_table", "write_report"]


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, " \
           f"Python {platform.python_version()}, NumPy {np.__version__}"


def command_line(argv: list[str] | None = None) -> str | None:
    """The command that made this run when this process is the mlplab command (its console
    script, or ``python -m mlplab``), quoted for a shell; None when mlplab runs inside
    another program (Python, a notebook, pytest), whose argv says nothing about the run."""
    argv = list(sys.argv if argv is None else argv)
    if not argv or not argv[0]:
        return None
    prog = Path(argv[0])
    if prog.name in ("mlplab", "mlplab.exe") or prog.as_posix().endswith(
            ("mlplab/__main__.py", "mlplab/cli.py")):
        return shlex.join(["mlplab", *argv[1:]])
    return None


def write_report(run_dir: Path, exp, runs, loaded) -> RunResult:
    """Draw the figures, then write metrics.json, report.md and report.html into
    ``run_dir``; returns the run's RunResult.

    ``runs`` are the runner's ModelRuns (each model's result record and its outputs in
    memory); ``loaded`` holds (data entry, Dataset, splits) per data set of the experiment.
    metrics.json also keeps the command line (``command``, None from Python) and each
    figure's file and caption (``figures``), which ``rerender`` reuses.
    """
    from mlplab.report.figures import draw_figures
    from mlplab.runfolder import write_result

    entries = tuple(exp.to_dict()["models"])
    figures = draw_figures(run_dir, entries, runs, loaded)
    result = RunResult(exp.name, exp.seed, exp.engine, machine(),
                       tuple(r.result for r in runs), command_line(), figures,
                       exp.description, tuple(exp.notes), entries)
    write_result(run_dir, result)
    render(run_dir, result)
    return result


# -- the report -------------------------------------------------------------------------------

def _images(run_dir: Path, result: RunResult) -> list[tuple[Path, str]]:
    """(path, caption) of the figures the result lists whose files are there; a run that
    listed none (from before metrics.json kept them): every plot, named by its file."""
    if result.figures is None:
        return [(p, p.stem.replace("_", " ")) for p in sorted((run_dir / "plots").glob("*.png"))]
    return [(run_dir / f.file, f.caption) for f in result.figures
            if (run_dir / f.file).is_file()]


def render(run_dir: Path, result: RunResult) -> None:
    """Write report.md and report.html of ``result`` into ``run_dir``."""
    metrics = result.to_dict()   # the tables below are built from metrics.json's layout
    images = _images(Path(run_dir), result)
    header, rows = comparison(metrics)
    doc = Document(f"{metrics['experiment']}: {result.description}")
    doc.para(f"random seed {metrics['seed']}, engine {metrics['engine']}, "
             f"machine: {metrics['machine']}")
    command = metrics.get("command")
    if command:
        doc.para("made by the command:")
        doc.code(command)
    elif "command" in metrics:
        doc.para("made from Python (not the mlplab command); config.json holds every "
                 "setting")
    doc.heading("Comparison")
    doc.table(header, rows)
    best = _best_by_data(metrics)
    for data, (split, key, what) in best.items():
        why = ("this experiment holds no data out, so this says nothing about new data"
               if split == "train" else "the split models are chosen on")
        doc.para(f"best{f' on {data}' if data and len(best) > 1 else ''}: {key} ({what} on the "
                 f"{split} split; {why})")
    doc.heading("Settings")
    doc.table(*settings_table(result, best={k for _, k, _ in best.values()}))
    msgs = [(k, v["message"]) for k, v in metrics["models"].items() if v.get("message")]
    if msgs:
        doc.heading("Diagnoses")
        for k, msg in msgs:
            doc.para(f"{k} ({metrics['models'][k]['status']}): {msg}")
    for n in result.notes:
        doc.para(n)
    for data, (split, table) in per_class_tables(metrics).items():
        doc.heading(f"Per-class accuracy{f' on {data}' if data else ''} ({split} split)")
        doc.table(*table)
    if images:
        doc.heading("Figures")
        for path, caption in images:
            doc.image(path, caption[:1].upper() + caption[1:])
    atomic_write_text(run_dir / "report.md", doc.markdown(run_dir))
    atomic_write_text(run_dir / "report.html", doc.html())


def _task(infos) -> str:
    return "classification" if any("accuracy" in v for info in infos.values()
                                   for v in info.values() if isinstance(v, dict)) \
        else "regression"


def _by_data(metrics: dict) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for k, info in metrics["models"].items():
        out.setdefault(info.get("data", ""), {})[k] = info
    return out


def _best_by_data(metrics: dict) -> dict[str, tuple[str, str, str]]:
    """data set -> (split, best model key, its score as text)."""
    out = {}
    for data, infos in _by_data(metrics).items():
        task = _task(infos)
        split = next((s for s in SELECT_SPLITS if any(isinstance(i.get(s), dict)
                                                      for i in infos.values())), None)
        key = best_model(infos, split, task) if split else None
        if key is None:
            continue
        v = infos[key][split]["accuracy" if task == "classification" else "mse"]
        out[data] = (split, key, f"accuracy {100 * v:.2f}%" if task == "classification"
                     else f"MSE {v:.4g}")
    return out


def settings_table(result: RunResult | dict, config: dict | None = None,
                   best=frozenset()) -> tuple[list, list]:
    """A row per model: how it was built and trained. What ran (spec, preprocessing,
    optimizer, lr, batch, epochs) is the model's result (metrics.json); what was asked for
    and not recorded there (loss, optimizer arguments, planned epochs, stopping, schedule,
    augmentation, hand-set weights) is its entry (config.json). ``result`` may be given as
    metrics.json's and config.json's content."""
    if not isinstance(result, RunResult):
        result = _partial_result(result, config or {})
    datas = {m.data or None for m in result.models}
    header = ["model"] + (["data"] if len(datas) > 1 else []) + [
        "spec", "loss", "optimizer", "lr", "batch", "epochs", "preprocessing",
        "early stopping", "schedule"]
    extra = any(m.get("augment") for m in result.entries)
    header += ["augment"] if extra else []
    rows = []
    for r in result.models:
        m, ran = result.entry(r.name), r.settings
        name = r.name if len(datas) > 1 else r.key
        row = [f"{name} (best)" if r.key in best else name]
        row += [r.data] if len(datas) > 1 else []
        if "weights" in m:
            opt, lr, batch, epochs = "hand-set weights", "-", "-", "not trained"
        else:
            # the L1 penalty is applied at the optimizer's step: shown beside its arguments
            opt = _optimizer(ran and ran.optimizer,
                             {**(m.get("optimizer_kwargs") or {}),
                              **({"l1": m["l1"]} if m.get("l1") else {})})
            lr, batch = _g(ran and ran.lr), _g(ran and ran.batch_size)
            planned = m.get("epochs")
            epochs = (f"{r.epochs} of {planned}" if planned not in (None, r.epochs)
                      and r.epochs != "-" else _g(r.epochs if r.epochs is not None
                                                  else planned))
        row += [str((ran and ran.spec) or "-"), str(m.get("loss", "-")), opt, lr, batch,
                epochs, str((ran and ran.preprocess) or "-"),
                _kwargs(m.get("early_stopping")), _kwargs(m.get("schedule"))]
        row += [_kwargs(m.get("augment"))] if extra else []
        rows.append(row)
    return header, rows


def _partial_result(metrics: dict, config: dict) -> RunResult:
    """A RunResult of a hand-made metrics dict that may hold only some models' keys."""
    models = tuple(ModelResult.from_dict(k, {"status": "ok", "epochs": None, "seconds": None,
                                             **v}) for k, v in metrics["models"].items())
    return RunResult(metrics.get("experiment", ""), metrics.get("seed", 0),
                     metrics.get("engine", ""), metrics.get("machine", ""), models,
                     entries=tuple(config.get("models", ())))


def _g(v) -> str:
    return "-" if v is None else f"{v:g}" if isinstance(v, float) else str(v)


def _optimizer(name, kwargs) -> str:
    if not name:
        return "-"
    return f"{name} ({_kwargs(kwargs)})" if kwargs else str(name)


def _kwargs(v) -> str:
    if not v:
        return "-"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_g(x)}" for k, x in v.items())
    return str(v)


def per_class_tables(metrics: dict) -> dict[str, tuple[str, tuple[list, list]]]:
    """data set -> (split, (header, rows)): a row per class, a column per model, from each
    model's ``per_class_accuracy`` on the split models are chosen on."""
    out = {}
    groups = _by_data(metrics)
    for data, infos in groups.items():
        have = {k: i["per_class_accuracy"] for k, i in infos.items()
                if isinstance(i.get("per_class_accuracy"), dict)}
        split = next((s for s in SELECT_SPLITS if any(s in p for p in have.values())), None)
        if split is None:
            continue
        cols = [k for k, p in have.items() if split in p]
        classes = list(dict.fromkeys(c for k in cols for c in have[k][split]))
        rows = [[str(c)] + [_pct(have[k][split].get(c)) for k in cols] for c in classes]
        names = [k.split("/")[-1] if len(groups) > 1 else k for k in cols]
        out[data if len(groups) > 1 else ""] = (split, (["class", *names], rows))
    return out


def _pct(v) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def rerender(run_dir) -> RunResult:
    """Rebuild report.md and report.html of a finished run folder from its metrics.json,
    config.json and plots (after editing metrics or notes by hand, or across versions);
    returns the RunResult read."""
    from mlplab.runfolder import RunFolder

    # config.json and metrics.json checked: a damaged one is a DataError naming the file
    result = RunFolder.open(run_dir, written_by="`mlplab run` or `mlplab train`").load()
    render(result.path, result)
    return result

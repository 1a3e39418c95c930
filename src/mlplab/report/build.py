"""Everything a run folder shows: metrics.json, the comparison table, plots, report.md and a
self-contained report.html. ``rerender`` rebuilds the report from a finished folder."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import numpy as np

from mlplab.report import plots
from mlplab.report.document import Document
from mlplab.report.tables import comparison
from mlplab.train.metrics import confusion_matrix, predicted_classes
from mlplab.util import atomic_write_text


def machine() -> str:
    import os

    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, " \
           f"Python {platform.python_version()}, NumPy {np.__version__}"


def write_report(run_dir: Path, exp, results, loaded) -> dict:
    """Write metrics.json, plots/*.png, report.md and report.html into ``run_dir``.

    ``results`` are the runner's ModelResults (``info`` is each model's metrics.json entry,
    per-class accuracy included); ``loaded`` holds (data entry, Dataset, splits) per data set
    of the experiment.
    """
    metrics = {"experiment": exp.name, "seed": exp.seed, "engine": exp.engine,
               "machine": machine(), "models": {r.key: r.info for r in results}}
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=1, default=float))
    images: list[tuple[Path, str]] = []
    by_data: dict[str, list] = {}
    for r in results:
        by_data.setdefault(r.data_key, []).append(r)
    multi = len(by_data) > 1
    for (d, ds, splits), (data_key, rs) in zip(loaded, by_data.items()):
        suffix = f"_{data_key}" if multi else ""
        images += _data_plots(run_dir / "plots", suffix, data_key, d, ds, splits, rs)
    _render(run_dir, metrics, images, exp.description, exp.notes)
    return metrics


def _data_plots(folder: Path, suffix: str, data_key: str, d, ds, splits, rs):
    """The figures one data set's results call for; ``splits`` maps split names to the
    (X, y) the models were trained and evaluated on."""
    imgs = []
    hist = {r.key.split("/")[-1]: r.history for r in rs if r.history.records}
    if hist:
        imgs.append((plots.curves(hist, folder / f"curves{suffix}.png"),
                     f"{data_key}: loss and metric per epoch (solid: train, dashed: evaluation)"))
    ok = [r for r in rs if r.predict is not None]
    eval_split = d["eval"][0] if d["eval"] else "train"
    if ds.task == "classification" and not ds.is_image and ds.n_features == 2 and ok:
        X, y = splits["train"]
        imgs.append((plots.decision_regions({r.key.split("/")[-1]: r.predict for r in ok},
                                            np.asarray(X), y,
                                            folder / f"decision_regions{suffix}.png",
                                            {r.key.split("/")[-1]: r.threshold for r in ok}),
                     f"{data_key}: decision regions, training points on top"))
    if ds.task == "regression" and ok:
        _, y = splits[eval_split]
        preds = {r.key.split("/")[-1]: r.eval_outputs.get(eval_split) for r in ok}
        if all(p is not None for p in preds.values()):
            imgs.append((plots.predicted_vs_true(preds, y, folder / f"predicted_vs_true"
                                                 f"{suffix}.png", ds.target_name or "target"),
                         f"{data_key}: predicted against true on {eval_split}"))
    if ds.task == "classification" and ok and (ds.is_image or (ds.n_classes or 0) > 2):
        best = max(ok, key=lambda r: r.info.get(eval_split, {}).get("accuracy", -1))
        out = best.eval_outputs.get(eval_split)
        if out is not None:
            _, y = splits[eval_split]
            cm = confusion_matrix(y, predicted_classes(out, best.threshold), ds.n_classes)
            name = best.key.split("/")[-1]
            imgs.append((plots.confusion(cm, ds.class_names, folder / f"confusion{suffix}.png",
                                         f"{name} on {eval_split}"),
                         f"{data_key}: confusion matrix of the best model ({name}) on "
                         f"{eval_split}"))
    if ds.is_image:
        X, y = splits["train"]
        imgs.append((plots.sample_grid(X, y, ds.class_names, folder / f"samples{suffix}.png"),
                     f"{data_key}: sample training images per class"))
    return imgs


def _render(run_dir: Path, metrics: dict, images, description: str, notes) -> None:
    header, rows = comparison(metrics)
    doc = Document(f"{metrics['experiment']}: {description}")
    doc.para(f"seed {metrics['seed']}, engine {metrics['engine']}, machine: {metrics['machine']}")
    doc.heading("Comparison")
    doc.table(header, rows)
    msgs = [(k, v["message"]) for k, v in metrics["models"].items() if v.get("message")]
    if msgs:
        doc.heading("Diagnoses")
        for k, msg in msgs:
            doc.para(f"{k} ({metrics['models'][k]['status']}): {msg}")
    for n in notes:
        doc.para(n)
    if images:
        doc.heading("Plots")
        for path, caption in images:
            doc.image(path, caption)
    atomic_write_text(run_dir / "report.md", doc.markdown(run_dir))
    atomic_write_text(run_dir / "report.html", doc.html())


def rerender(run_dir) -> dict:
    """Rebuild report.md and report.html of a finished run folder from its metrics.json,
    config.json and plots (after editing metrics or notes by hand, or across versions)."""
    run_dir = Path(run_dir)
    mpath = run_dir / "metrics.json"
    if not mpath.is_file():
        raise FileNotFoundError(f"{run_dir}: no metrics.json; pass a folder written by "
                                "`mlplab run`")
    metrics = json.loads(mpath.read_text())
    config = json.loads((run_dir / "config.json").read_text())
    images = []
    for p in sorted((run_dir / "plots").glob("*.png")):
        images.append((p, p.stem.replace("_", " ")))
    _render(run_dir, metrics, images, config.get("description", ""), config.get("notes", []))
    return metrics

"""metrics.json, report.md and report.html of a demo experiment (``[[demos]]``).

metrics.json keeps the layout every run has (``models``: one entry per demo with status,
epochs (training steps), seconds and params, so the comparison table and ``mlplab results``
read it unchanged) and adds ``demos``: each demo's summary, table and headline metrics.
"""

from __future__ import annotations

import json
from pathlib import Path

from mlplab.modern import DEMOS
from mlplab.report.build import machine
from mlplab.report.document import Document
from mlplab.report.tables import comparison
from mlplab.util import atomic_write_text


def write_demo_report(run_dir: Path, exp, results: dict[str, dict]) -> dict:
    models, demos = {}, {}
    for key, r in results.items():
        models[key] = {"status": r["status"], "epochs": r["steps"] if r["steps"] else "-",
                       "seconds": round(r["seconds"], 3), "params": r["params"]}
        demos[key] = {"name": r["name"], "title": DEMOS[r["name"]].title,
                      "status": r["status"], "summary": r["summary"], "header": r["header"],
                      "rows": r["rows"], "metrics": r["metrics"],
                      "plots": [str(Path(p).relative_to(run_dir)) for p, _ in r["plots"]]}
    metrics = {"experiment": exp.name, "seed": exp.seed, "engine": exp.engine,
               "device": _device(exp), "machine": machine(), "models": models, "demos": demos}
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=1, default=float))

    doc = Document(f"{exp.name}: {exp.description}")
    doc.para(f"random seed {exp.seed}, engine {exp.engine}, device {metrics['device']}, machine: "
             f"{metrics['machine']}")
    doc.heading("Summary")
    doc.table(*comparison(metrics))
    for key, r in results.items():
        doc.heading(f"{key}: {DEMOS[r['name']].title}")
        if r["status"] != "ok":
            doc.para(r["status"])
            continue
        doc.para(r["summary"])
        doc.table(r["header"], r["rows"])
        for path, caption in r["plots"]:
            doc.image(Path(path), caption)
    for n in exp.notes:
        doc.para(n)
    atomic_write_text(run_dir / "report.md", doc.markdown(run_dir))
    atomic_write_text(run_dir / "report.html", doc.html())
    return metrics


def _device(exp) -> str:
    """The device the torch engine ran on (and torch's version), or "cpu" for NumPy."""
    if exp.engine != "torch":
        return "cpu"
    from mlplab.torch import require_torch, resolve_device

    return f"{resolve_device(exp.device)} (torch {require_torch().__version__})"


def show(console, metrics: dict) -> None:
    """Print each demo's summary line and table to a rich console."""
    from mlplab.report.tables import rich_table

    for key, d in metrics.get("demos", {}).items():
        if d["status"] != "ok":
            continue
        console.print(rich_table(d["header"], d["rows"], title=f"{key}: {d['title']}"))
        console.print(d["summary"])

"""Everything a run folder shows: metrics.json, the comparison table, plots, report.md and a
self-contained report.html. ``rerender`` rebuilds the report from a finished folder.

The report, per data set: the comparison and each model's settings (the best one marked),
the command that made the run, per-class accuracy, and the figures the task calls for, each
with a caption that says what to look for (see ``_data_figures``).
"""

from __future__ import annotations

import json
import math
import platform
import shlex
import sys
from pathlib import Path

import numpy as np

from mlplab.report import plots
from mlplab.report.document import Document
from mlplab.report.tables import comparison
from mlplab.train.metrics import confusion_matrix, predicted_classes
from mlplab.util import atomic_write_text

SELECT_SPLITS = ("val", "test", "train")   # the best model is chosen on the first present


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


def write_report(run_dir: Path, exp, results, loaded) -> dict:
    """Write metrics.json, plots/*.png, report.md and report.html into ``run_dir``.

    ``results`` are the runner's ModelResults (``info`` is each model's metrics.json entry,
    per-class accuracy included); ``loaded`` holds (data entry, Dataset, splits) per data set
    of the experiment. metrics.json also keeps the command line (``command``, None from
    Python) and each figure's file and caption (``figures``), which ``rerender`` reuses.
    """
    metrics = {"experiment": exp.name, "seed": exp.seed, "engine": exp.engine,
               "machine": machine(), "command": command_line(),
               "models": {r.key: r.info for r in results}}
    config = exp.to_dict()
    images = _figures(run_dir, config, results, loaded)
    metrics["figures"] = [{"file": p.relative_to(run_dir).as_posix(), "caption": c}
                          for p, c in images]
    atomic_write_text(run_dir / "metrics.json", json.dumps(metrics, indent=1, default=float))
    _render(run_dir, metrics, images, exp.description, exp.notes, config)
    return metrics


# -- figures --------------------------------------------------------------------------------

def _name(r) -> str:
    return r.key.split("/")[-1]


def _model_configs(config: dict) -> dict:
    return {m.get("name"): m for m in config.get("models", [])}


def _figures(run_dir: Path, config: dict, results, loaded) -> list[tuple[Path, str]]:
    """Every figure of the run with its caption: per data set, then the ones that put several
    data sets side by side (the zoo's decision regions and their change over training)."""
    folder = run_dir / "plots"
    by_data: dict[str, list] = {}
    for r in results:
        by_data.setdefault(r.data_key, []).append(r)
    multi = len(by_data) > 1
    images: list[tuple[Path, str]] = []
    regions: list[list] = []     # one row of panels per 2-D data set
    evolution: list[list] = []   # one row per (data set, model): the boundary over epochs
    for d, ds, splits in loaded:
        data_key = d.get("label", d["name"])
        if data_key not in by_data:
            continue
        fig = _DataFigures(run_dir, folder, config, data_key, d, ds, splits, by_data[data_key],
                           multi)
        images += fig.draw()
        regions += fig.regions
        evolution += fig.evolution
    if regions:
        images.append(_regions_figure(folder, regions, multi))
    if evolution:
        images.append(_evolution_figure(folder, evolution, multi))
    return images


class _DataFigures:
    """The figures of one data set's results; ``splits`` maps split names to the (X, y) the
    models were trained and evaluated on."""

    def __init__(self, run_dir, folder, config, data_key, d, ds, splits, rs, multi):
        self.run_dir, self.folder, self.ds, self.splits = run_dir, folder, ds, splits
        self.data_key, self.d, self.rs, self.multi = data_key, d, rs, multi
        self.suffix = f"_{_file_part(data_key)}" if multi else ""
        self.prefix = f"{data_key}: " if multi else ""
        self.configs = _model_configs(config)
        self.ok = [r for r in rs if r.predict is not None]
        self.split = next((s for s in SELECT_SPLITS if s in splits and
                           (s in d.get("eval", []) or s == "train")), "train")
        self.regions: list[list] = []
        self.evolution: list[list] = []

    def path(self, stem: str) -> Path:
        return self.folder / f"{stem}{self.suffix}.png"

    def draw(self) -> list[tuple[Path, str]]:
        ds = self.ds
        out = self.curves()
        if ds.task == "regression":
            out += self.regression()
        if ds.task == "classification":
            if not ds.is_image and ds.n_features == 2:
                self.two_d()
            out += self.confusion()
        if ds.is_image:
            out += self.images()
        return out

    # curves
    def curves(self):
        rs = [r for r in self.rs if r.history.records]
        if not rs:
            return []
        hist = {_name(r): r.history for r in rs}
        metric = "accuracy" if self.ds.task == "classification" else "r2"
        losses = [self.configs.get(_name(r), {}).get("loss") for r in rs]
        label = plots.loss_label(losses)
        scaled = self.d.get("target_preprocess")
        if scaled:
            label = label.replace(" (loss)", f" (loss, {scaled}d target)")
        best = {_name(r): r.info["best"]["epoch"] for r in rs if r.info.get("best")}
        splits = plots.splits(hist)   # in the legend's order
        styles = ", ".join(f"{s} {_STYLE_WORDS.get(plots.SPLIT_STYLES.get(s), 'dash-dot')}"
                           for s in splits)
        many = len(hist) > plots.MANY_MODELS
        path = plots.curves(hist, self.path("curves"), metric=metric, loss=label, best=best)
        mname = plots.METRIC_NAMES[metric]
        caption = (f"{self.prefix}{label.split(' (')[0]} and {mname} per epoch"
                   f"{', one panel pair per model' if many else ', a colour per model'} "
                   f"({styles}); the loss axis is logarithmic when the loss spans more than "
                   "a factor of ten")
        monitored = sorted({r.info["best"].get("split", "val") for r in rs
                            if r.info.get("best")})
        if best:
            caption += (f", a dot marks each model's epoch of lowest {'/'.join(monitored)} "
                        "loss")
        if splits != ["train"]:
            caption += (". Look for: a validation curve that turns up while training still "
                        "falls (overfitting), a gap between train and validation, a curve "
                        "that jumps or stalls (learning rate), and which model ends best.")
        else:
            caption += (". Look for: a loss that stalls or jumps (learning rate) and which "
                        "model ends lowest; with no held-out split these curves cannot show "
                        "overfitting.")
        if scaled:
            caption += (f" The loss is in units of the {scaled}d target; the tables and the "
                        "other figures use the target's own units.")
        return [(path, caption)]

    # regression
    def regression(self):
        s = self.split
        preds = {_name(r): r.eval_outputs.get(s) for r in self.ok}
        preds = {n: p for n, p in preds.items() if p is not None}
        if not preds:
            return []
        _, y = self.splits[s]
        target = self.ds.target_name or "target"
        scores = {_name(r): r.info.get(s, {}) for r in self.ok}
        p1 = plots.predicted_vs_true(preds, y, self.path("predicted_vs_true"), target,
                                     scores=scores)
        p2 = plots.residuals(preds, y, self.path("residuals"), target, scores=scores)
        return [(p1, f"{self.prefix}predicted against true {target} on the {s} split, one "
                     "panel per model on the same axes (R² and MSE in each title); the dashed "
                     "line is a perfect prediction. Look for: points far from the line, and a "
                     "bend away from it (a model that under-predicts high values or "
                     "over-predicts low ones)."),
                (p2, f"{self.prefix}residual (true - predicted {target}) against the "
                     f"prediction on the {s} split, the same axes for every model. Look for: "
                     "a pattern (a curve, or a funnel that widens) means the model misses a "
                     "shape of the data; a good model's residuals scatter evenly around 0.")]

    # classification
    def confusion(self):
        s = self.split
        cms, acc = {}, {}
        _, y = self.splits[s]
        for r in self.ok:
            out = r.eval_outputs.get(s)
            if out is None:
                continue
            cms[_name(r)] = confusion_matrix(y, predicted_classes(out, r.threshold),
                                             self.ds.n_classes)
            acc[_name(r)] = r.info.get(s, {}).get("accuracy")
        if not cms:
            return []
        path = plots.confusion(cms, self.ds.class_names, self.path("confusion"), split=s,
                               accuracy=acc)
        return [(path, f"{self.prefix}confusion matrices on the {s} split, a row per model: "
                       "rows are the true class, columns the predicted one; left the counts, "
                       "right each true class's share (rows sum to 100). Look for: large "
                       "cells off the diagonal, the pairs of classes a model confuses, and "
                       "classes it never predicts (an empty column).")]

    def two_d(self):
        X, y = self.splits["train"]
        X = np.asarray(X, dtype=float)
        feats = self.ds.feature_names
        row = []
        for r in self.ok:
            name = _name(r)
            accs = [f"{sp} acc {100 * r.info[sp]['accuracy']:.1f}%" for sp in
                    ("train", "val", "test") if "accuracy" in r.info.get(sp, {})]
            title = f"{self.prefix}{name}\n" + ", ".join(accs)
            row.append(plots.Regions(title, X, y, plots.region_classes(r.predict, X,
                                                                       r.threshold),
                                     self.ds.class_names, feats))
        if row:
            self.regions.append(row)
        snap = [r for r in self.rs if getattr(r, "snapshots", None)]
        if self.multi:   # the zoo: only the networks that can bend the boundary
            snap = [r for r in snap if _hidden(r.info.get("spec"))] or snap
        for r in snap:
            self.evolution.append([
                plots.Regions(f"{self.prefix}{_name(r)}, epoch {e}" +
                              (" (start)" if e == 0 else ""), X, y, zz,
                              self.ds.class_names, feats)
                for e, zz in sorted(r.snapshots.items())])

    # images
    def images(self):
        out = []
        ds, s = self.ds, self.split
        X, y = self.splits[s]
        best = _best_result(self.ok, s, "classification")
        if best is not None and best.eval_outputs.get(s) is not None:
            o = np.asarray(best.eval_outputs[s], dtype=float)
            pred = predicted_classes(o, best.threshold)
            n_wrong = int(np.sum(pred != np.asarray(y).reshape(-1)))
            if n_wrong:
                path = plots.misclassified(X, y, pred, ds.class_names, self.path("mistakes"),
                                           confidence=_confidence(o, best.threshold))
                out.append((path, f"{self.prefix}the {min(n_wrong, 24)} {s} images the best "
                                  f"model ({_name(best)}) gets wrong with the highest "
                                  f"confidence, of {n_wrong} it gets wrong, with true and "
                                  "predicted class. Look for: mistakes a person could make "
                                  "too (ambiguous images) against plain errors, and which "
                                  "classes keep coming back."))
        shape = tuple(ds.X.shape[1:])
        n_pix = int(np.prod(shape))
        templates, units = [], []
        for r in self.ok:
            ws = _linear_weights(self.run_dir, r.key)
            if not ws or ws[0].shape[1] != n_pix or not np.isfinite(ws[0]).all():
                continue
            names = ds.class_names or [str(i) for i in range(ws[0].shape[0])]
            if len(ws) == 1:
                templates.append((_name(r), [w.reshape(shape) for w in ws[0]],
                                  [names[i] if i < len(names) else str(i)
                                   for i in range(len(ws[0]))]))
            else:
                strength = np.linalg.norm(ws[1], axis=0)        # (hidden,)
                top = np.argsort(-strength, kind="stable")[:16]
                imgs = [ws[0][u].reshape(shape) for u in top]
                titles = [f"unit {u}" for u in top]
                units.append((_name(r), imgs[:8], titles[:8]))
                if len(top) > 8:
                    units.append(("", imgs[8:], titles[8:]))
        grids = [
            (templates, "templates",
             "the weights of each softmax model (no hidden layer) as one image per class: red "
             "pixels raise the class's score, blue ones lower it, each image scaled to its own "
             "largest weight. Look for: the class's silhouette (a 'template' the model matches "
             "the input against), and noise where preprocessing left the inputs badly scaled."),
            (units, "hidden_units",
             "the input weights of the 16 first-hidden-layer units with the largest outgoing "
             "weights (the units the next layer listens to most), per MLP; red positive, blue "
             "negative. Look for: strokes, edges and blobs (parts of shapes) rather than whole "
             "templates, and units that still look like noise."),
        ]
        for rows, name, caption in grids:
            if rows:
                path = plots.image_grid(rows, self.path(name), signed=True)
                out.append((path, self.prefix + caption))
        Xt, yt = self.splits["train"]
        out.append((plots.sample_grid(Xt, yt, ds.class_names, self.path("samples")),
                    f"{self.prefix}a few training images of each class, as the models get "
                    "them before preprocessing."))
        return out


_STYLE_WORDS = {"-": "solid", "--": "dashed", ":": "dotted"}


def _file_part(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text)


def _hidden(spec) -> bool:
    """Whether a spec string has more than one linear layer (a hidden layer)."""
    if not spec:
        return False
    try:
        from mlplab.spec import ModelSpec

        return len(ModelSpec.parse(spec).linear_layers) > 1
    except ValueError:
        return False


def _confidence(outputs: np.ndarray, threshold: float) -> np.ndarray:
    """How sure each prediction is: the top softmax probability, or for one output column
    the distance from the threshold. outputs : (n, k) -> (n,)."""
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        z = outputs - outputs.max(axis=1, keepdims=True)
        e = np.exp(z)
        return (e / e.sum(axis=1, keepdims=True)).max(axis=1)
    return np.abs(outputs.reshape(-1) - threshold)


def _linear_weights(run_dir: Path, key: str) -> list[np.ndarray]:
    """The 2-D weight matrices (out, in) of a saved model, first layer first; [] when the
    model saved none (diverged, scikit-learn). The file is the runner's weights/<key>.npz,
    '/' in the key written as '__'."""
    from mlplab.runfolder import stem

    path = run_dir / "weights" / f"{stem(key)}.npz"
    if not path.is_file():
        return []
    from mlplab.nn import load

    state, _ = load(path)

    def index(k: str):
        head = k.split(".")[0]
        return int(head) if head.isdigit() else math.inf

    keys = sorted((k for k, v in state.items() if k.endswith(".weight") and v.ndim == 2),
                  key=index)
    return [np.asarray(state[k], dtype=float) for k in keys]


def _best_result(rs, split: str, task: str):
    infos = {r.key: r.info for r in rs}
    key = best_model(infos, split, task)
    return next((r for r in rs if r.key == key), None)


def best_model(infos: dict, split: str, task: str) -> str | None:
    """The key of the best model on ``split``: highest accuracy, or lowest MSE; models that
    diverged or were interrupted are not candidates."""
    metric, sign = ("accuracy", 1) if task == "classification" else ("mse", -1)
    scored = [(sign * info[split][metric], k) for k, info in infos.items()
              if info.get("status", "ok") == "ok" and isinstance(info.get(split), dict)
              and _is_number(info[split].get(metric))]
    return max(scored, key=lambda t: t[0])[1] if scored else None


def _is_number(v) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def _regions_figure(folder: Path, rows: list[list], multi: bool):
    path = plots.decision_regions(rows, folder / "decision_regions.png")
    return (path, ("decision regions, a row per data set named in each title: " if multi else
                   "decision regions, a panel per model: ") +
            "the shade is the class each model predicts at each point of the plane, the dots "
            "are the training examples in their true class's colour (accuracy in the title). "
            "Look for: a straight boundary (a model without a hidden layer can draw no other) "
            "against a bent one, and dots on a shade of another colour (mistakes).")


def _evolution_figure(folder: Path, rows: list[list], multi: bool):
    path = plots.decision_regions(rows, folder / "boundary_over_training.png", panel=2.4,
                                  ticks=False)
    return (path, ("the MLPs' decision regions " if multi else "the decision regions ") +
            "during training, a row per model: epoch 0 (the random start), epoch 1, two "
            "epochs between and the last (each title names its epoch). Look for: how the "
            "hidden layer bends the boundary step by step, and when it stops changing; a "
            "model without a hidden layer can only turn and shift its straight line.")


# -- the report -------------------------------------------------------------------------------

def _render(run_dir: Path, metrics: dict, images, description: str, notes,
            config: dict | None = None) -> None:
    header, rows = comparison(metrics)
    doc = Document(f"{metrics['experiment']}: {description}")
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
    doc.table(*settings_table(metrics, config, {k for _, k, _ in best.values()}))
    msgs = [(k, v["message"]) for k, v in metrics["models"].items() if v.get("message")]
    if msgs:
        doc.heading("Diagnoses")
        for k, msg in msgs:
            doc.para(f"{k} ({metrics['models'][k]['status']}): {msg}")
    for n in notes:
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


def settings_table(metrics: dict, config: dict | None, best: set) -> tuple[list, list]:
    """A row per model: how it was built and trained, from metrics.json and config.json."""
    configs = _model_configs(config or {})
    datas = {info.get("data") for info in metrics["models"].values()}
    header = ["model"] + (["data"] if len(datas) > 1 else []) + [
        "spec", "loss", "optimizer", "lr", "batch", "epochs", "preprocessing",
        "early stopping", "schedule"]
    extra = any(m.get("augment") for m in configs.values())
    header += ["augment"] if extra else []
    rows = []
    for key, info in metrics["models"].items():
        m = configs.get(key.split("/")[-1], {})
        name = key.split("/")[-1] if len(datas) > 1 else key
        row = [f"{name} (best)" if key in best else name]
        row += [str(info.get("data", ""))] if len(datas) > 1 else []
        if "weights" in m:
            opt, lr, batch, epochs = "hand-set weights", "-", "-", "not trained"
        else:
            # the L1 penalty is applied at the optimizer's step: shown beside its arguments
            opt = _optimizer(info.get("optimizer") or m.get("optimizer"),
                             {**(m.get("optimizer_kwargs") or {}),
                              **({"l1": m["l1"]} if m.get("l1") else {})})
            lr = _g(info.get("lr", m.get("lr")))
            batch = _g(info.get("batch_size", m.get("batch_size")))
            ran, planned = info.get("epochs"), m.get("epochs")
            epochs = (f"{ran} of {planned}" if planned not in (None, ran) and ran != "-"
                      else _g(ran if ran is not None else planned))
        row += [str(info.get("spec", m.get("spec", "-"))), str(m.get("loss", "-")), opt, lr,
                batch, epochs, str(info.get("preprocess") or m.get("preprocess") or "-"),
                _kwargs(m.get("early_stopping")), _kwargs(m.get("schedule"))]
        row += [_kwargs(m.get("augment"))] if extra else []
        rows.append(row)
    return header, rows


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


def rerender(run_dir) -> dict:
    """Rebuild report.md and report.html of a finished run folder from its metrics.json,
    config.json and plots (after editing metrics or notes by hand, or across versions)."""
    from mlplab.runfolder import RunFolder, figure_files

    # config.json and metrics.json checked: a damaged one is a DataError naming the file
    run = RunFolder.open(run_dir, written_by="`mlplab run` or `mlplab train`")
    run_dir, metrics, config = run.path, run.metrics, run.config
    # the captions metrics.json keeps; a folder from before it kept them: the file names
    images = figure_files(run)
    if "figures" not in metrics:
        for p in sorted((run_dir / "plots").glob("*.png")):
            images.append((p, p.stem.replace("_", " ")))
    _render(run_dir, metrics, images, config.get("description", ""), config.get("notes", []),
            config)
    return metrics

"""mlplab in a notebook (or any Python session): run an experiment, or reopen a run folder,
as a :class:`Run` object.

    import mlplab
    r = mlplab.run("auto-mpg", epochs=20, seed=0, out="runs")
    r                       # in Jupyter: the run's report inline (table, diagnoses, figures)
    r.table                 # the comparison table as a pandas DataFrame, one row per model
    r.history["mlp"]        # mlplab.train.History; r.history_frame("mlp") as a DataFrame
    r.figures["curves"]     # a Figure: .path, .image() (IPython.display.Image), shown inline
    r.metrics, r.path       # metrics.json as a dict, the run folder
    mlplab.load_run(r.path) # the same Run, from the folder alone

Everything a Run shows is read from its folder (metrics.json, config.json, history/*.json,
plots/*.png, report.html), so a folder from ``mlplab run``, ``mlplab train`` or an earlier
session reopens the same way. pandas is needed only for the DataFrames, IPython only for
``Figure.image``.
"""

from __future__ import annotations

import html
import io
import os
import re
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from mlplab.errors import UsageError

__all__ = ["Figure", "Run", "history_frame", "load_run", "run"]

# report.html's own stylesheet styles <body>; inline, only the report's own elements are
_SCOPED_CSS = """.mlplab-run table{border-collapse:collapse;margin:0.5em 0;font-size:13px}
.mlplab-run th,.mlplab-run td{border:1px solid #ccc;padding:3px 8px;text-align:right}
.mlplab-run th:first-child,.mlplab-run td:first-child{text-align:left}
.mlplab-run th{background:#f3f3f3}.mlplab-run img{max-width:100%;margin:0.3em 0}
.mlplab-run .diverged{color:#b00}.mlplab-run figure{margin:0.5em 0}"""


def _pandas():
    try:
        import pandas
    except ImportError:
        raise UsageError("Run.table and history frames need pandas: pip install pandas") from None
    return pandas


@dataclass(frozen=True)
class Figure:
    """One figure of a run (``plots/<name>.png``). Displayed in Jupyter as the image itself;
    ``image()`` gives an ``IPython.display.Image`` (for ``display(...)`` or a width)."""

    name: str
    path: Path

    def image(self, **kwargs):
        """``IPython.display.Image(filename=path, **kwargs)`` (width=..., height=...)."""
        from IPython.display import Image

        return Image(filename=str(self.path), **kwargs)

    def _repr_png_(self) -> bytes:
        return self.path.read_bytes()

    def __fspath__(self) -> str:
        return str(self.path)


def history_frame(history):
    """A History as a pandas DataFrame: one row per epoch (index ``epoch``, 1..n), a column
    per record key (train_loss, val_loss, val_accuracy, seconds, ...)."""
    pd = _pandas()
    frame = pd.DataFrame.from_records(history.records, columns=history.columns)
    if "epoch" in frame.columns:
        frame = frame.set_index("epoch")
    else:
        frame.index = pd.RangeIndex(1, len(frame) + 1, name="epoch")
    return frame


class Run:
    """A finished run folder: what ``mlplab.run`` returns and ``mlplab.load_run`` reopens.

    path : the run folder.
    metrics : metrics.json as a dict (``metrics["models"][name]`` per model).
    config : config.json, the experiment as it ran (seed, models, data).
    interrupted : a model was interrupted (Ctrl-C / the notebook's stop button); the folder
        holds what ran until then.
    """

    def __init__(self, path, metrics: dict, config: dict, interrupted: bool = False):
        self.path = Path(path)
        self.metrics = metrics
        self.config = config
        self.interrupted = interrupted

    @property
    def name(self) -> str:
        return self.metrics.get("experiment", self.path.name)

    @property
    def models(self) -> list[str]:
        """The models' keys (metrics.json order): ``"mlp"``, or ``"<data>/<model>"`` when
        the experiment has several data sets."""
        return list(self.metrics.get("models", {}))

    @property
    def table(self):
        """The comparison table as a pandas DataFrame, indexed by model: params, status,
        outcome, epochs, seconds, then ``"<split> <metric>"`` columns as floats (``acc`` as
        a fraction, not a percentage; NaN where a model has no such value), and
        ``best loss``/``best epoch`` where the run kept the best evaluation epoch."""
        from mlplab.report.tables import LABELS, columns

        pd = _pandas()
        models = self.metrics.get("models", {})
        cols, best = columns(models)   # the printed table's columns, in its order
        rows = []
        for info in models.values():
            row = {"params": info.get("params"), "status": info.get("status"),
                   "outcome": info.get("outcome", info.get("status")),
                   "epochs": info.get("epochs"), "seconds": info.get("seconds")}
            for split, m in cols:
                v = info.get(split, {}).get(m)
                row[f"{split} {LABELS[m]}"] = float("nan") if v is None else float(v)
            if best:
                b = info.get("best") or {}
                row["best loss"] = b.get("loss", float("nan"))
                row["best epoch"] = b.get("epoch")
            rows.append(row)
        frame = pd.DataFrame(rows, index=pd.Index(list(models), name="model"))
        for c in ("params", "epochs", "best epoch"):
            if c in frame.columns:
                frame[c] = frame[c].astype("Int64")   # integers, with <NA> where absent
        return frame

    @cached_property
    def history(self) -> dict:
        """Model key -> mlplab.train.History, read from ``history/<key>.json`` (a key's "/"
        is "__" in the file name); models without a history file (not trained) are absent."""
        from mlplab.runfolder import stem
        from mlplab.train.history import History

        out = {}
        for key in self.models:
            path = self.path / "history" / f"{stem(key)}.json"
            if path.is_file():
                out[key] = History.from_json(path)
        return out

    def history_frame(self, model: str):
        """``history_frame(self.history[model])``: one row per epoch."""
        if model not in self.history:
            have = ", ".join(self.history) or "none"
            raise UsageError(f"model {model!r}: this run has no history of it; choose one of "
                             f"{have}")
        return history_frame(self.history[model])

    @property
    def figures(self) -> dict[str, Figure]:
        """Figure name (the file's stem: ``curves``, ``predicted_vs_true``, ``confusion``,
        ...) -> :class:`Figure`, in file-name order."""
        return {p.stem: Figure(p.stem, p) for p in sorted((self.path / "plots").glob("*.png"))}

    def predict(self, X, model: str = "mlp"):
        """Outputs of a saved model of the run for raw rows ``X`` (n, *input shape), as the
        run evaluated its splits: the model's fitted preprocessing first, a scaled regression
        target back in its own units. Returns (n, k) float32: values (regression), logits
        or probabilities (classification, as the model's last layer gives them)."""
        import numpy as np

        from mlplab.runfolder import RunFolder
        from mlplab.train import build_engine

        # read as predict and report read a run: every file checked (a DataError names it)
        folder = RunFolder(self.path, self.config)
        saved = sorted(p.stem.replace("__", "/") for p in (self.path / "weights").glob("*.npz"))
        entry = folder.entry(model.rsplit("/", 1)[-1])
        if entry is None or not folder.weights_file(model).is_file():
            raise UsageError(f"model {model!r}: {self.path} has no saved weights of it; choose "
                             f"one of {', '.join(saved) or 'none (nothing was saved)'}")
        spec, state = folder.weights(model, entry)
        transform, target, _ = folder.preprocess(model, spec)
        engine = build_engine("numpy", spec=spec, loss=entry["loss"], optimizer="sgd", lr=0.1,
                              seed=0)
        engine.load_state_dict(state)
        out = engine.predict(np.asarray(X), transform=transform)
        return target.inverse(out) if target else out

    # ---- display ---------------------------------------------------------------------
    def __repr__(self) -> str:
        state = ", interrupted" if self.interrupted else ""
        return f"Run({self.name!r}, path={str(self.path)!r}, models={self.models}{state})"

    def _repr_html_(self) -> str:
        """The run's report (report.html's body: heading, table, diagnoses, notes, figures
        embedded) under a stylesheet that styles only the report's elements."""
        body = _report_body(self.path / "report.html") or self._plain_report()
        # a notebook's own headings stay the largest: the report's h1/h2 show as h3/h4
        body = re.sub(r"<(/?)h([12])>", lambda m: f"<{m[1]}h{int(m[2]) + 2}>", body)
        return f"<div class='mlplab-run'><style>{_SCOPED_CSS}</style>{body}</div>"

    def _plain_report(self) -> str:
        """The table and figures, for a folder whose report.html is missing."""
        from mlplab.report.document import Document
        from mlplab.report.tables import comparison

        doc = Document(f"{self.name} ({self.path.name})")
        if self.models:
            doc.table(*comparison(self.metrics))
        for fig in self.figures.values():
            doc.image(fig.path, fig.name.replace("_", " "))
        return _report_body(doc.html())


def _report_body(report) -> str:
    """What lies between <body> and </body> of an HTML document (a path or the text);
    "" when the file does not exist."""
    if isinstance(report, Path):
        if not report.is_file():
            return ""
        report = report.read_text(encoding="utf-8")
    m = re.search(r"<body[^>]*>(.*)</body>", report, flags=re.S)
    return m.group(1) if m else html.escape(report)


# ---- opening and running ------------------------------------------------------------------
def load_run(path) -> Run:
    """Reopen a run folder written by ``mlplab run``, ``mlplab train`` or :func:`run`, read
    and checked as ``mlplab report`` and ``predict`` read it (``mlplab.runfolder.RunFolder``)."""
    from mlplab.runfolder import RunFolder

    folder = RunFolder.open(path)
    return _from_result(folder.load(), folder.config)


def _from_result(result, config: dict) -> Run:
    """The Run of a RunResult (mlplab.runresult) and its config.json content."""
    return Run(result.path, result.to_dict(), config, result.interrupted)


def run(name: str, *, epochs: int | None = None, seed: int | None = None, out="runs",
        engine: str | None = None, device: str | None = None, data_dir=None,
        offline: bool = False, progress: bool = True) -> Run:
    """Run an experiment (a name of ``mlplab list`` or a .toml file) as ``mlplab run`` does
    and return its :class:`Run`. ``epochs``, ``seed``, ``engine``, ``device``, ``data_dir``
    and ``offline`` are the command's options; the run folder goes under ``out``.

    ``progress``: bars while training; in Jupyter they redraw in place in the cell's output
    and each model's last frame stays there (:func:`progress_console`).
    Interrupting the kernel stops training after the current batch; the Run of what ran is
    returned (``interrupted`` is True) and a line says so.
    """
    from mlplab.experiments import RunInterrupted, load_experiment
    from mlplab.experiments.config import with_overrides
    from mlplab.experiments.runner import run as run_experiment

    exp = with_overrides(load_experiment(name), epochs=epochs, seed=seed, engine=engine,
                         data_dir=data_dir, data_args={"offline": True} if offline else None,
                         device=device)
    backend = _matplotlib_backend()
    try:
        result = run_experiment(exp, out, progress=progress,
                                console=progress_console() if progress else None)
    except RunInterrupted as e:
        # flushed: in a kernel stderr and stdout are separate streams, and the line should
        # come before whatever the cell prints next
        print(f"interrupted: the report of what ran is in {e.run_dir}", file=sys.stderr,
              flush=True)
        return _from_result(e.result, _config(exp))
    finally:
        _restore_matplotlib_backend(backend)
    return _from_result(result, _config(exp))


def _config(exp) -> dict:
    """config.json's content as the runner wrote it, without reading it back."""
    import json

    return json.loads(exp.to_json())


def _matplotlib_backend() -> str | None:
    """The session's matplotlib backend (a notebook's inline one), or None when matplotlib is
    not imported and MPLBACKEND is not set."""
    mpl = sys.modules.get("matplotlib")
    return mpl.get_backend() if mpl is not None else os.environ.get("MPLBACKEND")


def _restore_matplotlib_backend(backend: str | None) -> None:
    """The run's figures switch matplotlib to Agg (they need no screen); the session's own
    plots after the run (a notebook's inline figures) get its backend back."""
    mpl = sys.modules.get("matplotlib")
    if not backend or mpl is None or mpl.get_backend() == backend:
        return
    shell = _ipython()
    if shell is not None and backend in (INLINE_BACKEND, "inline"):
        # %matplotlib inline: the backend and the hook that shows a cell's figures, which a
        # plain matplotlib.use does not install again
        shell.run_line_magic("matplotlib", "inline")
    else:
        mpl.use(backend, force=True)


INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def _ipython():
    """The running IPython shell, or None outside IPython."""
    get = getattr(sys.modules.get("IPython"), "get_ipython", None)
    return get() if get else None


def _shell() -> str:
    """The running IPython shell's class name ("ZMQInteractiveShell" in a Jupyter kernel,
    "TerminalInteractiveShell" in ipython), or "" outside IPython."""
    shell = _ipython()
    return type(shell).__name__ if shell is not None else ""


# rich's cursor and erase controls (CSI sequences) between the frames of its live display
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class BarDisplay(io.TextIOBase):
    """The file a terminal-like rich Console writes its live progress bars to, shown as one
    notebook display per fit whose text each frame replaces (an ``update_display_data``
    message: plain Jupyter, no widgets).

    rich writes a frame as cursor controls (back up over the previous frame, erase) then the
    bars' lines, and flushes; the last text between controls is the frame. A fit's live
    display starts by hiding the cursor (a new display) and, being transient, ends with its
    final frame and an erase: the final frame stays, the record of that fit in the cell.
    ``display`` is ``IPython.display.display`` (given for a test without a kernel).
    """

    def __init__(self, display=None):
        self._display = display
        self._buf = ""
        self.handle = None
        self.frames = 0

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self._buf += text
        return len(text)

    def flush(self) -> None:
        buf, self._buf = self._buf, ""
        if "\x1b[?25l" in buf:           # a live display starts: the next fit's bars
            self.handle = None
        # the last frame in the text; the erase that ends a transient display follows the
        # final frame in the same flush, and leaves that frame shown
        frames = [t.replace("\r", "").strip("\n") for t in _CONTROL.split(buf)]
        frame = next((t for t in reversed(frames) if t.strip()), "")
        if not frame:
            return
        frame = "\n".join(line.rstrip() for line in frame.splitlines())
        data = {"text/plain": frame}
        if self.handle is None:
            display = self._display
            if display is None:
                from IPython.display import display
            self.handle = display(data, raw=True, display_id=True)
        else:
            self.handle.update(data, raw=True)
        self.frames += 1


def progress_console(shell: str | None = None, display=None):
    """The rich Console the Trainer's progress bars draw on, for where the code runs:
    outside a Jupyter kernel None (the Trainer's own: bars on a terminal, log lines in a
    pipe); in a kernel a terminal-like Console without colours writing to a
    :class:`BarDisplay`, so the bars redraw in place in the cell's output."""
    shell = _shell() if shell is None else shell
    if shell != "ZMQInteractiveShell":
        return None
    from rich.console import Console

    return Console(file=BarDisplay(display), force_terminal=True, force_jupyter=False,
                   color_system=None, width=100)

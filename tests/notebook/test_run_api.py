"""``mlplab.run`` / ``mlplab.load_run`` and the Run object, outside a kernel: every number a
Run shows is metrics.json's or the history file's own; its errors are one-line UsageErrors;
``import mlplab`` stays light; the notebook progress display redraws one display per fit."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

import mlplab
from mlplab import data
from mlplab.errors import DataError, ExperimentError, MlplabError, UsageError
from mlplab.notebook import BarDisplay, Figure, Run, history_frame, progress_console
from mlplab.train.history import History


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return mlplab.run("auto-mpg", epochs=3, seed=0, out=tmp_path_factory.mktemp("runs"),
                      progress=False)


def test_run_returns_the_finished_folder(run):
    assert isinstance(run, Run) and run.path.is_dir() and run.path.name.startswith("auto-mpg-")
    assert run.metrics == json.loads((run.path / "metrics.json").read_text())
    assert run.config == json.loads((run.path / "config.json").read_text())
    assert run.name == "auto-mpg" and run.models == ["linear", "mlp"] and not run.interrupted
    assert repr(run) == f"Run('auto-mpg', path={str(run.path)!r}, models=['linear', 'mlp'])"


def test_the_table_holds_metrics_json_numbers(run):
    t = run.table
    assert list(t.index) == ["linear", "mlp"] and t.index.name == "model"
    # a regression's loss is its MSE column, as in the printed table
    assert list(t.columns) == ["params", "status", "outcome", "epochs", "seconds",
                               "train MSE", "train MAE", "train R²", "val MSE", "val MAE",
                               "val R²", "best loss", "best epoch"]
    for name in run.models:
        info = run.metrics["models"][name]
        row = t.loc[name]
        assert row["params"] == info["params"] and row["epochs"] == info["epochs"] == 3
        assert row["status"] == row["outcome"] == "ok" and row["seconds"] == info["seconds"]
        for split in ("train", "val"):
            for key, label in (("mse", "MSE"), ("mae", "MAE"), ("r2", "R²")):
                assert row[f"{split} {label}"] == info[split][key]
        assert row["best loss"] == info["best"]["loss"]
        assert row["best epoch"] == info["best"]["epoch"]
    assert t.loc["mlp", "params"] == 9 * 64 + 64 + 64 * 64 + 64 + 64 + 1


def test_histories_and_their_frames(run):
    assert set(run.history) == {"linear", "mlp"}
    for name in run.models:
        h = run.history[name]
        assert isinstance(h, History)
        assert h.to_dict() == History.from_json(run.path / "history" / f"{name}.json").to_dict()
        frame = run.history_frame(name)
        assert list(frame.index) == [1, 2, 3] and frame.index.name == "epoch"
        assert list(frame.columns) == [c for c in h.columns if c != "epoch"]
        assert frame["val_loss"].tolist() == h.column("val_loss")
    # the last epoch's validation MSE is the table's (the run evaluates its final weights)
    assert math.isclose(run.history["mlp"].last("val_mse"), run.table.loc["mlp", "val MSE"],
                        rel_tol=1e-6)


def test_history_frame_without_epoch_numbers():
    frame = history_frame(History([{"train_loss": 2.0}, {"train_loss": 1.5}]))
    assert list(frame.index) == [1, 2] and frame["train_loss"].tolist() == [2.0, 1.5]


def test_figures_are_the_plots_folder(run):
    figs = run.figures
    assert list(figs) == sorted(p.stem for p in (run.path / "plots").glob("*.png"))
    assert {"curves", "predicted_vs_true"} <= set(figs)
    fig = figs["curves"]
    assert isinstance(fig, Figure) and fig.path == run.path / "plots" / "curves.png"
    png = fig._repr_png_()
    assert png.startswith(b"\x89PNG") and png == fig.path.read_bytes()
    from IPython.display import Image

    img = fig.image(width=300)
    assert isinstance(img, Image) and img.data == png and img.width == 300


def test_the_inline_report_is_report_html_scoped(run):
    page = (run.path / "report.html").read_text()
    inline = run._repr_html_()
    assert inline.startswith("<div class='mlplab-run'><style>") and inline.endswith("</div>")
    assert "<body" not in inline and "body{" not in inline and "<h1>" not in inline
    assert inline.count("<img ") == len(run.figures) == page.count("<img ")
    # the report's rows, headings (as h3/h4: the notebook's own stay the largest) and notes
    for name in run.models:
        assert f"<td>{name}</td>" in inline
    assert "<h3>auto-mpg: " in inline and "<h4>Comparison</h4>" in inline
    assert "Split as the course" in inline


def test_the_inline_report_without_report_html(run, tmp_path):
    import shutil

    copy = tmp_path / run.path.name
    shutil.copytree(run.path, copy)
    (copy / "report.html").unlink()
    inline = mlplab.load_run(copy)._repr_html_()
    assert "<td>mlp</td>" in inline and inline.count("<img ") == len(run.figures)


def test_load_run_reopens_the_same_run(run):
    again = mlplab.load_run(str(run.path))
    assert again.path == run.path and again.metrics == run.metrics
    assert again.table.equals(run.table)
    assert {k: h.to_dict() for k, h in again.history.items()} == \
           {k: h.to_dict() for k, h in run.history.items()}


def test_predict_gives_the_runs_own_evaluation(run):
    X, y = data.load("auto-mpg").split("val")
    for name in run.models:
        out = run.predict(X, model=name)
        assert out.shape == (len(X), 1) and out.dtype == np.float32
        mse = float(np.mean((out[:, 0].astype(np.float64) - y.reshape(-1)) ** 2))
        assert math.isclose(mse, run.metrics["models"][name]["val"]["mse"], rel_tol=1e-6)


def _one_line(excinfo, *words):
    msg = str(excinfo.value)
    assert isinstance(excinfo.value, MlplabError) and "\n" not in msg
    for w in words:
        assert w in msg, msg


def test_load_run_errors(run, tmp_path):
    """load_run reads a folder as report and predict do (RunFolder): one line each."""
    with pytest.raises(DataError) as e:
        mlplab.load_run(tmp_path / "absent")
    _one_line(e, "absent: not a run folder (no such folder)", "mlplab run")
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(DataError) as e:
        mlplab.load_run(tmp_path / "file.txt")
    _one_line(e, "file.txt: not a run folder (a file, not a folder)")
    with pytest.raises(DataError) as e:
        mlplab.load_run(tmp_path)
    _one_line(e, "not a run folder (no config.json in it)")
    config = (run.path / "config.json").read_text()
    partial = tmp_path / ".auto-mpg-20260101-000000.partial"
    partial.mkdir()
    (partial / "config.json").write_text(config)
    with pytest.raises(DataError) as e:
        mlplab.load_run(partial)
    _one_line(e, "no metrics.json (a run that did not finish: see `mlplab runs list`)")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text(config)
    (broken / "metrics.json").write_text('{"models": ')
    with pytest.raises(DataError) as e:
        mlplab.load_run(broken)
    _one_line(e, "broken/metrics.json", "not valid JSON")
    (broken / "metrics.json").write_text('{"models": [1, 2]}')
    with pytest.raises(DataError) as e:
        mlplab.load_run(broken)
    _one_line(e, "broken/metrics.json")


def test_run_and_model_errors(run, tmp_path):
    with pytest.raises(ExperimentError) as e:
        mlplab.run("no-such-experiment", out=tmp_path)
    _one_line(e, "unknown experiment 'no-such-experiment'; choose one of activations-depth, "
                 "auto-mpg")
    with pytest.raises(ExperimentError) as e:
        mlplab.run("auto-mpg", epochs=0, out=tmp_path)
    _one_line(e, "--epochs must be at least 1")
    assert not list(tmp_path.iterdir())          # nothing was written
    with pytest.raises(UsageError) as e:
        run.history_frame("mpl")
    _one_line(e, "model 'mpl'", "choose one of linear, mlp")
    with pytest.raises(UsageError) as e:
        run.predict(np.zeros((1, 9)), model="mpl")
    _one_line(e, "model 'mpl'", "choose one of linear, mlp")


def test_import_mlplab_stays_light():
    code = ("import sys, mlplab; heavy = [m for m in ('numpy', 'mlplab.notebook', 'pandas', "
            "'rich') if m in sys.modules]; print(heavy); "
            "print(mlplab.run.__module__, mlplab.load_run.__module__, 'run' in dir(mlplab))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[:2] == ["[]", "mlplab.notebook mlplab.notebook True"]
    with pytest.raises(AttributeError, match="no attribute 'nonesuch'"):
        mlplab.nonesuch  # noqa: B018


def test_a_run_gives_back_the_sessions_matplotlib_backend(tmp_path):
    """The run's figures switch matplotlib to Agg; a session that plotted with another
    backend has it again afterwards (a notebook: its inline figures)."""
    code = ("import matplotlib; matplotlib.use('svg'); import matplotlib.pyplot; import mlplab; "
            f"mlplab.run('xor', epochs=2, out={str(tmp_path)!r}, progress=False); "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "svg", out.stderr


# ---- progress in a notebook ---------------------------------------------------------------
class Displays:
    """Stands in for IPython.display.display (the real one needs a kernel: the tour's test
    runs it there); records what each display showed, in order."""

    def __init__(self):
        self.shown: list[list[str]] = []

    def __call__(self, data, raw, display_id):
        assert raw and display_id is True
        self.shown.append([data["text/plain"]])
        frames = self.shown[-1]

        class Handle:
            def update(self, data, raw):
                assert raw
                frames.append(data["text/plain"])

        return Handle()


def test_progress_console_outside_a_kernel_is_the_trainers_own():
    assert progress_console() is None
    assert progress_console("TerminalInteractiveShell") is None


def test_notebook_bars_redraw_one_display_per_fit(tmp_path):
    from mlplab.experiments import load_experiment, run_experiment
    from mlplab.experiments.config import with_overrides

    shown = Displays()
    console = progress_console("ZMQInteractiveShell", display=shown)
    assert isinstance(console.file, BarDisplay) and console.is_terminal
    assert not console.is_jupyter and console.color_system is None
    exp = with_overrides(load_experiment("auto-mpg"), epochs=4)
    run_experiment(exp, tmp_path, progress=True, console=console)
    assert len(shown.shown) == 2 and console.file.frames == sum(map(len, shown.shown))
    for name, frames in zip(("linear", "mlp"), shown.shown):
        first, last = frames[0], frames[-1]
        assert first.startswith(f"{name} epochs") and "0/4" in first
        # the final frame stays: both bars complete, the last epoch's losses
        lines = last.split("\n")
        assert len(lines) == 2 and lines[0].startswith(f"{name} epochs ━")
        assert "4/4" in lines[0] and "val_loss" in lines[0]
        assert lines[1].startswith("  batches") and "10/10" in lines[1]
        assert all("\x1b" not in f and "\r" not in f for f in frames)
        assert all(line == line.rstrip() for f in frames for line in f.split("\n"))

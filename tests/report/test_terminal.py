"""What a terminal, a pipe and a log show of a run: tables that fit the width without cutting a
number, progress as log lines when the output is not a terminal, ETA in the bars, NO_COLOR.

The runs are real `mlplab` processes with COLUMNS set and stdout a pipe (or a pseudo-terminal
for the bars), as a user's shell or notebook starts them."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console

from mlplab.report.tables import comparison, fit_layout, fitted_tables, table_width
from mlplab.train import Trainer, build_engine
from mlplab.train.callbacks import ProgressBar, clock

MLPLAB = [sys.executable, "-m", "mlplab.cli"]

SEVEN = """
name = "seven"
description = "seven models on iris, for the terminal's width"

[[data]]
name = "iris"
preprocess = "standardize"
val_fraction = 0.25
eval = ["val", "test"]

[defaults]
loss = "cross_entropy"
optimizer = "adam"
lr = 0.01
epochs = 3
batch_size = 16
"""
MODELS = {"softmax": "4-3", "mlp-8-relu": "4-8-relu-3", "mlp-64-relu": "4-64-relu-3",
          "mlp-256-128-tanh": "4-256-tanh-128-tanh-3",
          "mlp-32-32-sigmoid": "4-32-sigmoid-32-sigmoid-3", "mlp-512-gelu": "4-512-gelu-3",
          "mlp-16-16-16-silu": "4-16-silu-16-silu-16-silu-3"}


def mlplab(*args, columns: int, env: dict | None = None) -> str:
    """Run the command with stdout a pipe and COLUMNS set; its stdout and stderr."""
    environment = {**os.environ, "COLUMNS": str(columns), **(env or {})}
    environment.pop("FORCE_COLOR", None)
    res = subprocess.run([*MLPLAB, *map(str, args)], capture_output=True, text=True,
                         env=environment, timeout=600)
    assert res.returncode == 0, res.stdout + res.stderr
    return res.stdout + res.stderr


def run_folder(out: Path) -> Path:
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return folder


def table_cells(output: str) -> list[list[str]]:
    """The body rows of every table in the output, as lists of stripped cells."""
    return [[c.strip() for c in line.strip("│").split("│")] for line in output.splitlines()
            if line.startswith("│")]


def check_fits(output: str, folder: Path, width: int) -> None:
    """No line wider than ``width`` (but the report's path, which is never broken); every
    cell of the comparison appears whole in a printed row of its model; the path is
    absolute."""
    report = str((folder / "report.html").resolve())
    assert Path(report).is_absolute() and Path(report).is_file()
    assert f"report: {report}" in output or f"report:\n{report}" in output
    for line in output.splitlines():
        assert len(line) <= width or line == report or line == f"report: {report}", line
    header, rows = comparison(json.loads((folder / "metrics.json").read_text()))
    printed = table_cells(output)
    for row in rows:
        mine = [r for r in printed if r[0] == row[0]]
        assert mine, row[0]
        cells = {c for r in mine for c in r[1:]}
        for value in row[1:]:
            assert value in cells, (row[0], value, mine)   # whole: a cut cell would differ


@pytest.mark.parametrize("columns", [80, 120])
def test_nonlinear_fits_and_logs_progress(tmp_path, columns):
    out = mlplab("run", "nonlinear", "--epochs", 2, "--out", tmp_path, columns=columns)
    check_fits(out, run_folder(tmp_path), columns)
    lines = out.splitlines()
    assert lines[0].startswith("softmax ")     # no blank lines before the first log line
    assert "" not in lines[:lines.index(next(x for x in lines if x.strip().startswith("┏")))]
    log = re.compile(r"^(softmax|mlp) (epoch )?(\d+)/2: loss [\d.e+-]+ acc [\d.]+% "
                     r"\(\d+:\d\d( elapsed)?, ETA (\d+:\d\d|\?)\)$")
    seen = {(m[1], m[3]) for m in map(log.match, lines) if m}
    # the first and the last epoch of each model are always logged
    assert {("softmax", "1"), ("softmax", "2"), ("mlp", "1"), ("mlp", "2")} <= seen


@pytest.mark.parametrize("columns", [80, 120])
def test_auto_mpg_fits(tmp_path, columns):
    out = mlplab("run", "auto-mpg", "--epochs", 3, "--out", tmp_path, "-q", columns=columns)
    folder = run_folder(tmp_path)
    check_fits(out, folder, columns)
    # 80 columns: the comparison (125 wide) is split, and says so
    assert ("(split to fit 80 columns" in out) == (columns == 80)
    assert "val R²" in out and "best@epoch" in out


@pytest.mark.parametrize("columns", [80, 120])
def test_seven_classifiers_with_three_splits_fit(tmp_path, columns):
    toml = tmp_path / "seven.toml"
    toml.write_text(SEVEN + "".join(f'\n[[models]]\nname = "{n}"\nspec = "{s}"\n'
                                    for n, s in MODELS.items()))
    out = mlplab("run", toml, "--out", tmp_path / "runs", "-q", columns=columns)
    folder = run_folder(tmp_path / "runs")
    check_fits(out, folder, columns)
    metrics = json.loads((folder / "metrics.json").read_text())
    assert list(metrics["models"]) == list(MODELS)
    for name in MODELS:   # every model's name is in each of the split tables
        assert sum(r[0] == name for r in table_cells(out)) >= 2


def test_piped_training_logs_the_required_fields(tmp_path):
    """A regression run piped: each log line names model, epoch, losses, metric, elapsed
    time and ETA; no blank lines anywhere before the table."""
    out = mlplab("run", "auto-mpg", "--epochs", 4, "--out", tmp_path, columns=100)
    lines = out.splitlines()
    logs = lines[:next(i for i, x in enumerate(lines) if "auto-mpg (seed 0)" in x)]
    assert len(logs) >= 4   # at least the first and last epoch of both models
    for line in logs:
        assert re.match(r"^(linear|mlp) epoch \d/4: loss [\d.]+ R² -?[\d.]+, val loss [\d.]+ "
                        r"R² -?[\d.]+ \(\d+:\d\d elapsed, ETA \d+:\d\d\)$", line), line


def test_terminal_bars_show_eta_and_no_colour_with_no_color(tmp_path):
    """In a (pseudo-)terminal: rich bars with ETA; NO_COLOR leaves no colour codes."""
    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": "80", "NO_COLOR": "1"}
    env.pop("FORCE_COLOR", None)
    proc = subprocess.Popen([*MLPLAB, "run", "auto-mpg", "--epochs", "5", "--out", str(tmp_path)],
                            stdout=child, stderr=child, env={k: str(v) for k, v in env.items()})
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:   # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait(timeout=600) == 0
    os.close(main)
    text = b"".join(chunks).decode()
    assert "ETA" in text and "epochs" in text                    # the bars were drawn
    colours = re.findall(r"\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|38;[25]|4[0-7]|48;[25])"
                         r"[0-9;]*m", text)
    assert colours == []
    assert "(split to fit 80 columns" in text


# -- the layout itself ---------------------------------------------------------------------

def metrics_of(models: dict) -> dict:
    return {"experiment": "x", "seed": 0, "models": models}


def test_layout_keeps_every_column_whole_at_any_width():
    rng = np.random.default_rng(0)
    models = {f"model-{i}-{'w' * i}": {
        "params": int(rng.integers(10, 10**7)), "status": "ok", "epochs": 100,
        "seconds": float(rng.uniform(0, 999)), "best": {"epoch": 7, "loss": 0.0123456},
        **{s: {"loss": float(rng.uniform(0, 5)), "accuracy": float(rng.uniform())}
           for s in ("train", "val", "test")}} for i in range(7)}
    header, rows = comparison(metrics_of(models))
    for width in (30, 40, 60, 80, 100, 120, 200):
        layout, widths = fit_layout(header, rows, width)
        assert sorted(j for cols in layout for j in cols[1:]) == list(range(1, len(header)))
        for cols in layout:
            assert cols[0] == 0 and table_width([widths[j] for j in cols]) <= width
        for j in range(1, len(header)):   # number columns are never narrowed
            assert widths[j] >= max(len(r[j]) for r in rows)
        console = Console(file=io.StringIO(), width=width)
        for t in fitted_tables(header, rows, width):
            console.print(t)
        text = console.file.getvalue()
        assert max(len(x) for x in text.splitlines()) <= width
        for r in rows:
            for cell in r[1:]:
                assert f" {cell} " in text, (width, cell)


def test_a_table_that_fits_is_one_table():
    header, rows = comparison(metrics_of({"a": {"params": 3, "status": "ok", "epochs": 1,
                                                "seconds": 0.1, "train": {"loss": 1.0}}}))
    assert fit_layout(header, rows, 80)[0] == [list(range(len(header)))]
    assert len(fitted_tables(header, rows, 80)) == 1


def test_progress_log_lines_without_a_terminal():
    """The first and last epochs are logged, with both splits, time elapsed and ETA."""
    X = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    console = Console(file=io.StringIO(), width=100)
    engine = build_engine("numpy", spec="2-3", loss="cross_entropy", optimizer="sgd", lr=0.1,
                          seed=0)
    t = Trainer(engine, epochs=3, batch_size=16, console=console, label="m")
    t.fit((X, y), {"val": (X, y)})
    assert next(cb for cb in t.callbacks if isinstance(cb, ProgressBar)).p is None
    lines = console.file.getvalue().splitlines()
    assert lines[0].startswith("m epoch 1/3: loss ") and lines[-1].startswith("m epoch 3/3: ")
    for line in lines:
        assert re.match(r"^m epoch [123]/3: loss [\d.]+ acc [\d.]+%, val loss [\d.]+ acc "
                        r"[\d.]+% \(\d:\d\d elapsed, ETA \d:\d\d\)$", line), line


def test_clock():
    assert [clock(s) for s in (0, 59.4, 75.2, 3725, float("nan"))] == \
        ["0:00", "0:59", "1:15", "1:02:05", "?"]

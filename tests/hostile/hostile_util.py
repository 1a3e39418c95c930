"""Helpers of the hostile-input tests: the CLI in-process and as a subprocess, a snapshot
of the files under a folder, a small experiment on the course's spiral."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mlplab.cli import app

_runner = CliRunner()


def invoke(*args):
    """``mlplab ARGS`` in this process: (exit code, stdout + stderr)."""
    res = _runner.invoke(app, [str(a) for a in args])
    return res.exit_code, res.output


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error:")]


def one_error(code: int, output: str, *parts: str) -> str:
    """Assert exit code 2, no traceback and exactly one ``error:`` line holding every part;
    return that line."""
    assert code == 2, output
    assert "Traceback" not in output, output
    (line,) = error_lines(output)
    for part in parts:
        assert part in line, (part, line)
    return line


def write_csv(path: Path, header: str, rows) -> Path:
    """``header`` and one line per row into ``path``; returns ``path``."""
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def files_under(folder: Path) -> set[str]:
    """Every path under ``folder`` (hidden ones too), relative, as strings."""
    return {str(p.relative_to(folder)) for p in Path(folder).rglob("*")}


def mlplab_process(*args, **kwargs) -> subprocess.Popen:
    """``python -m mlplab.cli ARGS`` as a child process with unbuffered pipes."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "mlplab.cli", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                            **kwargs)


SPIRAL_TOML = """name = "{name}"
description = "two models on the spiral: the second trains long enough to be stopped"

[[data]]
name = "nonlinear"
preprocess = "none"

[defaults]
loss = "cross_entropy"
optimizer = "sgd"
lr = 0.1
batch_size = 32

[[models]]
name = "first"
spec = "2-3"
epochs = {first}

[[models]]
name = "second"
spec = "2-16-relu-3"
epochs = {second}
"""


def spiral_experiment(folder: Path, name: str = "spiral", first: int = 3,
                      second: int = 3) -> Path:
    """A two-model experiment file on the course's spiral (no download)."""
    path = folder / f"{name}.toml"
    path.write_text(SPIRAL_TOML.format(name=name, first=first, second=second))
    return path

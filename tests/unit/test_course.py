"""The course map: every experiment and worked example belongs to a unit, every name in it
exists, docs/course.md is its Markdown, and the quiz's commands show their answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from mlplab.cli import app
from mlplab.course import QUIZ, UNITS, markdown
from mlplab.experiments.config import available
from mlplab.explain.presets import PRESETS

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_every_experiment_and_preset_is_in_a_unit_and_every_name_exists():
    experiments = {name for name, _ in available()}
    named = {e for u in UNITS for e in u.experiments}
    assert named <= experiments and experiments <= named
    presets = {p for u in UNITS for p in u.presets}
    assert presets == set(PRESETS)
    assert [u.code for u in UNITS] == ["000", "001", "002", "003", "004"]


def test_docs_course_md_is_the_map():
    assert (ROOT / "docs" / "course.md").read_text() == markdown()


def test_the_quiz_commands_show_their_answers():
    out = runner.invoke(app, QUIZ[0].command.split()[1:]).output
    assert "Trainable params: 32" in out and QUIZ[0].answer == "c) 32"
    res = runner.invoke(app, QUIZ[1].command.split()[1:])
    assert res.exit_code == 2 and "must be flattened before Linear" in res.output
    out = runner.invoke(app, QUIZ[5].command.split()[1:]).output
    assert "Trainable params" in out


def test_the_command_prints_within_80_columns_and_stops_quietly_on_a_closed_pipe():
    res = runner.invoke(app, ["course"])
    assert res.exit_code == 0 and "Unit 004" in res.output
    assert max(len(line) for line in res.output.splitlines()) <= 80
    code = "from mlplab.cli import app; app(['course'])"
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    p.stdout.close()   # the reader is gone before the first line, as `| head -0` does
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141 and "Traceback" not in err and err == ""


def test_every_figure_the_map_shows_is_in_docs_img():
    for u in UNITS:
        for file, _ in u.images:
            assert (ROOT / "docs" / "img" / file).read_bytes()[:4] == b"\x89PNG", file

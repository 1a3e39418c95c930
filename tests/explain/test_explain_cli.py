"""``mlplab explain`` through typer, registered as the main CLI registers it."""

import json
import re
import shutil
import subprocess

import pytest
import typer
from typer.testing import CliRunner

from mlplab.explain import PRESETS, get_preset
from mlplab.explain.cli import explain
from mlplab.explain.render import render

app = typer.Typer()
app.command()(explain)


@app.command()
def other():  # a second command, so that typer keeps "explain" as a subcommand
    """Placeholder."""


runner = CliRunner()


def run(*args):
    return runner.invoke(app, ["explain", *args])


def test_bce_step_example_prints_the_worked_numbers():
    res = run("--example", "bce-step")
    assert res.exit_code == 0, res.output
    for value in ("0.5449", "0.7872", "0.0946", "0.0891", "0.0782", "0.0455"):
        assert value in res.stdout
    assert res.stdout == render(get_preset("bce-step").build(1), "text", width=80)


def test_a_spec_of_the_users_choice():
    res = run("2-2-relu-1-sigmoid", "--x", "1,2", "--y", "0", "--weights", "0.1")
    assert res.exit_code == 0, res.output
    assert "L     = bce(a^[2], y)" in res.stdout and "0.7872" in res.stdout
    res = run("2-3-tanh-3", "--x", "1.5,0.2;4.7,1.6", "--y", "0;2", "--steps", "3",
              "--lr", "0.05", "--precision", "3", "--format", "markdown")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# mlplab explain 2-3-tanh-3")
    assert "## Step 3" in res.stdout and "| after step 3 |" in res.stdout


@pytest.mark.parametrize("name", list(PRESETS))
def test_latex_output_is_well_formed(name):
    res = run("--example", name, "--format", "latex")
    assert res.exit_code == 0, res.output
    tex = res.stdout
    assert tex.isascii()
    depth = 0
    for ch in tex.replace(r"\{", "").replace(r"\}", ""):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0
    assert depth == 0
    envs = re.findall(r"\\(begin|end)\{(\w+\*?)\}", tex)
    stack = []
    for kind, env in envs:
        if kind == "begin":
            stack.append(env)
        else:
            assert stack.pop() == env
    assert not stack
    assert tex.count(r"\left") == tex.count(r"\right")
    for block in re.findall(r"\\begin\{align\*\}(.*?)\\end\{align\*\}", tex, re.S):
        assert all(line.count("&=") == 1 for line in block.strip().split("\\\\\n"))


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no pdflatex on this machine")
def test_latex_output_compiles(tmp_path):
    body = "\n".join(run("--example", n, "--format", "latex").stdout for n in PRESETS)
    (tmp_path / "doc.tex").write_text("\\documentclass{article}\n\\usepackage{amsmath}\n"
                                      "\\begin{document}\n" + body + "\\end{document}\n")
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "doc.tex"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:]


def _weights(tmp_path, state):
    path = tmp_path / "w.json"
    path.write_text(json.dumps(state))
    return str(path)


@pytest.mark.parametrize("args, message", [
    (["2-2-relu-1", "--x", "1,a", "--y", "0"], "--x '1,a': 'a' is not a number"),
    (["2-2-relu-1", "--x", "1,2,3", "--y", "0"], "sample 1 has 3 feature(s), but 2-2-relu-1 "
                                                 "takes 2"),
    (["2-2-relu-3", "--x", "1,2", "--y", "3"], "class indices must be integers from 0 to 2"),
    (["2-2-relu-1-sigmoid", "--x", "1,2", "--y", "2"], "bce targets must be 0 or 1"),
    (["2-2-relu-1", "--x", "1,2;3,4", "--y", "0"], "expected 2 sample(s)"),
    (["--example", "nope"], "unknown example 'nope'; choose one of standardize, bce-step"),
    (["--example", "petal", "--lr", "0.5"], "drop --lr"),
    (["--example", "sigmoid-net", "--steps", "2"], "shows one step"),
    (["4-64-relu-3", "--x", "1,2,3,4", "--y", "0"], "4-64-relu-3 has 515 parameters"),
    (["2-2-relu-1", "--x", "1,2", "--y", "0", "--loss", "hinge"], "unknown loss 'hinge'"),
    (["2-2-relu-1", "--x", "1,2", "--y", "0", "--format", "pdf"], "unknown --format 'pdf'"),
    (["2-2-relu-1", "--x", "1,2", "--y", "0", "--steps", "0"], "--steps must be from 1"),
    (["2-2-relu-1", "--x", "1,2", "--y", "0", "--lr", "-1"], "--lr must be a positive"),
    (["2-2-relu-1", "--y", "0"], "needs --x and --y"),
    ([], "give a SPEC"),
    (["2-2-bogus", "--x", "1,2", "--y", "0"], "unknown layer 'bogus'"),
    (["2-2-softmax", "--x", "1,2", "--y", "0"], "not Softmax"),
    (["2-2-relu-1", "--x", "1,2", "--y", "0", "--weights", "0.1", "--weights-file", "w.json"],
     "not both"),
])
def test_bad_input_is_one_error_line_and_exit_2(args, message):
    res = run(*args)
    assert res.exit_code == 2
    assert res.stdout == ""
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert message in lines[0]


def test_weights_file_with_wrong_shapes(tmp_path):
    path = _weights(tmp_path, {"0.weight": [[0.1, 0.1, 0.1]], "0.bias": [0.1],
                               "2.weight": [[0.1]], "2.bias": [0.1]})
    res = run("2-2-relu-1", "--x", "1,2", "--y", "0", "--weights-file", path)
    assert res.exit_code == 2
    assert res.stderr.startswith("error: --weights-file does not fit 2-2-relu-1: "
                                 "state_dict['0.weight'] has shape (1, 3)")


def test_softmax_step_prints_five_decimals_unless_told():
    res = run("--example", "softmax-step")
    assert "[[0.15374, 0.14626], [0.32687, 0.37313]]" in res.stdout
    assert "[[0.10537, 0.19463], [0.30269, 0.39731]]" in res.stdout
    res = run("--example", "softmax-step", "--precision", "2")
    assert "[[0.15, 0.15], [0.33, 0.37]]" in res.stdout
    res = run("--example", "softmax-step", "--precision", "13")
    assert res.exit_code == 2 and "--precision must be from 0 to 12" in res.stderr

"""The CLI's one error boundary, driven as a user drives it: an error the user can fix
(an :class:`mlplab.errors.MlplabError`) is one red line on stderr and exit code 2; anything
else is a bug: its traceback, one line asking to report it (with the version), exit code 1."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mlplab import __version__
from mlplab.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def user_error(*args) -> str:
    """Run the CLI on a mistake; check exit 2, nothing on stdout, one line on stderr."""
    res = invoke(*args)
    assert res.exit_code == 2, res.output
    assert res.stdout == "", res.stdout
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    return lines[0]


def test_unknown_names_share_one_wording(tmp_path):
    assert user_error("run", "mnist-deep", "--out", tmp_path).startswith(
        "error: unknown experiment 'mnist-deep'; choose one of activations-depth, auto-mpg, ")
    assert user_error("run", "xor", "--engine", "jax", "--out", tmp_path, "-q") == (
        "error: unknown engine 'jax'; choose one of numpy, torch")
    assert user_error("data", "show", "fashion").startswith(
        "error: unknown data set 'fashion'; choose one of auto-mpg, ")
    assert not any(tmp_path.iterdir())


def test_each_kind_of_user_error_is_one_line_naming_the_culprit(tmp_path):
    assert "model spec '4-bogus-3': unknown layer 'bogus'" in user_error("summary", "4-bogus-3")
    assert "Invalid noise: -1" in user_error("data", "show", "moons", "--set", "noise=-1")
    bad = tmp_path / "bad.toml"
    bad.write_text("name = 'bad'\n[[models\n")
    assert user_error("run", bad).startswith(f"error: {bad}: not valid TOML")
    missing = tmp_path / "nothere.csv"
    assert user_error("train", missing, "--out", tmp_path / "runs") == (
        f"error: {missing}: no such file or folder; check the path")


def test_run_folder_mistakes_are_one_line(tmp_path):
    nowhere = tmp_path / "nowhere"
    line = user_error("predict", nowhere, tmp_path / "new.csv")
    assert line.startswith(f"error: {nowhere}: not a run folder")
    assert user_error("report", nowhere).startswith(f"error: {nowhere}: not a run folder")
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / "config.json").write_text('{"models": []}')
    (damaged / "metrics.json").write_text("{")
    assert user_error("report", damaged).startswith(
        f"error: {damaged / 'metrics.json'}: not valid JSON")
    (damaged / "config.json").write_text("{not json")
    assert user_error("predict", damaged, tmp_path / "new.csv").startswith(
        f"error: {damaged / 'config.json'}: not valid JSON")


def test_spec_that_does_not_fit_the_data_is_a_user_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\ndescription = "x"\n[[data]]\nname = "iris"\n'
                   '[[models]]\nname = "wrong"\nspec = "5-3"\nloss = "cross_entropy"\n'
                   'optimizer = "sgd"\nlr = 0.1\nepochs = 1\nbatch_size = 8\n')
    # the first forward is the diagnosis's look at the initial weights on the 105 training
    # rows (mlplab.train.callbacks.WorseThanStart), before the first batch of 8
    assert "expected input of shape (N, 5), got (105, 4)" in user_error(
        "run", bad, "--out", tmp_path / "runs", "-q")


def test_a_bug_shows_its_traceback_and_asks_for_a_report(monkeypatch):
    import mlplab.experiments

    def broken():
        raise RuntimeError("table of experiments is broken")

    monkeypatch.setattr(mlplab.experiments, "available", broken)
    res = invoke("list")
    assert res.exit_code == 1
    err = res.stderr
    assert err.startswith("Traceback (most recent call last):")
    assert "RuntimeError: table of experiments is broken" in err
    last = err.splitlines()[-1]
    assert f"mlplab {__version__} hit a bug" in last and "please report it" in last
    assert "error:" not in err


def test_typer_usage_errors_and_help_pass_the_boundary_unchanged():
    res = runner.invoke(app, ["run"])
    assert res.exit_code == 2 and "missing argument 'name'" in res.output.lower()
    res = runner.invoke(app, ["nope"])
    assert res.exit_code == 2 and "No such command 'nope'" in res.output
    assert runner.invoke(app, ["run", "--help"]).exit_code == 0


def _python(code: str, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def test_in_a_real_process(tmp_path):
    res = subprocess.run([sys.executable, "-m", "mlplab.cli", "summary", "4-bogus-3"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 2 and res.stdout == ""
    assert res.stderr.startswith("error: model spec '4-bogus-3'") and \
        len(res.stderr.splitlines()) == 1
    res = _python("import mlplab.experiments as e\n"
                  "e.available = lambda: 1 / 0\n"
                  "from mlplab.cli import app\n"
                  "app(['list'])")
    assert res.returncode == 1
    assert "ZeroDivisionError: division by zero" in res.stderr
    assert "please report it" in res.stderr.splitlines()[-1]


def test_torch_missing_is_one_line_for_engine_torch(tmp_path):
    # torch cannot be uninstalled for a test: a None entry in sys.modules makes `import torch`
    # fail exactly as it does where torch is absent
    res = _python("import sys\n"
                  "sys.modules['torch'] = None\n"
                  "from mlplab.cli import app\n"
                  "app(sys.argv[1:])",
                  "run", "xor", "--engine", "torch", "--epochs", "1", "--out", str(tmp_path), "-q")
    assert res.returncode == 2, res.stderr
    (line,) = res.stderr.splitlines()
    assert line.startswith("error: ") and "pip install 'mlplab[torch]'" in line


@pytest.fixture(scope="module")
def xor_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs")
    res = invoke("run", "xor", "--epochs", 1, "--out", out, "-q")
    assert res.exit_code == 0, res.output
    (folder,) = out.iterdir()
    return folder


@pytest.mark.parametrize("status, outcome, printed", [
    ("ok", "ok", False), ("ok", "early_stopped", False), ("ok", "worse_than_start", True),
    ("diverged", "diverged", True), ("interrupted", "interrupted", True),
    ("ok", None, False), ("diverged", None, True),   # a metrics.json from before "outcome"
])
def test_the_table_notes_a_model_by_its_outcome_not_its_wording(xor_run, status, outcome,
                                                                  printed):
    path = xor_run / "metrics.json"
    metrics = json.loads(path.read_text())
    info = next(iter(metrics["models"].values()))
    info.pop("outcome", None)
    info.update(status=status, message="the sentence of the outcome")
    if outcome is not None:
        info["outcome"] = outcome
    path.write_text(json.dumps(metrics))
    res = invoke("report", xor_run)
    assert res.exit_code == 0, res.output
    assert (f"{status}: the sentence of the outcome" in res.stdout) is printed

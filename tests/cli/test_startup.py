"""The CLI starts light: importing it, ``--version`` and ``--help`` load none of the numerics
(the sub-apps are imported when named), and every command still lists and explains itself."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mlplab import cli

HEAVY = ("numpy", "scipy", "matplotlib", "torch", "sklearn", "pandas", "mlplab.explain",
         "mlplab.data", "mlplab.nn", "mlplab.train", "mlplab.experiments", "mlplab.report")

runner = CliRunner()


def modules_loaded_by(*argv: str) -> list[str]:
    """The HEAVY modules in sys.modules after importing mlplab.cli and running ``argv`` with it,
    in a fresh interpreter."""
    code = ("import json, sys\n"
            "from mlplab.cli import app\n"
            "try:\n"
            "    app(sys.argv[1:]) if len(sys.argv) > 1 else None\n"
            "except SystemExit:\n"
            "    pass\n"
            f"heavy = {HEAVY!r}\n"
            "under = tuple(h + '.' for h in heavy)\n"
            "print(json.dumps(sorted(m for m in sys.modules\n"
            "                        if m in heavy or m.startswith(under))))")
    res = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.splitlines()[-1])


@pytest.mark.parametrize("argv", [(), ("--version",), ("--help",)])
def test_start_up_imports_nothing_heavy(argv):
    assert modules_loaded_by(*argv) == []


def test_a_sub_app_is_imported_when_named():
    assert "mlplab.explain" in modules_loaded_by("explain", "--help")
    loaded = modules_loaded_by("data", "--help")
    assert "mlplab.data" in loaded and "mlplab.explain" not in loaded


def test_help_lists_every_command_and_each_explains_itself():
    res = runner.invoke(cli.app, ["--help"])
    assert res.exit_code == 0
    names = ["summary", "list", "run", "report", "results", "train", "predict", "plot", "data",
             "explain"]
    for name in names:
        assert f" {name} " in res.output, name
        sub = runner.invoke(cli.app, [name, "--help"])
        assert sub.exit_code == 0, (name, sub.output)
        assert f"Usage: mlplab {name} " in sub.output
    for name, sub_args in (("data", ["list"]), ("data", ["show"]), ("plot", ["activations"])):
        sub = runner.invoke(cli.app, [name, *sub_args, "--help"])
        assert sub.exit_code == 0 and f"Usage: mlplab {name} {sub_args[0]} " in sub.output


@pytest.mark.parametrize("name", list(cli._LAZY))
def test_the_help_line_of_a_lazy_command_is_its_own(name):
    """The line ``mlplab --help`` prints without importing a sub-app is the one the sub-app
    states itself (its typer help or the command's docstring), so the two cannot drift."""
    own = cli._load(name).help
    assert " ".join(own.split("\n\n")[0].split()) == cli._LAZY[name][1]

"""Honest diagnoses (issue 13, class 5).

* "training loss ended above where it started" compares like with like (the initial and the
  final weights' loss on the same rows, evaluated the same way), so it stays quiet on healthy
  short runs, and computing it changes no number of a run;
* a loss that explodes but stays finite (lr 1e9) is "diverged", with a message naming the lr;
* messages keep their brackets in the terminal (``[nan, nan]`` is not rich markup), and
  user-supplied names are escaped in report.md and report.html and shown as written in the
  terminal table.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from hostile_util import invoke

from mlplab import data
from mlplab.train import NumpyEngine, Trainer
from mlplab.train.callbacks import WorseThanStart
from mlplab.train.history import Outcome

# (data set, spec, optimizer, lr, epochs, batch size): short runs of the course's settings
HEALTHY = [
    ("nonlinear", "2-16-relu-3", "sgd", 0.1, 1, 32),
    ("nonlinear", "2-16-relu-3", "sgd", 0.1, 2, 32),
    ("nonlinear", "2-64-relu-3", "adam", 0.01, 1, 16),
    ("xor", "2-2-tanh-2", "sgd", 0.5, 1, 8),
    ("moons", "2-32-relu-2", "adam", 0.001, 1, 32),
    ("circles", "2-8-tanh-2", "sgd", 0.1, 3, 64),
    ("iris", "4-16-relu-3", "adam", 0.01, 2, 16),
]


def _fit(name, spec, opt, lr, epochs, batch, seed, without_diagnosis=False):
    ds = data.load(name, seed=0)
    idx = ds.splits["train"]
    engine = NumpyEngine.from_spec(spec, "cross_entropy", opt, lr, seed=seed)
    t = Trainer(engine, epochs=epochs, batch_size=batch, seed=seed, progress=False)
    if without_diagnosis:
        t.callbacks = [cb for cb in t.callbacks if not isinstance(cb, WorseThanStart)]
    h = t.fit((ds.X[idx], ds.y[idx]))
    return h, engine.state_dict()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("case", HEALTHY, ids=lambda c: f"{c[0]}-{c[1]}-{c[2]}-{c[4]}ep")
def test_healthy_short_runs_are_ok_and_the_diagnosis_changes_no_number(case, seed):
    h, weights = _fit(*case, seed)
    assert h.status == Outcome.OK, h.message
    assert h.message == ""
    bare, bare_weights = _fit(*case, seed, without_diagnosis=True)
    assert h.records == [{**r, "seconds": h.records[i]["seconds"]}
                         for i, r in enumerate(bare.records)]
    assert weights.keys() == bare_weights.keys()
    for k in weights:
        np.testing.assert_array_equal(weights[k], bare_weights[k])


def test_the_first_batch_alone_is_not_the_reference():
    """The case of the probe: a run whose first batch's loss is below the first epoch's mean
    (by the luck of that batch) but whose weights end far better than they started."""
    ds = data.load("nonlinear", seed=0)
    for seed in range(6):
        engine = NumpyEngine.from_spec("2-16-relu-3", "cross_entropy", "sgd", 0.1, seed=seed)
        t = Trainer(engine, epochs=1, batch_size=32, seed=seed, progress=False)
        start = t.evaluate(ds.X, ds.y)["loss"]
        h = t.fit((ds.X, ds.y))
        end = t.evaluate(ds.X, ds.y)["loss"]
        assert end < start
        assert h.status == Outcome.OK, (seed, h.message)


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop", "adagrad"])
def test_an_exploding_loss_is_diverged_and_names_the_lr(opt):
    ds = data.load("nonlinear", seed=0)
    engine = NumpyEngine.from_spec("2-16-relu-3", "cross_entropy", opt, 1e9, seed=0)
    with np.errstate(all="ignore"):
        h = Trainer(engine, epochs=5, batch_size=32, progress=False).fit((ds.X, ds.y))
    assert h.status == Outcome.DIVERGED, h.message
    assert "lr is 1e+09" in h.message and "lower the learning rate" in h.message


def _write_toml(folder, name, lr):
    path = folder / "boom.toml"
    path.write_text(f"""name = "boom"
description = "a model name with markup and an exploding learning rate"

[[data]]
name = "nonlinear"
preprocess = "none"

[[models]]
name = {json.dumps(name)}
spec = "2-16-relu-3"
loss = "cross_entropy"
optimizer = "sgd"
lr = {lr}
epochs = 2
batch_size = 32
""")
    return path


NAME = "<b>[red]a|b*c*_d_[/red]"


def _unwrapped(output: str) -> str:
    """The terminal output with the console's line wrapping undone (words joined by one
    space): the message is compared as text, wherever the 150 columns broke it."""
    return " ".join(output.split())


@pytest.fixture(scope="module")
def boom(tmp_path_factory):
    folder = tmp_path_factory.mktemp("boom")
    code, output = invoke("run", _write_toml(folder, NAME, "1e9"), "-q", "--out", folder / "runs")
    (run,) = (folder / "runs").iterdir()
    return code, output, run


def test_the_cli_reports_an_exploded_model_as_diverged_with_its_message_intact(boom):
    code, output, run = boom
    assert code == 0, output
    metrics = json.loads((run / "metrics.json").read_text())
    (info,) = metrics["models"].values()
    assert info["status"] == info["outcome"] == "diverged"
    assert "lr is 1e+09" in info["message"]
    # the message as written, its "[lo, hi]" brackets included, after the name as written
    assert f"{NAME} diverged: {info['message']}" in _unwrapped(output)
    assert "inputs range over [" in info["message"]


def test_user_names_are_escaped_in_report_md_and_html(boom):
    _, output, run = boom
    md = (run / "report.md").read_text()
    assert r"\<b\>\[red\]a\|b\*c\*\_d\_\[/red\]" in md
    assert NAME not in md
    # each table row keeps its cell count: the | in the name does not split a cell
    rows = [ln for ln in md.splitlines() if ln.startswith("| \\<b\\>")]
    header = next(ln for ln in md.splitlines() if ln.startswith("| model"))
    assert rows[0].replace("\\|", "").count("|") == header.count("|")
    html = (run / "report.html").read_text()
    assert "&lt;b&gt;[red]a|b*c*_d_[/red]" in html
    assert "<b>[red]" not in html
    assert NAME in output   # the terminal table shows it as written (rich markup escaped)


def test_a_message_with_brackets_survives_the_terminal(boom, tmp_path):
    """The probe: a diverged model's "[nan, nan]" vanished inside rich output."""
    _, _, run = boom
    folder = tmp_path / "run"
    shutil.copytree(run, folder)
    path = folder / "metrics.json"
    metrics = json.loads(path.read_text())
    (info,) = metrics["models"].values()
    message = ("loss became nan at epoch 1, batch 3; inputs range over [nan, nan] and lr is "
               "0.1: lower the learning rate [/bold] [link=x]")
    info["message"] = message
    path.write_text(json.dumps(metrics))
    code, output = invoke("report", folder)
    assert code == 0, output
    assert f"{NAME} diverged: {message}" in _unwrapped(output)
    assert message in (folder / "report.md").read_text().replace("\\", "")
    assert json.loads(path.read_text()) == metrics      # report rewrote only the report

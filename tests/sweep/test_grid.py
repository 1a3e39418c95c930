"""Seed lists, --set parsing and the checks that turn a bad key or value into one line."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mlplab.errors import UsageError
from mlplab.experiments import load_experiment
from mlplab.sweep import grid as G
from mlplab.sweep.core import Plan, check_plan


def test_parse_seeds():
    assert G.parse_seeds("0-9") == list(range(10))
    assert G.parse_seeds("0,3,7") == [0, 3, 7]
    assert G.parse_seeds("0-2, 5,1") == [0, 1, 2, 5]
    for bad in ("3-1", "a", "1-", "-1", ""):
        with pytest.raises(UsageError, match="--seeds"):
            G.parse_seeds(bad)


def test_parse_set_values_are_toml_or_text():
    a = G.parse_set("models.mlp.lr=0.001,1e-2,3")
    assert (a.key, a.values, a.raw) == ("models.mlp.lr", (0.001, 0.01, 3), ("0.001", "1e-2", "3"))
    assert G.parse_set("models.mlp.spec=9-32-relu-1,9-64-tanh-1").values == (
        "9-32-relu-1", "9-64-tanh-1")
    assert G.parse_set("data.eval=[\"val\", \"test\"],[\"val\"]").values == (
        ["val", "test"], ["val"])
    assert G.parse_set("models.mlp.early_stopping={patience = 5},false").values == (
        {"patience": 5}, False)
    for bad in ("models.mlp.lr", "=1", "models.mlp.lr=1,,2", "models.mlp.lr=1,1"):
        with pytest.raises(UsageError, match="--set"):
            G.parse_set(bad)
    with pytest.raises(UsageError, match="given twice"):
        G.parse_sets(["models.mlp.lr=1", "models.mlp.lr=2"])


def test_points_are_the_product_first_key_slowest():
    axes = G.parse_sets(["models.mlp.lr=1,2", "models.mlp.epochs=3,4,5"])
    pts = G.points(axes)
    assert len(pts) == 6
    assert [G.setting_of(axes, p) for p in pts[:3]] == [
        {"models.mlp.lr": 1, "models.mlp.epochs": e} for e in (3, 4, 5)]
    assert G.points([]) == [{}]


def test_apply_sets_model_data_and_top_level_keys():
    exp = load_experiment("auto-mpg")
    e = G.apply(exp, "models.mlp.lr", 0.01)
    assert [m["lr"] for m in e.models] == [0.1, 0.01] and exp.models[1]["lr"] == 0.003
    assert [m["epochs"] for m in G.apply(exp, "models.*.epochs", 7).models] == [7, 7]
    assert G.apply(exp, "data.preprocess", "none").data[0]["preprocess"] == "none"
    assert G.apply(exp, "engine", "torch").engine == "torch"


BAD = [
    ("models.cnn.lr=0.1", "--set models.cnn.lr: unknown model 'cnn'; choose one of linear, mlp"),
    ("models.mlp.learning_rate=0.1", "--set models.mlp.learning_rate: unknown model key "
                                     "'learning_rate'"),
    ("models.lr=0.1", "--set models.lr: a model key is models.<model>.<key>"),
    ("data.shuffle=true", "--set data.shuffle: unknown data key 'shuffle'"),
    ("data.args.rows=3", "--set data.args.rows: unknown auto-mpg argument 'rows'"),
    ("seed=1,2", "--set seed: the seed is not swept with --set; use --seeds"),
    ("optimizer=adam", "--set optimizer: unknown key"),
    ("models.mlp.lr=-1", "--set models.mlp.lr=-1: lr = -1 must be a positive number, e.g. 0.01"),
    ("models.mlp.lr=fast", "--set models.mlp.lr=fast: lr = 'fast' must be a positive number"),
    ("models.mlp.epochs=0", "--set models.mlp.epochs=0: epochs = 0 must be an integer >= 1"),
    ("models.mlp.batch_size=1.5", "--set models.mlp.batch_size=1.5: batch_size = 1.5 must be an "
                                  "integer >= 1"),
    ("models.mlp.l1=-1", "--set models.mlp.l1=-1: l1 = -1 must be a number >= 0, e.g. 0.001"),
    ("models.mlp.l1=abc", "--set models.mlp.l1=abc: l1 = 'abc' must be a number >= 0"),
    ("models.mlp.optimizer=adamax", "--set models.mlp.optimizer=adamax: unknown optimizer "
                                    "'adamax'"),
    ("models.mlp.spec=9-x-1", "--set models.mlp.spec=9-x-1: "),
    ("data.val_fraction=1.5", "--set data.val_fraction=1.5: val_fraction = 1.5 must be a "
                              "number from 0 to below 1"),
    ("engine=jax", "--set engine=jax: unknown engine 'jax'; choose one of numpy, torch"),
]


@pytest.mark.parametrize("text,message", BAD, ids=[b[0] for b in BAD])
def test_bad_keys_and_values_fail_before_anything_runs(text, message):
    plan = Plan(load_experiment("auto-mpg"), [0], G.parse_sets([text]))
    with pytest.raises(UsageError) as e:
        check_plan(plan)
    assert str(e.value).startswith(message)
    assert "\n" not in str(e.value)


def test_plan_options_are_checked():
    exp = load_experiment("auto-mpg")
    axes = G.parse_sets(["models.mlp.lr=0.1"])
    for plan, message in [
        (Plan(exp, [0], axes, model="cnn"), "--model: unknown model 'cnn'"),
        (Plan(exp, [0], axes, metric="mse"), "--metric 'mse': write SPLIT.METRIC"),
        (Plan(exp, [0], axes, metric="test.mse"), "--metric test.mse: a sweep chooses on the "
                                                  "validation split"),
        (Plan(load_experiment("modern"), [0]), "modern is a demo experiment"),
    ]:
        with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
            check_plan(plan)


def test_cli_bad_set_is_one_red_line(tmp_path):
    from mlplab.cli import app

    r = CliRunner().invoke(app, ["sweep", "auto-mpg", "--set", "models.mlp.lr=fast",
                                 "--out", str(tmp_path)])
    assert r.exit_code == 2
    out = r.output.strip()
    assert out == ("error: --set models.mlp.lr=fast: lr = 'fast' must be a positive number, "
                   "e.g. 0.01")
    assert not list(tmp_path.iterdir())          # nothing was written
    r = CliRunner().invoke(app, ["run", "auto-mpg", "--seeds", "4-2", "--out", str(tmp_path)])
    assert r.exit_code == 2
    assert r.output.strip().startswith("error: --seeds '4-2': '4-2' is not a seed or a range")

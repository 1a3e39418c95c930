"""Typed experiment entries: built once when the file is read, attributes with defaults,
config.json written from them with exactly the keys given, changed only by copies."""

import json

from mlplab.experiments import load_experiment
from mlplab.experiments.config import DataEntry, ModelEntry, from_dict, with_overrides
from mlplab.experiments.kinds import DEFAULT_MODEL_KIND, MODEL_KINDS, model_kind


def test_entries_are_typed_with_the_files_values_and_defaults():
    exp = load_experiment("auto-mpg")
    assert isinstance(exp.models, tuple) and all(isinstance(m, ModelEntry) for m in exp.models)
    assert isinstance(exp.data, tuple) and all(isinstance(d, DataEntry) for d in exp.data)
    mlp = exp.models[-1]
    assert (mlp.name, mlp.loss, mlp.epochs) == ("mlp", "mse", 100)
    assert mlp.kind == DEFAULT_MODEL_KIND and mlp.l1 == 0.0 and mlp.trained
    assert "kind" not in mlp and "l1" not in mlp   # defaults are not keys the file gave
    (d,) = exp.data
    assert d.key == "auto-mpg" and d.eval == ["val"] and d.stratify is False


def test_config_json_holds_the_keys_given_in_their_order():
    raw = {"name": "x", "description": "d", "defaults": {"epochs": 3},
           "data": [{"name": "moons", "eval": ["val"], "val_fraction": 0.2}],
           "models": [{"name": "m", "spec": "2-8-tanh-2", "loss": "cross_entropy",
                       "optimizer": "adam", "lr": 0.01, "batch_size": 8},
                      {"name": "h", "spec": "2-2", "loss": "cross_entropy",
                       "weights": {"0.weight": [[1, 0], [0, 1]], "0.bias": [0, 0]}}]}
    exp = from_dict(raw, "x.toml")
    config = json.loads(exp.to_json())
    assert list(config["models"][0]) == ["epochs", "name", "spec", "loss", "optimizer", "lr",
                                         "batch_size"]
    assert list(config["data"][0]) == ["name", "eval", "val_fraction", "args", "preprocess",
                                       "train"]
    assert not exp.models[1].trained and exp.models[1].optimizer is None
    # read back as it was written
    assert from_dict(config, "x.toml").to_json() == exp.to_json()


def test_overrides_make_new_entries_and_leave_the_old_ones():
    exp = load_experiment("xor")
    shorter = with_overrides(exp, epochs=2)
    assert all(m.epochs == 2 for m in shorter.models if m.trained)
    # a hand-set network is not trained: it keeps what [defaults] gave it
    assert [m.epochs for m in shorter.models if not m.trained] == [500]
    assert exp.models[-1].epochs == 500 and exp.models[2].epochs == 3000
    moved = exp.models[0].with_(lr=0.5)
    assert moved.lr == 0.5 and list(moved) == list(exp.models[0])   # same keys, same place


def test_model_kinds_say_what_can_be_done_with_their_models():
    assert model_kind({}) is MODEL_KINDS[DEFAULT_MODEL_KIND]
    assert model_kind({"kind": "no-such-kind"}) is None
    default, sk = MODEL_KINDS[DEFAULT_MODEL_KIND], MODEL_KINDS["sklearn"]
    assert default.saves_weights and default.predictable and default.exportable
    assert not (sk.saves_weights or sk.predictable or sk.exportable or sk.runs_engine)

"""Property tests of the experiment validator (issue 13): whatever a TOML file or a dict holds,
``mlplab.experiments.config`` returns an Experiment or raises one of mlplab's own errors (an
ExperimentError: the CLI prints it as one line), never another exception and never a hang.

Three sources of input: arbitrary TOML-shaped dicts, a valid experiment with keys replaced
or deleted at random (to get past the first check, deep into the validator), and TOML text
(random text, and a valid file with lines edited). Every example is bounded: a few keys, short
strings and lists, a generous deadline that only a hang would reach, and a fixed derandomized
sequence of examples so that CI sees the same cases every time.
"""

from __future__ import annotations

import copy
import datetime
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplab.errors import MlplabError
from mlplab.experiments.config import Experiment, from_dict, load_experiment

SETTINGS = settings(max_examples=150, deadline=datetime.timedelta(seconds=10),
                    derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])

VALID = """name = "prop"
description = "a valid experiment the tests edit"
seed = 0

[[data]]
name = "xor"
preprocess = "none"
eval = ["train"]

[defaults]
loss = "cross_entropy"
optimizer = "sgd"
batch_size = 8

[[models]]
name = "mlp"
spec = "2-4-tanh-2"
lr = 0.5
epochs = 3
early_stopping = {patience = 2}

[[models]]
name = "hand"
spec = "2-2"
loss = "cross_entropy"
weights = {"0.weight" = [[1.0, 0.0], [0.0, 1.0]], "0.bias" = [0.0, 0.0]}
"""

KEYS = ["name", "description", "seed", "engine", "device", "kind", "notes", "defaults", "data",
        "models", "demos", "spec", "loss", "optimizer", "lr", "epochs", "batch_size",
        "preprocess", "optimizer_kwargs", "loss_kwargs", "weights", "early_stopping",
        "schedule", "augment", "args", "train", "eval", "val_fraction", "stratify", "label",
        "target_preprocess", "patience", "momentum"]

# what TOML can hold: scalars (dates included), lists and tables
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-2**63, max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["xor", "mlp", "2-4-tanh-2", "sgd", "adam", "mse",
                                           "cross_entropy", "none", "train", "val", "cosine",
                                           "-", "", " ", "../x", "2-100000000000-2"]),
    st.dates(), st.datetimes())
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), inner,
                        max_size=4)),
    max_leaves=12)
tables = st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=6)), values,
                         max_size=8)


def _outcome(call):
    """The validator's answer: an Experiment, or mlplab's own error (returned, not raised);
    any other exception propagates and fails the test with its traceback."""
    try:
        result = call()
    except MlplabError as e:
        assert str(e) and "\n" not in str(e)   # one line for the CLI
        return e
    assert isinstance(result, Experiment)
    return result


@SETTINGS
@given(raw=st.one_of(tables, values))
def test_any_dict_is_an_experiment_or_mlplabs_error(raw):
    _outcome(lambda: from_dict(raw, "probe.toml"))


# a path to a place in the valid experiment: top-level key, or (list key, index, key)
PLACES = ["name", "description", "seed", "data", "models", "defaults", "engine", "device",
          "kind", "notes", "demos",
          ("data", 0, "name"), ("data", 0, "preprocess"), ("data", 0, "eval"),
          ("data", 0, "args"), ("data", 0, "val_fraction"), ("data", 0, "stratify"),
          ("defaults", None, "loss"), ("defaults", None, "optimizer"),
          ("defaults", None, "batch_size"),
          ("models", 0, "name"), ("models", 0, "spec"), ("models", 0, "lr"),
          ("models", 0, "epochs"), ("models", 0, "early_stopping"), ("models", 0, "schedule"),
          ("models", 0, "optimizer_kwargs"), ("models", 0, "kind"), ("models", 0, "augment"),
          ("models", 1, "weights"), ("models", 1, "name"), ("models", 1, "loss")]


def _edit(raw: dict, place, value, delete: bool) -> None:
    if isinstance(place, str):
        target, key = raw, place
    else:
        top, index, key = place
        target = raw[top] if index is None else raw[top][index]
    if delete:
        target.pop(key, None)
    else:
        target[key] = value


BASE = tomllib.loads(VALID)


@SETTINGS
@given(edits=st.lists(st.tuples(st.sampled_from(PLACES), values, st.booleans()), min_size=1,
                      max_size=4))
def test_a_valid_experiment_with_keys_replaced_or_deleted(edits):
    raw = copy.deepcopy(BASE)
    for place, value, delete in edits:
        try:
            _edit(raw, place, value, delete)
        except (KeyError, IndexError, TypeError, AttributeError):
            break   # an earlier edit replaced the table this one would edit (by a string: no .pop)
    _outcome(lambda: from_dict(raw, "probe.toml"))


def test_the_unedited_experiment_is_valid():
    exp = from_dict(copy.deepcopy(BASE), "probe.toml")
    assert [m["name"] for m in exp.models] == ["mlp", "hand"]


@SETTINGS
@given(text=st.text(max_size=200))
def test_any_text_is_an_experiment_or_mlplabs_error(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("toml") / "probe.toml"
    path.write_text(text, encoding="utf-8")
    _outcome(lambda: load_experiment(str(path)))


LINES = VALID.splitlines()


@SETTINGS
@given(edits=st.lists(st.tuples(st.integers(0, len(LINES) - 1),
                                st.sampled_from(["delete", "duplicate", "value", "key"]),
                                st.sampled_from(['"ten"', "-1", "0", "1e400", "nan", "inf",
                                                 "[]", "{}", "true", '""', "[[1]]", '"2-x"',
                                                 "{kind = 1}", "1979-05-27", '"a/b"'])),
                      min_size=1, max_size=4))
def test_a_valid_file_with_lines_edited(tmp_path_factory, edits):
    lines = list(LINES)
    for i, how, token in edits:
        i = min(i, len(lines) - 1)
        if how == "delete":
            del lines[i]
        elif how == "duplicate":
            lines.insert(i, lines[i])
        elif "=" in lines[i]:
            key, _, value = lines[i].partition("=")
            lines[i] = f"{key}= {token}" if how == "value" else f"{token} ={value}"
        if not lines:
            break
    path = Path(tmp_path_factory.mktemp("toml")) / "probe.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _outcome(lambda: load_experiment(str(path)))

"""Damaged run folders (issue 13, class 4): ``mlplab predict``, ``mlplab report`` and
``mlplab export`` read a run folder through one checked loader (mlplab.runfolder).

Each case damages one file of a real run folder as a careless edit, a half copy or a
hostile hand would, and asserts for every command that reads that file: exit code 2, one
``error:`` line that starts with the damaged file's path and says what is wrong, no
traceback, nothing written (no predictions, no report, no .onnx) and the folder as it was.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hostile_util import error_lines, files_under, invoke
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlplab.errors import DataError
from mlplab.runfolder import RunFolder

WEIGHTS = "weights/mlp.npz"
PREP = "weights/mlp.preprocess.json"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A ``mlplab train`` run on a small CSV (models softmax and mlp) and a ``mlplab run``
    of xor, made once; each test damages a copy."""
    root = tmp_path_factory.mktemp("runs")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    rows = [["a", "b", "c", "label"]] + [[f"{v:.4f}" for v in r] + ["yes" if r[0] > 0 else "no"]
                                         for r in X]
    data = root / "d.csv"
    with data.open("w", newline="") as f:
        csv.writer(f).writerows(rows)
    code, out = invoke("train", data, "--target", "label", "--epochs", 2, "-q",
                       "--out", root / "train", "--name", "d")
    assert code == 0, out
    code, out = invoke("run", "xor", "--epochs", 1, "-q", "--out", root / "run")
    assert code == 0, out
    (train,) = (root / "train").iterdir()
    (run,) = (root / "run").iterdir()
    return {"train": train, "run": run, "data": data}


def _json_edit(name: str, change):
    def damage(folder: Path):
        path = folder / name
        d = json.loads(path.read_text())
        change(d)
        path.write_text(json.dumps(d))
        return name
    return damage


def _write(name: str, content: bytes | str):
    def damage(folder: Path):
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return name
    return damage


def _truncate(name: str, keep: float):
    def damage(folder: Path):
        path = folder / name
        raw = path.read_bytes()
        path.write_bytes(raw[:int(len(raw) * keep)])
        return name
    return damage


def _npz_edit(change):
    def damage(folder: Path):
        path = folder / WEIGHTS
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        change(arrays)
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        path.write_bytes(buf.getvalue())
        return WEIGHTS
    return damage


def _zip_bomb(folder: Path):
    """A 100 MB member of zeros deflated to a few hundred kB, named like a weight."""
    path = folder / WEIGHTS
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("0.weight.npy", b"\0" * 100_000_000)
    return WEIGHTS


def _and_name(name: str, damage):
    def named(folder: Path):
        damage(folder)
        return name
    return named


def _set_nan(arrays):
    arrays["0.weight"][1, 2] = np.nan


def _drop_key(arrays):
    del arrays["4.bias"]


def _classes(d, value):
    d["data"][0]["schema"]["classes"] = value


def _model(d, name):
    return next(m for m in d["models"] if m["name"] == name)


PREDICT, REPORT, EXPORT = "predict", "report", "export"
# (case id, folder, damage, commands that read the file, words of the message)
CASES = [
    ("weights-truncated", "train", _truncate(WEIGHTS, 0.5), (PREDICT, EXPORT),
     "truncated or not an .npz archive"),
    ("weights-empty", "train", _write(WEIGHTS, b""), (PREDICT, EXPORT),
     "truncated or not an .npz archive"),
    ("weights-not-npz", "train", _write(WEIGHTS, "0.1,0.2\n"), (PREDICT, EXPORT),
     "truncated or not an .npz archive"),
    ("weights-zip-bomb", "train", _zip_bomb, (PREDICT, EXPORT), "unpacks to 100,000,"),
    ("weights-key-less", "train", _npz_edit(_drop_key), (PREDICT, EXPORT),
     "lacks the weights 4.bias"),
    ("weights-no-arrays", "train", _npz_edit(lambda a: [a.pop(k) for k in list(a)
                                                        if not k.startswith("__")]),
     (PREDICT, EXPORT), "lacks the weights 0.weight, 0.bias, 2.weight, 2.bias and 2 more"),
    ("weights-extra-array", "train", _npz_edit(lambda a: a.update(extra=np.zeros(3))),
     (PREDICT, EXPORT), "holds arrays extra that the model"),
    ("weights-wrong-shape", "train", _npz_edit(lambda a: a.update(
        {"4.bias": np.zeros(3, np.float32)})), (PREDICT, EXPORT),
     "weights 4.bias have shape (3,), but the model 3-64-relu-64-relu-2"),
    ("weights-nan", "train", _npz_edit(_set_nan), (PREDICT, EXPORT),
     "weights 0.weight hold 1 NaN or infinite value(s)"),
    ("weights-inf", "train", _npz_edit(lambda a: a["4.bias"].fill(np.inf)), (PREDICT, EXPORT),
     "weights 4.bias hold 2 NaN or infinite value(s)"),
    ("weights-integers", "train", _npz_edit(lambda a: a.update(
        {"4.bias": np.zeros(2, np.int64)})), (PREDICT, EXPORT),
     "weights 4.bias are of type int64, not floating point"),
    ("weights-of-another-model", "train", _npz_edit(lambda a: a.update(
        {"__meta__.spec": np.array("3-64-tanh-64-relu-2")})), (PREDICT, EXPORT),
     "holds the weights of the model '3-64-tanh-64-relu-2'"),
    ("config-bad-json", "train", _truncate("config.json", 0.6), (PREDICT, REPORT, EXPORT),
     "not valid JSON"),
    ("config-not-utf8", "train", _write("config.json", b"\xff\xfe{}"), (PREDICT, REPORT, EXPORT),
     "not UTF-8 text"),
    ("config-a-list", "run", _write("config.json", "[1, 2]"), (REPORT, EXPORT),
     "holds a JSON list, not the object mlplab writes"),
    ("config-nested", "run", _write("config.json", "[" * 100_000), (REPORT, EXPORT),
     "JSON nested too deeply"),
    ("config-models-text", "train", _json_edit("config.json", lambda d: d.update(models="mlp")),
     (PREDICT, REPORT, EXPORT), 'models is "mlp", but must be a list of models'),
    ("config-seed-text", "run", _json_edit("config.json", lambda d: d.update(seed="0")),
     (REPORT, EXPORT), 'seed is "0", but must be an integer'),
    ("config-huge-spec", "train", _json_edit("config.json", lambda d: _model(d, "mlp").update(
        spec="3-100000000000-2")), (PREDICT, EXPORT),
     "models.mlp.spec: model spec '3-100000000000-2': 600,000,000,002 parameters"),
    # which of the two was changed cannot be known: the line starts with the weights and
    # names config.json
    ("config-other-spec", "train", _and_name(WEIGHTS, _json_edit("config.json", lambda d: _model(
        d, "mlp").update(spec="3-32-relu-2"))), (PREDICT, EXPORT),
     "holds the weights of the model '3-64-relu-64-relu-2', but the run's model is 3-32-relu-2 "
     "(RUN/config.json)"),
    ("config-unknown-loss", "train", _json_edit("config.json", lambda d: _model(d, "mlp").update(
        loss="hinge")), (PREDICT, EXPORT), "models.mlp.loss 'hinge' is not a loss of mlplab"),
    ("config-shortened-classes", "train", _json_edit("config.json", lambda d: _classes(
        d, ["no"])), (PREDICT, EXPORT),
     "data[0].schema.classes lists 1 class, but the model 'mlp'"),
    ("config-classes-text", "train", _json_edit("config.json", lambda d: _classes(d, "no,yes")),
     (PREDICT, REPORT, EXPORT), "must be a non-empty list of strings"),
    ("config-columns-missing", "train", _json_edit(
        "config.json", lambda d: d["data"][0]["schema"].pop("columns")), (PREDICT,),
     "lacks data[0].schema.columns"),
    ("metrics-bad-json", "run", _truncate("metrics.json", 0.5), (REPORT,), "not valid JSON"),
    ("metrics-seconds-text", "run", _json_edit("metrics.json", lambda d: d["models"][
        "mlp"].update(seconds="fast")), (REPORT,),
     'models.mlp.seconds is "fast", but must be a number'),
    ("metrics-unknown-status", "run", _json_edit("metrics.json", lambda d: d["models"][
        "mlp"].update(status="great")), (REPORT,), "models.mlp.status is \"great\""),
    ("metrics-score-text", "run", _json_edit("metrics.json", lambda d: d["models"]["mlp"][
        "train"].update(accuracy="99%")), (REPORT,), "models.mlp.train.accuracy is \"99%\""),
    ("metrics-models-list", "run", _json_edit("metrics.json", lambda d: d.update(models=[])),
     (REPORT,), "models is [], but must be an object of models by name"),
    ("metrics-figure-outside", "run", _json_edit("metrics.json", lambda d: d["figures"][0].update(
        file="../../../etc/passwd")), (REPORT,), "points outside the run folder"),
    ("preprocess-bad-json", "train", _truncate(PREP, 0.5), (PREDICT, EXPORT), "not valid JSON"),
    ("preprocess-short-mean", "train", _json_edit(PREP, lambda d: d["input"]["scaler"].update(
        mean=[0.0, 1.0])), (PREDICT, EXPORT),
     "input.scaler.mean has 2 values, but the model takes 3 features"),
    ("preprocess-nan-std", "train", _json_edit(PREP, lambda d: d["input"]["scaler"].update(
        std=[1.0, float("nan"), 1.0])), (PREDICT, EXPORT),
     "input.scaler.std must hold finite numbers only"),
    ("preprocess-unknown-scaler", "train", _json_edit(PREP, lambda d: d["input"]["scaler"].update(
        kind="magic")), (PREDICT, EXPORT), "magic"),
    ("preprocess-no-input", "train", _json_edit(PREP, lambda d: d.pop("input")),
     (PREDICT, EXPORT), "lacks input"),
]


def _command(cmd: str, folder: Path, data: Path, scratch: Path) -> list:
    if cmd == PREDICT:
        return ["predict", folder, data, "--out", scratch / "predictions.csv"]
    if cmd == EXPORT:
        return ["export", folder, "--model", "mlp", "--out", scratch / "mlp.onnx"]
    return ["report", folder]


@pytest.mark.parametrize("case", [(c, cmd) for c in CASES for cmd in c[3]],
                         ids=lambda c: f"{c[0][0]}-{c[1]}")
def test_a_damaged_file_is_one_line_naming_it(runs, tmp_path, case):
    (name, which, damage, _, words), cmd = case
    folder = tmp_path / "run"
    shutil.copytree(runs[which], folder)
    culprit = folder / damage(folder)
    before = {p: (folder / p).read_bytes() for p in files_under(folder)
              if (folder / p).is_file()}
    scratch = tmp_path / "out"
    scratch.mkdir()
    code, output = invoke(*_command(cmd, folder, runs["data"], scratch))
    assert code == 2, output
    assert "Traceback" not in output
    (line,) = error_lines(output)
    assert line.startswith(f"error: {culprit}: "), line
    assert words.replace("RUN", str(folder)) in line, line
    assert not any(scratch.iterdir())                       # no predictions, no .onnx
    after = {p: (folder / p).read_bytes() for p in files_under(folder)
             if (folder / p).is_file()}
    assert after == before                                   # no report rewritten


def test_predict_never_scores_with_nan_weights(runs, tmp_path):
    """The Python API refuses too: no Predictions (and so no metrics) from NaN weights."""
    from mlplab.byod import predict

    folder = tmp_path / "run"
    shutil.copytree(runs["train"], folder)
    _npz_edit(_set_nan)(folder)
    with pytest.raises(DataError, match="NaN or infinite"):
        predict(folder, runs["data"], out=tmp_path / "p.csv")
    assert not (tmp_path / "p.csv").exists()


def test_folder_mistakes_name_the_folder(runs, tmp_path):
    """Not a folder, no folder, no config.json, no metrics.json: the folder is named."""
    a_file = tmp_path / "file"
    a_file.write_text("x")
    empty = tmp_path / "empty"
    empty.mkdir()
    no_metrics = tmp_path / "no-metrics"
    shutil.copytree(runs["run"], no_metrics)
    (no_metrics / "metrics.json").unlink()
    for folder, cmd, words in [
        (a_file, REPORT, "not a run folder (a file, not a folder)"),
        (tmp_path / "nowhere", EXPORT, "not a run folder (no such folder)"),
        (empty, PREDICT, "not a run folder (no config.json in it)"),
        (no_metrics, REPORT, "no metrics.json"),
    ]:
        code, output = invoke(*_command(cmd, folder, runs["data"], tmp_path))
        assert code == 2, output
        (line,) = error_lines(output)
        assert line.startswith(f"error: {folder}: {words}"), line


def test_the_intact_folders_still_work(runs, tmp_path):
    """The checks refuse nothing mlplab itself wrote: predict, report and export succeed on
    both folders, and the loader reads every saved model of them."""
    for which in ("train", "run"):
        folder = tmp_path / which
        shutil.copytree(runs[which], folder)
        run = RunFolder.open(folder)
        assert run.metrics["models"]
        for m in run.config["models"]:
            if (run.weights_file(m["name"])).is_file():
                spec, state = run.weights(m["name"], m)
                assert sum(v.size for v in state.values()) == spec.num_parameters()
        assert invoke("report", folder)[0] == 0
        assert invoke("export", folder, "--model", "mlp", "--out", tmp_path / f"{which}.onnx"
                      )[0] == 0
    code, output = invoke("predict", tmp_path / "train", runs["data"], "--out",
                          tmp_path / "p.csv")
    assert code == 0, output
    assert "accuracy" in output


# -- any edit of a JSON file: the report and predict answer, or refuse in one line ----------
def _places(d, prefix=()):
    """Every key path in a JSON document, e.g. ("models", "mlp", "train", "loss")."""
    items = d.items() if isinstance(d, dict) else enumerate(d) if isinstance(d, list) else ()
    for k, v in items:
        yield prefix + (k,)
        yield from _places(v, prefix + (k,))


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 10**12),
                        st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8),
                        st.sampled_from(["[red]", "[/b]", "ok", "diverged", "../x"]),
                        st.lists(st.integers(0, 3), max_size=3),
                        st.dictionaries(st.sampled_from(["a", "loss", "accuracy"]),
                                        st.integers(0, 1), max_size=2))


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
@pytest.mark.parametrize("which,name,cmd", [("run", "metrics.json", REPORT),
                                            ("train", "metrics.json", REPORT),
                                            ("train", "config.json", REPORT),
                                            ("train", "config.json", PREDICT)])
def test_any_edit_of_a_json_file_is_answered_or_refused_in_one_line(runs, tmp_path_factory,
                                                                    which, name, cmd, data):
    folder = tmp_path_factory.mktemp("edit") / "run"
    shutil.copytree(runs[which], folder)
    doc = json.loads((folder / name).read_text())
    place = data.draw(st.sampled_from(sorted(_places(doc), key=repr)))
    parent = doc
    for k in place[:-1]:
        parent = parent[k]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[place[-1]]
    else:
        parent[place[-1]] = data.draw(JSON_VALUES)
    (folder / name).write_text(json.dumps(doc))
    code, output = invoke(*_command(cmd, folder, runs["data"], folder.parent))
    assert "Traceback" not in output
    assert code == 0 or (code == 2 and len(error_lines(output)) == 1), output

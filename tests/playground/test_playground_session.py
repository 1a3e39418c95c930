"""One session: the Trainer's loop in slices, frames, and exports that reproduce it exactly."""

import base64
import json
import subprocess
import sys

import numpy as np
import pytest

from mlplab import nn
from mlplab.errors import DataError, ExplainError
from mlplab.experiments import load_experiment, run_experiment
from mlplab.playground.schema import Config, Upload
from mlplab.playground.session import GRID, UNIT_GRID, Session


def _train(s: Session, epochs: int) -> None:
    while s.epoch < epochs:
        s.train(budget_s=0.0005)   # slices of a few batches: the epochs must not care


def _run_toml(s: Session, tmp_path) -> dict:
    path = tmp_path / "playground.toml"
    path.write_text(s.export_toml())
    run = run_experiment(load_experiment(str(path)), tmp_path / "runs", progress=False)
    return json.loads((run / "metrics.json").read_text())["models"]["playground"]


CONFIGS = {
    "circle": Config(lr=0.1),
    "spiral-adam-dropout-features": Config(dataset="spiral", classes=4, layers=[8, 6],
                                           activation="gelu", optimizer="adam", dropout=0.1,
                                           features=["x1", "x2", "x1*x2", "sin(x1)"],
                                           train_pct=70, batch_size=16, seed=5),
    "plane-l2-nesterov": Config(problem="regression", dataset="plane", noise=0.1, layers=[3],
                                activation="leakyrelu", optimizer="nesterov",
                                regularization="l2", reg_rate=0.01, lr=0.01, points=300),
    "xor-l1-rmsprop": Config(dataset="xor", layers=[6, 4], activation="tanh",
                             optimizer="rmsprop", regularization="l1", reg_rate=0.003,
                             lr=0.01, seed=3),
}


@pytest.mark.parametrize("name", CONFIGS)
def test_exported_toml_run_by_mlplab_ends_on_the_pages_test_loss(name, tmp_path):
    s = Session(CONFIGS[name])
    _train(s, 6)
    page = s.history[-1]
    info = _run_toml(s, tmp_path)
    assert info["epochs"] == 6
    # the same batches, weights and arithmetic: equal to the last bit
    assert info["val"]["loss"] == page["test_loss"]
    if "test_accuracy" in page:
        assert info["val"]["accuracy"] == page["test_accuracy"]


def test_exported_script_prints_the_pages_losses(tmp_path):
    s = Session(Config(dataset="moons", layers=[5], lr=0.3, optimizer="momentum",
                       regularization="l1", reg_rate=0.002))
    _train(s, 4)
    script = tmp_path / "playground.py"
    script.write_text(s.export_script())
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip().endswith(f"test loss {s.history[-1]['test_loss']:.4f}")
    assert out.startswith("epoch 4:")


def test_the_page_and_mlplab_run_split_the_same_rows():
    s = Session(Config(points=101, train_pct=30, seed=2))
    assert len(s.train_idx) + len(s.test_idx) == 101
    assert not set(s.train_idx) & set(s.test_idx)
    from mlplab.data.preprocessing import train_val_test_split

    parts = train_val_test_split(101, val=0.7, test=0.0, seed=2)
    np.testing.assert_array_equal(s.train_idx, parts["train"])


def test_toml_notes_what_it_cannot_reproduce():
    s = Session(Config(regularization="l1", reg_rate=0.01))
    _train(s, 1)
    s.set_lr(0.3)
    s.train(budget_s=0.0)   # one batch into epoch 2
    text = s.export_toml()
    assert "l1 = 0.01\n" in text and "L1" not in text    # a key, not a note
    assert "changed the learning rate to 0.3 after epoch 1" in text
    assert "1 of 25 batches into epoch 2" in text
    assert "epochs = 1\n" in text and "lr = 0.3\n" in text


def test_l1_pulls_weights_towards_zero():
    norms = {}
    for reg in ("none", "l1"):
        s = Session(Config(regularization=reg, reg_rate=0.05, lr=0.1))
        _train(s, 5)
        norms[reg] = sum(np.abs(v).sum() for v in s.engine.state_dict().values())
    assert norms["l1"] < norms["none"]


def test_frame_holds_quantised_grids_for_output_and_every_unit():
    s = Session(Config(layers=[3, 2]))
    f = s.frame()
    out = base64.b64decode(f["output"]["value"])
    assert len(out) == GRID * GRID
    assert [len(layer) for layer in f["units"]] == [3, 2]
    assert all(len(base64.b64decode(u)) == UNIT_GRID ** 2 for layer in f["units"] for u in layer)
    assert [np.shape(w["weight"]) for w in f["weights"]] == [(3, 2), (2, 3), (1, 2)]
    # the output byte is sigmoid(logit) * 255 at each grid point
    logits = s.engine.predict(s.grid.astype(np.float32))[:, 0].astype(np.float64)
    expected = np.rint(255 / (1 + np.exp(-logits)))
    assert np.max(np.abs(np.frombuffer(out, np.uint8) - expected)) <= 1


def test_multiclass_frame_sends_class_and_confidence():
    s = Session(Config(dataset="blobs", classes=5))
    assert s.loss_name == "cross_entropy" and s.spec.endswith("-5")
    f = s.frame()
    classes = np.frombuffer(base64.b64decode(f["output"]["class"]), np.uint8)
    pred = s.engine.predict(s.grid.astype(np.float32)).argmax(1)
    np.testing.assert_array_equal(classes, pred)


def test_history_is_sent_once_and_restarts_with_reset():
    s = Session(Config())
    cursor = {}
    first = s.advance(False, cursor)
    assert first["history"] == [] and first["steps"] == 0
    _train(s, 2)
    f = s.advance(False, cursor)
    assert [h["epoch"] for h in f["history"]] == [1, 2]
    assert s.advance(False, cursor)["history"] == []
    s.reset()
    f = s.advance(True, cursor)
    assert f["history_from"] == 0 and f["steps"] >= 1


def test_divergence_stops_training_with_a_message():
    s = Session(Config(problem="regression", dataset="plane", lr=10, layers=[8, 8, 8],
                       activation="relu", batch_size=1))
    for _ in range(200):
        s.train(whole_epoch=True)
        if s.status == "diverged":
            break
    assert s.status == "diverged" and "lower the learning rate" in s.message
    assert s.train() == 0


def test_explain_shows_one_sgd_step_on_the_nearest_point():
    s = Session(Config(layers=[2]))
    x = s.raw.X[7]
    before = s.engine.state_dict()["0.weight"].copy()
    res = s.explain(float(x[0]) + 1e-4, float(x[1]))
    assert res["index"] == 7
    assert res["text"].startswith("mlplab explain 2-2-tanh-1")
    assert "SGD" in res["text"] and "bce_logits" in res["text"]
    # explain steps a float64 copy: the page's network is not changed
    np.testing.assert_array_equal(s.engine.state_dict()["0.weight"], before)


def test_explain_refuses_dropout_and_large_networks():
    with pytest.raises(ExplainError, match="dropout"):
        Session(Config(dropout=0.2)).explain(0, 0)
    with pytest.raises(ExplainError, match="at most 300"):
        Session(Config(layers=[8] * 6)).explain(0, 0)


def test_npz_export_loads_with_mlplab_nn_load(tmp_path):
    s = Session(Config(layers=[3]))
    _train(s, 1)
    (tmp_path / "w.npz").write_bytes(s.export_npz())
    state, meta = nn.load(tmp_path / "w.npz")
    assert meta["spec"] == "2-3-tanh-1" and meta["epoch"] == "1"
    for k, v in s.engine.state_dict().items():
        np.testing.assert_array_equal(state[k], v)


CSV = "a,b,label\n" + "".join(f"{i % 7 / 7:.3f},{i % 5 / 5:.3f},{'red' if i % 2 else 'blue'}\n"
                              for i in range(40))


def test_upload_trains_and_exports_a_csv_experiment(tmp_path):
    s = Session(Config())
    setup = s.configure(Config(dataset="upload", train_pct=60), Upload(filename="../my data.csv",
                                                                       text=CSV))
    assert setup["classes"] == ["blue", "red"] and len(setup["points"]["x"]) == 40
    _train(s, 3)
    (tmp_path / "my_data.csv").write_text(CSV)
    toml = s.export_toml()
    assert 'path = "my_data.csv"' in toml and "put my_data.csv in the folder" in toml
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        info = _run_toml(s, tmp_path)
    finally:
        os.chdir(cwd)
    assert info["test"]["loss"] == s.history[-1]["test_loss"]


@pytest.mark.parametrize("text, words", [
    ("a,b,c,label\n1,2,3,0\n4,5,6,1\n", "3 feature columns"),
    ("a,b,label\n1,x,0\n2,3,1\n", "not numeric|non-numeric|number"),
    ("a,b,label\n" + "".join(f"{i},{i},{i}\n" for i in range(20)), "20 classes"),
    ("a,b,label\n" + "1,2,0\n" * 5001, "at most 5000 rows"),
])
def test_bad_uploads_are_refused_naming_the_users_file(text, words):
    with pytest.raises(DataError, match=words) as e:
        Session(Config(dataset="upload"), Upload(filename="mine.csv", text=text))
    assert "mine.csv" in str(e.value) and "mlplab-playground-" not in str(e.value)


def test_upload_data_set_needs_an_upload_first():
    with pytest.raises(DataError, match="upload a CSV file first"):
        Session(Config(dataset="upload"))

"""Adding an activation, a loss or an optimizer is its class plus its record: a toy of each
(tests/unit/toy_kinds.py, no other file) is picked up by the spec's summary, explain, both
engines, ONNX export, the playground's options and ``mlplab train --help``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import toy_kinds

from mlplab.engines import build_engine
from mlplab.spec import ModelSpec

SPEC = "3-5-softsign-4-softsign-1"
HERE = Path(__file__).parent


@pytest.fixture()
def toys():
    toy_kinds.register()
    yield
    toy_kinds.unregister()


def data(n=16, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)).astype(np.float32)
    return X, (X.sum(axis=1, keepdims=True) > 0).astype(np.float32)


def test_the_summary_and_parameter_count_read_the_record(toys):
    summary = str(ModelSpec.parse(SPEC).summary())
    assert "Softsign-2" in summary and "Softsign-4" in summary
    assert ModelSpec.parse(SPEC).num_parameters() == 3 * 5 + 5 + 5 * 4 + 4 + 4 + 1


def test_both_engines_train_the_new_kinds_alike(toys):
    pytest.importorskip("torch")
    X, y = data()
    engines = [build_engine(name, spec=SPEC, loss="l1", optimizer="plainsgd", lr=0.1, seed=3,
                            dtype=np.float64) for name in ("numpy", "torch")]
    engines[1].load_state_dict(engines[0].state_dict())
    for _ in range(3):
        losses = [e.train_step(X.astype(np.float64), y.astype(np.float64))[0] for e in engines]
        assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    for k, v in engines[0].state_dict().items():
        np.testing.assert_allclose(v, engines[1].state_dict()[k], rtol=1e-12, atol=1e-14)


def test_explain_writes_the_new_activation_and_loss_out(toys):
    from mlplab.explain.core import explain_network
    from mlplab.explain.render import render

    text = render(explain_network("2-2-softsign-1", "1,2", "0.5", loss="l1", weights=0.1),
                  "text")
    assert "a^[1]   = softsign(z^[1])" in text   # the forward row, from the record's name
    assert "softsign'(z)  = 1 / (1 + |z|)²" in text   # its derivative as the record writes it
    assert "the loss is mean absolute error (L1Loss)" in text
    assert "∂L/∂a^[2]    = sign(a^[2] - y)" in text   # the loss's gradient form
    assert "softsign'([0.4, 0.4]) = [0.5102, 0.5102]" in text   # 1 / 1.4², the engine's


def test_onnx_export_converts_the_new_activation(toys):
    ort = pytest.importorskip("onnxruntime")
    from mlplab.export.onnx import to_onnx

    X, y = data()
    engine = build_engine("numpy", spec=SPEC, loss="l1", optimizer="plainsgd", lr=0.1, seed=1)
    proto = to_onnx(SPEC, engine.state_dict(), loss="l1")
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    values = sess.run(["values"], {"input": X})[0]
    np.testing.assert_allclose(values, engine.predict(X), rtol=1e-5, atol=1e-6)


def test_the_playground_offers_them_with_their_labels(toys):
    from mlplab.playground.schema import Config, options

    o = options()
    assert "softsign" in o["activations"] and "plainsgd" in o["optimizers"]
    assert o["labels"]["softsign"] == "Softsign" and o["labels"]["plainsgd"] == "Plain SGD"
    assert Config(activation="softsign", optimizer="plainsgd").activation == "softsign"


def test_train_help_and_defaults_list_them():
    # a fresh interpreter: the command's help is written from the records when it is imported
    code = ("import toy_kinds; toy_kinds.register()\n"
            "from mlplab.cli import app\n"
            "app(['train', '--help'], standalone_mode=False)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path]),
           "COLUMNS": "200"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert "softsign" in res.stdout and "plainsgd" in res.stdout
    assert "0.05 for plainsgd" in res.stdout   # its suggested lr, from the class


def test_mlplab_train_takes_them(toys, tmp_path):
    from mlplab.byod import TrainOptions

    opts = TrainOptions(activation="softsign", optimizer="plainsgd").validate()
    assert opts.lr == 0.05

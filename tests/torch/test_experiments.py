"""The twin end to end through the CLI: ``--engine torch`` on a course experiment, cifar10 on
tiny files in the real binary format, mixer on tiny IDX files, the modern demos."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("one_torch_thread")

from mlplab.cli import app  # noqa: E402
from mlplab.experiments import load_experiment  # noqa: E402
from mlplab.experiments.config import ExperimentError, with_overrides  # noqa: E402
from mlplab.modern import DEMOS, demo_arguments  # noqa: E402

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


def run(name, out, *extra):
    res = invoke("run", name, "--out", out, "--quiet", *extra)
    assert res.exit_code == 0, res.output
    (folder,) = out.iterdir()
    return folder, json.loads((folder / "metrics.json").read_text()), res.output


def test_auto_mpg_on_the_torch_engine_matches_the_numpy_engine(tmp_path):
    t_dir, t, _ = run("auto-mpg", tmp_path / "t", "--engine", "torch", "--epochs", "2",
                      "--device", "cpu")
    _, n, _ = run("auto-mpg", tmp_path / "n", "--epochs", "2")
    assert t["engine"] == "torch" and n["engine"] == "numpy"
    for key in ("linear", "mlp"):
        assert t["models"][key]["status"] == "ok" and t["models"][key]["epochs"] == 2
        for split in ("train", "val"):
            for metric in ("loss", "mae", "r2"):
                assert t["models"][key][split][metric] == pytest.approx(
                    n["models"][key][split][metric], rel=1e-4)
        assert (t_dir / "weights" / f"{key}.npz").is_file()
    assert (t_dir / "plots" / "predicted_vs_true.png").is_file()


def write_cifar(folder, n_train=64, n_test=32, seed=0):
    """data_batch_1..5.bin (n_train records each) and test_batch.bin: 1 label byte + 3072
    pixel bytes per record, the real binary format."""
    from mlplab.data.cifar import write_cifar_bin

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for name, n in [*((f"data_batch_{i}.bin", n_train) for i in range(1, 6)),
                    ("test_batch.bin", n_test)]:
        labels = (np.arange(n) % 10).astype(np.uint8)
        pixels = rng.integers(0, 128, (n, 3072), dtype=np.uint8) + 12 * labels[:, None]
        write_cifar_bin(folder / name, pixels, labels)


def test_cifar10_end_to_end_on_tiny_binary_files(tmp_path):
    write_cifar(tmp_path / "cifar")
    folder, m, out = run("cifar10", tmp_path / "runs", "--data-dir", tmp_path / "cifar",
                         "--epochs", "1")
    assert m["engine"] == "torch" and list(m["models"]) == ["mlp", "cnn"]
    assert m["models"]["cnn"]["params"] == 1_070_794
    for info in m["models"].values():
        assert info["status"] == "ok" and 0 <= info["test"]["accuracy"] <= 1
    for plot in ("curves", "confusion", "samples"):
        assert (folder / "plots" / f"{plot}.png").is_file(), plot
    assert "cnn" in out and "data:image/png;base64," in (folder / "report.html").read_text()
    res = invoke("run", "cifar10", "--data-dir", tmp_path / "cifar", "--engine", "numpy",
                 "--out", tmp_path / "r2")
    assert res.exit_code == 2 and "run only on the torch engine: use --engine torch" in \
        res.output
    assert not (tmp_path / "r2").exists() or not list((tmp_path / "r2").iterdir())


def test_mixer_end_to_end_on_tiny_idx_files(tmp_path, mnist_files):
    mnist_files.write(tmp_path / "fm", n_train=48, n_test=16)
    folder, m, _ = run("mixer", tmp_path / "runs", "--data-dir", tmp_path / "fm", "--epochs", "1")
    assert list(m["models"]) == ["mixer", "mlp-256", "mlp-96"]
    assert m["models"]["mixer"]["params"] == 75_594
    assert m["models"]["mlp-256"]["params"] == 203_530
    assert all(info["status"] == "ok" and "accuracy" in info["test"]
               for info in m["models"].values())


TINY_DEMOS = """
name = "modern-tiny"
description = "the four demos at toy sizes"
engine = "torch"
[[demos]]
name = "ffn"
d_model = 4
d_ff = 8
tokens = 5
[[demos]]
name = "moe"
d = 4
hidden = 8
n_experts = 4
n_clusters = 2
n_train = 128
n_test = 64
epochs = 2
batch_size = 64
[[demos]]
name = "inr"
image = "pattern"
features = 4
hidden = 8
layers = 1
steps = 3
upscale = 2
[[demos]]
name = "uat"
label = "uat-relu"
activation = "relu"
widths = [1, 4]
epochs = 4
n_train = 16
batch_size = 16
"""


def test_modern_demos_on_the_twin_and_on_the_numpy_engine(tmp_path):
    toml = tmp_path / "tiny.toml"
    toml.write_text(TINY_DEMOS)
    folder, m, out = run(toml, tmp_path / "t")
    assert [info["status"] for info in m["models"].values()] == ["ok"] * 4
    assert set(m["demos"]) == {"ffn", "moe", "inr", "uat-relu"}
    ffn = m["demos"]["ffn"]["metrics"]
    assert ffn["ffn_permutation_error"] < 1e-12 and ffn["ffn_per_token_error"] < 1e-12
    assert ffn["mixing_permutation_error"] > 1e-3
    assert m["demos"]["moe"]["metrics"]["counts"]["active"] < \
        m["demos"]["moe"]["metrics"]["counts"]["total"]
    assert len(m["demos"]["uat-relu"]["metrics"]["rmse"]) == 2
    for plot in ("ffn", "moe", "inr", "uat"):
        assert (folder / "plots" / f"{plot}.png").is_file()
    assert "position-wise FFN" in out and "grid RMSE" in out     # the demo tables printed
    report = (folder / "report.md").read_text()
    assert "## moe: mixture of experts" in report and "PSNR" in report

    _, m, out = run(toml, tmp_path / "n", "--engine", "numpy")
    status = {k: v["status"] for k, v in m["models"].items()}
    assert status == {"ffn": "ok", "moe": "skipped: needs --engine torch",
                      "inr": "skipped: needs --engine torch", "uat-relu": "ok"}


def test_shipped_demo_arguments_are_valid():
    exp = load_experiment("modern")
    assert exp.engine == "torch" and [d["name"] for d in exp.demos] == list(DEMOS)
    for d in exp.demos:
        assert set(d) - {"name", "label"} <= set(demo_arguments(d["name"])), d["name"]


def test_demo_and_device_errors(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\ndescription = "x"\n[[demos]]\nname = "gan"\n')
    res = invoke("run", bad, "--out", tmp_path / "r")
    assert res.exit_code == 2 and "unknown demo 'gan'; choose one of ffn, moe, inr, uat" in \
        res.output
    bad.write_text('name = "x"\ndescription = "x"\n[[demos]]\nname = "uat"\nwidth = 3\n')
    res = invoke("run", bad, "--out", tmp_path / "r")
    assert res.exit_code == 2 and "demo uat: unknown argument(s) width" in res.output
    with pytest.raises(ExperimentError, match="--device cuda needs the torch engine"):
        with_overrides(load_experiment("auto-mpg"), device="cuda")
    res = invoke("run", "auto-mpg", "--engine", "torch", "--device", "tpu", "--out",
                 tmp_path / "r")
    assert res.exit_code == 2 and "Invalid device: 'tpu'" in res.output


def test_summary_of_a_twin_only_spec():
    res = invoke("summary", "3x32x32-conv:32-relu-maxpool-conv:64-relu-maxpool-flatten-256-"
                            "relu-dropout:0.5-10")
    assert res.exit_code == 0, res.output
    assert "Conv2d-1" in res.output and "Total params: 1,070,794" in res.output
    assert "--engine torch" in res.output

"""`mlplab data`, driven with CliRunner through the main app (and so its error boundary)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from mlplab.cli import app
from mlplab.data.cli import _parse_value

runner = CliRunner()


def _run(*args):
    return runner.invoke(app, ["data", *map(str, args)], catch_exceptions=False)


def test_list_shows_every_data_set():
    result = _run("list")
    assert result.exit_code == 0
    for name in ("auto-mpg", "nonlinear", "xor", "moons", "circles", "blobs", "checkerboard",
                 "spiral", "iris", "fashion-mnist", "mnist", "image-folder", "fer2013",
                 "cifar10", "csv"):
        assert name in result.output


def test_show_auto_mpg_prints_shape_splits_and_rows(tmp_path):
    result = _run("show", "auto-mpg", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "(392, 9) float32" in out and "train: 314, val: 78" in out
    assert "Model Year" in out and "3504" in out  # first row of the table
    assert not any(tmp_path.iterdir())  # tabular: nothing saved


def test_show_toy_saves_a_scatter(tmp_path):
    result = _run("show", "xor", "--set", "n=40", "--set", "noise=0.05", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    assert "(40, 2) float32" in result.output
    png = tmp_path / "xor-scatter.png"
    assert png.is_file() and Image.open(png).size[0] > 100


def test_show_image_folder_saves_a_grid(tmp_path):
    for k, cls in enumerate(["cat", "dog", "owl"]):
        for i in range(3):
            path = tmp_path / "imgs" / "train" / cls / f"{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.new("L", (12, 12), 60 * k + i).save(path)
    result = _run("show", "image-folder", "--data-dir", tmp_path / "imgs", "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "(9, 12, 12) uint8" in result.output and "owl" in result.output
    assert (tmp_path / "o" / "image-folder-samples.png").is_file()


def test_show_fashion_mnist_offline_from_a_folder(tmp_path, mnist_files):
    mnist_files.write(tmp_path / "fm", n_train=30, n_test=10)
    result = _run("show", "fashion-mnist", "--path", tmp_path / "fm", "--offline",
                  "--out", tmp_path / "o")
    assert result.exit_code == 0, result.output
    assert "(40, 28, 28) uint8" in result.output and "Ankle boot" in result.output
    assert (tmp_path / "o" / "fashion-mnist-samples.png").is_file()


def test_show_pickle_needs_trust_flag(tmp_path):
    path = tmp_path / "NonLinear_data.npy"
    np.save(path, {"X": np.zeros((6, 2)), "labels": np.array([0, 1, 2] * 2)})
    result = _run("show", "nonlinear", "--path", path, "--out", tmp_path)
    assert result.exit_code == 2 and "--trust-pickle" in result.stderr
    result = _run("show", "nonlinear", "--path", path, "--trust-pickle", "--out", tmp_path)
    assert result.exit_code == 0 and "(6, 2) float32" in result.output


@pytest.mark.parametrize("args, expect", [
    (["show", "fer2013"], "--data-dir"),
    (["show", "nope"], "unknown data set 'nope'; choose one of auto-mpg, "),
    (["show", "xor", "--offline"], "unknown argument(s) offline"),
    (["show", "moons", "--set", "noise=-1"], "Invalid noise"),
])
def test_show_errors_exit_2_with_one_clear_line(args, expect):
    result = _run(*args)
    assert result.exit_code == 2 and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: ") and expect in line


def test_bad_set_syntax():
    result = runner.invoke(app, ["data", "show", "xor", "--set", "noise"])
    assert result.exit_code != 0 and "KEY=VALUE" in result.output


def test_parse_value():
    assert _parse_value("3") == 3 and _parse_value("0.5") == 0.5
    assert _parse_value("true") is True and _parse_value("None") is None
    assert _parse_value("28,28") == (28, 28) and _parse_value("abc") == "abc"

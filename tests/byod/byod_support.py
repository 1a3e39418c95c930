"""Helpers of the byod tests, in a module with its own name: several test folders have a
``conftest``, so ``from conftest import`` could find another folder's.

Data the project does not ship, written by the tests as a new user would have it:
scikit-learn's bundled wine (3 classes), breast-cancer (binary) and diabetes (regression)
sets as CSV files with an ID column, a constant column, a categorical column and holes; an
image folder drawn with Pillow; an .npz of arrays. Plus the CLI runner."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from mlplab.cli import app

_runner = CliRunner()


def invoke(*args):
    return _runner.invoke(app, [str(a) for a in args])


def train_ok(data, out, *args):
    """``mlplab train DATA --out OUT -q ARGS``; returns (run folder, metrics.json, output)."""
    res = invoke("train", data, "--out", out, "-q", *args)
    assert res.exit_code == 0, res.output
    (folder,) = [p for p in out.iterdir() if not p.name.startswith(".")]
    return folder, json.loads((folder / "metrics.json").read_text()), res.output


def train_fails(data, out, *args) -> str:
    """``mlplab train`` on bad input: exit 2, one line, no run folder (not even a partial)."""
    res = invoke("train", data, "--out", out, "-q", *args)
    assert res.exit_code == 2, res.output
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert not out.exists() or list(out.iterdir()) == []
    return lines[0]


def write_wine(path, sep=","):
    """178 wines, 3 cultivars coded 0/1/2; a shuffled ``sample_id``, a constant ``batch``
    and a text ``colour`` column (noise) besides the 13 measurements."""
    from sklearn.datasets import load_wine

    frame = load_wine(as_frame=True).frame.rename(columns={"target": "cultivar"})
    rng = np.random.default_rng(0)
    frame.insert(0, "sample_id", rng.permutation(len(frame)) + 1000)
    frame["batch"] = "A"
    frame["colour"] = rng.choice(["red", "white", "rose"], len(frame))
    frame.to_csv(path, index=False, sep=sep)
    return frame


def write_cancer(path, holes=True):
    """569 tumours, ``diagnosis`` spelled benign/malignant, semicolon-separated with decimal
    commas (a European spreadsheet's export); 20 missing radii and 10 missing clinics."""
    from sklearn.datasets import load_breast_cancer

    b = load_breast_cancer(as_frame=True)
    frame = b.frame.drop(columns="target")
    rng = np.random.default_rng(1)
    frame["clinic"] = rng.choice(["north", "south"], len(frame)).astype(object)
    frame["diagnosis"] = [b.target_names[t] for t in b.target]
    if holes:
        frame.loc[rng.choice(len(frame), 20, replace=False), "mean radius"] = np.nan
        frame.loc[rng.choice(len(frame), 10, replace=False), "clinic"] = np.nan
    frame.to_csv(path, index=False, sep=";", decimal=",")
    return frame


def write_diabetes(path):
    """442 patients, tab-separated; ``progression`` a year on (25..346); ``sex`` coded 1/2."""
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True, scaled=False).frame
    frame = frame.rename(columns={"target": "progression"})
    frame.to_csv(path, index=False, sep="\t")
    return frame


def write_images(root, split=False, size=8, per_class=12):
    """Three classes of small grayscale images (bright top, bright left, dark), as
    ``root/<class>/<i>.png`` or ``root/{train,test}/<class>/<i>.png``."""
    from PIL import Image

    rng = np.random.default_rng(2)
    for name in ["dark", "left", "top"]:
        for i in range(per_class):
            img = rng.integers(0, 60, (size, size)).astype(np.uint8)
            if name == "top":
                img[: size // 2] += 180
            elif name == "left":
                img[:, : size // 2] += 180
            sub = ("test" if i < per_class // 4 else "train") if split else ""
            folder = root / sub / name
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(folder / f"{i}.png")
    return root

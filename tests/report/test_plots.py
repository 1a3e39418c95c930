"""The report's figures, drawn for real small runs and checked for what a reader needs: axis
labels that name the quantity, legends outside the data, the number of panels, titles that
carry the scores, and images large enough to read.

Each run goes through the real runner and report; a spy around ``plots._save`` reads every
matplotlib Figure just after it is written (panels, titles, labels, legends, scales), and the
PNG files are opened for their pixel size.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from mlplab.experiments import load_experiment, run_experiment
from mlplab.experiments.config import with_overrides
from mlplab.report import build, plots
from mlplab.report.snapshots import STEPS, BoundarySnapshots, snapshot_epochs


def _panel(ax) -> dict:
    leg = ax.get_legend()
    outside = None
    if leg is not None:   # anchored (upper left corner) right of the data area
        anchor = leg.get_bbox_to_anchor().transformed(ax.transAxes.inverted())
        outside = leg._loc == 2 and anchor.x0 >= 1.0
    lo, hi = ax.get_xlim()
    return {"title": ax.get_title(), "xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
            "yscale": ax.get_yscale(), "xlim": ax.get_xlim(), "ylim": ax.get_ylim(),
            "xticks": [t for t in ax.get_xticks() if lo <= t <= hi],
            "legend": [t.get_text() for t in leg.get_texts()] if leg else None,
            "legend_outside": outside, "images": len(ax.images),
            "scatter": [(len(c.get_offsets()), float(np.min(c.get_sizes())), c.get_clip_on())
                        for c in ax.collections if len(c.get_offsets())]}


def _facts(fig) -> list[dict]:
    return [_panel(ax) for ax in fig.axes if ax.axison]


@pytest.fixture(scope="module")
def figures():
    """file name -> the panels of each figure written while the module's runs report."""
    seen: dict[str, list] = {}
    real_save = plots._save

    def spy(fig, path):
        save = fig.savefig

        def savefig(*args, **kwargs):
            save(*args, **kwargs)
            seen[f"{Path(path).parent.parent.name}/{Path(path).name}"] = _facts(fig)

        fig.savefig = savefig
        return real_save(fig, path)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(plots, "_save", spy)
        yield seen


@pytest.fixture(scope="module")
def runs(tmp_path_factory, figures):
    made = {}

    def run(name, epochs=None, source=None):
        if name not in made:
            out = tmp_path_factory.mktemp(name)
            exp = with_overrides(load_experiment(source or name), epochs=epochs)
            folder = run_experiment(exp, out, progress=False)
            metrics = json.loads((folder / "metrics.json").read_text())
            # written into the hidden partial folder ".<name>.partial", renamed at the end
            figs = {k.split("/", 1)[1]: v for k, v in figures.items()
                    if folder.name in k.split("/", 1)[0]}
            made[name] = folder, metrics, figs
        return made[name]

    return run


def png_size(path: Path) -> tuple[int, int]:
    from PIL import Image

    with Image.open(path) as im:
        return im.size


def caption(metrics, file) -> str:
    return next(f["caption"] for f in metrics["figures"] if f["file"] == f"plots/{file}")


# -- the snapshots of the boundary during training ---------------------------------------------

def test_snapshot_epochs_are_the_start_one_and_geometric_steps():
    assert snapshot_epochs(500) == [0, 1, 8, 63, 500]
    assert snapshot_epochs(200) == [0, 1, 6, 34, 200]
    assert snapshot_epochs(3) == [0, 1, 2, 3]
    assert snapshot_epochs(2) == [0, 1, 2]
    assert snapshot_epochs(1) == [0, 1]


def test_snapshots_leave_training_bit_for_bit_unchanged():
    from mlplab import data
    from mlplab.train import Trainer, build_engine

    X, y = data.load("nonlinear").split("train")
    states = []
    for with_snapshots in (False, True):
        engine = build_engine("numpy", spec="2-16-relu-3", loss="cross_entropy",
                              optimizer="sgd", lr=0.1, seed=3)
        snaps = BoundarySnapshots(X, 3) if with_snapshots else None
        Trainer(engine, epochs=3, batch_size=32, seed=3,
                callbacks=[snaps] if snaps else []).fit((X, y))
        states.append(engine.state_dict())
    assert states[0].keys() == states[1].keys()
    for k in states[0]:
        assert np.array_equal(states[0][k], states[1][k]), k
    assert sorted(snaps.frames) == [0, 1, 2, 3]
    for frame in snaps.frames.values():
        assert frame.shape == (STEPS, STEPS) and set(np.unique(frame)) <= {0, 1, 2}


def test_the_command_line_is_kept_only_when_mlplab_is_the_program():
    assert build.command_line(["/venv/bin/mlplab", "run", "auto-mpg", "--epochs", "3"]) == \
        "mlplab run auto-mpg --epochs 3"
    assert build.command_line(["mlplab", "run", "my exp.toml"]) == "mlplab run 'my exp.toml'"
    assert build.command_line(["/usr/lib/python3/site-packages/pytest/__main__.py", "-q"]) \
        is None
    assert build.command_line(["ipykernel_launcher.py", "-f", "k.json"]) is None
    assert build.command_line([]) is None


# -- curves ------------------------------------------------------------------------------------

def test_auto_mpg_curves_name_the_loss_use_a_log_axis_and_keep_the_legend_outside(runs):
    folder, metrics, figs = runs("auto-mpg", epochs=3)
    loss, r2 = figs["curves.png"]
    assert loss["ylabel"] == "MSE (loss)" and r2["ylabel"] == "R²"
    # epoch 1's training MSE (~420) is far above the rest: a log axis keeps the rest visible
    assert loss["yscale"] == "log"
    assert r2["legend"] == ["linear", "mlp", "train", "val"] and r2["legend_outside"]
    for p in (loss, r2):
        assert p["xlabel"] == "epoch"
        assert p["xticks"] and all(float(t).is_integer() for t in p["xticks"])
    assert "logarithmic" in caption(metrics, "curves.png")
    assert png_size(folder / "plots" / "curves.png")[0] >= 900


def test_many_models_get_a_pair_of_small_panels_each(runs, image_run):
    folder, metrics, figs = image_run
    names = list(metrics["models"])
    assert len(names) > plots.MANY_MODELS
    panels = figs["curves.png"]
    assert len(panels) == 2 * len(names)
    assert [p["title"] for p in panels if p["title"]] == names
    assert {p["ylabel"] for p in panels} == {"cross-entropy (loss)", "accuracy"}
    (legend,) = [p["legend"] for p in panels if p["legend"]]
    assert legend == ["train", "test"]
    assert "one panel pair per model" in caption(metrics, "curves.png")


# -- regression --------------------------------------------------------------------------------

def test_predicted_vs_true_and_residuals_share_axes_and_print_the_scores(runs):
    folder, metrics, figs = runs("auto-mpg", epochs=3)
    pvt, res = figs["predicted_vs_true.png"], figs["residuals.png"]
    assert len(pvt) == len(res) == 2
    for p, name in zip(pvt, ("linear", "mlp")):
        val = metrics["models"][name]["val"]
        assert p["title"] == f"{name}\nR² {val['r2']:.3f}, MSE {val['mse']:.3g}"
        assert p["xlabel"] == "true MPG" and p["ylabel"] == "predicted MPG"
        assert p["scatter"][0][0] == 78   # the 78 cars of the validation split
    assert pvt[0]["xlim"] == pvt[1]["xlim"] and pvt[0]["ylim"] == pvt[1]["ylim"]
    assert res[0]["ylim"] == res[1]["ylim"] and res[0]["xlim"] == res[1]["xlim"]
    assert res[0]["ylabel"] == "residual (true - predicted)"
    assert res[0]["xlabel"] == "predicted MPG"


def test_the_report_lists_settings_marks_the_best_and_names_units_not_seeds(runs):
    folder, metrics, _ = runs("auto-mpg", epochs=3)
    md = (folder / "report.md").read_text()
    assert ("| model | spec | loss | optimizer | lr | batch | epochs | preprocessing | "
            "early stopping | schedule |") in md
    best = min(metrics["models"], key=lambda k: metrics["models"][k]["val"]["mse"])
    rows = {r.split("|")[1].strip(): r for r in md.splitlines()
            if r.startswith("| ") and "9-" in r}
    assert f"{best} (best)" in rows and len([k for k in rows if "(best)" in k]) == 1
    assert "| 9-64-relu-64-relu-1 | mse | sgd | 0.003 | 32 | 3 | standardize | - | - |" in \
        rows.get("mlp", rows.get("mlp (best)"))
    assert f"best: {best} (MSE " in md
    assert "random seed 0" in md and "course unit 000" in md and "seed 000" not in md
    # made in this process (pytest), not by the mlplab command: said so, no argv invented
    assert metrics["command"] is None and "made from Python" in md


# -- classification ----------------------------------------------------------------------------

def test_every_model_gets_a_readable_confusion_matrix_and_per_class_accuracy(runs):
    folder, metrics, figs = runs("iris")
    panels = figs["confusion.png"]
    assert len(panels) == 2 * len(metrics["models"])
    for name in metrics["models"]:
        acc = metrics["models"][name]["test"]["accuracy"]
        titles = [p["title"] for p in panels if p["title"].startswith(f"{name} on test")]
        assert titles == [f"{name} on test (accuracy {100 * acc:.1f}%)\ncounts",
                          f"{name} on test (accuracy {100 * acc:.1f}%)\nshare of true "
                          "class (%)"]
    assert {p["xlabel"] for p in panels} == {"predicted class"}
    assert {p["ylabel"] for p in panels} == {"true class"}
    assert min(png_size(folder / "plots" / "confusion.png")) >= 500
    md = (folder / "report.md").read_text()
    assert "## Per-class accuracy (test split)" in md
    for cls in ("setosa", "versicolor", "virginica"):
        want = [f"{100 * metrics['models'][m]['per_class_accuracy']['test'][cls]:.1f}%"
                for m in ("softmax", "mlp")]
        assert f"| {cls} | {want[0]} | {want[1]} |" in md


# -- 2-D data ----------------------------------------------------------------------------------

def test_decision_regions_have_axis_names_class_legend_and_accuracy(runs):
    folder, metrics, figs = runs("nonlinear", epochs=2)
    panels = figs["decision_regions.png"]
    assert len(panels) == 2
    for p, name in zip(panels, ("softmax", "mlp")):
        acc = metrics["models"][name]["train"]["accuracy"]
        assert p["title"] == f"{name}\ntrain acc {100 * acc:.1f}%"
        assert (p["xlabel"], p["ylabel"]) == ("x1", "x2")
        assert p["images"] == 1 and p["scatter"][0][0] == 300
    assert panels[-1]["legend"] == ["0", "1", "2"] and panels[-1]["legend_outside"]
    evolution = figs["boundary_over_training.png"]
    assert [p["title"] for p in evolution] == [
        f"{m}, epoch {e}" for m in ("softmax", "mlp")
        for e in ("0 (start)", "1", "2")]
    assert "random start" in caption(metrics, "boundary_over_training.png")


def test_xor_shows_its_four_points_and_every_trained_models_boundary_over_training(runs):
    folder, metrics, figs = runs("xor", epochs=2)
    panels = figs["decision_regions.png"]
    assert [p["title"].split("\n")[0] for p in panels] == \
        ["linear", "threshold", "mlp", "feature-map"]
    assert panels[1]["title"] == "threshold\ntrain acc 100.0%"
    for p in panels:
        ((n, size, clipped),) = p["scatter"]
        # four large markers, not clipped at the panel's edge
        assert n == 4 and size >= 100 and clipped is False
    # the hand-set network is not trained: no boundary over training for it
    rows = {p["title"].split(",")[0] for p in figs["boundary_over_training.png"]}
    assert rows == {"linear", "mlp", "feature-map"}


def test_the_zoos_panels_are_named_by_data_set(runs):
    folder, metrics, figs = runs("nonlinear-zoo", epochs=2)
    data = ["xor", "moons", "circles", "blobs", "checkerboard"]
    panels = figs["decision_regions.png"]
    assert [p["title"].split("\n")[0] for p in panels] == \
        [f"{d}: {m}" for d in data for m in ("softmax", "mlp")]
    assert [p["legend"] for p in panels if p["legend"]][1] == ["upper", "lower"]
    # over training: the networks with a hidden layer only, a row per data set
    titles = [p["title"] for p in figs["boundary_over_training.png"]]
    assert titles == [f"{d}: mlp, epoch {e}" for d in data for e in ("0 (start)", "1", "2")]
    assert {f"curves_{d}.png" for d in data} <= set(figs)


# -- images ------------------------------------------------------------------------------------

FASHION = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]


@pytest.fixture(scope="module")
def image_run(tmp_path_factory, runs):
    """Five models on a small Fashion-MNIST-format set (random pixels, so plenty of
    mistakes): two softmax models and three MLPs, two epochs."""
    import importlib.util

    # tests/conftest.py's IDX writer (a module-scoped fixture cannot use its function-scoped
    # mnist_files fixture), loaded by path: other folders have a conftest.py of their own
    spec = importlib.util.spec_from_file_location(
        "_tests_conftest", Path(__file__).resolve().parents[1] / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)
    write_mnist_set = conftest.write_mnist_set
    root = tmp_path_factory.mktemp("fm")
    write_mnist_set(root / "files", n_train=120, n_test=40)
    models = [("softmax-unit", "784-10", "unit"), ("softmax-zscore", "784-10", "zscore"),
              ("mlp-a", "784-24-relu-10", "symmetric"), ("mlp-b", "784-20-relu-10", "unit"),
              ("mlp-c", "784-20-tanh-12-relu-10", "symmetric")]
    toml = root / "tiny-images.toml"
    toml.write_text(
        'name = "tiny-images"\ndescription = "report figures of an image run"\n'
        f'[[data]]\nname = "fashion-mnist"\nargs = {{ path = "{(root / "files").as_posix()}", '
        'offline = true }\neval = ["test"]\n'
        '[defaults]\nloss = "cross_entropy"\noptimizer = "sgd"\nlr = 0.01\nepochs = 2\n'
        'batch_size = 16\n' + "".join(
            f'[[models]]\nname = "{n}"\nspec = "{s}"\npreprocess = "{p}"\n'
            for n, s, p in models))
    return runs("tiny-images", source=str(toml))


def test_image_runs_show_mistakes_templates_and_hidden_units(image_run):
    folder, metrics, figs = image_run
    mistakes = figs["mistakes.png"]
    assert 1 <= len(mistakes) <= 24
    for p in mistakes:
        m = re.fullmatch(r"true (.+)\npred (.+)", p["title"])
        assert m and m[1] in FASHION and m[2] in FASHION and m[1] != m[2]
    best = max(metrics["models"], key=lambda k: metrics["models"][k]["test"]["accuracy"])
    assert f"best model ({best})" in caption(metrics, "mistakes.png")
    templates = figs["templates.png"]
    assert len(templates) == 2 * 10   # a row of ten class images per softmax model
    assert [p["title"] for p in templates[:10]] == FASHION
    assert [p["ylabel"] for p in templates[::10]] == ["softmax-unit", "softmax-zscore"]
    units = figs["hidden_units.png"]
    assert len(units) == 16 * 3       # 16 units of each MLP's first hidden layer
    assert all(re.fullmatch(r"unit \d+", p["title"]) for p in units)
    assert [p["ylabel"] for p in units if p["ylabel"]] == ["mlp-a", "mlp-b", "mlp-c"]
    for f in ("mistakes.png", "templates.png", "hidden_units.png"):
        assert png_size(folder / "plots" / f)[0] >= 600, f
    for f in ("confusion.png", "samples.png"):
        assert (folder / "plots" / f).is_file()


# -- the report files --------------------------------------------------------------------------

def test_every_figure_has_a_caption_in_both_reports_and_rerender_keeps_them(runs):
    from mlplab.report.build import rerender

    folder, metrics, _ = runs("iris")
    md, html = (folder / "report.md").read_text(), (folder / "report.html").read_text()
    files = sorted(p.name for p in (folder / "plots").glob("*.png"))
    assert sorted(Path(f["file"]).name for f in metrics["figures"]) == files
    for f in metrics["figures"]:
        assert "Look for:" in f["caption"] or "training images" in f["caption"]
        text = f["caption"][:1].upper() + f["caption"][1:]
        assert f"({f['file']})" in md and f"*{text}*" in md
        assert f"<figcaption>{text}</figcaption>" in html.replace("&#x27;", "'")
    rerender(folder)
    assert (folder / "report.md").read_text() == md


def test_the_settings_table_shows_the_l1_penalty_beside_the_optimizers_arguments():
    from mlplab.report.build import settings_table

    metrics = {"models": {"mlp": {"optimizer": "sgd", "lr": 0.1, "epochs": 5},
                          "plain": {"optimizer": "adam", "lr": 0.01, "epochs": 5}}}
    config = {"models": [{"name": "mlp", "spec": "2-8-tanh-1", "optimizer": "sgd",
                          "optimizer_kwargs": {"momentum": 0.9}, "l1": 0.001, "epochs": 5},
                         {"name": "plain", "spec": "2-8-tanh-1", "optimizer": "adam",
                          "epochs": 5}]}
    header, rows = settings_table(metrics, config, set())
    opt = header.index("optimizer")
    assert rows[0][opt] == "sgd (momentum 0.9, l1 0.001)"
    assert rows[1][opt] == "adam"


def test_large_targets_get_short_tick_labels():
    from matplotlib.ticker import EngFormatter

    from mlplab.report.plots import _compact_ticks, _plt

    plt = _plt()
    fig, (big, small) = plt.subplots(1, 2)
    big.set_xlim(0, 800_000)
    _compact_ticks(big, (0, 800_000))
    _compact_ticks(small, (0, 45.0))
    fig.canvas.draw()
    assert isinstance(big.xaxis.get_major_formatter(), EngFormatter)
    assert "800k" in [t.get_text() for t in big.get_xticklabels()]
    assert not isinstance(small.xaxis.get_major_formatter(), EngFormatter)
    plt.close(fig)

"""Write docs/notebooks/tour.ipynb, the notebook tour of mlplab, from the cells below.

    python docs/notebooks/make_tour.py        # rewrites tour.ipynb beside this file

The notebook is committed without outputs and with fixed cell ids, so the same cells give the
same bytes (tests/notebook checks the file against this script, then executes it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
PATH = HERE / "tour.ipynb"

CELLS: list[tuple[str, str]] = [
    ("md", """# A tour of mlplab in a notebook

This notebook runs the course's Auto MPG experiment (a linear model against a 9-64-64-1 MLP,
both trained by mlplab's hand-written NumPy engine), then looks at what the run left behind:
the comparison table, each model's training history, the figures. It reopens the run from its
folder, trains the same MLP as a scikit-learn estimator, exports it to ONNX and checks it with
onnxruntime, and ends with one backpropagation step worked out number by number.

Everything here is also a command (`mlplab run auto-mpg`, `mlplab export`, `mlplab explain`);
the notebook shows the Python side. It needs `pip install -e '.[onnx]'` plus pandas,
scikit-learn and Jupyter, and no network: the Auto MPG data ship with `vega_datasets`. The
run folders go to `runs/` beside the notebook."""),
    ("md", """## Run an experiment

`mlplab.run` takes the options of `mlplab run` (`epochs`, `seed`, `engine`, `out`, ...) and
returns a `Run`. While it trains, each model's progress bars redraw in place below the cell;
the last frame stays. Shown as the cell's result, a `Run` renders the run's own report: the
comparison table, notes on the data and the figures."""),
    ("code", """import mlplab

r = mlplab.run("auto-mpg", epochs=30, seed=0, out="runs")
r"""),
    ("md", """## The comparison table as a DataFrame

`r.table` has one row per model and the table's columns as numbers (accuracy would be a
fraction, not a percentage), so it sorts, filters and plots like any DataFrame."""),
    ("code", """r.table"""),
    ("code", """columns = ["params", "val MSE", "val R²", "best loss", "best epoch"]
r.table[columns].sort_values("val MSE")"""),
    ("md", """## A model's history

`r.history[name]` is the `mlplab.train.History` the Trainer wrote: one record per epoch, the
training outcome (`status`) and its explanation (`message`). `r.history_frame(name)` is the
same as a DataFrame indexed by epoch."""),
    ("code", """h = r.history["mlp"]
print(f"{h.status}: {h.epochs} epochs; columns {', '.join(h.columns)}")
frame = r.history_frame("mlp")
frame[["train_loss", "val_loss", "val_r2"]].tail(3)"""),
    ("code", """ax = frame[["train_loss", "val_loss"]].plot(logy=True, figsize=(6, 3.5))
ax.set(xlabel="epoch", ylabel="MSE (log scale)", title="auto-mpg, mlp: loss per epoch");"""),
    ("md", """## The run's figures

`r.figures` maps each figure's name to a `Figure`: its `path`, and `image()` for an
`IPython.display.Image`; a `Figure` on its own shows the picture."""),
    ("code", """list(r.figures)"""),
    ("code", """r.figures["predicted_vs_true"]"""),
    ("md", """## Reopen a run folder

A `Run` reads everything from its folder, so `mlplab.load_run` gives back the same tables,
histories and figures from any finished folder of `mlplab run` or `mlplab train`, in this
session or a later one. `r.metrics` is the folder's metrics.json."""),
    ("code", """again = mlplab.load_run(r.path)
print(again)
print("same table:", again.table.equals(r.table))
again.metrics["models"]["mlp"]["val"]"""),
    ("md", """## The same MLP as a scikit-learn estimator

`mlplab.sklearn.MLPRegressor` (and `MLPClassifier`) train the network with the same engine
and Trainer behind scikit-learn's interface, so it fits in a `Pipeline`. Here: the run's
network and settings (two hidden layers of 64 ReLUs, plain SGD at lr 0.003, batches of 32,
30 epochs) on the run's split. `StandardScaler` divides by the biased standard deviation
where the run's standardisation uses the unbiased one, so the numbers are close to the run's,
not equal."""),
    ("code", """from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlplab import data
from mlplab.sklearn import MLPRegressor

auto = data.load("auto-mpg")
X_train, y_train = auto.split("train")
X_val, y_val = auto.split("val")
est = make_pipeline(StandardScaler(),
                    MLPRegressor(hidden_layer_sizes=(64, 64), optimizer="sgd",
                                 learning_rate=0.003, batch_size=32, epochs=30, random_state=0))
est.fit(X_train, y_train.ravel())
print("spec", est[-1].spec_)
print(f"validation R² {est.score(X_val, y_val.ravel()):.3f} (the run's mlp: "
      f"{r.metrics['models']['mlp']['val']['r2']:.3f})")"""),
    ("md", """## Export to ONNX and check it with onnxruntime

`mlplab.export.export` writes one model of the run as an ONNX graph with the fitted
standardisation inside it, so raw rows go in and miles per gallon come out. The file passes
`onnx.checker` (full check), and onnxruntime's predictions on the validation rows equal the
run's own (`r.predict`, the saved weights and preprocessing) to within 1e-5."""),
    ("code", """import numpy as np
import onnx

from mlplab.export import export
from mlplab.export.onnx import predict_onnx

exported = export(r.path, "auto-mpg-mlp.onnx", model="mlp")
print(exported.describe())
onnx.checker.check_model(onnx.load("auto-mpg-mlp.onnx"), full_check=True)
by_onnx = predict_onnx("auto-mpg-mlp.onnx", X_val)["values"]   # raw rows in
by_mlplab = r.predict(X_val, model="mlp")
print(f"largest difference {np.abs(by_onnx - by_mlplab).max():.2g} mpg over {len(X_val)} rows")
assert np.allclose(by_onnx, by_mlplab, rtol=0, atol=1e-5)"""),
    ("md", """## One step, number by number

`mlplab explain` (here its Python functions) runs one SGD step of a small network through
the engine and writes every number of the forward pass, the loss, the backward pass and the
update. The slides' 2-2-1 network, every weight 0.1, one sample x = [1, 2] with target 0:"""),
    ("code", """from IPython.display import Markdown

from mlplab.explain import explain_network
from mlplab.explain.render import render

step = explain_network("2-2-relu-1-sigmoid", x="1,2", y="0", weights=0.1, lr=0.1)
Markdown(render(step, "markdown"))"""),
    ("md", """## Where next

- `README.md`: the command line, the engine by hand, your own data (`mlplab train`,
  `mlplab predict`, which also takes the `.onnx` written above), the playground.
- `docs/experiments.md`: every experiment's table from full runs; `docs/seeds.md`: how much
  a result moves with the seed (`mlplab run auto-mpg --seeds 0-19`)."""),
]


def build() -> nbformat.NotebookNode:
    """The tour as a notebook: no outputs, cell ids ``tour-01``, ``tour-02``, ..."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python",
                                  "name": "python3"},
                   "language_info": {"name": "python"}}
    for i, (kind, source) in enumerate(CELLS, 1):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(make(source, id=f"tour-{i:02d}"))
    nbformat.validate(nb)
    return nb


def text() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else PATH
    out.write_text(text(), encoding="utf-8")
    print(out)

"""docs/notebooks/tour.ipynb: committed as docs/notebooks/make_tour.py writes it (no outputs,
fixed cell ids), and executed top to bottom with nbclient in a Jupyter kernel of this very
interpreter (ipykernel's "python3", whose ``python`` jupyter_client runs as sys.executable),
in a temporary folder, with no network (the conftest points every mirror at a closed port;
Auto MPG ships with vega_datasets). Every cell runs without an error and shows what its
markdown says it shows."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "docs" / "notebooks" / "tour.ipynb"


def _make_tour():
    spec = importlib.util.spec_from_file_location("make_tour", NOTEBOOK.with_name("make_tour.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_notebook_is_the_scripts_without_outputs():
    text = NOTEBOOK.read_text(encoding="utf-8")
    assert text == _make_tour().text(), "run python docs/notebooks/make_tour.py"
    nb = nbformat.reads(text, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert nb.metadata.kernelspec.name == "python3"


def _outputs(cell) -> tuple[str, list[str]]:
    """All text of a cell's outputs, and the MIME types they carry."""
    texts, kinds = [], []
    for o in cell.outputs:
        if o.output_type == "stream":
            texts.append(o.text)
            kinds.append(f"stream:{o.name}")
        elif o.output_type in ("display_data", "execute_result"):
            kinds += list(o.data)
            texts += [v for k, v in o.data.items() if k.startswith("text/")]
        elif o.output_type == "error":
            texts.append("\n".join(o.traceback))
            kinds.append("error")
    return "\n".join(texts), kinds


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tour")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys; print(sys.executable)",
                                              id="interpreter"))
    client = NotebookClient(nb, kernel_name="python3", timeout=300, allow_errors=False,
                            resources={"metadata": {"path": str(folder)}})
    t0 = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - t0
    # the execution time, for the record (README, docs); not asserted
    print(f"\ntour.ipynb executed in {seconds:.1f} s", file=sys.stderr)
    return nb, folder


def test_the_kernel_is_this_interpreter(executed):
    nb, _ = executed
    text, _ = _outputs(nb.cells[-1])
    assert os.path.realpath(text.strip()) == os.path.realpath(sys.executable)


def test_every_cell_ran_and_shows_its_output(executed):
    nb, folder = executed
    cells = {c.id: c for c in nb.cells if c.cell_type == "code"}
    for cell in cells.values():
        text, kinds = _outputs(cell)
        assert cell.execution_count is not None
        assert "error" not in kinds and "stream:stderr" not in kinds, text

    # the run: one progress display per model, its final frame kept, then the report
    text, kinds = _outputs(cells["tour-03"])
    assert kinds == ["text/plain", "text/plain", "text/plain", "text/html"]
    bars = [o.data["text/plain"] for o in cells["tour-03"].outputs[:2]]
    for name, bar in zip(("linear", "mlp"), bars):
        assert bar.startswith(f"{name} epochs ━") and "30/30" in bar and "val_loss" in bar
    report = cells["tour-03"].outputs[2].data["text/html"]
    assert report.startswith("<div class='mlplab-run'>") and "<td>mlp</td>" in report
    assert report.count("<img ") >= 2
    (run,) = [p for p in (folder / "runs").iterdir() if not p.name.startswith(".")]

    # tables as DataFrames
    for cid in ("tour-05", "tour-06"):
        assert _outputs(cells[cid])[1] == ["text/plain", "text/html"]
    assert "<th>val MSE</th>" in cells["tour-06"].outputs[0].data["text/html"]
    # the history, printed and plotted inline (the run's Agg backend gave the inline back)
    assert _outputs(cells["tour-08"])[0].startswith("ok: 30 epochs; columns epoch, train_loss")
    assert "image/png" in _outputs(cells["tour-09"])[1]
    # figures: names, then one shown as a PNG
    assert "'curves'" in _outputs(cells["tour-11"])[0]
    assert "image/png" in _outputs(cells["tour-12"])[1]
    # load_run gives the same table
    assert "same table: True" in _outputs(cells["tour-14"])[0]
    # the scikit-learn estimator
    text = _outputs(cells["tour-16"])[0]
    assert "spec 9-64-relu-64-relu-1" in text and "validation R² 0." in text
    # ONNX: the cell's own assert checked 1e-5; the file is there
    text = _outputs(cells["tour-18"])[0]
    assert "wrote auto-mpg-mlp.onnx: model mlp (9-64-relu-64-relu-1), ONNX opset 17" in text
    assert "largest difference" in text and (folder / "auto-mpg-mlp.onnx").is_file()
    # the worked step, as Markdown: the slides' loss 0.7872
    md = cells["tour-20"].outputs[0].data["text/markdown"]
    assert md.startswith("# mlplab explain 2-2-relu-1-sigmoid") and "= 0.7872" in md
    assert run.name.startswith("auto-mpg-")

"""Bad input to `mlplab train`: one clear line each (the file or option, what is wrong, what to
do), exit code 2, and no run folder, not even a half-written one."""

import numpy as np
import pytest
from byod_support import train_fails, write_wine


def write(path, text):
    path.write_text(text)
    return path


def small(n=12, **extra):
    """A small valid table: x numeric, colour text, y two classes; ``extra`` columns added."""
    cols = {"x": [f"{0.5 * (i % 5)}" for i in range(n)],
            "colour": [("red", "blue")[i % 2] for i in range(n)],
            "y": [("no", "yes", "yes")[i % 3] for i in range(n)], **extra}
    return "\n".join([",".join(cols)] + [",".join(v[i] for v in cols.values())
                                         for i in range(n)]) + "\n"


def test_target_absent_lists_the_columns(tmp_path):
    f = write(tmp_path / "d.csv", small())
    err = train_fails(f, tmp_path / "runs", "--target", "label")
    assert err == (f"error: {f}: no column 'label' (--target); the columns are 'x', 'colour', "
                   "'y'")
    err = train_fails(f, tmp_path / "runs")
    assert err == (f"error: {f}: say which column to predict with --target; the columns are "
                   "'x', 'colour', 'y'")


def test_single_class(tmp_path):
    f = write(tmp_path / "d.csv", small().replace(",no\n", ",yes\n"))
    assert train_fails(f, tmp_path / "runs", "--target", "y") == (
        f"error: {f}: target 'y' has a single class ('yes'); classification needs at least two "
        "(add rows of another class, or pick another --target)")


def test_fewer_rows_than_the_split_needs(tmp_path):
    f = write(tmp_path / "d.csv", small(n=3))
    assert train_fails(f, tmp_path / "runs", "--target", "y") == (
        f"error: {f}: 3 rows are too few for --val-fraction 0.2 and --test-fraction 0.2: the "
        "test split would be empty; add rows or lower the fractions (0 turns a split off)")
    f = write(tmp_path / "h.csv", "x,y\n1,2.5\n,3.5\n2,\n3,4.5\n")
    assert train_fails(f, tmp_path / "runs", "--target", "y") == (
        f"error: {f}: 2 rows (after dropping 1 without a target, 1 with a missing feature "
        "value (--missing drop)) are too few for --val-fraction 0.2 and --test-fraction 0.2: "
        "the test split would be empty; add rows or lower the fractions (0 turns a "
        "split off)")
    f = write(tmp_path / "t.csv", "x,y\n1,2.5\n2,3.5\n")
    assert train_fails(f, tmp_path / "runs", "--target", "y", "--test-fraction", 0,
                       "--val-fraction", 0.5).endswith("train would hold 1 row; add rows or "
                                                       "lower the fractions (0 turns a split "
                                                       "off)")


def test_non_numeric_target_for_regression(tmp_path):
    f = write(tmp_path / "d.csv", small())
    assert train_fails(f, tmp_path / "runs", "--target", "y", "--task", "regression") == (
        f"error: {f}: --task regression needs a numeric target, but column 'y' holds text "
        "('no' on line 2, 'yes' on line 3); use --task classification, or fix those cells")


def test_all_missing_column(tmp_path):
    f = write(tmp_path / "d.csv", small(empty=[""] * 6 + ["NA"] * 6))
    assert train_fails(f, tmp_path / "runs", "--target", "y") == (
        f"error: {f}: column 'empty' is empty (every value missing); pass --drop empty or fill "
        "it in")
    f = write(tmp_path / "t.csv", small().replace(",no\n", ",\n").replace(",yes\n", ",?\n"))
    assert "the target column 'y' has no values (all missing)" in \
        train_fails(f, tmp_path / "runs", "--target", "y")


def test_every_row_has_a_hole(tmp_path):
    f = write(tmp_path / "d.csv", "a,b,y\n1,,x\n,2,y\n3,,x\n,4,y\n")
    assert train_fails(f, tmp_path / "runs", "--target", "y") == (
        f"error: {f}: every row has a missing value; use --missing mean, or --drop the "
        "emptiest columns")


@pytest.mark.parametrize("name,content,message", [
    ("none.csv", None, "{f}: no such file or folder; check the path"),
    ("empty.csv", "", "{f}: the file is empty; expected a header row and data rows"),
    ("header.csv", "a,b,y\n", "{f}: the file holds a header but no data rows"),
    ("ragged.csv", "a,b,y\n1,2,x\n3,4\n", "{f}: line 3 has 2 fields but the header has 3 "
                                          "(comma-separated); fix that line"),
    ("sheet.xlsx", b"PK\x03\x04\x00\x00binary", "{f}: not a text file (it holds binary data); "
                                                "export the table as CSV with a header row"),
    ("twice.csv", "a,a,y\n1,2,x\n", "{f}: column name 'a' appears twice (columns 1 and 2); "
                                    "rename one"),
    ("bad.npz", b"not a zip", "{f}: not an .npz archive (an .npz is a zip of .npy arrays); "
                              "save it with np.savez(path, X=X, y=y)"),
])
def test_unreadable_files(tmp_path, name, content, message):
    f = tmp_path / name
    if isinstance(content, bytes):
        f.write_bytes(content)
    elif content is not None:
        f.write_text(content)
    err = train_fails(f, tmp_path / "runs", *(["--target", "y"] if name.endswith("csv") else []))
    assert err.startswith("error: " + message.format(f=f)), err


def test_npz_without_pickles_or_y(tmp_path):
    f = tmp_path / "objects.npz"
    np.savez(f, X=np.array([[1, 2], [3, 4]], dtype=object), y=np.array([0, 1]))
    assert train_fails(f, tmp_path / "runs") == (
        f"error: {f}: holds pickled Python objects, which mlplab does not load (unpickling can "
        "run code); save plain numeric arrays X and y")
    f = tmp_path / "nolabels.npz"
    np.savez(f, X=np.zeros((5, 2)), labels=np.zeros(5))
    assert train_fails(f, tmp_path / "runs") == (
        f"error: {f}: no array 'y' (it holds 'X', 'labels'); save it with np.savez(path, X=X, "
        "y=y)")


def test_image_folder_without_classes(tmp_path):
    (tmp_path / "photos").mkdir()
    err = train_fails(tmp_path / "photos", tmp_path / "runs")
    assert "no class folders; expected" in err


@pytest.mark.parametrize("args,message", [
    (["--hidden", "64,x"], "--hidden '64,x': need comma-separated positive widths, e.g. 64,64"),
    (["--missing", "median"], "--missing 'median': choose one of drop, mean"),
    (["--activation", "step"],
     "--activation 'step': choose one of identity, sigmoid, tanh, relu, "),
    (["--optimizer", "lbfgs"], "--optimizer 'lbfgs': choose one of sgd, "),
    (["--task", "ranking"], "--task 'ranking': choose regression or classification"),
    (["--lr", "0"], "--lr 0.0: the learning rate must be positive"),
    (["--val-fraction", "0.5", "--test-fraction", "0.5"], "--val-fraction 0.5 and "
                                                           "--test-fraction 0.5 leave no rows"),
    (["--early-stopping", "5", "--val-fraction", "0"], "--early-stopping watches the "
                                                       "validation loss: give a --val-fraction"),
    (["--drop", "nope"], "--drop: no column 'nope' in "),
    (["--image-size", "32"], "--image-size applies to images data, but "),
    (["--compare-sklearn", "--activation", "gelu"], "--compare-sklearn: scikit-learn's MLP has "
                                                    "no 'gelu' activation"),
    (["--compare-sklearn", "--optimizer", "rmsprop"], "--compare-sklearn: scikit-learn's MLP "
                                                      "trains with sgd or adam, not 'rmsprop'"),
])
def test_bad_options(tmp_path, args, message):
    f = tmp_path / "wine.csv"
    write_wine(f)
    err = train_fails(f, tmp_path / "runs", "--target", "cultivar", *args)
    assert err.startswith("error: " + message), err


def test_target_option_on_arrays(tmp_path):
    np.savez(tmp_path / "a.npz", X=np.zeros((20, 2)), y=np.arange(20) % 2)
    assert train_fails(tmp_path / "a.npz", tmp_path / "runs", "--target", "y") == (
        f"error: --target applies to csv data, but {tmp_path / 'a.npz'} is a npz file; drop "
        "--target")


def test_failure_during_training_leaves_no_partial_folder(tmp_path, monkeypatch):
    from mlplab.data import DataError
    from mlplab.experiments.kinds import MODEL_KINDS, ModelKind

    f = tmp_path / "wine.csv"
    write_wine(f)

    def boom(job):
        raise DataError("engine exploded")

    monkeypatch.setitem(MODEL_KINDS, "mlplab", ModelKind(boom, "fails on its first job"))
    from byod_support import invoke

    res = invoke("train", f, "--target", "cultivar", "--out", tmp_path / "runs", "-q")
    assert res.exit_code == 2 and "error: engine exploded" in res.output
    assert list((tmp_path / "runs").iterdir()) == []

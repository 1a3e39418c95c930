"""The CSV rules of mlplab.data.table and the readers of mlplab.byod.sources: delimiters,
task inference, which columns are dropped, one-hot, missing values, splits."""

import numpy as np
import pytest

from mlplab.byod import TrainOptions, prepare
from mlplab.data import DataError
from mlplab.data import table as T


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, sep):
    f = write(tmp_path / "t.txt", f"a{sep}b{sep}y\n1{sep}2{sep}x\n3{sep}4{sep}z\n")
    t = T.read_table(f)
    assert t.delimiter == sep and t.header == ["a", "b", "y"] and t.rows[1] == ["3", "4", "z"]


def test_decimal_commas_with_semicolons(tmp_path):
    f = write(tmp_path / "t.csv", "a;b\n1,5;x\n2,25;y\n")
    t = T.read_table(f)
    assert t.delimiter == ";"
    assert T.Cells.parse(t.column("a"), t.comma_decimal).values.tolist() == [1.5, 2.25]


def test_quoted_fields_and_blank_lines(tmp_path):
    f = write(tmp_path / "t.csv", 'name,v\n"Smith, J",1\n\n"Doe, A",2\n')
    t = T.read_table(f)
    assert t.rows == [["Smith, J", "1"], ["Doe, A", "2"]] and t.lines == [2, 4]


@pytest.mark.parametrize("values,task", [
    (np.arange(50.0), "regression"),               # many values
    (np.array([0.5, 1.0, 1.0, 2.0]), "regression"),  # fractions
    (np.array([0, 1, 2, 1, 0.0]), "classification"),
    (np.arange(20.0), "classification"),             # 20 integer codes: still classes
    (np.arange(21.0), "regression"),
])
def test_task_inference(values, task):
    assert T.infer_task(values)[0] == task


def rows(n, **cols):
    return "\n".join([",".join(cols)] + [",".join(str(v[i]) for v in cols.values())
                                         for i in range(n)]) + "\n"


def test_columns_dropped_with_notes_and_one_hot(tmp_path):
    n = 30
    rng = np.random.default_rng(0)
    text = rows(n, id=rng.permutation(n) + 7, row=np.arange(n), const=["k"] * n,
                name=[f"person{i}" for i in range(n)], size=rng.normal(size=n).round(3),
                count=rng.choice(1000, n, replace=False), colour=rng.choice(["red", "blue"], n),
                y=rng.integers(0, 2, n))
    p = prepare(write(tmp_path / "d.csv", text), TrainOptions(target="y"))
    notes = "\n".join(p.notes)
    assert ("dropped columns: 'id' (ID-like: every value distinct), 'row' (ID-like: every "
            "value distinct), 'const' (constant: 'k'), 'name' (ID-like: every value distinct)"
            ) in notes
    # kept: a continuous column, distinct integers with gaps that are not named like an ID
    assert p.dataset.feature_names == ["size", "count", "colour=blue", "colour=red"]
    assert "one-hot: 'colour' (2 levels)" in notes
    X = p.dataset.X
    assert set(np.unique(X[:, 2:])) == {0.0, 1.0} and np.all(X[:, 2:].sum(axis=1) == 1)


def test_categorical_option_one_hots_codes_and_drop_option(tmp_path):
    text = rows(12, origin=[1, 2, 3] * 4, w=np.arange(12) * 1.5, junk=["a", "b"] * 6,
                y=np.arange(12) * 2.5)
    p = prepare(write(tmp_path / "d.csv", text),
                TrainOptions(target="y", categorical=("origin",), drop=("junk",)))
    assert p.dataset.feature_names == ["origin=1", "origin=2", "origin=3", "w"]
    assert p.dataset.task == "regression"
    assert "'junk' (--drop)" in "\n".join(p.notes)


def test_high_cardinality_text_is_dropped(tmp_path):
    n = 120
    text = rows(n, car=[f"model {i % 80}" for i in range(n)], w=np.arange(n) % 7,
                y=np.arange(n) % 2)
    p = prepare(write(tmp_path / "d.csv", text), TrainOptions(target="y"))
    assert "'car' (text with 80 distinct values in 120 rows, too many to one-hot" in \
        "\n".join(p.notes)


def test_missing_drop_counts_rows_and_mean_keeps_nan(tmp_path):
    text = "a,b,y\n1,x,0\n,x,1\n3,?,0\n4,z,1\n5,x,\n6,z,0\n7,x,1\n8,z,0\n9,x,1\n10,z,0\n"
    f = write(tmp_path / "d.csv", text)
    opts = dict(target="y", val_fraction=0.0, test_fraction=0.25)
    p = prepare(f, TrainOptions(**opts))
    assert p.notes[0] == ("data: d.csv, comma-separated, 10 rows; dropped 1 without a target, "
                          "2 with a missing feature value (--missing drop); 7 rows kept")
    assert len(p.dataset.X) == 7 and not np.isnan(p.dataset.X).any()
    assert p.preprocess == "standardize"
    p = prepare(f, TrainOptions(missing="mean", **opts))
    assert len(p.dataset.X) == 9 and p.preprocess == "impute+standardize"
    X = p.dataset.X
    assert np.isnan(X[1, 0]) and np.isnan(X[2, 1:]).all()   # a number; a category's columns
    assert "--missing mean: 2 missing cells in 2 rows" in "\n".join(p.notes)


def test_encode_unseen_level_is_all_zeros(tmp_path):
    t = T.read_table(write(tmp_path / "d.csv", "c,v\nred,1\npink,2\n,3\n"))
    cols = [{"name": "c", "kind": "categorical", "levels": ["blue", "red"]},
            {"name": "v", "kind": "numeric"}]
    X, unseen = T.encode(t, cols)
    assert X[0].tolist() == [0, 1, 1] and X[1].tolist() == [0, 0, 2]
    assert np.isnan(X[2, :2]).all() and unseen == {"c": 1}


def test_split_is_stratified_seeded_and_sized(tmp_path):
    from sklearn.datasets import load_iris

    frame = load_iris(as_frame=True).frame
    frame.to_csv(tmp_path / "iris.csv", index=False)
    a = prepare(tmp_path / "iris.csv", TrainOptions(target="target", seed=3))
    b = prepare(tmp_path / "iris.csv", TrainOptions(target="target", seed=3))
    c = prepare(tmp_path / "iris.csv", TrainOptions(target="target", seed=4))
    sizes = {s: len(v) for s, v in a.dataset.splits.items()}
    assert sizes == {"train": 90, "val": 30, "test": 30}
    for s in sizes:
        assert np.array_equal(a.dataset.splits[s], b.dataset.splits[s])
        assert np.bincount(a.dataset.y[a.dataset.splits[s]]).tolist() == [sizes[s] // 3] * 3
    assert not np.array_equal(a.dataset.splits["test"], c.dataset.splits["test"])
    no_val = prepare(tmp_path / "iris.csv", TrainOptions(target="target", val_fraction=0))
    assert set(no_val.dataset.splits) == {"train", "test"}


def test_text_labels_sorted_and_numeric_labels_by_value(tmp_path):
    text = rows(12, x=np.arange(12) % 5, y=["b", "a", "c"] * 4)
    p = prepare(write(tmp_path / "t.csv", text), TrainOptions(target="y"))
    assert p.dataset.class_names == ["a", "b", "c"] and p.dataset.y[:3].tolist() == [1, 0, 2]
    text = rows(12, x=np.arange(12) % 5, y=[10, 2, 1.0] * 4)
    p = prepare(write(tmp_path / "n.csv", text), TrainOptions(target="y"))
    assert p.dataset.class_names == ["1", "2", "10"] and p.dataset.y[:3].tolist() == [2, 1, 0]


def test_class_only_in_dropped_rows_is_forgotten(tmp_path):
    text = "a,y\n" + "".join(f"{i % 7},{'ab'[i % 2]}\n" for i in range(20)) + ",c\n"
    p = prepare(write(tmp_path / "t.csv", text), TrainOptions(target="y"))
    assert p.dataset.class_names == ["a", "b"]
    assert "class(es) 'c' only in dropped rows: left out, 2 classes remain" in p.notes


def test_npz_reader(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    X[0, 1] = np.nan
    np.savez(tmp_path / "a.npz", X=X, y=np.array(["cat", "dog"] * 20))
    p = prepare(tmp_path / "a.npz", TrainOptions())
    assert p.dataset.task == "classification" and p.dataset.class_names == ["cat", "dog"]
    assert len(p.dataset.X) == 39 and "1 with NaN in X (--missing drop)" in p.notes[0]
    np.savez(tmp_path / "r.npz", X=X, y=X[:, 0] * 2.5)
    p = prepare(tmp_path / "r.npz", TrainOptions(missing="mean"))
    assert p.dataset.task == "regression" and len(p.dataset.X) == 40


def test_error_lines_name_the_file_and_the_fix(tmp_path):
    f = write(tmp_path / "d.csv", "a,b\n1,2\n3\n")
    with pytest.raises(DataError, match=r"d.csv: line 3 has 1 fields but the header has 2"):
        T.read_table(f)
    f = write(tmp_path / "e.csv", "a,a\n1,2\n")
    with pytest.raises(DataError, match=r"column name 'a' appears twice \(columns 1 and 2\)"):
        T.read_table(f)
    f = write(tmp_path / "m.csv", rows(20, v=[1.5] * 19 + ["abc"], y=np.arange(20) % 2))
    with pytest.raises(DataError, match=r"column 'v' holds numbers except 1 cell\(s\) \('abc' "
                                        r"on line 21\).*--categorical v"):
        prepare(f, TrainOptions(target="y"))
    f = write(tmp_path / "t.csv", rows(20, v=np.arange(20), y=[1.5] * 19 + ["x"]))
    with pytest.raises(DataError, match=r"target 'y' is numeric except 1 cell"):
        prepare(f, TrainOptions(target="y"))


def test_lr_default_follows_the_optimizer():
    assert TrainOptions().validate().lr == 1e-3
    assert TrainOptions(optimizer="sgd").validate().lr == 0.01
    assert TrainOptions(optimizer="sgd", lr=0.2).validate().lr == 0.2

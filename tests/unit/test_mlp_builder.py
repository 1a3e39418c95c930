"""One MLP builder: the head rule, and byod, scikit-learn and the playground building their
networks through it (the same inputs give the same spec and loss; the playground's two-class
head is its own, one logit, asked for with binary="logit")."""

import numpy as np
import pytest

from mlplab.spec import Head, ModelSpec, SpecError, head_for, mlp_text


@pytest.mark.parametrize("task, classes, kwargs, head", [
    ("regression", 0, {}, Head(1, "mse")),
    ("regression", 0, {"targets": 3}, Head(3, "mse")),
    ("regression", 5, {"binary": "logit"}, Head(1, "mse")),      # classes mean nothing here
    ("classification", 2, {}, Head(2, "cross_entropy")),         # byod, sklearn
    ("classification", 2, {"binary": "softmax"}, Head(2, "cross_entropy")),
    ("classification", 2, {"binary": "logit"}, Head(1, "bce_logits")),   # the playground
    ("classification", 3, {}, Head(3, "cross_entropy")),
    ("classification", 7, {"binary": "logit"}, Head(7, "cross_entropy")),
    ("classification", 1, {}, Head(1, "cross_entropy")),         # sklearn fits one class
])
def test_head_rule_table(task, classes, kwargs, head):
    assert head_for(task, classes, **kwargs) == head
    assert head.activation is None


@pytest.mark.parametrize("args, words", [
    (("clustering", 3), "task"), (("classification", 0), "class"),
    (("regression", 0, "softmax", 0), "target"), (("classification", 2, "sigmoid"), "binary"),
])
def test_head_rule_refuses_what_it_cannot_build(args, words):
    task, classes, *rest = args
    kwargs = dict(zip(("binary", "targets"), rest))
    with pytest.raises(ValueError, match=words):
        head_for(task, classes, **kwargs)


def test_mlp_text_and_spec():
    head = head_for("classification", 3)
    assert mlp_text(4, (8, 6), "gelu:tanh", head, 0.25) == \
        "4-8-gelu:tanh-dropout:0.25-6-gelu:tanh-dropout:0.25-3"
    assert mlp_text(4, (), "relu", head) == "4-3"       # the baseline: no hidden layer
    assert mlp_text(4, (5,), "relu", Head(1, "bce", "sigmoid")) == "4-5-relu-1-sigmoid"
    spec = ModelSpec.mlp(4, (8,), "relu", "classification", 2, binary="logit")
    assert str(spec) == "4-8-relu-1" and spec.out_features == 1
    with pytest.raises(SpecError):
        ModelSpec.mlp(4, (8,), "nosuch", "regression")


# -- the three faces -------------------------------------------------------------------------
def _csv(tmp_path, task: str, classes: int) -> str:
    rng = np.random.default_rng(0)
    rows = ["a,b,label"]
    for i in range(90):
        a, b = rng.normal(size=2)
        label = f"c{i % classes}" if task == "classification" else f"{a + 2 * b:.4f}"
        rows.append(f"{a:.4f},{b:.4f},{label}")
    path = tmp_path / "data.csv"
    path.write_text("\n".join(rows) + "\n")
    return str(path)


def _byod(tmp_path, task, classes, hidden, activation):
    from mlplab.byod.build import build_experiment
    from mlplab.byod.options import TrainOptions

    exp = build_experiment(_csv(tmp_path, task, classes),
                           TrainOptions(target="label", task=task, hidden=hidden,
                                        activation=activation))
    (base, mlp) = exp.models[:2]
    assert base["spec"] == str(ModelSpec.mlp(2, (), activation, task, classes))
    return mlp["spec"], mlp["loss"]


def _sklearn(task, classes, hidden, activation):
    from mlplab.sklearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)).astype(np.float32)
    if task == "classification":
        est = MLPClassifier(hidden, activation, epochs=1, random_state=0)
        est.fit(X, np.arange(40) % classes)
    else:
        est = MLPRegressor(hidden, activation, epochs=1, random_state=0).fit(X, X.sum(1))
    return est.spec_, est.engine_.loss_name


def _playground(task, classes, hidden, activation):
    from mlplab.playground.schema import Config
    from mlplab.playground.session import Session

    config = (Config(dataset="blobs", classes=classes, layers=list(hidden),
                     activation=activation) if task == "classification" else
              Config(problem="regression", dataset="plane", layers=list(hidden),
                     activation=activation))
    s = Session(config)
    return s.spec, s.loss_name


@pytest.mark.parametrize("task, classes", [("classification", 3), ("classification", 2),
                                           ("regression", 0)])
def test_the_three_faces_build_the_builders_spec(tmp_path, task, classes):
    hidden, activation = (8, 4), "tanh"
    spec = ModelSpec.mlp(2, hidden, activation, task, classes)
    expected = (str(spec), head_for(task, classes).loss)
    assert _byod(tmp_path, task, classes, hidden, activation) == expected
    assert _sklearn(task, classes, hidden, activation) == expected
    # the playground asks for one logit for two classes: the same text elsewhere
    page = ModelSpec.mlp(2, hidden, activation, task, classes, binary="logit")
    assert _playground(task, classes, hidden, activation) == \
        (str(page), head_for(task, classes, binary="logit").loss)
    if classes != 2:
        assert page == spec


def test_the_faces_keep_their_two_class_heads(tmp_path):
    assert _byod(tmp_path, "classification", 2, (5,), "relu") == ("2-5-relu-2", "cross_entropy")
    assert _sklearn("classification", 2, (5,), "relu") == ("2-5-relu-2", "cross_entropy")
    assert _playground("classification", 2, (5,), "relu") == ("2-5-relu-1", "bce_logits")

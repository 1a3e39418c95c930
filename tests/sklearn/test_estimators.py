"""mlplab.sklearn in scikit-learn's own tools (Pipeline with a ColumnTransformer,
GridSearchCV), against scikit-learn's MLP on the same data and settings, and what its
estimators promise: the spec they build, seeding, partial_fit, fitted attributes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_digits, load_wine
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.neural_network import MLPClassifier as SkMLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from mlplab.errors import UsageError
from mlplab.sklearn import MLPClassifier, MLPRegressor
from mlplab.train import Trainer, build_engine


def wine_frame():
    """Wine's 13 measurements, a text column and labels as words, in a DataFrame."""
    data = load_wine(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame["cellar"] = np.random.default_rng(0).choice(["north", "south", "east"], len(frame))
    y = np.array(["barolo", "grignolino", "barbera"])[data.target]
    return frame, y


def test_pipeline_with_a_column_transformer():
    X, y = wine_frame()
    numeric = [c for c in X.columns if c != "cellar"]
    pipe = Pipeline([
        ("prep", ColumnTransformer([("num", StandardScaler(), numeric),
                                    ("cat", OneHotEncoder(), ["cellar"])])),
        ("mlp", MLPClassifier(hidden_layer_sizes=(32,), epochs=40, learning_rate=0.01,
                              random_state=0)),
    ])
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    pipe.fit(Xtr, ytr)
    mlp = pipe.named_steps["mlp"]
    assert mlp.spec_ == "16-32-relu-3"   # 13 measurements + 3 one-hot columns
    assert list(mlp.classes_) == ["barbera", "barolo", "grignolino"]
    assert pipe.score(Xte, yte) >= 0.95
    proba = pipe.predict_proba(Xte)
    assert proba.shape == (len(Xte), 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    assert list(pipe.predict(Xte)) == list(mlp.classes_[proba.argmax(axis=1)])


def test_grid_search():
    X, y = load_wine(return_X_y=True)
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPClassifier(epochs=20, random_state=0))])
    grid = GridSearchCV(pipe, {"mlp__hidden_layer_sizes": [(8,), (32,)],
                               "mlp__learning_rate": [1e-4, 1e-2]}, cv=3)
    grid.fit(X, y)
    assert len(grid.cv_results_["params"]) == 4
    # 20 Adam epochs at 1e-4 barely move the weights; at 1e-2 wine is learned
    assert grid.best_params_["mlp__learning_rate"] == 1e-2
    assert grid.best_score_ >= 0.93
    assert grid.best_estimator_.named_steps["mlp"].n_iter_ == 20


def test_regressor_in_a_pipeline_and_multi_output():
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    pipe = Pipeline([("scale", StandardScaler()),
                     ("mlp", MLPRegressor(hidden_layer_sizes=(32,), epochs=30,
                                          learning_rate=0.003, random_state=0))])
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0)
    pipe.fit(Xtr, ytr)
    assert pipe.predict(Xte).shape == (len(Xte),)
    assert pipe.score(Xte, yte) > 0.3   # least squares reaches 0.36 on this split
    two = MLPRegressor(hidden_layer_sizes=(8,), epochs=5, random_state=0).fit(
        Xtr, np.column_stack([ytr, -ytr]))
    assert two.predict(Xte).shape == (len(Xte), 2) and two.spec_ == "10-8-relu-2"


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_accuracy_close_to_scikit_learns_mlp(optimizer):
    """Digits, one hidden layer of 64 ReLUs, plain SGD (no momentum) or Adam at lr 0.01,
    batches of 32, 30 epochs, no L2 penalty, seeds 0-2: the mean test accuracy is within
    0.02 of scikit-learn's MLPClassifier's (measured: sgd 0.940 vs 0.948, adam 0.978 vs
    0.978). Speed: benchmarks/sklearn_compare.py."""
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    ours, theirs = [], []
    for seed in range(3):
        common = dict(hidden_layer_sizes=(64,), batch_size=32, random_state=seed)
        ours.append(MLPClassifier(optimizer=optimizer, learning_rate=0.01, epochs=30,
                                  **common).fit(Xtr, ytr).score(Xte, yte))
        sk = SkMLPClassifier(activation="relu", solver=optimizer, learning_rate_init=0.01,
                             max_iter=30, alpha=0.0, momentum=0.0, nesterovs_momentum=False,
                             n_iter_no_change=10**6, tol=0.0, **common)
        with pytest.warns(Warning):   # ConvergenceWarning: max_iter reached, as asked
            theirs.append(sk.fit(Xtr, ytr).score(Xte, yte))
    assert abs(np.mean(ours) - np.mean(theirs)) <= 0.02, (ours, theirs)
    assert min(ours) >= 0.92


def test_the_same_training_as_the_engine_and_trainer():
    """fit is build_engine(spec) + Trainer.fit with the seed: the same weights, bit for bit."""
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    clf = MLPClassifier(hidden_layer_sizes=(8, 4), activation="tanh", optimizer="sgd",
                        learning_rate=0.05, batch_size=16, epochs=3, random_state=7).fit(X, y)
    assert clf.spec_ == "13-8-tanh-4-tanh-3"
    engine = build_engine("numpy", spec=clf.spec_, loss="cross_entropy", optimizer="sgd",
                          lr=0.05, seed=7)
    Trainer(engine, epochs=3, batch_size=16, seed=7, progress=False).fit((X, y))
    for k, v in engine.state_dict().items():
        np.testing.assert_array_equal(clf.engine_.state_dict()[k], v)
    assert [w.shape for w in clf.coefs_] == [(13, 8), (8, 4), (4, 3)]
    assert clf.n_iter_ == 3 and len(clf.loss_curve_) == 3 and clf.loss_ == clf.loss_curve_[-1]


def test_seeding_and_no_global_random_state():
    X, y = load_wine(return_X_y=True)
    state = np.random.get_state()[1].copy()
    a = MLPClassifier(hidden_layer_sizes=(8,), epochs=2, dropout=0.2,
                      random_state=3).fit(X, y).predict_proba(X)
    b = MLPClassifier(hidden_layer_sizes=(8,), epochs=2, dropout=0.2,
                      random_state=np.random.RandomState(3)).fit(X, y).predict_proba(X)
    c = MLPClassifier(hidden_layer_sizes=(8,), epochs=2, dropout=0.2,
                      random_state=3).fit(X, y).predict_proba(X)
    MLPClassifier(hidden_layer_sizes=(8,), epochs=1).fit(X, y)   # random_state=None
    np.testing.assert_array_equal(a, c)
    assert not np.array_equal(a, b)   # a RandomState is drawn from, not used as the seed 3
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_partial_fit_and_early_stopping():
    X, y = load_wine(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=0.01, random_state=0)
    with pytest.raises(UsageError, match="the first call needs classes="):
        clf.partial_fit(X[:50], y[:50])
    for start in range(0, 178, 50):
        clf.partial_fit(X[start:start + 50], y[start:start + 50], classes=[0, 1, 2])
    assert clf.n_iter_ == 4 and list(clf.classes_) == [0, 1, 2]
    with pytest.raises(UsageError, match=r"y holds label\(s\) \[np.int64\(5\)\]|\[5\]"):
        clf.partial_fit(X[:3], [0, 1, 5])
    es = MLPClassifier(hidden_layer_sizes=(16,), learning_rate=0.05, epochs=500,
                       early_stopping=True, patience=5, random_state=0).fit(X, y)
    assert es.n_iter_ < 500 and es.history_.status == "early_stopped"
    assert es.best_validation_loss_ == min(es.history_.column("val_loss"))


def test_bad_hyperparameters_are_named():
    X, y = load_wine(return_X_y=True)
    cases = [({"activation": "swish"}, "unknown activation 'swish'; choose one of"),
             ({"optimizer": "lbfgs"}, "unknown optimizer 'lbfgs'; choose one of"),
             ({"hidden_layer_sizes": (8, 0)}, r"hidden_layer_sizes=\(8, 0\): expected positive"),
             ({"dropout": 1.0}, r"dropout=1.0: expected a probability in \[0, 1\)")]
    for params, message in cases:
        with pytest.raises(UsageError, match=message):
            MLPClassifier(epochs=1, **params).fit(X, y)


def test_dataframe_feature_names_are_kept():
    X, y = wine_frame()
    X = X.drop(columns="cellar")
    clf = MLPClassifier(hidden_layer_sizes=(4,), epochs=1, random_state=0).fit(X, y)
    assert list(clf.feature_names_in_) == list(X.columns)
    assert clf.predict(pd.DataFrame(X.iloc[:3])).shape == (3,)

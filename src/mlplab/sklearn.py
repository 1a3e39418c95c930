"""scikit-learn estimators trained by mlplab: ``MLPClassifier`` and ``MLPRegressor``.

They follow scikit-learn's conventions (constructor hyperparameters only, ``fit`` returns
self, fitted attributes end in ``_``, ``get_params``/``set_params``, ``score``), so they work
in a ``Pipeline``, a ``ColumnTransformer`` and ``GridSearchCV``, and pass scikit-learn's
estimator checks. Underneath, the network is a ModelSpec built from the hyperparameters
(``n_features-h1-act-...-n_outputs``) and trained by the NumPy engine through mlplab's one
Trainer, with ``np.random.default_rng`` generators seeded from ``random_state`` only::

    from mlplab.sklearn import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(64,), epochs=50, random_state=0).fit(X, y)
    clf.predict_proba(X_test)        # (n, n_classes) float64
    clf.spec_                        # '13-64-relu-3'

Needs scikit-learn (1.6 or later).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from mlplab.errors import UsageError

__all__ = ["MLPClassifier", "MLPRegressor"]


def _seed(random_state) -> int:
    """An int seed from ``random_state`` (None, int, RandomState or Generator). None draws
    one from fresh OS entropy, never from NumPy's global generator."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(2**31))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**31))
    raise UsageError(f"random_state={random_state!r}: expected None, an int, a "
                     "numpy.random.RandomState or a numpy.random.Generator")


class _MLPBase(BaseEstimator):
    """Hyperparameters and training shared by the classifier and the regressor.

    Parameters
    ----------
    hidden_layer_sizes : widths of the hidden layers, e.g. ``(64, 64)``; ``()`` for none.
    activation : an activation of ``mlplab.kinds.ACTIVATIONS`` after each hidden layer
        (``"relu"``, ``"tanh"``, ``"gelu"``, ``"leakyrelu:0.1"``, ...).
    optimizer : an optimizer of ``mlplab.optim`` (sgd, adam, adamw, rmsprop, adagrad,
        adadelta), with torch's defaults.
    learning_rate : the optimizer's learning rate.
    batch_size : rows per step; ``"auto"`` is min(200, n_samples), as scikit-learn's MLP.
    epochs : passes over the training rows per ``fit`` (``partial_fit`` makes one).
    early_stopping : hold out ``validation_fraction`` of the rows (stratified for a
        classifier) and stop when their loss has not improved for ``patience`` epochs,
        keeping the best epoch's weights.
    dropout : dropout probability after each hidden activation (0 for none).
    weight_decay : L2 penalty added to the gradients by the optimizer (decoupled for adamw).
    random_state : seeds the initial weights, dropout, shuffling and the validation split.
    verbose : show the Trainer's progress bars.
    """

    _task = ""   # "classification" or "regression": picks the head (mlplab.spec.head_for)

    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, optimizer="adam",
                 learning_rate=1e-3, batch_size="auto", epochs=200, early_stopping=False,
                 validation_fraction=0.1, patience=10, dropout=0.0, weight_decay=0.0,
                 random_state=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.epochs = epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.random_state = random_state
        self.verbose = verbose

    # -- the network ----------------------------------------------------------------------
    def _spec(self, n_in: int, n_out: int) -> str:
        from mlplab import kinds
        from mlplab.spec import mlp_text
        from mlplab.util import lookup

        hidden = self.hidden_layer_sizes
        hidden = (hidden,) if isinstance(hidden, (int, np.integer)) else tuple(hidden)
        if any(not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            raise UsageError(f"hidden_layer_sizes={self.hidden_layer_sizes!r}: expected "
                             "positive integers, e.g. (64, 64)")
        lookup(kinds.ACTIVATIONS, str(self.activation).partition(":")[0], "activation")
        if not 0.0 <= self.dropout < 1.0:
            raise UsageError(f"dropout={self.dropout!r}: expected a probability in [0, 1)")
        return mlp_text(n_in, hidden, str(self.activation), self._head(n_out), self.dropout)

    def _head(self, n_out: int):
        """The output layer and loss: ``n_out`` targets with mse, or ``n_out`` classes with
        cross-entropy (two classes too: two logits and softmax)."""
        from mlplab.spec import head_for

        if self._task == "regression":
            return head_for("regression", targets=n_out)
        return head_for("classification", n_out, binary="softmax")

    def _new_engine(self, n_in: int, n_out: int):
        from mlplab.train import build_engine

        if self.learning_rate <= 0:
            raise UsageError(f"learning_rate={self.learning_rate!r}: expected a positive number")
        self._seed_ = _seed(self.random_state)
        self.spec_ = self._spec(n_in, n_out)
        kwargs = {"weight_decay": float(self.weight_decay)} if self.weight_decay else None
        self.engine_ = build_engine("numpy", spec=self.spec_, loss=self._head(n_out).loss,
                                    optimizer=self.optimizer, lr=float(self.learning_rate),
                                    seed=self._seed_, optimizer_kwargs=kwargs)
        self.n_iter_, self.loss_curve_ = 0, []

    def _train(self, X, y, epochs: int, stratify=None):
        """``epochs`` more epochs of the engine on (X, y) through the Trainer."""
        from mlplab.train import EarlyStopping, Trainer

        seed = self._seed_ + self.n_iter_   # partial_fit's calls shuffle differently
        eval_sets, es = {}, None
        if self.early_stopping:
            from mlplab.data.preprocessing import train_val_test_split

            if not 0.0 < self.validation_fraction < 1.0:
                raise UsageError(f"validation_fraction={self.validation_fraction!r}: expected "
                                 "a fraction in (0, 1)")
            parts = train_val_test_split(len(X), val=self.validation_fraction, test=0.0,
                                         seed=seed, stratify=stratify)
            if len(parts["val"]) and len(parts["train"]):
                eval_sets["val"] = (X[parts["val"]], y[parts["val"]])
                X, y = X[parts["train"]], y[parts["train"]]
                es = EarlyStopping(patience=int(self.patience), monitor="val")
        bs = min(200, len(X)) if self.batch_size == "auto" else int(self.batch_size)
        if bs < 1:
            raise UsageError(f"batch_size={self.batch_size!r}: expected 'auto' or a positive "
                             "integer")
        trainer = Trainer(self.engine_, epochs=int(epochs), batch_size=min(bs, len(X)),
                          seed=seed, progress=bool(self.verbose), early_stopping=es)
        history = trainer.fit((X, y), eval_sets)
        self.history_ = history
        self.n_iter_ += history.epochs
        self.loss_curve_ = [*self.loss_curve_, *history.column("train_loss")]
        self.loss_ = self.loss_curve_[-1] if self.loss_curve_ else float("nan")
        if es is not None:
            losses = history.column("val_loss")
            self.best_validation_loss_ = min(losses) if losses else float("nan")
        if history.status == "diverged":
            warnings.warn(f"{type(self).__name__}: {history.message}", ConvergenceWarning,
                          stacklevel=3)

    def _outputs(self, X) -> np.ndarray:
        """The network's outputs (n, n_outputs) for validated rows X, in float64."""
        check_is_fitted(self, "engine_")
        X = validate_data(self, X, reset=False, dtype=np.float32)
        return self.engine_.predict(np.ascontiguousarray(X)).astype(np.float64)

    @property
    def model_(self):
        """The fitted ``mlplab.nn.Sequential``."""
        check_is_fitted(self, "engine_")
        return self.engine_.model

    @property
    def coefs_(self) -> list[np.ndarray]:
        """Each Linear layer's weight as (in, out), scikit-learn's layout."""
        from mlplab import nn

        return [np.array(m.weight.data.T) for m in self.model_ if isinstance(m, nn.Linear)]

    @property
    def intercepts_(self) -> list[np.ndarray]:
        from mlplab import nn

        return [np.array(m.bias.data) for m in self.model_ if isinstance(m, nn.Linear)]


class MLPClassifier(ClassifierMixin, _MLPBase):
    """A multilayer perceptron classifier: softmax outputs, cross-entropy loss.

    Fitted attributes: ``classes_`` (n_classes,), ``n_features_in_``, ``spec_`` (the
    ModelSpec text), ``engine_`` (the NumPy engine), ``model_``, ``coefs_``, ``intercepts_``,
    ``history_`` (the last Trainer History), ``loss_curve_``, ``loss_``, ``n_iter_``
    (epochs trained) and, with early stopping, ``best_validation_loss_``.
    See :class:`_MLPBase` for the hyperparameters.
    """

    _task = "classification"

    def _encode(self, y):
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        return y

    def fit(self, X, y):
        """X : (n_samples, n_features); y : (n_samples,) class labels of any type."""
        X, y = validate_data(self, X, y, dtype=np.float32)
        y = self._encode(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        self._new_engine(X.shape[1], len(self.classes_))
        self._train(X, codes, self.epochs, stratify=codes)
        return self

    def partial_fit(self, X, y, classes=None):
        """One epoch on (X, y); the first call needs ``classes``, every label there will be."""
        first = not hasattr(self, "engine_")
        X, y = validate_data(self, X, y, dtype=np.float32, reset=first)
        y = self._encode(y)
        if first:
            if classes is None:
                raise UsageError("partial_fit: the first call needs classes=, the labels of "
                                 "every class (e.g. np.unique(y_all))")
            self.classes_ = np.unique(column_or_1d(classes))
            self._new_engine(X.shape[1], len(self.classes_))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise UsageError(f"partial_fit: classes={list(classes)!r} differ from the first "
                             f"call's {list(self.classes_)!r}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise UsageError(f"partial_fit: y holds label(s) {list(unknown)!r} not in classes_ "
                             f"{list(self.classes_)!r}")
        self._train(X, np.searchsorted(self.classes_, y), 1, stratify=None)
        return self

    def predict_proba(self, X) -> np.ndarray:
        """(n_samples, n_classes) float64 probabilities, each row summing to 1."""
        z = self._outputs(X)
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X) -> np.ndarray:
        z = self._outputs(X)
        z -= z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X) -> np.ndarray:
        """(n_samples,) labels from ``classes_``."""
        codes = self._outputs(X).argmax(axis=1)   # first: it raises NotFittedError
        return self.classes_[codes]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = True
        tags.target_tags.multi_output = False
        return tags


class MLPRegressor(RegressorMixin, _MLPBase):
    """A multilayer perceptron regressor: identity outputs, squared-error loss.

    y may be (n_samples,) or (n_samples, n_outputs); ``predict`` returns the same shape.
    Targets are not rescaled (as scikit-learn's MLPRegressor): standardise large ones, e.g.
    with ``TransformedTargetRegressor``. Fitted attributes as :class:`MLPClassifier`, with
    ``n_outputs_`` instead of ``classes_``.
    """

    _task = "regression"

    def _targets(self, y, first: bool):
        y = np.asarray(y, dtype=np.float32)
        if first:
            self._flat_y = y.ndim == 1
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        width = 1 if y.ndim == 1 else y.shape[1]
        if width != self.n_outputs_:
            raise UsageError(f"y has {width} output(s) per row, but the model was fitted with "
                             f"{self.n_outputs_}")
        return y.reshape(len(y), -1)

    def fit(self, X, y):
        """X : (n_samples, n_features); y : (n_samples,) or (n_samples, n_outputs)."""
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True)
        y = self._targets(y, first=True)
        self._new_engine(X.shape[1], self.n_outputs_)
        self._train(X, y, self.epochs)
        return self

    def partial_fit(self, X, y):
        """One epoch on (X, y), starting from the current weights (or new ones)."""
        first = not hasattr(self, "engine_")
        X, y = validate_data(self, X, y, dtype=np.float32, multi_output=True, y_numeric=True,
                             reset=first)
        y = self._targets(y, first)
        if first:
            self._new_engine(X.shape[1], self.n_outputs_)
        self._train(X, y, 1)
        return self

    def predict(self, X) -> np.ndarray:
        """(n_samples,) or (n_samples, n_outputs) float64, as y was when fitted."""
        out = self._outputs(X)
        return out[:, 0] if self._flat_y else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

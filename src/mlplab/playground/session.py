"""One playground session: data, network, training in small slices, and the frames drawn.

Training is the one Trainer's, a batch at a time (``Trainer.steps``): the same seeded
shuffles, the same split (``train_val_test_split``) and the same preprocessing
(``fit_preprocess("none")``) as ``mlplab run``. So after E epochs the weights are
bit-identical to what ``mlplab run`` makes of the exported experiment file with
``epochs = E``.

A frame is what the page draws: the losses, every weight, the output over a GRID x GRID
lattice of the input plane and every hidden unit's output over UNIT_GRID x UNIT_GRID of it
(the same forward pass, every fourth point), each quantised to one byte per value.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import math
import os
import tempfile
import threading
import time

import numpy as np

from mlplab import data as datalib
from mlplab import kinds, nn
from mlplab.data.batching import num_batches
from mlplab.data.features import FEATURES, expand, with_features
from mlplab.data.preprocessing import train_val_test_split
from mlplab.errors import DataError, ExplainError
from mlplab.experiments.preprocess import fit_preprocess
from mlplab.playground.schema import (
    ACTIVATIONS,
    DATASETS,
    MAX_CLASSES,
    MAX_UPLOAD_ROWS,
    OPTIMIZERS,
    Config,
    Upload,
    loader_args,
)
from mlplab.spec import Head, ModelSpec, head_for, mlp_text
from mlplab.train.engine import NumpyEngine
from mlplab.train.trainer import Trainer

GRID, UNIT_GRID = 100, 25
_STRIDE = GRID // UNIT_GRID
FRAME_BUDGET_S = 0.008   # training time per frame before the frame is drawn
EPOCHS = 2**31 - 1       # the page trains until it is stopped; the Trainer wants a bound


def square_view(X: np.ndarray) -> tuple[np.ndarray, float]:
    """(centre (2,), half side) of the square the page shows for points X (n, 2): around
    them with a 10% margin, both axes on one scale."""
    lo, hi = X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64)
    return (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 1e-3) * 1.1


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode("ascii")


def _quantise(a: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Values in [lo, hi] -> uint8 0..255 (clipped; NaN -> 0)."""
    scaled = (np.asarray(a, dtype=np.float64) - lo) * (255.0 / (hi - lo))
    return np.nan_to_num(np.clip(np.rint(scaled), 0, 255)).astype(np.uint8)


def _round(a, digits: int = 4):
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


class Session:
    """Data, engine and training state of one page; methods hold ``self.lock``."""

    def __init__(self, config: Config, upload: Upload | None = None):
        self.lock = threading.Lock()
        self.run = 0
        self.upload = None
        self.configure(config, upload)

    # -- setting up ---------------------------------------------------------------------------
    def configure(self, config: Config, upload: Upload | None = None) -> dict:
        """Load the data and build the network for ``config`` (an uploaded CSV is kept for
        later configurations); returns :meth:`setup`. Raises DataError for bad data."""
        with self.lock:
            if config.dataset == "upload" and upload is None and self.upload is None:
                raise DataError("data set 'upload': upload a CSV file first")
            upload = upload if upload is not None else self.upload
            raw, train_idx, test_idx = self._load(config, upload)
            self.config, self.upload, self.raw = config, upload, raw
            self.ds = with_features(raw, list(config.features))
            self.train_idx, self.test_idx = train_idx, test_idx
            self._build_grid()
            self._reset()
            return self._setup()

    def _load(self, config: Config, upload: Upload | None):
        """The two-column data set, and its train and test rows (as ``mlplab run`` splits)."""
        choice = DATASETS[config.dataset]
        test_fraction = (100 - config.train_pct) / 100
        if config.dataset == "upload":
            raw = _read_upload(upload, config.problem, test_fraction, config.seed)
            return raw, raw.splits["train"], raw.splits["test"]
        raw = datalib.load(choice.registry, **loader_args(config))
        parts = train_val_test_split(len(raw.y), val=test_fraction, test=0.0, seed=config.seed)
        return raw, parts["train"], parts["val"]

    def _build_grid(self) -> None:
        """A square view around the points and the GRID x GRID lattice over it, row 0 on top."""
        centre, half = square_view(self.raw.X)
        self.extent = [centre[0] - half, centre[0] + half, centre[1] - half, centre[1] + half]
        step = 2 * half / GRID
        xs = self.extent[0] + (np.arange(GRID) + 0.5) * step
        ys = self.extent[3] - (np.arange(GRID) + 0.5) * step
        g1, g2 = np.meshgrid(xs, ys)
        self.grid2d = np.stack([g1.ravel(), g2.ravel()], axis=1)
        self.grid = expand(self.grid2d, list(self.config.features))

    @property
    def task(self) -> str:
        return self.raw.task

    @property
    def n_classes(self) -> int:
        return len(self.raw.class_names) if self.task == "classification" else 0

    @property
    def head(self) -> Head:
        """The output layer and loss; two classes get one logit (binary="logit"): the page
        draws that output as the probability of class 1."""
        if self.task == "regression":
            return head_for("regression")
        return head_for("classification", self.n_classes, binary="logit")

    @property
    def loss_name(self) -> str:
        return self.head.loss

    @property
    def spec(self) -> str:
        c = self.config
        return mlp_text(len(c.features), c.layers, ACTIVATIONS[c.activation], self.head,
                        c.dropout)

    def optimizer(self) -> tuple[str, dict]:
        """(mlplab.optim name, keyword arguments), L2 as weight_decay."""
        name, kwargs = OPTIMIZERS[self.config.optimizer]
        kwargs = dict(kwargs)
        if self.config.regularization == "l2" and self.config.reg_rate:
            kwargs["weight_decay"] = self.config.reg_rate
        return name, kwargs

    @property
    def l1(self) -> float:
        """The L1 penalty's rate (the engine's and the experiment file's ``l1``), or 0."""
        c = self.config
        return c.reg_rate if c.regularization == "l1" else 0.0

    def reset(self) -> None:
        with self.lock:
            self._reset()

    def _reset(self) -> None:
        c = self.config
        name, kwargs = self.optimizer()
        self.engine = NumpyEngine.from_spec(self.spec, self.loss_name, name, c.lr, seed=c.seed,
                                            optimizer_kwargs=kwargs, l1=self.l1)
        spec = ModelSpec.parse(self.spec)
        X_train = self.ds.X[self.train_idx]
        self.prep = fit_preprocess("none", X_train, spec)
        self.train_set = (X_train, self.engine.prepare_targets(self.ds.y[self.train_idx]))
        self.test_set = (self.ds.X[self.test_idx],
                         self.engine.prepare_targets(self.ds.y[self.test_idx]))
        if getattr(self, "_steps", None) is not None:
            self._steps.close()
        # no guards: the page stops on a non-finite loss with its own advice, and Ctrl-C
        # belongs to the server
        self.trainer = Trainer(self.engine, epochs=EPOCHS, batch_size=c.batch_size,
                               seed=c.seed, progress=False, transform=self.prep, guards=False)
        self._steps = self.trainer.steps(self.train_set, every=1)
        self.epoch, self.batch = 0, 0
        self.n_batches = num_batches(len(X_train), c.batch_size)
        self.history: list[dict] = []
        self.status, self.message = "ok", ""
        self.lr_changes: list[tuple[int, float]] = []
        self.run += 1

    def set_lr(self, lr: float) -> None:
        """A new learning rate from now on (training goes on; the export notes the change)."""
        with self.lock:
            if lr != self.engine.lr and (self.epoch or self.batch):
                self.lr_changes.append((self.epoch, lr))
            self.engine.lr = lr
            self.config = self.config.model_copy(update={"lr": lr})

    # -- training -----------------------------------------------------------------------------
    def train(self, budget_s: float = FRAME_BUDGET_S, whole_epoch: bool = False) -> int:
        """Train batches until the epoch ends or ``budget_s`` has passed (the whole rest of the
        epoch when ``whole_epoch``); returns the steps taken."""
        with self.lock:
            return self._train(budget_s, whole_epoch)

    def _train(self, budget_s: float, whole_epoch: bool) -> int:
        if self.status == "diverged":
            return 0
        t0, steps = time.perf_counter(), 0
        while True:
            fit = next(self._steps)   # one batch (and, after an epoch's last, its records)
            steps += 1
            self.batch = fit.batch
            if not math.isfinite(fit.loss):
                self.status = "diverged"
                self.message = (f"the loss became {fit.loss} at epoch {fit.epoch}; lower "
                                "the learning rate and reset")
                self._steps.close()
                break
            if fit.batch == fit.n_batches:   # the epoch's end
                self.epoch, self.batch = fit.epoch, 0
                self.history.append({"epoch": self.epoch, **self._scores()})
                break
            if not whole_epoch and time.perf_counter() - t0 >= budget_s:
                break
        return steps

    def _scores(self) -> dict:
        """Loss (and accuracy for classification) on the train and test rows, in eval mode."""
        out = {}
        for name, (X, y) in (("train", self.train_set), ("test", self.test_set)):
            if not len(X):
                continue
            with np.errstate(over="ignore", invalid="ignore"):
                scores = self.trainer.evaluate(X, y)
            out[f"{name}_loss"] = scores["loss"]
            if self.task == "classification":
                out[f"{name}_accuracy"] = scores["accuracy"]
        return out

    def advance(self, play: bool, cursor: dict) -> dict:
        """One frame of the live stream: train a slice when ``play``, then :meth:`frame` with
        the history records the stream has not sent (``cursor``: run and records sent)."""
        with self.lock:
            t0 = time.perf_counter()
            steps = self._train(FRAME_BUDGET_S, False) if play else 0
            train_ms = (time.perf_counter() - t0) * 1e3
            if cursor.get("run") != self.run:
                cursor.update(run=self.run, since=0)
            frame = self._frame(cursor["since"])
            cursor["since"] = len(self.history)
            frame["steps"] = steps
            frame["timing"]["train_ms"] = train_ms
            return frame

    # -- what the page draws ------------------------------------------------------------------
    def setup(self) -> dict:
        with self.lock:
            return self._setup()

    def _setup(self) -> dict:
        c, raw = self.config, self.raw
        split = np.zeros(len(raw.y), dtype=np.int8)
        split[self.test_idx] = 1
        inputs = {}   # every feature, used or not, over the unit grid, scaled to [-1, 1]
        sub = self.grid2d.reshape(GRID, GRID, 2)[_STRIDE // 2::_STRIDE, _STRIDE // 2::_STRIDE]
        values = expand(sub.reshape(-1, 2), list(FEATURES))
        for j, name in enumerate(FEATURES):
            v = values[:, j]
            scale = float(np.max(np.abs(v))) or 1.0
            inputs[name] = _b64(_quantise(v / scale, -1, 1))
        return {
            "type": "setup", "run": self.run, "config": c.model_dump(), "spec": self.spec,
            "task": self.task, "loss": self.loss_name, "classes": raw.class_names or [],
            "extent": self.extent, "grid": GRID, "unit_grid": UNIT_GRID,
            "widths": [len(c.features), *c.layers, self.head.width],
            "points": {"x": _round(raw.X, 4), "y": _round(raw.y, 4),
                       "test": split.tolist()},
            "target_range": self._target_range(), "inputs": inputs,
            "source": raw.source, "explain": self._explainable(),
            "parameters": self.engine.num_parameters(),
        }

    def _target_range(self) -> list[float]:
        if self.task != "regression":
            return [0.0, 1.0]
        lo, hi = float(self.raw.y.min()), float(self.raw.y.max())
        return [lo, hi] if hi > lo else [lo - 1, hi + 1]

    def frame(self, since: int = 0) -> dict:
        """The losses, weights and grids now; history records from index ``since`` on."""
        with self.lock:
            return self._frame(since)

    def _frame(self, since: int) -> dict:
        t0 = time.perf_counter()
        model = self.engine.model
        model.eval()
        h, units = self.grid, []
        activation_types = tuple(kinds.ACTIVATIONS.values())   # read now: registered kinds too
        with np.errstate(over="ignore", invalid="ignore"):
            for mod in model:
                h = mod.forward(h)
                if type(mod) in activation_types:
                    units.append(h)
        out = h
        grids = []
        for a in units:
            sub = a.reshape(GRID, GRID, -1)[_STRIDE // 2::_STRIDE, _STRIDE // 2::_STRIDE]
            grids.append([_b64(_quantise(sub[..., j], -1, 1)) for j in range(a.shape[1])])
        if self.task == "regression":
            lo, hi = self._target_range()
            output = {"value": _b64(_quantise(out[:, 0], lo, hi))}
        elif self.n_classes == 2:
            with np.errstate(over="ignore"):
                p = 1 / (1 + np.exp(-out[:, 0].astype(np.float64)))
            output = {"value": _b64(_quantise(p, 0, 1))}
        else:
            z = out.astype(np.float64)
            z = np.exp(z - z.max(axis=1, keepdims=True))
            p = z / z.sum(axis=1, keepdims=True)
            output = {"class": _b64(np.nan_to_num(out).argmax(axis=1)),
                      "value": _b64(_quantise(p.max(axis=1), 0, 1))}
        t1 = time.perf_counter()
        scores = self.history[-1] if self.history and not self.batch else self._scores()
        weights = [{"weight": _round(mod.weight.data, 3), "bias": _round(mod.bias.data, 3)}
                   for mod in model if isinstance(mod, nn.Linear)]
        return {
            "type": "frame", "run": self.run, "epoch": self.epoch, "batch": self.batch,
            "batches": self.n_batches, "status": self.status, "message": self.message,
            "lr": self.engine.lr, "scores": {k: v for k, v in scores.items() if k != "epoch"},
            "history": self.history[since:], "history_from": since,
            "output": output, "units": grids, "weights": weights,
            "timing": {"grid_ms": (t1 - t0) * 1e3,
                       "encode_ms": (time.perf_counter() - t1) * 1e3},
        }

    # -- explain and export -------------------------------------------------------------------
    def _explainable(self) -> str:
        """"" when "explain this point" can show this network, else why not."""
        from mlplab.explain import MAX_PARAMETERS

        if self.config.dropout:
            return "explain writes out Linear layers and activations only: set dropout to 0"
        n = self.engine.num_parameters()
        if n > MAX_PARAMETERS:
            return (f"explain prints every number; this network has {n} parameters, explain "
                    f"takes at most {MAX_PARAMETERS}")
        return ""

    def explain(self, x1: float, x2: float) -> dict:
        """`mlplab explain`'s printout of one SGD step (the page's lr) on the data point
        nearest to (x1, x2), from the current weights (which are left as they are)."""
        from mlplab.explain import Explanation, Part, trace
        from mlplab.explain.render import render

        with self.lock:
            why = self._explainable()
            if why:
                raise ExplainError(why)
            i = int(np.argmin(((self.raw.X - np.array([x1, x2], np.float32)) ** 2).sum(1)))
            x = self.ds.X[i:i + 1].astype(np.float64)
            y = self.engine.prepare_targets(self.ds.y[i:i + 1])
            y = y.astype(np.float64) if y.dtype.kind == "f" else y
            model = ModelSpec.parse(self.spec).build(seed=0, dtype=np.float64)
            model.load_state_dict({k: v.astype(np.float64)
                                   for k, v in self.engine.state_dict().items()})
            lr = float(self.engine.lr)
            tr = trace(model, x, y, loss=self.loss_name, lr=lr)
            label = self.raw.class_names[int(self.raw.y[i])] if self.n_classes else \
                f"{float(self.raw.y[i]):.4g}"
            point = ", ".join(f"{v:.4g}" for v in self.raw.X[i])
            intro = [f"{self.spec} with the playground's weights after epoch {self.epoch}; the "
                     f"data point ({point}) with target {label} "
                     f"(features {', '.join(self.config.features)}); loss {self.loss_name}; "
                     f"one plain SGD step with lr {lr:g} (the page's optimizer is "
                     f"{self.config.optimizer})."]
            text = render(Explanation(f"mlplab explain {self.spec}", [Part(tr)], intro=intro),
                          "text", 4, width=100)
            return {"index": i, "x": [float(v) for v in self.raw.X[i]], "text": text}

    def export_npz(self) -> bytes:
        """The weights as ``mlplab.nn.load`` reads them (state_dict keys, spec in metadata)."""
        with self.lock:
            arrays = dict(self.engine.state_dict())
            meta = {"spec": self.spec, "loss": self.loss_name,
                    "features": ",".join(self.config.features), "epoch": str(self.epoch)}
            for k, v in meta.items():
                arrays[f"__meta__.{k}"] = np.array(v)
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            return buf.getvalue()

    def export_toml(self) -> str:
        from mlplab.playground.export import experiment_toml

        with self.lock:
            return experiment_toml(self)

    def export_script(self) -> str:
        from mlplab.playground.export import python_script

        with self.lock:
            return python_script(self)


def _read_upload(upload: Upload, problem: str, test_fraction: float, seed: int):
    """The uploaded CSV through mlplab's own CSV loader (a temporary file, removed at once):
    two feature columns and a target; a class label for classification (at most
    MAX_CLASSES classes), a number for regression."""
    n_lines = upload.text.count("\n")
    if n_lines > MAX_UPLOAD_ROWS + 1:
        raise DataError(f"{upload.filename}: {n_lines} lines; the playground takes at most "
                        f"{MAX_UPLOAD_ROWS} rows")
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="mlplab-playground-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(upload.text)
        try:
            ds = datalib.load("csv", path=tmp, task=problem, test_fraction=test_fraction,
                              seed=seed)
        except DataError as e:   # name the user's file, not the temporary one
            raise DataError(str(e).replace(tmp, upload.filename)) from None
    finally:
        os.unlink(tmp)
    ds = dataclasses.replace(ds, source=upload.filename)
    if ds.X.shape[1] != 2:
        raise DataError(f"{upload.filename}: {ds.X.shape[1]} feature columns "
                        f"({', '.join(ds.feature_names)}); the playground draws 2: keep two "
                        "feature columns and the target (last)")
    if len(ds.y) < 4:
        raise DataError(f"{upload.filename}: {len(ds.y)} rows; give at least 4")
    if problem == "classification" and len(ds.class_names) > MAX_CLASSES:
        raise DataError(f"{upload.filename}: {len(ds.class_names)} classes; the playground "
                        f"takes 2 to {MAX_CLASSES} (or choose regression)")
    if problem == "classification" and len(ds.class_names) < 2:
        raise DataError(f"{upload.filename}: one class only; give at least 2")
    if not len(ds.splits["test"]) or not len(ds.splits["train"]):
        raise DataError(f"{upload.filename}: too few rows to split into train and test")
    return ds


PREVIEW_POINTS = 100


def previews() -> dict[str, list[list[float]]]:
    """Page data set name -> ``[[u, v, value], ...]``: PREVIEW_POINTS points of it (default
    noise and class count, seed 0) in the unit square, for the data buttons' thumbnails.
    ``value`` is the class, or for regression the target scaled to [-1, 1]."""
    out = {}
    for name, choice in DATASETS.items():
        if name == "upload":
            continue
        config = Config(dataset=name, problem=choice.problem, points=PREVIEW_POINTS, seed=0)
        ds = datalib.load(choice.registry, **loader_args(config))
        centre, half = square_view(ds.X)                     # the session's view
        uv = (ds.X.astype(np.float64) - centre) / (2 * half) + 0.5
        uv[:, 1] = 1 - uv[:, 1]                              # canvas rows grow downwards
        y = ds.y.astype(np.float64)
        if choice.problem == "regression":
            y = y / max(float(np.max(np.abs(y))), 1e-12)
        out[name] = np.round(np.column_stack([uv, y]), 3).tolist()
    return out

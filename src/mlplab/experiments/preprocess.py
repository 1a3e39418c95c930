"""Preprocessing an experiment names per model: a scaler from ``mlplab.data.preprocessing``
fitted on the training split, plus the shape the model's spec expects."""

from __future__ import annotations

import numpy as np

from mlplab.data.preprocessing import flatten, make_scaler
from mlplab.errors import ExperimentError
from mlplab.spec import ModelSpec
from mlplab.util import unknown_name


def product_feature(X: np.ndarray) -> np.ndarray:
    """psi(x) = [x1, x2, x1 * x2]: the feature map that makes XOR linearly separable."""
    X = np.asarray(X, dtype=np.float32)
    return np.column_stack([X, X[:, 0] * X[:, 1]])


FEATURE_MAPS = {"product": product_feature}


def fit_preprocess(name: str, X_train: np.ndarray, spec: ModelSpec):
    """Return ``transform(X) -> float32`` fitted on ``X_train``.

    ``name`` is a scaler (none, unit, symmetric, zscore, standardize) or a feature map
    (product), optionally followed by ``+scaler``, e.g. ``"product+standardize"``; an
    ``impute+`` prefix first fills NaN with the training mean of each input
    (``"impute+standardize"``). Images are flattened when the spec's input is a vector.
    ``transform.to_dict()`` describes the fitted state for :func:`save_preprocess`.
    """
    impute, fmap_name, scaler_name = _parse_preprocess(name)
    flat = len(spec.input_shape) == 1
    fill = None
    if impute:   # column means over the present values; 0 for a column with none
        Xf = np.asarray(flatten(X_train) if flat else X_train, dtype=np.float64)
        present = ~np.isnan(Xf)
        counts = present.sum(axis=0)
        fill = np.where(counts > 0, np.where(present, Xf, 0).sum(axis=0) / np.maximum(counts, 1),
                        0.0)
    scaler = make_scaler(scaler_name)
    transform, shape = _pipeline(name, flat, fill, scaler)
    scaler.fit(shape(X_train))
    return transform


def _parse_preprocess(name: str) -> tuple[bool, str | None, str]:
    parts = name.split("+")
    impute = parts[0] == "impute"
    if impute:
        parts = parts[1:] or ["none"]
    fmap = parts[0] if parts[0] in FEATURE_MAPS else None
    scaler_name = parts[1] if fmap and len(parts) > 1 else ("none" if fmap else parts[0])
    return impute, fmap, scaler_name


def _pipeline(name: str, flat: bool, fill, scaler):
    """transform(X) and the shape step before the scaler: flatten, impute, feature map."""
    fmap = FEATURE_MAPS.get(_parse_preprocess(name)[1])
    fill32 = None if fill is None else np.asarray(fill, dtype=np.float32)

    def shape(X):
        X = flatten(X) if flat else X
        if fill32 is not None:
            X = np.where(np.isnan(X), fill32, X).astype(np.float32)
        return fmap(X) if fmap else X

    def transform(X):
        return np.ascontiguousarray(scaler.transform(shape(X)), dtype=np.float32)

    transform.scaler = scaler
    transform.to_dict = lambda: {"name": name, "flatten": flat,
                                 "impute": None if fill is None else np.asarray(fill).tolist(),
                                 "scaler": _plain(scaler.to_dict())}
    return transform, shape


def preprocess_from_dict(d: dict):
    """Rebuild the transform of :func:`fit_preprocess` from its ``to_dict()``."""
    from mlplab.data.preprocessing import scaler_from_dict

    transform, _ = _pipeline(d["name"], bool(d["flatten"]), d.get("impute"),
                             scaler_from_dict(d["scaler"]))
    return transform


class TargetScaler:
    """A regression target scaled for training: ``forward(y)`` (n,) -> (n,) float32,
    ``inverse(outputs)`` (n, 1) -> (n, 1) float32 in the target's own units."""

    def __init__(self, scaler):
        self.scaler = scaler

    def forward(self, y: np.ndarray) -> np.ndarray:
        return self.scaler.transform(np.asarray(y, dtype=np.float64).reshape(-1, 1))[:, 0]

    def inverse(self, outputs: np.ndarray) -> np.ndarray:
        return self.scaler.inverse_transform(np.asarray(outputs).reshape(-1, 1))

    def to_dict(self) -> dict:
        return _plain(self.scaler.to_dict())


def fit_target_preprocess(name: str | None, y_train: np.ndarray) -> TargetScaler | None:
    """A TargetScaler fitted on the training targets for ``name`` (e.g. "standardize"), or
    None for no scaling (None or "none")."""
    if not name or name == "none":
        return None
    return TargetScaler(make_scaler(name).fit(np.asarray(y_train, np.float64).reshape(-1, 1)))


def save_preprocess(path, transform, target: TargetScaler | None = None):
    """Write a model's fitted preprocessing (inputs, and the target's scaling) as JSON."""
    import json

    from mlplab.util import atomic_write_text

    d = {"input": transform.to_dict(), "target": target.to_dict() if target else None}
    return atomic_write_text(path, json.dumps(d))


def load_preprocess(path):
    """``(transform, target_scaler or None)`` from a file of :func:`save_preprocess`."""
    import json
    from pathlib import Path

    from mlplab.data.preprocessing import scaler_from_dict

    d = json.loads(Path(path).read_text())
    target = TargetScaler(scaler_from_dict(d["target"])) if d.get("target") else None
    return preprocess_from_dict(d["input"]), target


def _plain(d):
    """A scaler's to_dict() with arrays as lists and NumPy numbers as floats, for JSON."""
    if isinstance(d, dict):
        return {k: _plain(v) for k, v in d.items()}
    if isinstance(d, np.ndarray):
        return d.tolist()
    if isinstance(d, np.generic):
        return d.item()
    return d


def make_augment(spec: str | None, image_shape: tuple[int, ...]):
    """Training-time augmentation of image batches, e.g. ``"flip+shift:2"``.

    flip: mirror left-right with probability 1/2; shift:S: move each image by up to S pixels
    in each direction, filling with the batch's background (its minimum). Inputs may be
    flattened: they are viewed as ``image_shape`` (H, W) or (C, H, W) and returned flat.
    Returns ``augment(xb, rng) -> xb`` or None.
    """
    if not spec:
        return None
    if len(image_shape) not in (2, 3):
        raise ValueError(f"augmentation {spec!r} needs image data, got inputs of shape "
                         f"{image_shape}")
    steps = []
    for part in spec.split("+"):
        name, _, arg = part.partition(":")
        if name == "flip":
            steps.append(_flip)
        elif name == "shift":
            steps.append(lambda im, rng, s=int(arg or 2): _shift(im, rng, s))
        else:
            raise ExperimentError(unknown_name(("flip", "shift:S", "flip+shift:S"), name,
                                               "augmentation"))

    def augment(xb, rng):
        im = xb.reshape(len(xb), *image_shape).copy()
        for step in steps:
            im = step(im, rng)
        return im.reshape(xb.shape)

    return augment


def _flip(im, rng):
    mask = rng.random(len(im)) < 0.5
    im[mask] = im[mask][..., ::-1]
    return im


def _shift(im, rng, s):
    h, w = im.shape[-2:]
    pad = [(0, 0)] * (im.ndim - 2) + [(s, s), (s, s)]
    padded = np.pad(im, pad, constant_values=im.min())
    dy, dx = rng.integers(0, 2 * s + 1, (2, len(im)))
    out = np.empty_like(im)
    for i in range(len(im)):
        out[i] = padded[i, ..., dy[i]:dy[i] + h, dx[i]:dx[i] + w]
    return out

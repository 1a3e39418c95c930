"""Preprocessing an experiment names per model: the fitted transform of
:mod:`mlplab.data.pipeline` (re-exported here), and training-time augmentation of images."""

from __future__ import annotations

import numpy as np

from mlplab.data.pipeline import (
    FEATURE_MAPS,
    TargetScaler,
    fit_preprocess,
    fit_target_preprocess,
    load_preprocess,
    parse_preprocess,
    preprocess_from_dict,
    product_feature,
    save_preprocess,
)
from mlplab.errors import ExperimentError
from mlplab.util import unknown_name

__all__ = ["FEATURE_MAPS", "TargetScaler", "fit_preprocess", "fit_target_preprocess",
           "load_preprocess", "make_augment", "parse_preprocess", "preprocess_from_dict",
           "product_feature", "save_preprocess"]


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

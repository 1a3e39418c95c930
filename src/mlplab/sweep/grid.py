"""What a sweep runs: seed lists (``0-9``, ``0,3,7``), ``--set KEY=V1,V2`` axes over any
experiment key, their product, and the check that every value can be run before anything is.

Keys (``--set``):

- ``models.<name>.<key>``: one model's key (``models.mlp.lr``); ``models.*.<key>`` sets it on
  every trained model.
- ``data.<key>``: a key of every ``[[data]]`` entry (``data.preprocess``,
  ``data.val_fraction``); ``data.args.<arg>``: an argument of the data set's loader.
- ``engine``, ``device``: the experiment's top-level keys. The seed is not a key: use
  ``--seeds``.

Values are TOML values where they parse as one (``0.001``, ``true``, ``[1, 2]``) and text
otherwise (``9-32-relu-1``); commas inside brackets or quotes do not split values.
"""

from __future__ import annotations

import copy
import itertools
import tomllib
from dataclasses import dataclass

from mlplab.errors import MlplabError, UsageError
from mlplab.util import unknown_name

# keys of a model or data entry that a sweep may not change: they name things or hold weights
_FIXED_MODEL_KEYS = {"name", "weights", "description"}
_FIXED_DATA_KEYS = {"name", "label"}
_TOP_KEYS = ("engine", "device")


def parse_seeds(text: str, option: str = "--seeds") -> list[int]:
    """``"0-9"`` -> [0, ..., 9]; ``"0,3,7"`` -> [0, 3, 7]; ranges and numbers mix
    (``"0-4,10"``). Duplicates are dropped, the order kept."""
    seeds: list[int] = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part[1:]:
                lo, hi = (int(p) for p in part.split("-", 1))
                if lo > hi:
                    raise ValueError
                seeds.extend(range(lo, hi + 1))
            else:
                seeds.append(int(part))
        except ValueError:
            raise UsageError(f"{option} {text!r}: {part!r} is not a seed or a range; write a "
                             "range like 0-9 or a list like 0,3,7") from None
    if any(s < 0 for s in seeds):
        raise UsageError(f"{option} {text!r}: seeds are whole numbers >= 0")
    return list(dict.fromkeys(seeds))


def split_values(text: str) -> list[str]:
    """Split on commas that are not inside brackets, braces or quotes."""
    out, depth, quote, cur = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            out.append("".join(cur).strip())
            cur = []
            continue
        cur.append(ch)
    out.append("".join(cur).strip())
    return out


def parse_value(raw: str):
    """A TOML value (number, boolean, string in quotes, array, inline table), or the text."""
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


@dataclass(frozen=True)
class Axis:
    """One ``--set``: a key and the values it takes, in the order given."""

    key: str
    values: tuple
    raw: tuple          # the values as typed, for messages and labels


def parse_set(text: str) -> Axis:
    """``"models.mlp.lr=0.001,0.003"`` -> Axis("models.mlp.lr", (0.001, 0.003))."""
    key, eq, rest = str(text).partition("=")
    key = key.strip()
    if not eq or not key:
        raise UsageError(f"--set {text!r}: write KEY=VALUE[,VALUE...], e.g. "
                         "models.mlp.lr=0.001,0.003")
    raw = split_values(rest)
    if any(r == "" for r in raw):
        raise UsageError(f"--set {text!r}: an empty value; give one or more values separated "
                         "by commas")
    if len(set(raw)) != len(raw):
        raise UsageError(f"--set {text!r}: a value is repeated; give each value once")
    return Axis(key, tuple(parse_value(r) for r in raw), tuple(raw))


def parse_sets(texts) -> list[Axis]:
    axes = [parse_set(t) for t in texts or ()]
    keys = [a.key for a in axes]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise UsageError(f"--set {dup[0]} is given twice; put all its values in one --set")
    return axes


def points(axes: list[Axis]) -> list[dict]:
    """The grid: every combination of the axes' values, the first axis varying slowest.
    Each point maps key -> value index."""
    return [dict(zip((a.key for a in axes), combo))
            for combo in itertools.product(*(range(len(a.values)) for a in axes))]


def apply(exp, key: str, value):
    """A copy of ``exp`` with ``key`` set to ``value``; an unknown key is a UsageError."""
    from mlplab.experiments.config import DATA_KEYS, MODEL_KEYS

    exp = copy.deepcopy(exp)
    parts = key.split(".")
    if parts[0] == "models":
        names = [m.name for m in exp.models]
        if len(parts) != 3:
            raise UsageError(f"--set {key}: a model key is models.<model>.<key>, e.g. "
                             f"models.{names[-1] if names else 'mlp'}.lr")
        _, name, k = parts
        allowed = sorted(set(MODEL_KEYS) - _FIXED_MODEL_KEYS)
        if k not in allowed:
            raise UsageError(f"--set {key}: {unknown_name(allowed, k, 'model key')}")
        targets = [m.name for m in exp.models if name in ("*", m.name) and m.trained]
        if name != "*" and name not in names:
            raise UsageError(f"--set {key}: {unknown_name(names, name, 'model')}")
        if not targets:
            raise UsageError(f"--set {key}: the model has hand-set weights and is not trained")
        exp.models = tuple(m.with_(**{k: copy.deepcopy(value)}) if m.name in targets else m
                           for m in exp.models)
    elif parts[0] == "data":
        if not exp.data:
            raise UsageError(f"--set {key}: {exp.name} has no [[data]] to set")
        if len(parts) == 3 and parts[1] == "args":
            from mlplab.data import loader_parameters

            for d in exp.data:
                takes = loader_parameters(d.name)
                if parts[2] not in takes:
                    raise UsageError(f"--set {key}: "
                                     f"{unknown_name(takes, parts[2], d.name + ' argument')}")
            exp.data = tuple(d.with_(args={**d.args, parts[2]: copy.deepcopy(value)})
                             for d in exp.data)
        elif len(parts) == 2:
            allowed = sorted(set(DATA_KEYS) - _FIXED_DATA_KEYS)
            if parts[1] not in allowed:
                raise UsageError(f"--set {key}: {unknown_name(allowed, parts[1], 'data key')}")
            exp.data = tuple(d.with_(**{parts[1]: copy.deepcopy(value)}) for d in exp.data)
        else:
            raise UsageError(f"--set {key}: a data key is data.<key> or data.args.<argument>")
    elif key == "seed":
        raise UsageError("--set seed: the seed is not swept with --set; use --seeds 0-4")
    elif key in _TOP_KEYS:
        setattr(exp, key, value)
    else:
        raise UsageError(f"--set {key}: unknown key; use models.<model>.<key>, data.<key>, "
                         f"data.args.<argument>, {' or '.join(_TOP_KEYS)}")
    return exp


def setting_of(axes: list[Axis], point: dict) -> dict:
    """key -> value of one grid point."""
    return {a.key: a.values[point[a.key]] for a in axes}


def build(exp, axes: list[Axis], point: dict):
    """The experiment of one grid point."""
    for a in axes:
        exp = apply(exp, a.key, a.values[point[a.key]])
    return exp


def check(exp, axes: list[Axis]) -> None:
    """Fail before anything runs on a key or value the runner could not use: every value is
    applied alone and the experiment's models are built once (spec, loss, optimizer, lr,
    epochs, batch size, preprocessing)."""
    for a in axes:
        for value, raw in zip(a.values, a.raw):
            try:
                check_experiment(apply(exp, a.key, value))
            except UsageError as e:
                if str(e).startswith("--set"):
                    raise
                raise UsageError(f"--set {a.key}={raw}: {e}") from None
            except (MlplabError, ValueError, TypeError, KeyError) as e:
                raise UsageError(f"--set {a.key}={raw}: {e}") from None


def check_experiment(exp) -> None:
    """Raise on a model the runner could not build or train."""
    import numpy as np

    from mlplab.experiments.config import DATA_TYPES, MODEL_TYPES, check_types
    from mlplab.experiments.preprocess import fit_preprocess
    from mlplab.spec import ModelSpec
    from mlplab.train import ENGINES, build_engine

    if exp.engine not in ENGINES:
        raise UsageError(unknown_name(ENGINES, exp.engine, "engine"))
    # every value's type and range: the experiment file's own rules (experiments.config)
    for d in exp.data:
        check_types(d, DATA_TYPES)
    for m in exp.models:
        check_types(m, MODEL_TYPES)
    for m in exp.models:
        if not m.trained:
            continue
        if not isinstance(m.spec, str):
            raise UsageError(f"spec must be text like 9-64-relu-1, got {m.spec!r}")
        spec = ModelSpec.parse(m.spec)
        if spec.twin_only:
            if exp.engine != "torch":
                raise UsageError(f"spec {m.spec} runs only on the torch engine")
            continue
        build_engine(exp.engine, spec=spec, loss=m.loss, optimizer=m.optimizer,
                     lr=m.lr, seed=0, optimizer_kwargs=m.optimizer_kwargs,
                     loss_kwargs=m.loss_kwargs, l1=m.l1, device=exp.device)
        prep = m.preprocess or next((d.preprocess for d in exp.data), "none")
        with np.errstate(all="ignore"):
            fit_preprocess(prep, np.ones((2, *spec.input_shape), np.float32), spec)

"""The checks of a run folder's files (mlplab.runfolder reads them through these): every
file is checked before it is used, so a damaged one is one line naming the file and what is
wrong in it, in the same words everywhere, and never a traceback or a silently wrong number:

=======================================  ==============================================
file                                     checked
=======================================  ==============================================
``config.json``, ``metrics.json``,       valid UTF-8 JSON of a sane size, an object at the
``weights/<model>.preprocess.json``      top, and the types of the keys mlplab reads (a
                                         shortened class list, a spec of another width)
``weights/<model>.npz``                  a complete .npz archive without pickles, exactly the
                                         arrays the model's spec has, of its shapes, float,
                                         every value finite (a saved model never has NaN
                                         weights: a diverged one is not saved)
=======================================  ==============================================

The checks are about the folder's own consistency; whether new data fit the model is
``mlplab.byod.predict``'s concern.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from mlplab.errors import DataError, MlplabError

JSON_LIMIT = 64 * 2**20   # bytes: far above any run's JSON file, far below trouble
RESTORE = "restore the file from a copy or run the training again"
STATUSES = ("ok", "diverged", "interrupted")
SPLITS = ("train", "val", "test")   # a model's scores per split in metrics.json
SCHEMA_FORMATS = ("csv", "npz", "images")
COLUMN_KINDS = ("numeric", "categorical", "date")


def damaged(path: Path, what: str, fix: str = RESTORE) -> DataError:
    """The one error of a damaged file: ``<path>: <what>; <fix>``."""
    return DataError(f"{path}: {what}; {fix}")


def read_json(path: Path, fix: str = RESTORE) -> dict:
    """The JSON object in ``path``; DataError naming the file when it is missing, too large,
    not UTF-8, not JSON, nested beyond reason or not an object at the top."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > JSON_LIMIT:
            raise damaged(path, f"holds {size:,} bytes, far more than mlplab writes there "
                                f"(at most {JSON_LIMIT:,})", fix)
        text = path.read_bytes().decode("utf-8")
        data = json.loads(text)
    except FileNotFoundError:
        raise damaged(path, "no such file", fix) from None
    except IsADirectoryError:
        raise damaged(path, "is a folder, not a file", fix) from None
    except UnicodeDecodeError as e:
        raise damaged(path, f"not UTF-8 text (byte {e.start})", fix) from None
    except json.JSONDecodeError as e:
        raise damaged(path, f"not valid JSON ({e.msg} at line {e.lineno}, column {e.colno})",
                      fix) from None
    except RecursionError:
        raise damaged(path, "JSON nested too deeply to be mlplab's", fix) from None
    except OSError as e:
        raise damaged(path, f"cannot be read ({e.strerror or e})", fix) from None
    if not isinstance(data, dict):
        raise damaged(path, f"holds a JSON {_kind(data)}, not the object mlplab writes", fix)
    return data


# -- type checks -----------------------------------------------------------------------------
def _kind(v) -> str:
    return {dict: "object", list: "list", str: "string", bool: "boolean",
            type(None): "null"}.get(type(v), "number")


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _is_text(v) -> bool:
    return isinstance(v, str)


def _shown(v) -> str:
    text = json.dumps(v, default=str)
    return text if len(text) <= 40 else text[:37] + "..."


class Checker:
    """Type checks of one JSON file's content: ``need(where, value, test, words)`` raises the
    file's damaged() error naming the key path, e.g. ``models.mlp.seconds``."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, what: str) -> DataError:
        return damaged(self.path, what)

    def need(self, where: str, value, ok: bool, words: str) -> None:
        if not ok:
            raise self.fail(f"{where} is {_shown(value)}, but must be {words}")

    def get(self, obj: dict, key: str, where: str, test, words: str, required: bool = True,
            none: bool = False):
        """``obj[key]`` after checking it; None when absent and not ``required``."""
        name = f"{where}.{key}" if where else key
        if key not in obj:
            if required:
                raise self.fail(f"lacks {name}")
            return None
        v = obj[key]
        self.need(name, v, (none and v is None) or test(v), words)
        return v

    def text_list(self, where: str, v, nonempty: bool = False) -> list[str]:
        self.need(where, v, isinstance(v, list) and all(isinstance(t, str) for t in v)
                  and (len(v) > 0 or not nonempty),
                  "a non-empty list of strings" if nonempty else "a list of strings")
        return v


# -- config.json -----------------------------------------------------------------------------
def check_config(path: Path, config: dict) -> dict:
    """The keys of config.json that predict, report and export read."""
    from mlplab.experiments.kinds import DEFAULT_MODEL_KIND, MODEL_KINDS

    c = Checker(path)
    c.get(config, "name", "", _is_text, "a string", required=False)
    c.get(config, "description", "", _is_text, "a string", required=False)
    c.get(config, "seed", "", _is_int, "an integer", required=False)
    c.get(config, "engine", "", _is_text, "a string", required=False)
    notes = c.get(config, "notes", "", lambda v: isinstance(v, list), "a list", required=False)
    if notes is not None:
        c.text_list("notes", notes)
    models = c.get(config, "models", "", lambda v: isinstance(v, list), "a list of models")
    for i, m in enumerate(models):
        where = f"models[{i}]"
        c.need(where, m, isinstance(m, dict), "an object")
        name = c.get(m, "name", where, lambda v: _is_text(v) and v != "", "a non-empty string")
        where = f"models.{name}"
        kind = c.get(m, "kind", where, _is_text, "a string", required=False)
        record = MODEL_KINDS.get(kind or DEFAULT_MODEL_KIND)
        if record is not None and record.saves_weights:   # predict and export read these
            c.get(m, "spec", where, lambda v: _is_text(v) or isinstance(v, list),
                  "a spec string such as \"9-64-relu-1\"")
            c.get(m, "loss", where, _is_text, "a loss name such as \"mse\"")
        for key in ("lr",):
            c.get(m, key, where, _is_number, "a number", required=False, none=True)
        for key in ("epochs", "batch_size"):
            c.get(m, key, where, _is_int, "an integer", required=False, none=True)
    data = c.get(config, "data", "", lambda v: isinstance(v, list), "a list", required=False)
    for i, d in enumerate(data or []):
        c.need(f"data[{i}]", d, isinstance(d, dict), "an object")
        if "schema" in d:
            check_schema(c, f"data[{i}].schema", d["schema"])
    return config


def check_schema(c: Checker, where: str, s) -> None:
    """The data schema of a ``mlplab train`` run: what predict needs to read new rows."""
    c.need(where, s, isinstance(s, dict), "an object")
    fmt = c.get(s, "format", where, lambda v: v in SCHEMA_FORMATS,
                f"one of {', '.join(SCHEMA_FORMATS)}")
    task = c.get(s, "task", where, lambda v: v in ("classification", "regression"),
                 "classification or regression")
    c.get(s, "target", where, _is_text, "a string")
    c.get(s, "target_kind", where, _is_text, "a string", required=False)
    c.get(s, "missing", where, lambda v: v in ("drop", "mean"), "drop or mean")
    if task == "classification":
        classes = c.text_list(f"{where}.classes", s.get("classes"), nonempty=True)
        if len(set(classes)) != len(classes):
            raise c.fail(f"{where}.classes names a class twice")
    if fmt == "csv":
        c.text_list(f"{where}.file_columns", s.get("file_columns"))
        cols = c.get(s, "columns", where, lambda v: isinstance(v, list) and len(v) > 0,
                     "a non-empty list of columns")
        for j, col in enumerate(cols):
            w = f"{where}.columns[{j}]"
            c.need(w, col, isinstance(col, dict), "an object")
            c.get(col, "name", w, _is_text, "a string")
            kind = c.get(col, "kind", w, lambda v: v in COLUMN_KINDS,
                         f"one of {', '.join(COLUMN_KINDS)}")
            if kind == "categorical":
                c.text_list(f"{w}.levels", col.get("levels"), nonempty=True)
            elif kind == "date":
                c.text_list(f"{w}.parts", col.get("parts"), nonempty=True)
    elif fmt == "npz":
        c.get(s, "input_shape", where, lambda v: isinstance(v, list) and len(v) > 0 and all(
            _is_int(d) and d > 0 for d in v), "a list of positive integers")
    else:
        c.get(s, "image_size", where, lambda v: isinstance(v, list) and len(v) == 2 and all(
            _is_int(d) and 0 < d <= 65536 for d in v), "two positive integers [height, width]")
        c.get(s, "grayscale", where, lambda v: isinstance(v, bool), "true or false")


def _number_or_none(v) -> bool:
    return v is None or _is_number(v)


def check_dynamics(c: Checker, where: str, d: dict) -> None:
    """A model's training dynamics (TrainingDynamics.summary()): the report draws them."""
    layers = c.text_list(f"{where}.layers", d.get("layers"), nonempty=True)
    epochs = c.get(d, "epochs", where, lambda v: isinstance(v, list), "a list of epochs")
    for i, rec in enumerate(epochs):
        w = f"{where}.epochs[{i}]"
        c.need(w, rec, isinstance(rec, dict), "an object")
        c.get(rec, "epoch", w, _is_int, "an integer")
        for key in ("grad_norm", "first_grad_norm", "saturated", "inactive"):
            values = c.get(rec, key, w, lambda v: isinstance(v, list) and len(v) == len(layers),
                           f"a list of {len(layers)} values, one per layer",
                           required=key != "first_grad_norm") or []
            for j, v in enumerate(values):
                c.need(f"{w}.{key}[{j}]", v, _number_or_none(v), "a number or null")
        hists = c.get(rec, "histogram", w, lambda v: isinstance(v, list) and len(v) == len(
            layers), f"a list of {len(layers)} histograms or nulls")
        for j, h in enumerate(hists):
            if h is None:
                continue
            hw = f"{w}.histogram[{j}]"
            c.need(hw, h, isinstance(h, dict), "an object")
            c.get(h, "range", hw, lambda v: isinstance(v, list) and len(v) == 2 and all(
                _is_number(x) for x in v), "two numbers")
            c.get(h, "counts", hw, lambda v: isinstance(v, list) and all(
                _is_int(x) and x >= 0 for x in v), "a list of counts")


def check_metrics(path: Path, metrics: dict) -> dict:
    """The keys of metrics.json that the report and the terminal table read."""
    c = Checker(path)
    c.get(metrics, "experiment", "", _is_text, "a string")
    c.get(metrics, "seed", "", _is_int, "an integer")
    for key in ("engine", "machine"):
        c.get(metrics, key, "", _is_text, "a string")
    c.get(metrics, "command", "", _is_text, "a string", required=False, none=True)
    models = c.get(metrics, "models", "", lambda v: isinstance(v, dict),
                   "an object of models by name")
    from mlplab.train.history import Outcome

    outcomes = [str(o) for o in Outcome]
    for key, info in models.items():
        where = f"models.{key}"
        c.need(where, info, isinstance(info, dict), "an object")
        c.get(info, "status", where, lambda v: v in STATUSES, f"one of {', '.join(STATUSES)}")
        c.get(info, "outcome", where, lambda v: v in outcomes, f"one of {', '.join(outcomes)}",
              required=False)
        c.get(info, "message", where, _is_text, "a string", required=False)
        c.get(info, "epochs", where, lambda v: _is_int(v) or _is_text(v), "an integer")
        c.get(info, "seconds", where, _is_number, "a number")
        c.get(info, "params", where, _is_number, "a number", required=False)
        for k in ("spec", "optimizer", "preprocess", "data"):
            c.get(info, k, where, _is_text, "a string", required=False, none=True)
        for k in ("lr", "batch_size"):
            c.get(info, k, where, _is_number, "a number", required=False, none=True)
        best = c.get(info, "best", where, lambda v: isinstance(v, dict), "an object",
                     required=False, none=True)
        if best:
            c.get(best, "epoch", f"{where}.best", _is_int, "an integer")
            c.get(best, "loss", f"{where}.best", _is_number, "a number")
            c.get(best, "split", f"{where}.best", _is_text, "a string", required=False)
        per_class = c.get(info, "per_class_accuracy", where, lambda v: isinstance(v, dict),
                          "an object", required=False, none=True)
        for split, accs in (per_class or {}).items():
            w = f"{where}.per_class_accuracy.{split}"
            c.need(w, accs, isinstance(accs, dict), "an object of accuracies by class")
            for cls, v in accs.items():
                c.need(f"{w}.{cls}", v, _number_or_none(v), "a number or null")
        dyn = c.get(info, "dynamics", where, lambda v: isinstance(v, dict), "an object",
                    required=False, none=True)
        if dyn:
            check_dynamics(c, f"{where}.dynamics", dyn)
        for split in SPLITS:
            c.get(info, split, where, lambda v: isinstance(v, dict), "an object of scores",
                  required=False)
        for split, scores in info.items():
            if split in ("best", "per_class_accuracy", "dynamics") \
                    or not isinstance(scores, dict):
                continue
            for m, v in scores.items():   # a split's scores: loss, accuracy, mse, ...
                c.need(f"{where}.{split}.{m}", v, _number_or_none(v), "a number or null")
    figures = c.get(metrics, "figures", "", lambda v: isinstance(v, list), "a list",
                    required=False)
    for i, f in enumerate(figures or []):
        w = f"figures[{i}]"
        c.need(w, f, isinstance(f, dict), "an object")
        file = c.get(f, "file", w, _is_text, "a string")
        c.get(f, "caption", w, _is_text, "a string")
        rel = PurePosixPath(file)
        if rel.is_absolute() or ".." in rel.parts or "\\" in file:
            raise c.fail(f"{w}.file {file!r} points outside the run folder")
    return metrics


# -- weights and preprocessing ---------------------------------------------------------------
def read_weights(path: Path, spec, *, spec_from: Path | None = None) -> dict[str, np.ndarray]:
    """The arrays of a model's weights file, checked against its ``spec`` (a ModelSpec):
    the same keys and shapes as the built model's ``state_dict()``, float, all finite.

    Nothing as large as the file claims is read before its size is checked against the
    spec's parameter count, so a crafted archive cannot take the machine's memory."""
    path = Path(path)
    if not path.is_file():
        raise damaged(path, "no such file")
    expected = _parameter_shapes(spec)
    # a float64 copy of every parameter plus the archive's headers is the most it can hold
    room = 8 * spec.num_parameters() + 4096 * (len(spec.layers) + 8)
    try:
        with np.load(path, allow_pickle=False) as f:
            if not hasattr(f, "files"):
                raise damaged(path, "holds one array, not an .npz archive of named weights")
            for info in f.zip.infolist():
                if info.file_size > room:
                    raise damaged(path, f"member {info.filename} unpacks to "
                                        f"{info.file_size:,} bytes, more than the model's "
                                        f"weights ({room:,} at most)")
            arrays = {k: f[k] for k in f.files}
    except MlplabError:
        raise
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        raise damaged(path, f"truncated or not an .npz archive of weights ({_short(e)})") \
            from None
    state = {k: v for k, v in arrays.items() if not k.startswith("__meta__.")}
    shown = str(spec)
    config = f" ({spec_from})" if spec_from else ""
    saved = arrays.get("__meta__.spec")
    if saved is not None:   # the spec the file was written for (mlplab.nn.save's metadata)
        from mlplab.spec import ModelSpec, SpecError

        try:
            same = saved.ndim == 0 and ModelSpec.parse(str(saved)) == spec
        except SpecError:
            same = False
        if not same:
            raise damaged(path, f"holds the weights of the model {_short(str(saved))!r}, but "
                                f"the run's model is {shown}{config}")
    if expected is None:   # twin-only layers: torch's keys; the count and the values
        count = sum(v.size for v in state.values())
        if count != spec.num_parameters():
            raise damaged(path, f"holds {count:,} weights, but the model {shown}{config} has "
                                f"{spec.num_parameters():,}")
        expected = {k: v.shape for k, v in state.items()}
    missing = [k for k in expected if k not in state]
    if missing:
        raise damaged(path, f"lacks the weights {_names(missing)} of the model {shown}{config}")
    extra = [k for k in state if k not in expected]
    if extra:
        raise damaged(path, f"holds arrays {_names(extra)} that the model {shown}{config} "
                            "does not have")
    for k, shape in expected.items():
        v = state[k]
        if v.shape != shape:
            raise damaged(path, f"weights {k} have shape {v.shape}, but the model "
                                f"{shown}{config} needs {shape}")
        if v.dtype.kind != "f":
            raise damaged(path, f"weights {k} are of type {v.dtype}, not floating point")
        bad = int(np.count_nonzero(~np.isfinite(v)))
        if bad:
            raise damaged(path, f"weights {k} hold {bad} NaN or infinite value(s) of {v.size} "
                                "(mlplab saves no diverged model, so the file was changed)")
    return state


def _parameter_shapes(spec) -> dict[str, tuple[int, ...]] | None:
    """``state_dict`` key -> shape of the NumPy model ``spec`` builds, without building it,
    from each layer record's ``parameter_shapes``. None for a spec with layers only the
    PyTorch twin builds (conv, mixer: torch's own keys), whose file is checked by its
    parameter count."""
    if spec.twin_only:
        return None
    shapes, shape = {}, spec.input_shape
    for i, layer in enumerate(spec.layers):
        kind = layer.record
        for name, s in kind.parameter_shapes(layer.args, shape).items():
            shapes[f"{i}.{name}"] = tuple(s)
        shape = kind.output_shape(layer.args, shape)
    return shapes


def _names(keys: list[str]) -> str:
    return ", ".join(keys[:4]) + (f" and {len(keys) - 4} more" if len(keys) > 4 else "")


def _short(e: Exception) -> str:
    text = str(e) or type(e).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def read_preprocess(path: Path, width: int | None = None):
    """``(transform, target scaler or None, the file's dict)`` of a model's fitted
    preprocessing; ``width`` (when known) is the number of features the model takes, checked
    against the scaler's statistics."""
    path = Path(path)
    d = read_json(path)
    c = Checker(path)
    inp = c.get(d, "input", "", lambda v: isinstance(v, dict), "an object")
    c.get(inp, "name", "input", _is_text, "a string")
    c.get(inp, "flatten", "input", lambda v: isinstance(v, bool), "true or false")
    c.get(inp, "impute", "input", lambda v: isinstance(v, list) and all(
        _is_number(x) for x in v), "a list of numbers", required=False, none=True)
    c.get(inp, "scaler", "input", lambda v: isinstance(v, dict), "an object")
    c.get(d, "target", "", lambda v: isinstance(v, dict), "an object", required=False,
          none=True)
    for where, scaler in (("input.scaler", inp["scaler"]), ("target", d.get("target"))):
        for k, v in (scaler or {}).items():
            if not isinstance(v, list):
                continue
            try:   # per-feature statistics: a list, or nested lists for unflattened images
                a = np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError):
                a = np.array([np.nan])
            if not np.isfinite(a).all():
                raise c.fail(f"{where}.{k} must hold finite numbers only")
            if width is not None and where == "input.scaler" and a.ndim == 1 \
                    and len(a) not in (1, width):
                raise c.fail(f"{where}.{k} has {len(a)} values, but the model takes {width} "
                             "features")
    from mlplab.data.pipeline import TargetScaler, preprocess_from_dict
    from mlplab.data.preprocessing import scaler_from_dict

    try:
        transform = preprocess_from_dict(inp)
        target = TargetScaler(scaler_from_dict(d["target"])) if d.get("target") else None
    except MlplabError as e:
        raise c.fail(f"{e}") from None
    except (KeyError, TypeError, ValueError) as e:
        raise c.fail(f"not a preprocessing mlplab can rebuild ({type(e).__name__}: "
                     f"{_short(e)})") from None
    return transform, target, d


__all__ = ["COLUMN_KINDS", "JSON_LIMIT", "RESTORE", "SCHEMA_FORMATS", "SPLITS", "STATUSES",
           "Checker", "check_config", "check_metrics", "check_schema", "damaged", "read_json",
           "read_preprocess", "read_weights"]

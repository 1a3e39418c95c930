"""A run folder: read back, every file checked before it is used (mlplab.runchecks), and
its result written (:func:`write_result`).

``mlplab predict``, ``mlplab report`` and ``mlplab export`` read the folders that ``mlplab
run`` and ``mlplab train`` write (and that people copy, edit by hand, or half download). Each
reads them through :class:`RunFolder`, so a damaged file is one line naming the file and what
is wrong in it, in the same words everywhere; :meth:`RunFolder.load` gives the run's
RunResult (mlplab.runresult), the same one the runner returned in memory.
"""

from __future__ import annotations

from pathlib import Path

from mlplab.errors import DataError
from mlplab.runchecks import (
    Checker,
    check_config,
    check_metrics,
    damaged,
    read_json,
    read_preprocess,
    read_weights,
)
from mlplab.runresult import RunResult
from mlplab.util import atomic_write_text


def write_result(run_dir: Path, result: RunResult) -> Path:
    """metrics.json of ``result`` in ``run_dir``."""
    return atomic_write_text(Path(run_dir) / "metrics.json", result.to_json())


# -- the folder ------------------------------------------------------------------------------
class RunFolder:
    """A folder written by ``mlplab run`` or ``mlplab train``, opened with its config.json
    checked. ``metrics`` (checked on first use) and the weights and preprocessing of each
    model are read through the methods below."""

    def __init__(self, path, config: dict):
        self.path = Path(path)
        self.config = config
        self._metrics: dict | None = None

    @classmethod
    def open(cls, path, written_by: str = "`mlplab run` or `mlplab train`") -> RunFolder:
        path = Path(path).expanduser()
        cfg = path / "config.json"
        if not path.is_dir() or not cfg.is_file():
            what = ("no such folder" if not path.exists() else "a file, not a folder"
                    if not path.is_dir() else "no config.json in it")
            raise DataError(f"{path}: not a run folder ({what}); pass a folder written by "
                            f"{written_by}")
        return cls(path, check_config(cfg, read_json(cfg)))

    @property
    def config_path(self) -> Path:
        return self.path / "config.json"

    @property
    def metrics_path(self) -> Path:
        return self.path / "metrics.json"

    @property
    def metrics(self) -> dict:
        if self._metrics is None:
            if not self.metrics_path.is_file():
                why = ("a run that did not finish: see `mlplab runs list`"
                       if self.path.name.endswith((".partial", ".incomplete"))
                       else "the run did not finish, or this is not a run folder")
                raise DataError(f"{self.path}: no metrics.json ({why}); pass a folder written "
                                "by `mlplab run` or `mlplab train`")
            self._metrics = check_metrics(self.metrics_path, read_json(self.metrics_path))
        return self._metrics

    def load(self) -> RunResult:
        """The run's RunResult: metrics.json (checked) with config.json's description, notes
        and model entries."""
        return RunResult.from_dict(self.metrics, self.config, self.path)

    @property
    def schema(self) -> dict | None:
        """The data schema of a ``mlplab train`` run (checked with config.json), else None."""
        data = self.config.get("data") or []
        return data[0]["schema"] if data and "schema" in data[0] else None

    def entry(self, name: str) -> dict | None:
        """The config.json entry of model ``name`` (the last part of a ``data/model`` key)."""
        return next((m for m in self.config["models"] if m["name"] == name), None)

    def spec(self, entry: dict):
        """The checked ModelSpec of a model entry: parsed, within the size limit, its output
        width fitting the schema's classes."""
        from mlplab.registry import LOSSES
        from mlplab.spec import ModelSpec, SpecError

        where = f"models.{entry['name']}"
        c = Checker(self.config_path)
        try:
            spec = ModelSpec.parse(entry["spec"])
        except SpecError as e:
            raise c.fail(f"{where}.spec: {e}") from None
        if entry["loss"] not in LOSSES:
            raise c.fail(f"{where}.loss {entry['loss']!r} is not a loss of mlplab (one of "
                         f"{', '.join(LOSSES)})")
        schema = self.schema
        if schema is not None and schema["task"] == "classification":
            k, out = len(schema["classes"]), spec.out_features
            if out != k and not (out == 1 and k == 2):
                raise c.fail(f"data[0].schema.classes lists {k} class{'es' if k != 1 else ''}, "
                             f"but the model "
                             f"{entry['name']!r} ({spec}) has {out} outputs")
        return spec

    def weights_file(self, key: str) -> Path:
        return self.path / "weights" / f"{stem(key)}.npz"

    def weights(self, key: str, entry: dict):
        """``(spec, state dict)`` of a saved model; ``key`` is its metrics key."""
        spec = self.spec(entry)
        return spec, read_weights(self.weights_file(key), spec, spec_from=self.config_path)

    def preprocess(self, key: str, spec=None):
        """``(transform, target scaler or None, dict)`` of a saved model's preprocessing."""
        path = self.path / "weights" / f"{stem(key)}.preprocess.json"
        width = None
        if spec is not None and len(spec.input_shape) == 1:
            width = spec.input_shape[0]
        return read_preprocess(path, width)


def stem(key: str) -> str:
    """A model's metrics key as the stem of its files under weights/, history/ and
    checkpoints/: "fashion-mnist/mlp" -> "fashion-mnist__mlp"."""
    return key.replace("/", "__")


def figure_files(run: RunFolder) -> list[tuple[Path, str]]:
    """(path, caption) of the figures metrics.json lists that exist (checked paths)."""
    return [(run.path / f["file"], f["caption"]) for f in run.metrics.get("figures", [])
            if (run.path / f["file"]).is_file()]


__all__ = ["RunFolder", "check_config", "check_metrics", "damaged", "figure_files",
           "read_json", "read_preprocess", "read_weights", "stem", "write_result"]

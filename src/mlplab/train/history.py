"""History: one record per epoch (train and evaluation losses and metrics, seconds)."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from mlplab.util import atomic_write_text


class Outcome(StrEnum):
    """How a fit ended, ``History.status``. Members are strings (``Outcome.DIVERGED ==
    "diverged"``), so JSON files and comparisons with plain names keep working."""

    OK = "ok"
    EARLY_STOPPED = "early_stopped"        # a callback stopped training before ``epochs``
    WORSE_THAN_START = "worse_than_start"  # the training loss ended above its first value
    DIVERGED = "diverged"                  # the loss became nan or inf
    INTERRUPTED = "interrupted"            # Ctrl-C; a checkpoint can resume it


# When two outcomes apply, the later one here wins (interrupted > diverged > ...).
PRECEDENCE = (Outcome.OK, Outcome.EARLY_STOPPED, Outcome.WORSE_THAN_START, Outcome.DIVERGED,
              Outcome.INTERRUPTED)


@dataclass
class History:
    """``records[i]`` holds epoch i+1: ``{"epoch", "seconds", "train_loss", "train_accuracy",
    "val_loss", ...}``. ``status`` is an :class:`Outcome` ("ok", "early_stopped",
    "worse_than_start", "diverged" or "interrupted"); ``message`` is the human sentence that
    explains anything but "ok" (and notes such as "hand-set weights, not trained")."""

    records: list[dict] = field(default_factory=list)
    status: str = Outcome.OK
    message: str = ""

    def __post_init__(self):
        self.status = Outcome(self.status)

    def conclude(self, status: str, message: str) -> bool:
        """Record an outcome unless one as strong (``PRECEDENCE``) is already recorded: the
        first reason to stop is the one reported. True when it was recorded."""
        status = Outcome(status)
        rank = PRECEDENCE.index
        if self.status != Outcome.OK and rank(status) <= rank(self.status):
            return False
        self.status, self.message = status, message
        return True

    def append(self, record: dict) -> None:
        self.records.append(record)

    def column(self, key: str) -> list[float]:
        return [r.get(key, math.nan) for r in self.records]

    @property
    def columns(self) -> list[str]:
        cols: list[str] = []
        for r in self.records:
            cols += [k for k in r if k not in cols]
        return cols

    @property
    def epochs(self) -> int:
        return len(self.records)

    def last(self, key: str, default=math.nan):
        return self.records[-1].get(key, default) if self.records else default

    def to_dict(self) -> dict:
        return {"status": str(self.status), "message": self.message, "records": self.records}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(list(d.get("records", [])), d.get("status", "ok"), d.get("message", ""))

    def to_json(self, path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def from_json(cls, path) -> History:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_csv(self, path) -> None:
        """The records as a table (floats to 6 significant digits), one row per epoch; the
        status and message live in the JSON beside it (:meth:`to_json`)."""
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        for r in self.records:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
        atomic_write_text(path, buf.getvalue())

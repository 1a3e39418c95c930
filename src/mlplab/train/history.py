"""History: one record per epoch (train and evaluation losses and metrics, seconds)."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

from mlplab.util import atomic_write_text


@dataclass
class History:
    """``records[i]`` holds epoch i+1: ``{"epoch", "seconds", "train_loss", "train_accuracy",
    "val_loss", ...}``. ``status`` is "ok", "diverged", "interrupted" or "early_stopped";
    ``message`` explains anything but "ok"."""

    records: list[dict] = field(default_factory=list)
    status: str = "ok"
    message: str = ""

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
        return {"status": self.status, "message": self.message, "records": self.records}

    @classmethod
    def from_dict(cls, d: dict) -> History:
        return cls(list(d.get("records", [])), d.get("status", "ok"), d.get("message", ""))

    def to_json(self, path) -> None:
        atomic_write_text(path, json.dumps(self.to_dict(), indent=1))

    @classmethod
    def from_json(cls, path) -> History:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def to_csv(self, path) -> None:
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        for r in self.records:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in r.items()})
        atomic_write_text(path, buf.getvalue())

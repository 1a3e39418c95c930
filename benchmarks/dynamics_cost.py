"""What TrainingDynamics costs per step: one epoch of Fashion-MNIST (batches of 64, SGD) with
and without it, interleaved, median of 5, for a shallow and a deep MLP.

    python benchmarks/dynamics_cost.py        (pin threads as bench.py's notes say)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import bench  # noqa: E402

from mlplab.train import NumpyEngine, Trainer  # noqa: E402
from mlplab.train.callbacks import TrainingDynamics  # noqa: E402

SPECS = ("784-256-relu-10", "784-256-relu-256-relu-256-relu-10")


def fit(X, y, spec: str, dynamics: bool) -> float:
    e = NumpyEngine.from_spec(spec, "cross_entropy", "sgd", 0.01, seed=0)
    tr = Trainer(e, epochs=1, batch_size=64, seed=0, progress=False, guards=False,
                 callbacks=[TrainingDynamics()] if dynamics else [])
    t = time.perf_counter()
    tr.fit((X, y))
    return time.perf_counter() - t


def main() -> None:
    X, y, _, _ = bench.fashion()
    for spec in SPECS:
        runs: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(5):
            for d in (False, True):
                runs[d].append(fit(X, y, spec, d))
        a, b = np.median(runs[False]), np.median(runs[True])
        print(f"{spec}: {a:.3f} s plain, {b:.3f} s with TrainingDynamics: "
              f"+{100 * (b / a - 1):.1f}% ({1e6 * (b - a) / 938:.0f} us per batch)")


if __name__ == "__main__":
    main()

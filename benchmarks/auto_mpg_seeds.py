"""How much the auto-mpg MLP's last-epoch validation MSE depends on the seed, with the course's
settings (9-64-64-1 ReLU, SGD lr 0.003, batch 32, 100 epochs): mlplab's run for seeds 0-19,
and the same network as a plain PyTorch loop with torch's own initialisation and DataLoader
shuffling. The figures quoted in auto-mpg.toml's notes come from here.

    .venv/bin/python benchmarks/auto_mpg_seeds.py [--seeds 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

import numpy as np


def mlplab_mse(seed: int) -> float:
    from mlplab.experiments import load_experiment, run_experiment
    from mlplab.experiments.config import with_overrides

    with tempfile.TemporaryDirectory() as d:
        run = run_experiment(with_overrides(load_experiment("auto-mpg"), seed=seed), d,
                             progress=False)
        return json.loads((Path(run) / "metrics.json").read_text())["models"]["mlp"]["val"]["mse"]


def _torch_data():
    """The course's split and standardisation as tensors: (X_train, y_train, X_val, y_val)."""
    import torch
    from mlplab import data
    from mlplab.data.preprocessing import Standardizer

    ds = data.load("auto-mpg")
    (X, y), (Xv, yv) = ds.split("train"), ds.split("val")
    st = Standardizer().fit(X)
    def col(v):
        return torch.from_numpy(v.astype(np.float32)).reshape(-1, 1)

    return (torch.from_numpy(st.transform(X)), col(y), torch.from_numpy(st.transform(Xv)),
            col(yv))


def torch_mse(seed: int, tensors) -> float:
    import torch

    X, y, Xv, yv = tensors
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(9, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
                                torch.nn.ReLU(), torch.nn.Linear(64, 1))
    opt = torch.optim.SGD(model.parameters(), lr=0.003)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, y), batch_size=32,
                                         shuffle=True)
    for _ in range(100):
        for xb, yb in loader:
            opt.zero_grad()
            torch.nn.functional.mse_loss(model(xb), yb).backward()
            opt.step()
    with torch.no_grad():
        return float(torch.nn.functional.mse_loss(model(Xv), yv))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args(argv)
    import torch

    torch.set_num_threads(1)   # 4,865 parameters: threads only add overhead
    tensors = _torch_data()
    for name, fn in (("mlplab run auto-mpg", mlplab_mse),
                     ("plain torch loop", lambda s: torch_mse(s, tensors))):
        v = [fn(s) for s in range(args.seeds)]
        above = [s for s, m in enumerate(v) if m > 8]
        print(f"{name}: val MSE by seed {' '.join(f'{m:.2f}' for m in v)}")
        print(f"  min {min(v):.2f}, median {statistics.median(v):.2f}, max {max(v):.2f}; "
              f"above 8: {len(above)} of {len(v)} (seeds {above})")


if __name__ == "__main__":
    main()

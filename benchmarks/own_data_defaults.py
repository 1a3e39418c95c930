"""`mlplab train`'s defaults on tables its tests never saw: the test-split score of the
baseline and the MLP, mean over seeds, under each early-stopping setting.

Data (all offline): Auto MPG from vega (vega_datasets' cars.json as a CSV: 406 cars, target
Miles_per_Gallon, a date column Year), scikit-learn's diabetes (442 rows, regression), wine
(178 rows, 3 classes) and breast cancer (569 rows, 2 classes). Each run is the command a
user types, `python -m mlplab.cli train FILE --target T --seed S -q`, plus the setting:

    default   no flag: whatever the defaults are
    off       --no-early-stopping
    N         --early-stopping N

    .venv/bin/python benchmarks/own_data_defaults.py [--seeds 5] [--settings default,off,10]
        [--data auto-mpg,diabetes,wine,breast-cancer]

Prints one row per data set and setting: baseline and MLP score (R² or accuracy; mean and
standard deviation over seeds) and the MLP's mean number of epochs.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def write_auto_mpg(folder: Path) -> tuple[Path, str]:
    import vega_datasets

    rows = json.loads((Path(vega_datasets.__file__).parent / "_data" / "cars.json").read_text())
    path = folder / "cars.csv"
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return path, "Miles_per_Gallon"


def write_sklearn(folder: Path, name: str) -> tuple[Path, str]:
    from sklearn import datasets

    loader = {"diabetes": datasets.load_diabetes, "wine": datasets.load_wine,
              "breast-cancer": datasets.load_breast_cancer}[name]
    frame = loader(as_frame=True).frame
    path = folder / f"{name}.csv"
    frame.to_csv(path, index=False)
    return path, "target"


def run(path: Path, target: str, seed: int, setting: str, out: Path) -> dict:
    flags = ([] if setting == "default" else ["--no-early-stopping"] if setting == "off"
             else ["--early-stopping", setting])
    before = set(out.iterdir()) if out.exists() else set()
    subprocess.run([sys.executable, "-m", "mlplab.cli", "train", str(path), "--target", target,
                    "--seed", str(seed), "--out", str(out), "-q", *flags],
                   check=True, stdout=subprocess.DEVNULL)
    (folder,) = set(out.iterdir()) - before
    return json.loads((folder / "metrics.json").read_text())["models"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--settings", default="default,off,5,10,20,30")
    parser.add_argument("--data", default="auto-mpg,diabetes,wine,breast-cancer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        print(f"{'data':<14}{'setting':>8}{'baseline':>16}{'MLP':>16}{'MLP epochs':>12}")
        for name in args.data.split(","):
            path, target = (write_auto_mpg(tmp) if name == "auto-mpg"
                            else write_sklearn(tmp, name))
            for setting in args.settings.split(","):
                base, mlp, epochs = [], [], []
                for seed in range(args.seeds):
                    models = run(path, target, seed, setting, tmp / "runs")
                    key = "r2" if "r2" in models["mlp"]["test"] else "accuracy"
                    baseline = next(m for k, m in models.items() if k != "mlp")
                    base.append(baseline["test"][key])
                    mlp.append(models["mlp"]["test"][key])
                    epochs.append(models["mlp"]["epochs"])

                def cell(v):
                    return f"{statistics.mean(v):.3f} ± {statistics.stdev(v):.3f}"

                print(f"{name:<14}{setting:>8}{cell(base):>16}{cell(mlp):>16}"
                      f"{statistics.mean(epochs):>12.1f}", flush=True)


if __name__ == "__main__":
    main()

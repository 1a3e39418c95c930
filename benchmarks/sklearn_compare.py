"""mlplab.sklearn.MLPClassifier against scikit-learn's MLPClassifier on the same data and
settings: digits (1,797 8x8 images, 10 classes; 70/30 stratified split, standardised), one
hidden layer of 64 ReLUs, batches of 32, 30 epochs, no L2 penalty, plain SGD (no momentum)
or Adam at lr 0.01, seeds 0-4. Prints the test accuracy and the fit time of each (the median
over seeds) and the speed ratio. tests/sklearn/test_estimators.py checks the accuracy margin.

    .venv/bin/python benchmarks/sklearn_compare.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier as SkMLP
    from sklearn.preprocessing import StandardScaler

    from mlplab.sklearn import MLPClassifier

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(Xtr)
    Xtr, Xte = scaler.transform(Xtr), scaler.transform(Xte)
    print(f"digits: {len(Xtr)} training rows, {len(Xte)} test rows; 64-64-relu-10, batch 32, "
          f"30 epochs, lr 0.01, seeds 0-{args.seeds - 1}")
    print(f"{'optimizer':<10}{'library':<14}{'accuracy (mean)':>16}{'fit s (median)':>16}")
    for optimizer in ("sgd", "adam"):
        results = {"mlplab": ([], []), "scikit-learn": ([], [])}
        for seed in range(args.seeds):
            common = dict(hidden_layer_sizes=(64,), batch_size=32, random_state=seed)
            models = {
                "mlplab": MLPClassifier(optimizer=optimizer, learning_rate=0.01, epochs=30,
                                        **common),
                "scikit-learn": SkMLP(activation="relu", solver=optimizer,
                                      learning_rate_init=0.01, max_iter=30, alpha=0.0,
                                      momentum=0.0, nesterovs_momentum=False,
                                      n_iter_no_change=10**6, tol=0.0, **common),
            }
            for name, model in models.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    t0 = time.perf_counter()
                    model.fit(Xtr, ytr)
                    seconds = time.perf_counter() - t0
                results[name][0].append(model.score(Xte, yte))
                results[name][1].append(seconds)
        for name, (acc, secs) in results.items():
            print(f"{optimizer:<10}{name:<14}{np.mean(acc):>16.4f}"
                  f"{statistics.median(secs):>16.3f}")
        ratio = statistics.median(results["scikit-learn"][1]) / statistics.median(
            results["mlplab"][1])
        print(f"{optimizer:<10}speed ratio (scikit-learn time / mlplab time): {ratio:.2f}")


if __name__ == "__main__":
    main()

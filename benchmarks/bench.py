"""Speed and memory of mlplab's engines against PyTorch and scikit-learn on the course's
workloads. Run with `make bench` (never part of the test suite's pass/fail).

Each workload runs its competitors interleaved A B C A B C ..., every run in a fresh
interpreter (see run_alone), and reports the median seconds, the fastest run (on a shared VM
the spread is wide, and the minimum is the least disturbed reading), the ratio of medians to
the hand-written PyTorch loop, and the peak resident memory of those runs. The last lines
hold the issue's targets against the medians.

    W1  Fashion-MNIST MLP 784-256-10 ReLU, batch 64, SGD lr 0.01, one epoch of 60,000, inputs in
        [-1, 1]
    W2  784-256-256-10, batch 256, Adam lr 1e-3, one epoch
    W3  the whole auto-mpg experiment (linear and MLP, 100 epochs each)
    floor  this machine's float32 GEMM rate turned into seconds for W1's multiply-adds
    plain  the shortest NumPy loop for W1 (numpy_plain): what NumPy itself allows here
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np

# ---------------------------------------------------------------------------- data

_CACHE: dict = {}


def fashion():
    if "fm" not in _CACHE:
        from mlplab import data
        from mlplab.data.preprocessing import SymmetricScaler, flatten

        ds = data.load("fashion-mnist", offline=True)
        X, y = ds.split("train")
        Xt, yt = ds.split("test")
        sc = SymmetricScaler()
        _CACHE["fm"] = (sc.transform(flatten(X)), y.astype(np.int64),
                        sc.transform(flatten(Xt)), yt.astype(np.int64))
    return _CACHE["fm"]


W = {
    "W1": dict(spec="784-256-relu-10", batch=64, opt="sgd", lr=0.01),
    "W2": dict(spec="784-256-relu-256-relu-10", batch=256, opt="adam", lr=1e-3),
}

# ---------------------------------------------------------------------------- competitors


def _engine_loop(engine_cls, w, seed):
    """One epoch of ``engine.train_step`` over the shuffled batches: the engine's public API."""
    from mlplab.data.batching import iter_batches

    X, y, _, _ = fashion()
    e = engine_cls.from_spec(w["spec"], "cross_entropy", w["opt"], w["lr"], seed=seed)
    rng = np.random.default_rng(seed)
    t = time.perf_counter()
    for xb, yb in iter_batches(X, y, w["batch"], rng):
        e.train_step(xb, yb)
    return time.perf_counter() - t


def mlplab_engine(w, seed=0):
    """The NumPy engine: forward, loss, backward, step."""
    from mlplab.train import NumpyEngine

    return _engine_loop(NumpyEngine, w, seed)


def numpy_plain(w, seed=0):
    """The shortest NumPy loop for W1's 784-256-10 that we know: weights stored column-major,
    gradients written with out=, ReLU and softmax in place, no loss value, no checks. A
    reference for what NumPy and OpenBLAS allow on this machine, not a competitor to beat."""
    X, y, _, _ = fashion()
    rng = np.random.default_rng(seed)
    lr = np.float32(w["lr"])
    W1 = np.asfortranarray(rng.uniform(-1, 1, (256, 784)).astype(np.float32) / 28)
    W2 = np.asfortranarray(rng.uniform(-1, 1, (10, 256)).astype(np.float32) / 16)
    b1, b2 = np.zeros(256, np.float32), np.zeros(10, np.float32)
    g1, g2, s1 = np.empty_like(W1), np.empty_like(W2), np.empty_like(W1)
    t = time.perf_counter()
    perm = rng.permutation(len(X))
    for i in range(0, len(X), w["batch"]):
        idx = perm[i:i + w["batch"]]
        xb, yb, n = np.take(X, idx, axis=0), y[idx], len(idx)
        h = xb @ W1.T
        h += b1
        np.maximum(h, 0, out=h)
        z = h @ W2.T
        z += b2
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[np.arange(n), yb] -= 1
        z /= n
        np.matmul(h.T, z, out=g2.T)
        gb2 = z.sum(axis=0)
        dh = z @ W2
        dh *= h > 0
        np.matmul(xb.T, dh, out=g1.T)
        gb1 = dh.sum(axis=0)
        np.multiply(g1, lr, out=s1)
        W1 -= s1
        W2 -= lr * g2
        b1 -= lr * gb1
        b2 -= lr * gb2
    return time.perf_counter() - t


def mlplab_twin(w, seed=0):
    """The PyTorch twin through the same engine interface."""
    from mlplab.torch.engine import TorchEngine

    return _engine_loop(TorchEngine, w, seed)


def mlplab_trainer(w, seed=0):
    """Trainer.fit with its progress bar and per-epoch evaluation on the 10,000 test images."""
    from rich.console import Console

    from mlplab.train import NumpyEngine, Trainer

    X, y, Xt, yt = fashion()
    e = NumpyEngine.from_spec(w["spec"], "cross_entropy", w["opt"], w["lr"], seed=seed)
    tr = Trainer(e, epochs=1, batch_size=w["batch"], seed=seed, progress=True,
                 console=Console(stderr=True, force_terminal=True))
    t = time.perf_counter()
    tr.fit((X, y), {"test": (Xt, yt)})
    return time.perf_counter() - t


def torch_hand(w, seed=0):
    """The course's PyTorch code: a DataLoader-free loop over shuffled index batches."""
    import torch

    X, y, _, _ = fashion()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    g = torch.Generator().manual_seed(seed)
    sizes = [int(s) for s in w["spec"].split("-") if s.isdigit()]
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(torch.nn.ReLU())
    model = torch.nn.Sequential(*layers)
    opt = (torch.optim.SGD if w["opt"] == "sgd" else torch.optim.Adam)(model.parameters(),
                                                                       lr=w["lr"])
    loss_fn = torch.nn.CrossEntropyLoss()
    t = time.perf_counter()
    perm = torch.randperm(len(Xt), generator=g)
    for i in range(0, len(Xt), w["batch"]):
        idx = perm[i:i + w["batch"]]
        opt.zero_grad()
        loss_fn(model(Xt[idx]), yt[idx]).backward()
        opt.step()
    return time.perf_counter() - t


def sklearn_mlp(w, seed=0):
    """scikit-learn's MLPClassifier, the same settings, one epoch (max_iter=1)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y, _, _ = fashion()
    hidden = tuple(int(s) for s in w["spec"].split("-")[1:-1] if s.isdigit())
    clf = MLPClassifier(hidden, solver=w["opt"], learning_rate_init=w["lr"],
                        batch_size=w["batch"], max_iter=1, momentum=0.0,
                        nesterovs_momentum=False, alpha=0.0, random_state=seed, shuffle=True)
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return time.perf_counter() - t


def auto_mpg(engine):
    def run(_w=None, seed=0):
        import tempfile

        from mlplab.experiments import load_experiment, run_experiment
        from mlplab.experiments.config import with_overrides

        with tempfile.TemporaryDirectory() as d:
            t = time.perf_counter()
            run_experiment(with_overrides(load_experiment("auto-mpg"), engine=engine), d,
                           progress=False)
            return time.perf_counter() - t
    return run


def torch_hand_auto_mpg(_w=None, seed=0):
    """Both auto-mpg models as the course's PyTorch notebook trains them."""
    import torch
    from mlplab import data
    from mlplab.data.preprocessing import Standardizer

    ds = data.load("auto-mpg")
    X, y = ds.split("train")
    st = Standardizer().fit(X)
    Xt = torch.from_numpy(st.transform(X))
    yt = torch.from_numpy(y.astype(np.float32)).reshape(-1, 1)
    g = torch.Generator().manual_seed(seed)
    t = time.perf_counter()
    for spec, lr in (((9, 1), 0.1), ((9, 64, 64, 1), 0.003)):
        layers = []
        for i, (a, b) in enumerate(zip(spec[:-1], spec[1:])):
            layers += [torch.nn.Linear(a, b)] + ([torch.nn.ReLU()] if i < len(spec) - 2 else [])
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        for _ in range(100):
            perm = torch.randperm(len(Xt), generator=g)
            for i in range(0, len(Xt), 32):
                idx = perm[i:i + 32]
                opt.zero_grad()
                torch.nn.functional.mse_loss(model(Xt[idx]), yt[idx]).backward()
                opt.step()
    return time.perf_counter() - t


COMPETITORS = {
    "W1": {"mlplab engine": mlplab_engine, "mlplab Trainer.fit": mlplab_trainer,
           "mlplab twin": mlplab_twin, "torch hand loop": torch_hand,
           "scikit-learn": sklearn_mlp, "plain NumPy loop": numpy_plain},
    "W2": {"mlplab engine": mlplab_engine, "mlplab twin": mlplab_twin,
           "torch hand loop": torch_hand, "scikit-learn": sklearn_mlp},
    "W3": {"mlplab run (numpy)": auto_mpg("numpy"), "mlplab run (twin)": auto_mpg("torch"),
           "torch hand loop": torch_hand_auto_mpg},
}


def gemm_floor(w) -> tuple[float, float]:
    """Seconds W1's multiply-adds take at this machine's measured float32 GEMM rate."""
    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    a @ a
    reps = []
    for _ in range(5):
        t = time.perf_counter()
        a @ a
        reps.append(time.perf_counter() - t)
    rate = 2 * 2048**3 / min(reps)
    sizes = [int(s) for s in w["spec"].split("-") if s.isdigit()]
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    # forward, weight gradient, and input gradient of every layer but the first
    first = sizes[0] * sizes[1]
    flops = 2 * 60_000 * (3 * macs - first)
    return flops / rate, rate


def run_alone(workload: str, name: str, seed: int) -> tuple[float, float]:
    """One run of one competitor in a fresh interpreter: (seconds, peak resident MiB).

    A fresh process per run keeps the libraries apart: OpenBLAS's and torch's OpenMP threads
    each spin for a while after a call, and on 2 cores the spinning pool of the previous
    competitor would slow the next one. The peak is the child's own VmHWM (ru_maxrss would
    carry over this process's peak through fork and exec).
    """
    code = (f"import sys, re; sys.path.insert(0, 'benchmarks'); import bench; "
            f"bench.fashion() if {workload!r} != 'W3' else None; "
            f"t = bench.COMPETITORS[{workload!r}][{name!r}](bench.W.get({workload!r}), "
            f"seed={seed}); "
            "print(t, re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read())[1])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{workload} {name} failed:\n{out.stderr[-2000:]}")
    seconds, kib = out.stdout.split()[-2:]
    return float(seconds), int(kib) / 1024


def run_memory() -> dict:
    """Peak RSS of `mlplab run fashion-mnist --epochs 1` against the target: 1.5 x the float32
    training set (60,000 x 784 x 4 bytes) plus the interpreter's baseline (the same command's
    imports, measured by `mlplab list`)."""
    import tempfile

    def peak(args):
        # GNU time reports the command's own peak (a fresh exec from a small parent)
        out = subprocess.run(["/usr/bin/time", "-f", "%M", sys.executable, "-m", "mlplab.cli",
                              *args], check=True, capture_output=True, text=True)
        return int(out.stderr.split()[-1]) / 1024

    base = peak(["list"])
    with tempfile.TemporaryDirectory() as d:
        run = peak(["run", "fashion-mnist", "--epochs", "1", "-q", "--out", d])
    train = 60_000 * 784 * 4 / 2**20
    return {"baseline_mib": base, "run_mib": run, "float32_train_mib": train,
            "target_mib": base + 1.5 * train}


def targets(results: dict) -> list[tuple[str, float, str, bool]]:
    """The issue's speed and memory targets against this run's medians:
    (label, measured ratio, target, met)."""
    out = []
    w1 = results.get("W1", {})
    sec = {k: v["seconds"] for k, v in w1.items() if "seconds" in v}
    # (label, numerator, denominator, "<=" or ">=", bound)
    pairs = [("NumPy engine / torch hand loop (W1)", "mlplab engine", "torch hand loop", "<=", 1.0),
             ("scikit-learn / NumPy engine (W1)", "scikit-learn", "mlplab engine", ">=", 2.0),
             ("Trainer.fit / NumPy engine (W1)", "mlplab Trainer.fit", "mlplab engine", "<=", 1.1),
             ("twin / torch hand loop (W1)", "mlplab twin", "torch hand loop", "<=", 1.05)]
    for label, a, b, op, bound in pairs:
        if a in sec and b in sec:
            r = sec[a] / sec[b]
            out.append((label, r, f"{op} {bound}x", r <= bound if op == "<=" else r >= bound))
    m = results.get("memory")
    if m:
        r = m["run_mib"] / m["target_mib"]
        out.append(("peak memory of run fashion-mnist / target", r, "<= 1.0x", r <= 1.0))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workloads", default="W1,W2,W3")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    import torch

    print(f"machine: {platform.machine()}, {platform.processor() or '?'}, "
          f"{__import__('os').cpu_count()} cores; numpy {np.__version__}, torch "
          f"{torch.__version__} ({torch.get_num_threads()} threads)")
    results = {}
    for wl in [w for w in args.workloads.split(",") if w in COMPETITORS]:
        comps = dict(COMPETITORS[wl])
        try:
            import mlplab.torch.engine  # noqa: F401
        except ImportError:
            comps = {k: v for k, v in comps.items() if "twin" not in k}
        times = {k: [] for k in comps}
        peaks = {k: [] for k in comps}
        for rep in range(args.repeats):
            for name in comps:
                t, mib = run_alone(wl, name, rep)
                times[name].append(t)
                peaks[name].append(mib)
        ref = statistics.median(times["torch hand loop"])
        print(f"\n{wl}: median of {args.repeats} interleaved runs")
        print(f"{'competitor':<22}{'seconds':>9}{'fastest':>9}{'vs torch':>10}{'peak MiB':>10}")
        rows = {}
        for name, ts in times.items():
            med = statistics.median(ts)
            mem = max(peaks[name])
            rows[name] = {"seconds": med, "fastest": min(ts), "ratio": med / ref,
                          "peak_mib": mem, "all": ts}
            print(f"{name:<22}{med:>9.3f}{min(ts):>9.3f}{med / ref:>9.2f}x{mem:>10.0f}")
        if wl == "W1":
            floor, rate = gemm_floor(W[wl])
            rows["floor"] = {"seconds": floor, "gflops": rate / 1e9}
            print(f"{'GEMM floor':<22}{floor:>9.3f}{'':>9}{floor / ref:>9.2f}x"
                  f"   ({rate / 1e9:.0f} GFLOP/s float32)")
        results[wl] = rows
    if "mem" in args.workloads.split(",") or args.workloads == "W1,W2,W3":
        m = run_memory()
        results["memory"] = m
        print(f"\nmlplab run fashion-mnist --epochs 1: peak {m['run_mib']:.0f} MiB; target "
              f"{m['target_mib']:.0f} MiB = baseline {m['baseline_mib']:.0f} + 1.5 x "
              f"{m['float32_train_mib']:.0f} (float32 training set)")
    checks = targets(results)
    if checks:
        print("\ntargets (medians of this run)")
        for label, value, goal, ok in checks:
            print(f"  {label:<44}{value:>7.2f}x  (target {goal})  {'met' if ok else 'NOT MET'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()

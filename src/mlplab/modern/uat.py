"""Universal approximation: one hidden layer of growing width fits a 1-D function; deeper
nets of equal width at the same parameter counts show what depth buys.

The theorem (Cybenko 1989, Hornik 1991) says that one hidden layer of enough sigmoidal (or
ReLU) units approximates any continuous function on a bounded interval as closely as wanted;
it says nothing of how wide "enough" is or whether training finds the weights. Here the
networks 1-w-act-1 for w = 1, 2, 4, ..., 256 are trained by the Trainer on the same points
and scored on a dense grid: the error falls as the width grows. Then nets of 2 and 3 hidden
layers are trained the same way at the parameter counts of widths 8, 32 and 128 (their width
chosen to match, ``deep_width``): on the default wiggle, 3 layers of 6 reach a third of the
error of one layer of 32 at about 100 parameters, while at about 400 neither depth beats one
wide layer after these 5,000 epochs.

Two training details make the trend visible rather than buried under optimisation noise: the
network sees ``input_scale * x`` (torch's default initialisation draws a one-input unit's
weight and bias from +-1, so on [-1, 1] every tanh unit would be nearly linear; scaled, their
transitions spread over the interval), and the Trainer's cosine schedule takes the learning
rate down to 0 over the run, so every width ends converged.
"""

from __future__ import annotations

import numpy as np

from mlplab.errors import ExperimentError  # demo arguments come from the experiment file
from mlplab.report.mpl import plt_module, save
from mlplab.train import Trainer, build_engine

# name -> (f(x) on [-1, 1], how the report writes it)
FUNCTIONS = {
    "wiggle": (lambda x: np.sin(2 * np.pi * x) + 0.5 * np.sin(5 * np.pi * x),
               "sin(2 pi x) + 0.5 sin(5 pi x)"),
    "sin": (lambda x: np.sin(np.pi * x), "sin(pi x)"),
    "abs": (lambda x: np.abs(x), "abs(x)"),
    "step": (lambda x: (x > 0).astype(np.float64), "step at 0"),
    "bump": (lambda x: np.exp(-25 * x * x), "exp(-25 x^2)"),
}


def deep_width(depth: int, budget: int) -> int:
    """The width d whose net of ``depth`` hidden layers 1-d-...-d-1 has the parameter count
    closest to ``budget``: d (depth - 1)(d + 1) + 3 d + 1 parameters."""
    def count(d):
        return d * (depth - 1) * (d + 1) + 3 * d + 1

    return min(range(1, budget + 1), key=lambda d: (abs(count(d) - budget), d))


def run(ctx, widths=(1, 2, 4, 8, 16, 32, 64, 128, 256), activation="tanh",
        function="wiggle", n_train=256, epochs=5000, lr=0.01, batch_size=256,
        input_scale=5.0, depths=(2, 3), budget_widths=(8, 32, 128)):
    """Train 1-w-activation-1 (MSE, Adam, cosine-decayed lr) for every width on ``n_train``
    points of ``function`` on [-1, 1]; score RMSE and max error on 2,001 grid points. Then,
    for the parameter counts of the ``budget_widths`` nets, the same with ``depths`` hidden
    layers of equal width at (about) the same count: depth against width."""
    try:
        f, formula = FUNCTIONS[function]
    except KeyError:
        raise ExperimentError(f"uat: unknown function {function!r}; choose one of "
                              f"{', '.join(FUNCTIONS)}") from None
    widths = [int(w) for w in widths]
    if not widths or min(widths) < 1:
        raise ExperimentError(f"uat: widths must be positive integers, got {widths}")
    x = np.linspace(-1, 1, n_train)
    X = (input_scale * x).astype(np.float32).reshape(-1, 1)
    y = f(x).astype(np.float32)
    gx = np.linspace(-1, 1, 2001)
    grid = (input_scale * gx).astype(np.float32).reshape(-1, 1)
    truth = f(gx)
    def fit(hidden):
        spec = "-".join(["1", *(f"{h}-{activation}" for h in hidden), "1"])
        engine = build_engine(ctx.engine, spec=spec, loss="mse", optimizer="adam", lr=lr,
                              seed=ctx.seed, device=ctx.device)
        history = Trainer(engine, epochs=epochs, batch_size=batch_size, seed=ctx.seed,
                          schedule="cosine", progress=False).fit((X, y))
        if history.status == "interrupted":
            raise KeyboardInterrupt
        pred = engine.predict(grid)[:, 0].astype(np.float64)
        err = pred - truth
        return pred, engine.num_parameters(), history, float(np.sqrt(np.mean(err * err))), \
            float(np.abs(err).max())

    rows, fits, rmse, max_err = [], {}, [], []
    for w in widths:
        pred, n, history, r, m = fit([w])
        fits[w] = pred
        rmse.append(r)
        max_err.append(m)
        rows.append(["1", str(w), f"{n:,}", f"{history.last('train_loss'):.3g}", f"{r:.4f}",
                     f"{m:.4f}", history.status])
    deep: dict[int, list[tuple[int, float]]] = {}   # depth -> [(params, rmse)]
    for bw in budget_widths:
        budget = 3 * bw + 1
        for depth in depths:
            d = deep_width(depth, budget)
            pred, n, history, r, m = fit([d] * depth)
            deep.setdefault(depth, []).append((n, r))
            rows.append([str(depth), str(d), f"{n:,}", f"{history.last('train_loss'):.3g}",
                         f"{r:.4f}", f"{m:.4f}", history.status])
    plt = plt_module()
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(17, 4.2))
    a.plot(gx, truth, "k", lw=2.5, label=f"f(x) = {formula}")
    show = sorted({widths[0], *widths[len(widths) // 3: len(widths) // 3 + 1],
                   *widths[2 * len(widths) // 3: 2 * len(widths) // 3 + 1], widths[-1]})
    for i, w in enumerate(show):
        a.plot(gx, fits[w], color=f"C{i}", lw=1.2, label=f"width {w}")
    a.set_xlabel("x")
    a.set_title(f"one hidden layer ({activation}) fitting f")
    a.legend(fontsize=7)
    b.loglog(widths, rmse, "o-", label="RMSE")
    b.loglog(widths, max_err, "s--", label="max abs error")
    b.set_xlabel("hidden width")
    b.set_ylabel("error on 2,001 grid points")
    b.set_title("error against width")
    b.grid(alpha=0.3, which="both")
    b.legend()
    c.loglog([3 * w + 1 for w in widths], rmse, "o-", label="1 hidden layer")
    for depth, points in sorted(deep.items()):
        c.loglog([p for p, _ in points], [r for _, r in points], "s--",
                 label=f"{depth} hidden layers")
    c.set_xlabel("parameters")
    c.set_ylabel("grid RMSE")
    c.set_title("depth against width, at the same parameter count")
    c.grid(alpha=0.3, which="both")
    c.legend()
    path = save(fig, ctx.plot_path("uat.png"))
    best = int(np.argmin(rmse))
    by_width = dict(zip(widths, rmse))
    parts = []
    for i, bw in enumerate(budget_widths):
        one = [f"1 layer {by_width[bw]:.4f}"] if bw in by_width else []
        many = [f"{depth} layers {deep[depth][i][1]:.4f}" for depth in sorted(deep)]
        parts.append(f"about {3 * bw + 1} parameters: " + ", ".join(one + many))
    matched = "; ".join(parts)
    return {
        "summary": (f"1-w-{activation}-1 on f(x) = {formula}, {n_train} training points, "
                    f"{epochs} epochs of Adam (lr {lr}, cosine schedule, batch "
                    f"{batch_size}), inputs scaled by {input_scale:g}: RMSE "
                    f"{rmse[0]:.3f} at width {widths[0]} -> {rmse[-1]:.4f} at width "
                    f"{widths[-1]} (best {rmse[best]:.4f} at width {widths[best]})."
                    + (f" Depth against width, grid RMSE at {matched}." if deep else "")),
        "header": ["hidden layers", "width", "params", "train MSE", "grid RMSE",
                   "grid max abs error", "status"],
        "rows": rows,
        "plots": [(path, "universal approximation: fits for a few widths, error against "
                         "width, and deeper nets of equal width at the same parameter counts")],
        "params": 3 * widths[-1] + 1,
        "steps": epochs * -(-n_train // batch_size),
        "metrics": {"widths": widths, "rmse": rmse, "max_error": max_err,
                    "deep": {str(k): v for k, v in deep.items()}},
    }

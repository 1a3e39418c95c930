"""Universal approximation: one hidden layer of growing width fits a 1-D function.

The theorem (Cybenko 1989, Hornik 1991) says that one hidden layer of enough sigmoidal (or
ReLU) units approximates any continuous function on a bounded interval as closely as wanted;
it says nothing of how wide "enough" is or whether training finds the weights. Here the
networks 1-w-act-1 for w = 1, 2, 4, ..., 256 are trained by the Trainer on the same points
and scored on a dense grid: the error falls as the width grows.

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


def run(ctx, widths=(1, 2, 4, 8, 16, 32, 64, 128, 256), activation="tanh",
        function="wiggle", n_train=256, epochs=5000, lr=0.01, batch_size=256,
        input_scale=5.0):
    """Train 1-w-activation-1 (MSE, Adam, cosine-decayed lr) for every width on ``n_train``
    points of ``function`` on [-1, 1]; score RMSE and max error on 2,001 grid points."""
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
    rows, fits, rmse, max_err = [], {}, [], []
    for w in widths:
        spec = f"1-{w}-{activation}-1"
        engine = build_engine(ctx.engine, spec=spec, loss="mse", optimizer="adam", lr=lr,
                              seed=ctx.seed, device=ctx.device)
        history = Trainer(engine, epochs=epochs, batch_size=batch_size, seed=ctx.seed,
                          schedule="cosine", progress=False).fit((X, y))
        if history.status == "interrupted":
            raise KeyboardInterrupt
        pred = engine.predict(grid)[:, 0].astype(np.float64)
        err = pred - truth
        fits[w] = pred
        rmse.append(float(np.sqrt(np.mean(err * err))))
        max_err.append(float(np.abs(err).max()))
        rows.append([str(w), f"{engine.num_parameters():,}",
                     f"{history.last('train_loss'):.3g}", f"{rmse[-1]:.4f}",
                     f"{max_err[-1]:.4f}", history.status])
    plt = plt_module()
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
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
    path = save(fig, ctx.plot_path("uat.png"))
    best = int(np.argmin(rmse))
    return {
        "summary": (f"1-w-{activation}-1 on f(x) = {formula}, {n_train} training points, "
                    f"{epochs} epochs of Adam (lr {lr}, cosine schedule, batch "
                    f"{batch_size}), inputs scaled by {input_scale:g}: RMSE "
                    f"{rmse[0]:.3f} at width {widths[0]} -> {rmse[-1]:.4f} at width "
                    f"{widths[-1]} (best {rmse[best]:.4f} at width {widths[best]})."),
        "header": ["width", "params", "train MSE", "grid RMSE", "grid max abs error",
                   "status"],
        "rows": rows,
        "plots": [(path, "universal approximation: fits for a few widths, and error against "
                         "width")],
        "params": 3 * widths[-1] + 1,
        "steps": epochs * -(-n_train // batch_size),
        "metrics": {"widths": widths, "rmse": rmse, "max_error": max_err},
    }

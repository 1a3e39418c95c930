"""Implicit neural representation: an image stored in the weights of a coordinate MLP.

The network maps a pixel's coordinates (u, v) in [0, 1]^2 to its brightness; once trained it
can be queried anywhere, so the image can be drawn at any resolution. A plain MLP on (u, v)
learns only a blurry image (MLPs learn low frequencies first: spectral bias); Fourier
features gamma(p) = [sin(2 pi B p), cos(2 pi B p)], B ~ N(0, sigma^2) fixed at random
(Tancik et al., 2020), let the same MLP fit the details. Both are trained by the Trainer on
every pixel (one full batch per step, MSE, Adam); PSNR = 10 log10(1 / MSE) for pixels in
[0, 1].
"""

from __future__ import annotations

import numpy as np

from mlplab.errors import ExperimentError  # demo arguments come from the experiment file
from mlplab.report.mpl import plt_module, save
from mlplab.train import Trainer, build_engine


def pattern(size: int = 28) -> np.ndarray:
    """A generated test image in [0, 1], (size, size): rings, a diagonal grating and a square."""
    u, v = np.meshgrid(np.linspace(-1, 1, size), np.linspace(-1, 1, size))
    r = np.hypot(u, v)
    img = 0.5 + 0.25 * np.cos(10 * r) + 0.25 * np.sin(6 * (u + v))
    img[(np.abs(u - 0.4) < 0.25) & (np.abs(v + 0.4) < 0.25)] = 1.0
    return np.clip(img, 0.0, 1.0)


def _image(image: str, index: int) -> tuple[np.ndarray, str]:
    """(H, W) float image in [0, 1] and how the report names it."""
    if image == "pattern":
        return pattern(), "a generated 28x28 pattern"
    from mlplab import data

    ds = data.load(image)
    if not ds.is_image:
        raise ExperimentError(f"inr: data set {image!r} holds no images; use fashion-mnist, "
                              "mnist or pattern")
    X, y = ds.split(ds.eval_split or "train")
    img = np.asarray(X[index], dtype=np.float64)
    img = img.mean(axis=0) if img.ndim == 3 else img  # colour -> grey
    name = ds.class_names[y[index]] if ds.class_names else str(y[index])
    return img / 255.0, f"{image} test image {index} ({name})"


def coordinates(h: int, w: int) -> np.ndarray:
    """Pixel centres of an h x w grid in [0, 1]^2, row-major, (h*w, 2) float32 as (u, v)."""
    v, u = np.meshgrid((np.arange(h) + 0.5) / h, (np.arange(w) + 0.5) / w, indexing="ij")
    return np.column_stack([u.ravel(), v.ravel()]).astype(np.float32)


def fourier_features(P: np.ndarray, B: np.ndarray) -> np.ndarray:
    """gamma(p) = [sin(2 pi B p), cos(2 pi B p)]: P (n, 2), B (m, 2) -> (n, 2m) float32."""
    z = 2 * np.pi * (P.astype(np.float64) @ B.T)
    return np.concatenate([np.sin(z), np.cos(z)], axis=1).astype(np.float32)


def psnr(mse: float) -> float:
    return float(10 * np.log10(1.0 / max(mse, 1e-12)))


def run(ctx, image="fashion-mnist", index=0, features=64, sigma=3.0, hidden=128, layers=3,
        steps=500, lr=0.002, upscale=4):
    """Fit ``image`` ("pattern", or a test image of an image data set such as
    "fashion-mnist") with a plain coordinate MLP and a Fourier-feature MLP, ``layers`` hidden
    ReLU layers of ``hidden`` units each, for ``steps`` full-batch Adam steps."""
    img, described = _image(image, index)
    h, w = img.shape
    P = coordinates(h, w)
    target = img.reshape(-1).astype(np.float32)
    B = np.random.default_rng(ctx.seed).normal(0.0, sigma, size=(features, 2))
    Pf = coordinates(h * upscale, w * upscale)
    trunk = "-".join([f"{hidden}-relu"] * layers)
    inputs = {  # name -> (spec, transform of coordinates)
        "plain MLP on (u, v)": (f"2-{trunk}-1", lambda p: 2 * p - 1),
        f"Fourier features (m={features}, sigma={sigma:g})": (f"{2 * features}-{trunk}-1",
                                                              lambda p: fourier_features(p, B)),
    }
    rows, curves, recon, metrics = [], {}, {}, {}
    for name, (spec, transform) in inputs.items():
        engine = build_engine(ctx.engine, spec=spec, loss="mse", optimizer="adam", lr=lr,
                              seed=ctx.seed, device=ctx.device)
        X = transform(P)
        history = Trainer(engine, epochs=steps, batch_size=len(X), seed=ctx.seed,
                          progress=False).fit((X, target))
        if history.status == "interrupted":
            raise KeyboardInterrupt
        curves[name] = [psnr(v) for v in history.column("train_loss")]
        out = engine.predict(X)[:, 0]
        final = psnr(float(np.mean((np.clip(out, 0, 1) - target) ** 2)))
        recon[name] = np.clip(engine.predict(transform(Pf))[:, 0], 0, 1).reshape(h * upscale,
                                                                                w * upscale)
        metrics[name] = final
        rows.append([name, spec, f"{engine.num_parameters():,}", str(history.epochs),
                     f"{final:.2f}", history.status])

    plt = plt_module()
    fig, axes = plt.subplots(1, 4, figsize=(16, 4))
    axes[0].imshow(img, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    axes[0].set_title(f"target, {h}x{w}", fontsize=9)
    for ax, (name, r) in zip(axes[1:3], recon.items()):
        ax.imshow(r, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"{name}\nqueried at {h * upscale}x{w * upscale} "
                     f"(PSNR {metrics[name]:.1f} dB at {h}x{w})", fontsize=8)
    for ax in axes[:3]:
        ax.axis("off")
    for name, c in curves.items():
        axes[3].plot(np.arange(1, len(c) + 1), c, label=name)
    axes[3].set_xlabel("step")
    axes[3].set_ylabel("PSNR (dB)")
    axes[3].set_title("PSNR against steps", fontsize=9)
    axes[3].grid(alpha=0.3)
    axes[3].legend(fontsize=7)
    path = save(fig, ctx.plot_path("inr.png"))
    names = list(inputs)
    return {
        "summary": (f"Coordinate MLPs ({layers} hidden ReLU layers of {hidden}) fitting "
                    f"{described}, {steps} full-batch Adam steps (lr {lr}): PSNR "
                    f"{metrics[names[0]]:.1f} dB on raw coordinates, {metrics[names[1]]:.1f} dB "
                    f"with Fourier features; the image is then drawn at {upscale}x its "
                    "resolution by querying the network between the pixels."),
        "header": ["input", "spec", "params", "steps", "PSNR (dB)", "status"],
        "rows": rows,
        "plots": [(path, f"implicit neural representation of {described}: reconstructions "
                         f"at {upscale}x resolution and PSNR against steps")],
        "params": int(rows[-1][2].replace(",", "")),
        "steps": steps,
        "metrics": {"psnr": metrics, "psnr_curves": {k: c[-1] for k, c in curves.items()}},
    }

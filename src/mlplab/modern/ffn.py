"""The transformer's feed-forward block: one MLP applied to every token of a sequence.

In a transformer layer, attention mixes information between positions and the feed-forward
network (FFN, d_model -> d_ff -> d_model, GELU) transforms each position on its own, with the
same weights for all. So the FFN commutes with any reordering of the tokens: FFN(x[perm]) =
FFN(x)[perm], and running the whole sequence at once equals running each token alone. A
token-mixing MLP (the MLP-Mixer's, which acts across positions) does not commute: the
contrast shows what "position-wise" means.
"""

from __future__ import annotations

import numpy as np

from mlplab.report.mpl import plt_module, save
from mlplab.spec import ModelSpec


def _forward(engine: str, spec: str, seed: int, device: str):
    """f(x) for x : (..., in_features) float64 -> (..., out_features), built by ``engine``
    from ``spec`` with the seed's initial weights."""
    if engine == "numpy":
        model = ModelSpec.parse(spec).build(seed, dtype=np.float64)
        model.eval()
        return lambda x: model.forward(x)
    from mlplab.torch import build, require_torch, resolve_device

    torch = require_torch()
    dev = resolve_device(device)
    model = build(spec, seed, dtype=torch.float64, device=dev).eval()

    def f(x):
        with torch.inference_mode():
            return model(torch.from_numpy(x).to(dev)).cpu().numpy()

    return f


def run(ctx, d_model=16, d_ff=64, tokens=8, batch=4):
    """Apply a d_model-d_ff-gelu-d_model FFN to a (batch, tokens, d_model) sequence and check
    that it acts per position; contrast with a token-mixing MLP across the tokens."""
    rng = np.random.default_rng(ctx.seed)
    x = rng.standard_normal((batch, tokens, d_model))
    perm = rng.permutation(tokens)
    while tokens > 1 and np.array_equal(perm, np.arange(tokens)):
        perm = rng.permutation(tokens)
    ffn_spec = f"{d_model}-{d_ff}-gelu-{d_model}"
    mix_spec = f"{tokens}-{d_ff}-gelu-{tokens}"
    ffn = _forward(ctx.engine, ffn_spec, ctx.seed, ctx.device)
    mix_t = _forward(ctx.engine, mix_spec, ctx.seed, ctx.device)

    def mix(z):  # the MLP runs along the token axis
        return np.swapaxes(mix_t(np.ascontiguousarray(np.swapaxes(z, 1, 2))), 1, 2)

    y = ffn(x)
    errors = {}
    for name, f, out in (("ffn", ffn, y), ("mix", mix, mix(x))):
        perm_err = float(np.abs(f(x[:, perm]) - out[:, perm]).max())
        alone = np.concatenate([f(x[:, t:t + 1]) for t in range(tokens)], axis=1) \
            if name == "ffn" else None
        errors[name] = (perm_err, float(np.abs(alone - out).max()) if alone is not None
                        else None, float(np.abs(out).max()))
    n_ffn = ModelSpec.parse(ffn_spec).num_parameters()
    n_mix = ModelSpec.parse(mix_spec).num_parameters()
    flops = 2 * (d_model * d_ff + d_ff * d_model)  # multiply-adds of the two Linear layers, x2

    plt = plt_module()
    fig, axes = plt.subplots(1, 4, figsize=(15, 3.6))
    vx, vy = float(np.abs(x[0]).max()), float(np.abs(y[0]).max())
    panels = [(x[0], "input tokens x", np.arange(tokens), vx),
              (y[0], "FFN(x)", np.arange(tokens), vy),
              (x[0, perm], "x with tokens permuted", perm, vx),
              (ffn(x[:, perm])[0], "FFN(x permuted) = FFN(x) permuted", perm, vy)]
    for ax, (img, title, labels, v) in zip(axes, panels):
        ax.imshow(img, cmap="RdBu_r", aspect="auto", vmin=-v, vmax=v)
        ax.set_yticks(range(tokens), [f"token {t}" for t in labels], fontsize=7)
        ax.set_xlabel("channel")
        ax.set_title(title, fontsize=9)
    fig.suptitle(f"position-wise FFN {ffn_spec}: rows move with the tokens "
                 f"(max abs(FFN(x[perm]) - FFN(x)[perm]) = {errors['ffn'][0]:.1e}; token-mixing "
                 f"MLP: {errors['mix'][0]:.2f})", fontsize=9)
    path = save(fig, ctx.plot_path("ffn.png"))

    def fmt(v):
        return "-" if v is None else f"{v:.3g}"

    rows = [
        ["max abs(f(x[:, perm]) - f(x)[:, perm])", fmt(errors["ffn"][0]), fmt(errors["mix"][0])],
        ["max abs(f(x)[:, t] - f(x[:, t])), one token at a time", fmt(errors["ffn"][1]),
         "- (needs all tokens)"],
        ["max abs(f(x)), the scale of the outputs", fmt(errors["ffn"][2]), fmt(errors["mix"][2])],
        ["parameters", f"{n_ffn:,}", f"{n_mix:,}"],
        ["FLOPs per token", f"{flops:,}", "-"],
    ]
    return {
        "summary": (f"FFN {ffn_spec} on {batch} sequences of {tokens} tokens ({ctx.engine} "
                    f"engine, float64): permuting the tokens permutes the outputs (max error "
                    f"{errors['ffn'][0]:.1e}) and each token alone gives the same output (max "
                    f"error {fmt(errors['ffn'][1])}); a token-mixing MLP {mix_spec} changes by "
                    f"up to {errors['mix'][0]:.2f} under the same permutation."),
        "header": ["check", f"position-wise FFN {ffn_spec}", f"token-mixing MLP {mix_spec}"],
        "rows": rows,
        "plots": [(path, "the FFN acts on each token alone: permuting the input rows permutes "
                         "the output rows")],
        "params": n_ffn,
        "steps": None,
        "metrics": {"ffn_permutation_error": errors["ffn"][0],
                    "ffn_per_token_error": errors["ffn"][1],
                    "mixing_permutation_error": errors["mix"][0], "ffn_params": n_ffn},
    }

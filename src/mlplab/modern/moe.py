"""Mixture of experts: more parameters without more compute per token.

A router (one Linear layer) scores N expert MLPs for every token; only the top-k run, and
their outputs are summed with the router's softmax weights renormalised over the k chosen.
Parameters grow with N, the work per token with k only. A load-balancing loss (Switch
Transformer: N * sum_e f_e P_e, f_e the share of assignments to expert e and P_e its mean
router probability) keeps the router from sending everything to a few experts.

The demo's tokens come from a few clusters, each with its own target function (a random
tanh MLP), so experts can specialise. Trained on the same batches: the MoE with and without
the balancing loss, a dense MLP with the MoE's compute per token and a dense MLP with its
parameter count. Twin only: the routing is a small torch loop here, not the Trainer.
"""

from __future__ import annotations

import numpy as np

from mlplab.data.batching import iter_batches
from mlplab.report.mpl import plt_module, save
from mlplab.torch import build, require_torch, resolve_device

torch = require_torch()


class MixtureOfExperts(torch.nn.Module):
    """x (n, d) -> (n, d): sum over the top-k experts e of gate_e(x) * expert_e(x).

    router : Linear(d, n_experts); experts : MLPs d-hidden-gelu-d built from specs with the
    NumPy engine's initial weights for ``seed``, ``seed + 1``, ...
    """

    def __init__(self, d: int, hidden: int, n_experts: int, k: int, seed: int = 0,
                 dtype=torch.float32):
        super().__init__()
        if not 1 <= k <= n_experts:
            raise ValueError(f"MixtureOfExperts: need 1 <= k <= n_experts, got k={k}, "
                             f"n_experts={n_experts}")
        self.k = k
        self.router = build(f"{d}-{n_experts}", seed, dtype=dtype)
        self.experts = torch.nn.ModuleList(
            build(f"{d}-{hidden}-gelu-{d}", seed + 1 + e, dtype=dtype) for e in range(n_experts))
        self.last = None  # (router probabilities (n, N), chosen experts (n, k)) of the last call

    def forward(self, x):
        probs = self.router(x).softmax(dim=-1)
        top_p, top_i = probs.topk(self.k, dim=-1)
        gates = top_p / top_p.sum(dim=-1, keepdim=True)
        out = torch.zeros_like(x)
        for e, expert in enumerate(self.experts):
            rows, slot = (top_i == e).nonzero(as_tuple=True)
            if rows.numel():  # only the tokens routed here pass through this expert
                out.index_add_(0, rows, gates[rows, slot, None] * expert(x[rows]))
        self.last = (probs, top_i)
        return out

    def balance_loss(self):
        """N * sum_e f_e P_e of the last call: 1 when the load is uniform, up to N."""
        probs, top_i = self.last
        n_exp = probs.shape[1]
        f = torch.bincount(top_i.reshape(-1), minlength=n_exp).to(probs.dtype) / top_i.numel()
        return n_exp * (f * probs.mean(dim=0)).sum()


def counts(d: int, hidden: int, n_experts: int, k: int) -> dict[str, int]:
    """Parameters in all, parameters a token passes through, and FLOPs per token (2 per
    multiply-add of the weight matrices it meets) of a MixtureOfExperts."""
    expert = d * hidden + hidden + hidden * d + d
    router = d * n_experts + n_experts
    macs = d * n_experts + k * 2 * d * hidden
    return {"total": router + n_experts * expert, "active": router + k * expert,
            "flops": 2 * macs}


def _clusters(rng, n: int, d: int, n_clusters: int, centers, teachers):
    c = rng.integers(0, n_clusters, n)
    x = centers[c] + rng.standard_normal((n, d))
    y = np.empty_like(x)
    for j, (w1, w2) in enumerate(teachers):
        m = c == j
        y[m] = np.tanh(x[m] @ w1) @ w2
    return x.astype(np.float32), y.astype(np.float32), c


def run(ctx, d=8, hidden=16, n_experts=8, k=2, n_clusters=4, n_train=8192, n_test=2048,
        epochs=40, batch_size=256, lr=0.003, balance=0.01):
    """Train an MoE (n_experts experts of d-hidden-gelu-d, top-k) and dense baselines on
    clustered tokens; report parameters against compute per token, test MSE and expert
    load."""
    if ctx.engine != "torch":  # run_demo checks this too; a direct call should not pass
        raise ValueError("moe: the mixture of experts runs on the torch engine only")
    dev = resolve_device(ctx.device)
    rng = np.random.default_rng(ctx.seed)
    centers = rng.normal(0.0, 2.5, (n_clusters, d))
    teachers = [(rng.normal(0, 1 / np.sqrt(d), (d, 32)), rng.normal(0, 1 / np.sqrt(32), (32, d)))
                for _ in range(n_clusters)]
    Xtr, ytr, _ = _clusters(rng, n_train, d, n_clusters, centers, teachers)
    Xte, yte, cte = _clusters(rng, n_test, d, n_clusters, centers, teachers)
    xte, tte = torch.from_numpy(Xte).to(dev), torch.from_numpy(yte).to(dev)

    c = counts(d, hidden, n_experts, k)
    dense_c, dense_p = k * hidden, n_experts * hidden
    models = {  # name -> (module, balancing weight, total params, active params, FLOPs)
        f"MoE {n_experts} experts, top-{k}": (
            MixtureOfExperts(d, hidden, n_experts, k, ctx.seed), balance),
        f"MoE {n_experts} experts, top-{k}, no balancing loss": (
            MixtureOfExperts(d, hidden, n_experts, k, ctx.seed), 0.0),
        f"dense {d}-{dense_c}-gelu-{d} (same compute)": (
            build(f"{d}-{dense_c}-gelu-{d}", ctx.seed), 0.0),
        f"dense {d}-{dense_p}-gelu-{d} (same parameters)": (
            build(f"{d}-{dense_p}-gelu-{d}", ctx.seed), 0.0),
    }
    rows, curves, loads, routing, results = [], {}, {}, None, {}
    for name, (model, alpha) in models.items():
        model.to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        batch_rng = np.random.default_rng(ctx.seed)  # the same batches for every model
        curve = []
        for _ in range(epochs):
            for xb, yb in iter_batches(Xtr, ytr, batch_size, rng=batch_rng):
                xb, yb = torch.from_numpy(xb).to(dev), torch.from_numpy(yb).to(dev)
                loss = torch.nn.functional.mse_loss(model(xb), yb)
                total = loss + alpha * model.balance_loss() if alpha else loss
                opt.zero_grad(set_to_none=True)
                total.backward()
                opt.step()
            with torch.no_grad():
                curve.append(float(torch.nn.functional.mse_loss(model(xte), tte)))
        curves[name] = curve
        n_params = sum(p.numel() for p in model.parameters())
        if isinstance(model, MixtureOfExperts):
            with torch.no_grad():
                model(xte)
            chosen = model.last[1].cpu().numpy()
            share = np.bincount(chosen.reshape(-1), minlength=n_experts) / chosen.size
            loads[name] = share
            if routing is None:
                routing = np.stack([np.bincount(chosen[cte == j].reshape(-1),
                                                minlength=n_experts) / max(chosen[cte == j].size, 1)
                                    for j in range(n_clusters)])
            active, flops = c["active"], c["flops"]
            load = f"{100 * share.min():.1f}%-{100 * share.max():.1f}%"
        else:
            active, flops = n_params, 2 * sum(p.numel() for n, p in model.named_parameters()
                                              if n.endswith("weight"))
            load = "-"
        results[name] = curve[-1]
        rows.append([name, f"{n_params:,}", f"{active:,}", f"{flops:,}", f"{curve[-1]:.4f}",
                     load])

    plt = plt_module()
    fig, axes = plt.subplots(1, 4, figsize=(20, 4.2), layout="constrained")
    ns = [1, 2, 4, 8, 16, 32, 64]
    cs = [counts(d, hidden, n, min(k, n)) for n in ns]
    axes[0].plot(ns, [x["total"] for x in cs], "o-", label="parameters (all experts)")
    axes[0].plot(ns, [x["active"] for x in cs], "s-", label=f"parameters used per token (top-{k})")
    axes[0].plot(ns, [x["flops"] for x in cs], "^--", label="FLOPs per token")
    axes[0].set_xscale("log", base=2)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("number of experts N")
    axes[0].set_title(f"experts of {d}-{hidden}-gelu-{d}, top-{k} routing", fontsize=9)
    axes[0].legend(fontsize=7)
    axes[0].grid(alpha=0.3, which="both")
    width = 0.8 / max(len(loads), 1)
    for i, (name, share) in enumerate(loads.items()):
        axes[1].bar(np.arange(n_experts) + i * width, 100 * share, width, label=name)
    axes[1].axhline(100 / n_experts, color="k", ls="--", lw=1, label="uniform")
    axes[1].set_xlabel("expert")
    axes[1].set_ylabel("% of token assignments (test)")
    axes[1].set_title("expert load", fontsize=9)
    axes[1].legend(fontsize=6)
    im = axes[2].imshow(100 * routing, cmap="Blues", aspect="auto")
    axes[2].set_xlabel("expert")
    axes[2].set_ylabel("token cluster")
    axes[2].set_yticks(range(n_clusters))
    axes[2].set_title("where each cluster's tokens go (% of its assignments)", fontsize=9)
    fig.colorbar(im, ax=axes[2])
    for name, curve in curves.items():
        axes[3].plot(np.arange(1, len(curve) + 1), curve, label=name)
    axes[3].set_yscale("log")
    axes[3].set_xlabel("epoch")
    axes[3].set_ylabel("test MSE")
    axes[3].legend(fontsize=6)
    axes[3].grid(alpha=0.3)
    path = save(fig, ctx.plot_path("moe.png"))
    names = list(models)
    return {
        "summary": (f"{n_experts} experts of {d}-{hidden}-gelu-{d}, top-{k} routing: "
                    f"{c['total']:,} parameters, of which a token uses {c['active']:,} "
                    f"({c['flops']:,} FLOPs); test MSE {results[names[0]]:.4f} against "
                    f"{results[names[2]]:.4f} for a dense MLP of the same compute and "
                    f"{results[names[3]]:.4f} for one of the same size ({epochs} epochs of "
                    f"Adam, {n_clusters} token clusters)."),
        "header": ["model", "params", "params per token", "FLOPs per token", "test MSE",
                   "expert load (min-max)"],
        "rows": rows,
        "plots": [(path, "mixture of experts: parameters against compute per token, expert "
                         "load, routing of the token clusters, test loss")],
        "params": c["total"],
        "steps": epochs * -(-n_train // batch_size),
        "metrics": {"test_mse": results, "counts": c,
                    "load": {k_: v.tolist() for k_, v in loads.items()}},
    }

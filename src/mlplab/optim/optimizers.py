"""SGD (momentum, Nesterov), Adagrad, Adadelta, RMSprop, Adam and AdamW.

Each ``_update`` is the rule of the matching ``torch.optim`` class (same defaults, same place
for epsilon, same order of weight decay), applied in place to ``p.data`` from ``p.grad``.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.errors import UsageError
from mlplab.nn.module import Parameter
from mlplab.util import lookup, unknown_name


def _check(name: str, value, low: float = 0.0, strict: bool = False, high: float | None = None):
    """UsageError unless ``value`` is a finite real number in range: torch's wording
    ("Invalid learning rate: -1"), and also for nan and inf, which torch lets through (a
    nan learning rate turns every weight into nan at the first step)."""
    number = isinstance(value, int | float | np.integer | np.floating) \
        and not isinstance(value, bool)
    bad = not number or not math.isfinite(value)
    if not bad:
        bad = value <= low if strict else value < low
        if high is not None:
            bad = bad or value >= high
    if bad:
        rule = f"{'above' if strict else 'at least'} {low:g}" + \
            (f" and below {high:g}" if high is not None else "")
        shown = value if number else repr(value)
        raise UsageError(f"Invalid {name}: {shown} (it must be a finite number {rule})")


class Optimizer:
    """Holds the parameters, their per-parameter state and the hyperparameters.

    ``param_groups`` is a list of dicts as in torch, so a scheduler can change ``lr`` with
    ``opt.param_groups[0]["lr"] = ...``.
    """

    defaults: dict = {}
    # What every face knows of an optimizer, on its class (as torch and Keras keep them):
    name: str = ""                  # mlplab's name in specs, --optimizer and sweeps ("adam")
    label: str = ""                 # shown on pages, tables and plots ("Adam")
    torch_name: str = ""            # the torch.optim class with the same rule ("Adam")
    suggested_lr: float = 1e-3      # mlplab train's lr on standardised inputs without --lr
    sklearn_solver: str | None = None   # scikit-learn MLP's solver of this rule, if any
    # named settings the playground offers beside the plain optimizer: name -> (label, kwargs)
    presets: dict[str, tuple[str, dict]] = {}

    def __init__(self, params, **hyper):
        params = list(params)
        if not params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(f"{type(self).__name__} expects Parameters, got "
                                f"{type(p).__name__}")
        unknown = set(hyper) - set(self.defaults)
        if unknown:
            raise TypeError(f"{type(self).__name__}: "
                            + unknown_name(sorted(self.defaults), sorted(unknown)[0], "argument"))
        group = {**self.defaults, **hyper}
        if "lr" in group:
            if group["lr"] is None:
                raise UsageError(f"{type(self).__name__}: lr is required")
            _check("learning rate", group["lr"], strict=True)
        if "weight_decay" in group:
            _check("weight_decay value", group["weight_decay"])
        self._validate(group)
        self.param_groups = [{**group, "params": params}]
        self.state: dict[int, dict] = {}

    def _validate(self, group: dict) -> None:
        """Subclasses check their own hyperparameters."""

    def zero_grad(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                p.clear_grad()

    def step(self) -> None:
        """One update of every parameter from its current ``.grad``."""
        i = 0
        for group in self.param_groups:
            for p in group["params"]:
                state = self.state.setdefault(i, {})
                self._update(p, p.grad, state, group)
                i += 1

    def _update(self, p: Parameter, grad: np.ndarray, state: dict, group: dict) -> None:
        raise NotImplementedError

    def _scratch(self, p: Parameter) -> np.ndarray:
        """A reusable work array shaped like ``p``; not part of the optimizer's state."""
        buf = self.__dict__.setdefault("_buffers", {}).get(id(p))
        if buf is None or buf.shape != p.data.shape or buf.dtype != p.data.dtype:
            buf = self._buffers[id(p)] = np.empty_like(p.data)
        return buf

    def state_dict(self) -> dict:
        """``{"state": {index: {name: array or number}}, "param_groups": [hyperparameters and
        parameter indices]}``, the layout of torch's optimizer state dicts."""
        groups, i = [], 0
        for group in self.param_groups:
            n = len(group["params"])
            groups.append({**{k: v for k, v in group.items() if k != "params"},
                           "params": list(range(i, i + n))})
            i += n
        state = {k: {n: (v.copy(order="K") if isinstance(v, np.ndarray) else v)
                      for n, v in s.items()}
                 for k, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Take ``state_dict()``'s layout back. Hyperparameters whose default is a tuple
        (Adam's ``betas``) are made tuples again: a state dict that went through JSON, as a
        checkpoint's does, holds lists."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups) or any(
            len(g["params"]) != len(own["params"]) for g, own in zip(groups, self.param_groups)
        ):
            raise ValueError("optimizer state_dict does not match this optimizer's parameters")
        for g, own in zip(groups, self.param_groups):
            own.update({k: tuple(v) if isinstance(self.defaults.get(k), tuple) else v
                        for k, v in g.items() if k != "params"})
        self.state = {int(k): {n: (np.array(v) if isinstance(v, np.ndarray) else v)
                               for n, v in s.items()}
                      for k, s in state_dict["state"].items()}

    def __repr__(self) -> str:
        hyper = ", ".join(f"{k}={v}" for k, v in self.param_groups[0].items() if k != "params")
        return f"{type(self).__name__}({hyper})"


def _decayed(grad: np.ndarray, p: Parameter, weight_decay: float) -> np.ndarray:
    """torch's L2 weight decay: added to the gradient before anything else."""
    return grad + weight_decay * p.data if weight_decay else grad


class SGD(Optimizer):
    """p -= lr * d, where d = g + wd p, then with momentum
    buf = momentum buf + (1 - dampening) d (buf = d on the first step) and
    d = buf, or d = d + momentum buf with Nesterov."""

    defaults = dict(lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False)
    name, label, torch_name, suggested_lr, sklearn_solver = "sgd", "SGD", "SGD", 1e-2, "sgd"
    presets = {"momentum": ("Momentum", {"momentum": 0.9}),
               "nesterov": ("Nesterov", {"momentum": 0.9, "nesterov": True})}

    def _validate(self, g):
        _check("momentum value", g["momentum"])
        if g["nesterov"] and (g["momentum"] <= 0 or g["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def _update(self, p, grad, state, g):
        d = _decayed(grad, p, g["weight_decay"])
        if g["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = d.copy(order="K")
            else:
                buf *= g["momentum"]
                buf += (1 - g["dampening"]) * d
            d = d + g["momentum"] * buf if g["nesterov"] else buf
        p.data -= p.data.dtype.type(g["lr"]) * d


class Adagrad(Optimizer):
    """sum += g^2; p -= clr * g / (sqrt(sum) + eps), clr = lr / (1 + (t - 1) lr_decay)."""

    defaults = dict(lr=1e-2, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0,
                    eps=1e-10)
    name, label, torch_name, suggested_lr = "adagrad", "Adagrad", "Adagrad", 1e-2

    def _validate(self, g):
        _check("lr_decay value", g["lr_decay"])
        _check("initial_accumulator_value", g["initial_accumulator_value"])
        _check("epsilon value", g["eps"])

    def _update(self, p, grad, state, g):
        if not state:
            state["step"] = 0
            state["sum"] = np.full_like(p.data, g["initial_accumulator_value"])
        state["step"] += 1
        d = _decayed(grad, p, g["weight_decay"])
        clr = g["lr"] / (1 + (state["step"] - 1) * g["lr_decay"])
        state["sum"] += d * d
        p.data -= clr * d / (np.sqrt(state["sum"]) + g["eps"])


class Adadelta(Optimizer):
    """v = rho v + (1 - rho) g^2; delta = sqrt(u + eps) / sqrt(v + eps) * g;
    u = rho u + (1 - rho) delta^2; p -= lr * delta."""

    defaults = dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0)
    name, label, torch_name, suggested_lr = "adadelta", "Adadelta", "Adadelta", 1.0

    def _validate(self, g):
        _check("rho value", g["rho"], high=1.0 + 1e-12)
        _check("epsilon value", g["eps"])

    def _update(self, p, grad, state, g):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            state["acc_delta"] = np.zeros_like(p.data)
        state["step"] += 1
        rho, eps = g["rho"], g["eps"]
        d = _decayed(grad, p, g["weight_decay"])
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * d * d
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * d
        u *= rho
        u += (1 - rho) * delta * delta
        p.data -= g["lr"] * delta


class RMSprop(Optimizer):
    """v = alpha v + (1 - alpha) g^2; avg = sqrt(v) + eps (centered: sqrt(v - m^2) + eps with
    m = alpha m + (1 - alpha) g); p -= lr g / avg, or through a momentum buffer."""

    defaults = dict(lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                    centered=False)
    name, label, torch_name, suggested_lr = "rmsprop", "RMSprop", "RMSprop", 1e-3

    def _validate(self, g):
        _check("alpha value", g["alpha"])
        _check("epsilon value", g["eps"])
        _check("momentum value", g["momentum"])

    def _update(self, p, grad, state, g):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if g["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if g["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        a = g["alpha"]
        d = _decayed(grad, p, g["weight_decay"])
        v = state["square_avg"]
        v *= a
        v += (1 - a) * d * d
        if g["centered"]:
            m = state["grad_avg"]
            m *= a
            m += (1 - a) * d
            avg = np.sqrt(v - m * m) + g["eps"]
        else:
            avg = np.sqrt(v) + g["eps"]
        if g["momentum"] > 0:
            buf = state["momentum_buffer"]
            buf *= g["momentum"]
            buf += d / avg
            p.data -= g["lr"] * buf
        else:
            p.data -= g["lr"] * d / avg


class Adam(Optimizer):
    """m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
    p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)  (AMSGrad: max of the v's)."""

    defaults = dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False)
    name, label, torch_name, suggested_lr, sklearn_solver = "adam", "Adam", "Adam", 1e-3, "adam"
    decoupled = False

    def _validate(self, g):
        _check("epsilon value", g["eps"])
        betas = g["betas"]
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise UsageError(f"Invalid betas: {betas!r} (two numbers, e.g. (0.9, 0.999))")
        for i, b in enumerate(betas):
            _check(f"beta parameter at index {i}", b, high=1.0)

    def _update(self, p, grad, state, g):
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(p.data)
            state["exp_avg_sq"] = np.zeros_like(p.data)
            if g["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(p.data)
        state["step"] += 1
        t = state["step"]
        b1, b2 = g["betas"]
        if self.decoupled:
            p.data *= 1 - g["lr"] * g["weight_decay"]
            d = grad
        else:
            d = _decayed(grad, p, g["weight_decay"])
        m, v = state["exp_avg"], state["exp_avg_sq"]
        # the same arithmetic as torch's, through one scratch array instead of five temporaries
        tmp = self._scratch(p)
        np.multiply(d, 1 - b1, out=tmp)
        m *= b1
        m += tmp
        np.multiply(d, d, out=tmp)
        tmp *= 1 - b2
        v *= b2
        v += tmp
        if g["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = g["lr"] / (1 - b1**t)
        np.sqrt(v, out=tmp)
        tmp /= math.sqrt(1 - b2**t)
        tmp += g["eps"]                     # denom = sqrt(v) / sqrt(1 - b2^t) + eps
        np.divide(m, tmp, out=tmp)
        tmp *= step_size
        p.data -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay: p *= 1 - lr wd before the Adam step (torch's AdamW,
    whose default weight_decay is 0.01)."""

    defaults = dict(Adam.defaults, weight_decay=1e-2)
    name, label, torch_name, suggested_lr, sklearn_solver = "adamw", "AdamW", "AdamW", 1e-3, None
    decoupled = True


OPTIMIZERS: dict[str, type[Optimizer]] = {}


def register_optimizer(cls: type[Optimizer]) -> type[Optimizer]:
    """Add an optimizer class to ``OPTIMIZERS`` under ``cls.name``; returns the class, so it
    can decorate one. Every face (CLI, mlplab train, the twin, the playground, sweeps) reads
    the table when it runs."""
    for fact in ("name", "label", "torch_name"):
        if not getattr(cls, fact):
            raise ValueError(f"optimizer {cls.__name__}: set the class attribute {fact!r}")
    if cls.name in OPTIMIZERS:
        raise ValueError(f"an optimizer named {cls.name!r} is already registered")
    OPTIMIZERS[cls.name] = cls
    return cls


for _cls in (SGD, Adagrad, Adadelta, RMSprop, Adam, AdamW):
    register_optimizer(_cls)


def optimizer_choices() -> dict[str, tuple[str, str, dict]]:
    """choice name -> (label, optimizer name, keyword arguments): every registered optimizer
    and, after it, its presets (SGD's momentum and Nesterov), as the playground and
    ``mlplab plot optimizers`` offer them. Read when called: later registrations count."""
    out: dict[str, tuple[str, str, dict]] = {}
    for name, cls in OPTIMIZERS.items():
        out[name] = (cls.label, name, {})
        out.update({p: (label, name, dict(kw)) for p, (label, kw) in cls.presets.items()})
    return out


def get_optimizer(name: str, params, **hyper) -> Optimizer:
    """Build an optimizer by its lower-case name (``"sgd"``, ``"adam"``, ...)."""
    return lookup(OPTIMIZERS, name.lower(), "optimizer")(params, **hyper)

"""A ModelSpec as a ``torch.nn.Sequential``, and weights copied between the two engines.

Layer i of the spec is child ``str(i)`` of the Sequential in both engines, so state_dict keys
("0.weight", "2.bias", ...) and layouts (Linear weight (out_features, in_features)) are the same
and weights copy without reshaping.

Initial weights never touch torch's global RNG: a spec the NumPy engine can build starts from
exactly the NumPy engine's weights for the same seed (drawn there, then copied); a spec with
twin-only layers (conv, maxpool, mixer) draws torch's default distributions from a
``torch.Generator`` seeded with ``seed``.
"""

from __future__ import annotations

import math

import numpy as np

from mlplab.registry import LAYERS
from mlplab.spec import ModelSpec
from mlplab.torch import require_torch

torch = require_torch()

_DTYPES = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}


def to_torch_dtype(dtype):
    """torch.float32 or torch.float64 from a torch dtype, a NumPy dtype or its name."""
    if isinstance(dtype, torch.dtype):
        if dtype in _DTYPES.values():
            return dtype
    else:
        try:
            return _DTYPES[np.dtype(dtype)]
        except (KeyError, TypeError):
            pass
    raise ValueError(f"Invalid dtype: {dtype!r}; use float32 or float64")


def build(spec, seed: int | None = None, dtype=torch.float32, device=None) -> torch.nn.Sequential:
    """Build ``spec`` (text, list or ModelSpec) as a ``torch.nn.Sequential``.

    seed : initial weights as the NumPy engine's ``spec.build(seed)`` (or drawn from a
        ``torch.Generator(seed)`` for twin-only layers); dropout masks come from generators
        derived from it. None draws fresh randomness.
    dtype : torch.float32 (default) or torch.float64, or the NumPy equivalents.
    device : where the parameters live (default CPU), e.g. "cuda".
    """
    spec = ModelSpec.parse(spec)
    tdtype = to_torch_dtype(dtype)
    seeds = np.random.SeedSequence(seed)
    ctx = {"dropout_seed": lambda: int(seeds.spawn(1)[0].generate_state(1)[0])}
    shapes = [spec.input_shape] + [shape for _, shape, _ in spec.layer_table()[:-1]]
    mods = []
    with torch.device("meta"):  # no memory, no draws from the global RNG
        for layer, shape in zip(spec.layers, shapes):
            mods.append(LAYERS[layer.kind].torch(layer.args, shape, ctx))
        model = torch.nn.Sequential(*mods)
    model = model.to_empty(device="cpu").to(tdtype)
    if spec.twin_only:
        gen = torch.Generator()
        if seed is None:
            gen.seed()
        else:
            gen.manual_seed(int(seed))
        init_weights(model, gen)
    else:
        copy_weights(spec.build(seed, dtype=np.float64), model)
    return model.to(device) if device is not None else model


@torch.no_grad()
def init_weights(model: torch.nn.Module, generator: torch.Generator) -> torch.nn.Module:
    """torch's default initialisation, drawn from ``generator`` (a CPU generator; the model
    must be on the CPU): Linear and Conv2d weight and bias uniform on +-1/sqrt(fan_in),
    LayerNorm weight 1 and bias 0. Every parameter must belong to one of these layers."""
    done = set()
    for mod in model.modules():
        if isinstance(mod, (torch.nn.Linear, torch.nn.Conv2d)):
            fan_in = mod.weight[0].numel()
            bound = 1.0 / math.sqrt(fan_in)
            for p in (mod.weight, mod.bias):
                if p is not None:
                    p.uniform_(-bound, bound, generator=generator)
                    done.add(id(p))
        elif isinstance(mod, torch.nn.LayerNorm):
            if mod.weight is not None:
                mod.weight.fill_(1.0)
                mod.bias.zero_()
                done.update((id(mod.weight), id(mod.bias)))
    left = [name for name, p in model.named_parameters() if id(p) not in done]
    if left:
        raise TypeError(f"init_weights: no rule for parameters {left}")
    return model


def _numpy_state(module) -> dict[str, np.ndarray]:
    if isinstance(module, torch.nn.Module):
        return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}
    return module.state_dict()


def copy_weights(src, dst):
    """Copy every parameter of ``src`` into ``dst`` and return ``dst``.

    Either may be an ``mlplab.nn.Module`` or a ``torch.nn.Module`` (NumPy -> torch, torch ->
    NumPy, or the same kind); keys and shapes must match exactly. Values are cast to ``dst``'s
    dtype and device.
    """
    if isinstance(dst, torch.nn.Module):
        return load_state(dst, _numpy_state(src))
    state = _numpy_state(src)
    _check_state(dst.state_dict(), state, "copy_weights")
    dst.load_state_dict(state)
    return dst


def load_state(model: torch.nn.Module, state: dict) -> torch.nn.Module:
    """Copy ``state`` (key -> NumPy array or tensor, as ``state_dict`` keys them) into the
    parameters of ``model`` in place, cast to their dtype and device; returns ``model``."""
    state = {k: v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
             for k, v in state.items()}
    own = model.state_dict()
    _check_state(own, state, "load_state_dict")
    with torch.no_grad():
        for k, v in own.items():
            v.copy_(torch.from_numpy(np.ascontiguousarray(state[k])))
    return model


def _check_state(own: dict, state: dict, who: str) -> None:
    missing, unexpected = sorted(set(own) - set(state)), sorted(set(state) - set(own))
    if missing or unexpected:
        raise KeyError(f"{who}: the weights do not fit the model; missing keys {missing}, "
                       f"unexpected keys {unexpected}")
    for k, v in own.items():
        if tuple(v.shape) != tuple(state[k].shape):
            raise ValueError(f"{who}: {k!r} has shape {tuple(state[k].shape)}, the model "
                             f"expects {tuple(v.shape)}")

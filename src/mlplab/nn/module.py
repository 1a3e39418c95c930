"""Parameter, Module and Sequential: the skeleton every layer hangs on.

Names and behaviour follow ``torch.nn`` so that code reads the same in both engines:
``forward``/``__call__``, ``parameters()``, ``named_parameters()``, ``zero_grad()``,
``train()``/``eval()`` and ``state_dict()`` keys such as ``"0.weight"``. Unlike torch there is
no autograd: every module also has a hand-written ``backward(grad)`` that takes dLoss/doutput,
accumulates its parameters' ``.grad`` (``Parameter.accumulate``) and returns dLoss/dinput.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np

from mlplab.errors import UsageError


class BackwardBeforeForward(UsageError, RuntimeError):
    """``backward`` of a module or loss that has not run ``forward`` yet: there is nothing
    to differentiate. A UsageError (an MlplabError), and a RuntimeError as torch raises for
    a backward without a graph."""

    def __init__(self, who: str):
        super().__init__(f"{who}: backward called before forward; call it on a batch "
                         "first (forward), then backward")


def _forward_marks(forward):
    """``forward`` that records on the module that it ran (before running, so a subclass's
    forward that calls its parent's is marked once either way)."""

    @functools.wraps(forward)
    def marked(self, *args, **kwargs):
        object.__setattr__(self, "_forwarded", True)
        return forward(self, *args, **kwargs)

    return marked


def _backward_checks(backward):
    """``backward`` that refuses to run before any ``forward`` with one clear error."""

    @functools.wraps(backward)
    def checked(self, *args, **kwargs):
        if not self._forwarded:
            raise BackwardBeforeForward(self._label())
        return backward(self, *args, **kwargs)

    return checked


class Parameter:
    """A trainable array and the gradient accumulated for it.

    ``data`` and ``grad`` have the same shape and dtype; ``grad`` starts at zero and is added
    to by every ``backward`` until ``clear_grad()`` (what ``zero_grad()`` calls) clears it.
    Assigning ``data`` an array of another dtype casts the gradient to it, and one of another
    shape gives a zero gradient of the new shape: a float32 gradient kept for float64 weights
    would silently compute every update in float32. ``data`` keeps the array it is given (a
    view stays a view, as torch's ``.data``), and the gradient follows its memory order.

    Clearing is lazy: it only marks the gradient as zero, and the next ``accumulate`` writes
    its result straight into the gradient array (``out=``) instead of filling it with zeros
    and adding a temporary, which is a fill, an allocation and an add saved per parameter per
    step. Reading ``grad`` while it is marked zero fills it first, so it always reads true.
    """

    __slots__ = ("_data", "_grad", "_cleared")

    def __init__(self, data: np.ndarray):
        data = np.asarray(data)
        # a column-major array stays so (Linear stores its weight that way, see there)
        self._data = data if data.flags.f_contiguous else np.ascontiguousarray(data)
        self._grad = np.zeros_like(self._data)
        self._cleared = False

    @property
    def data(self) -> np.ndarray:
        return self._data

    @data.setter
    def data(self, value: np.ndarray) -> None:
        # optimizers write ``p.data -= ...``, which assigns the same array back: keep that fast
        if value is self._data:
            return
        value = np.asarray(value)
        self._data = value
        old = self._grad
        if old.shape == value.shape and old.dtype == value.dtype:
            return
        grad = np.empty_like(value)      # value's memory order (Linear's weight: column-major)
        if old.shape == value.shape and not self._cleared:
            grad[...] = old              # the gradient so far, cast as torch's Module.to does
        else:
            self._cleared = True         # zero, lazily
        self._grad = grad

    @property
    def grad(self) -> np.ndarray:
        if self._cleared:
            self._grad.fill(0)
            self._cleared = False
        return self._grad

    @grad.setter
    def grad(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.shape != self._data.shape or value.dtype != self._data.dtype:
            raise ValueError(f"Parameter: a gradient of shape {value.shape} and dtype "
                             f"{value.dtype} does not fit data of shape {self._data.shape} and "
                             f"dtype {self._data.dtype}; cast or reshape it first")
        self._grad, self._cleared = value, False

    def clear_grad(self) -> None:
        """Make the gradient zero (lazily, see the class docstring)."""
        self._cleared = True

    def accumulate(self, op, *args, transposed: bool = False) -> None:
        """``grad += op(*args)`` (or ``grad.T +=`` when ``transposed``), where ``op`` takes
        ``out=`` (np.matmul, np.add.reduce): after ``clear_grad`` the result is written into
        the gradient array itself."""
        target = self._grad.T if transposed else self._grad
        if self._cleared:
            op(*args, out=target)
            self._cleared = False
        else:
            target += op(*args)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    def __repr__(self) -> str:
        return f"Parameter(shape={self.data.shape}, dtype={self.data.dtype})"


class HookHandle:
    """What ``register_forward_hook`` returns: ``remove()`` takes the hook off again."""

    def __init__(self, hooks: dict, key):
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)


class Module:
    """Base class of every layer, activation and container.

    Subclasses implement ``forward(x)`` and ``backward(grad)``. Assigning a ``Parameter`` or a
    ``Module`` to an attribute registers it, as in torch.
    """

    training: bool
    _forwarded = False    # set by the first forward: see __init_subclass__

    def __init_subclass__(cls, **kwargs):
        """Every module's ``backward`` gives the same error before its first ``forward``
        (instead of an AttributeError or a None deep in its arithmetic, different per
        layer): each class's own ``forward`` is wrapped to mark the module, its own
        ``backward`` to check the mark. One attribute write and one read per call."""
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls.forward = _forward_marks(cls.__dict__["forward"])
        if "backward" in cls.__dict__:
            cls.backward = _backward_checks(cls.__dict__["backward"])

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_forward_hooks", {})
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_path", "")

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
            value._set_path(f"{self._path}.{name}" if self._path else name)
        object.__setattr__(self, name, value)

    def _set_path(self, path: str) -> None:
        object.__setattr__(self, "_path", path)
        for name, child in self._modules.items():
            child._set_path(f"{path}.{name}")

    # -- the two passes -------------------------------------------------------------------
    def forward(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, x: np.ndarray) -> np.ndarray:
        out = self.forward(x)
        for hook in tuple(self._forward_hooks.values()):
            hook(self, (x,), out)
        return out

    def register_forward_hook(self, hook) -> HookHandle:
        """Call ``hook(module, (input,), output)`` after every forward of this module, as
        torch's hook of the same name does (also when a Sequential runs it); returns a handle
        whose ``remove()`` takes the hook off. The hook must not change the output."""
        key = object()
        self._forward_hooks[key] = hook
        return HookHandle(self._forward_hooks, key)

    # -- bookkeeping ----------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        for mod_name, mod in self.named_modules(prefix):
            for name, p in mod._parameters.items():
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.clear_grad()

    def train(self, mode: bool = True) -> Module:
        for _, mod in self.named_modules():
            object.__setattr__(mod, "training", mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    def to(self, dtype) -> Module:
        """Cast every parameter (and with it its gradient, see Parameter) to ``dtype`` in
        place; returns self."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            p.data = p.data.astype(dtype)
        for _, mod in self.named_modules():
            if hasattr(mod, "_on_dtype"):
                mod._on_dtype(dtype)
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # -- state ----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter, keyed as torch keys them (``"0.weight"``, ``"0.bias"``)."""
        return {name: p.data.copy() for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict[str, np.ndarray], strict: bool = True) -> None:
        """Copy arrays into the parameters; shapes must match. Accepts torch tensors too."""
        own = dict(self.named_parameters())
        missing = sorted(set(own) - set(state))
        unexpected = sorted(set(state) - set(own))
        if strict and (missing or unexpected):
            raise KeyError(
                f"state_dict does not fit {type(self).__name__}: missing keys {missing}, "
                f"unexpected keys {unexpected}"
            )
        for name, p in own.items():
            if name not in state:
                continue
            value = state[name]
            if hasattr(value, "detach"):  # a torch tensor
                value = value.detach().cpu().numpy()
            value = np.asarray(value)
            if value.shape != p.data.shape:
                raise ValueError(
                    f"state_dict[{name!r}] has shape {value.shape}, the model expects "
                    f"{p.data.shape}"
                )
            p.data[...] = value

    # -- display --------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def _label(self) -> str:
        where = f" at {self._path!r}" if self._path else ""
        return f"{type(self).__name__}({self.extra_repr()}){where}"

    def __repr__(self) -> str:
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in self._modules.items():
            child_repr = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child_repr}")
        lines.append(")")
        return "\n".join(lines)


class Sequential(Module):
    """Modules applied in order; backward runs them in reverse.

    Children are named ``"0"``, ``"1"``, ... so ``state_dict`` keys match torch's.
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for i, mod in enumerate(modules):
            if not isinstance(mod, Module):
                raise TypeError(f"Sequential argument {i} is {type(mod).__name__}, not a Module")
            setattr(self, str(i), mod)

    def __len__(self) -> int:
        return len(self._modules)

    def __getitem__(self, i: int) -> Module:
        return list(self._modules.values())[i]

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def forward(self, x: np.ndarray) -> np.ndarray:
        for mod in self._modules.values():
            out = mod.forward(x)
            if mod._forward_hooks:   # an empty dict is the common case: one test per layer
                for hook in tuple(mod._forward_hooks.values()):
                    hook(mod, (x,), out)
            x = out
        return x

    def backward(self, grad: np.ndarray, input_grad: bool = True) -> np.ndarray | None:
        """Backpropagate through every child in reverse.

        With ``input_grad=False`` the gradient with respect to the network's input is not
        computed (training never needs it): a first ``Linear`` then only fills its parameter
        gradients, which saves a third of that layer's backward work.
        """
        mods = list(self._modules.values())
        for mod in reversed(mods[1:]):
            grad = mod.backward(grad)
        first = mods[0]
        if not input_grad and hasattr(first, "parameter_backward"):
            first.parameter_backward(grad)
            return None
        return first.backward(grad)

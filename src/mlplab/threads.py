"""Thread counts chosen on purpose, instead of every library's "one thread per core".

NumPy's OpenBLAS, scikit-learn's OpenMP and torch's intra-op pool each start one thread per
core, and each keeps its threads spinning for a while after a call. On a small machine (2
cores) that is busy with other work, the pools of one process compete with each other and
with the other processes: a fit of 1.5 s took 9 s. The matrices of a small tabular model are
too small to gain from threads anyway (a batch of 32 rows times a 64-wide layer is done
before the threads have woken up), so ``mlplab train`` runs such models on one thread, and
gives the cores to the one library doing the heavy work when the model is big enough:

    engine numpy (and scikit-learn's rows): BLAS and OpenMP  1 thread when small, else cores
    engine torch:                           torch           1 thread when small, else cores;
                                            BLAS and OpenMP  1 thread (only preprocessing and
                                                             metrics run in NumPy)

"Small" is fewer than ``SMALL_MACS`` multiply-adds per training batch. The environment
variable ``MLPLAB_THREADS`` overrides the choice: a number of threads for every pool, or
``off`` to leave the libraries' own defaults. docs/performance.md has the measurements.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

# Below this many multiply-adds per training batch (forward pass) one thread is faster
# than two: auto-mpg's 9-64-64-1 MLP at batch 32 is 150,000; Fashion-MNIST's 784-256-10 at
# batch 64 is 13 million.
SMALL_MACS = 1_000_000
ENV = "MLPLAB_THREADS"


def cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:   # macOS and Windows have no sched_getaffinity
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Plan:
    """Threads for the BLAS/OpenMP pools (``blas``) and for torch (``torch``); None leaves a
    pool as it is. ``why`` says how they were chosen."""

    blas: int | None
    torch: int | None
    why: str


def choose(engine: str, macs: int, env: dict | None = None) -> Plan:
    """The plan for training with ``engine`` ("numpy" or "torch") a model of ``macs``
    multiply-adds per batch; ``MLPLAB_THREADS`` (from ``env``, default os.environ) wins."""
    env = os.environ if env is None else env
    forced = env.get(ENV, "").strip().lower()
    if forced == "off":
        return Plan(None, None, f"{ENV}=off: each library's own default")
    if forced:
        if not forced.isdigit() or int(forced) < 1:
            from mlplab.errors import UsageError

            raise UsageError(f"{ENV}={env[ENV]!r}: give a number of threads (1 or more) or "
                             "off")
        n = int(forced)
        return Plan(n, n, f"{ENV}={n}")
    small = macs < SMALL_MACS
    n = 1 if small else cores()
    size = (f"{macs:,} multiply-adds per batch, "
            + ("under" if small else "over") + f" {SMALL_MACS:,}")
    if engine == "torch":
        return Plan(1, n, f"{size}: torch {n} thread(s), NumPy's BLAS 1")
    return Plan(n, None, f"{size}: BLAS and OpenMP {n} thread(s)")


@contextmanager
def limited(plan: Plan) -> Iterator[Plan]:
    """Run the block with ``plan``'s thread counts; the previous ones come back after it.
    torch is limited only when it is imported already (import it first to include it)."""
    from threadpoolctl import threadpool_limits

    torch = sys.modules.get("torch") if plan.torch is not None else None
    before = torch.get_num_threads() if torch is not None else None
    with threadpool_limits(limits=plan.blas):
        if torch is not None:
            torch.set_num_threads(plan.torch)
        try:
            yield plan
        finally:
            if torch is not None:
                torch.set_num_threads(before)

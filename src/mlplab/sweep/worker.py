"""One trial, run inside a worker process (a local process or a Ray task): the experiment of
one grid point and seed through the ordinary runner, its run folder moved into the sweep.

Everything here is importable without Ray; the module imports nothing heavy at the top so a
worker pins its thread pools before NumPy's BLAS or torch start theirs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import traceback
from pathlib import Path

# BLAS and OpenMP read these when they load; set before the worker imports NumPy or torch
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")


def init_worker() -> None:
    """Pin every thread pool of this process to one thread, so N workers use N cores and
    do not oversubscribe them (and every backend runs the same single-threaded arithmetic)."""
    for var in _THREAD_VARS:
        os.environ[var] = "1"
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    pin_torch()


def pin_torch() -> None:
    """torch's intra-op pool to one thread, when torch is loaded in this process."""
    import sys

    if "torch" in sys.modules:
        import torch

        torch.set_num_threads(1)


def run_trial(exp, trial_id: str, dest: str | None) -> dict:
    """Run ``exp`` once and report the outcome as a dict::

        {"id", "status": "ok" | "failed" | "interrupted", "seconds", "error"?, "files"?,
         "models"?}

    ``models`` (a finished run): model key -> its seed entry (mlplab.sweep.aggregate), from
    the run's result in memory, so that the driver need not read the metrics.json back.

    With ``dest`` (a local sweep's ``trials`` folder) the finished run folder becomes
    ``dest/trial_id``; without it (a Ray task, maybe on another machine) the folder's files
    come back as ``files`` (relative path -> bytes) for the driver to write. A failure is
    reported, never raised: one bad trial does not stop the sweep.
    """
    init_worker()
    from mlplab.errors import MlplabError
    from mlplab.experiments import RunInterrupted
    from mlplab.experiments.runner import run as run_experiment
    from mlplab.sweep.aggregate import seed_entry

    if exp.engine == "torch":
        import torch

        torch.set_num_threads(1)
    t0 = time.perf_counter()
    parent = Path(dest) if dest else None
    if parent is not None:
        parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{trial_id}.", suffix=".tmp", dir=parent))
    result = {"id": trial_id, "status": "ok"}
    try:
        done = run_experiment(exp, work, progress=False)
        run = done.path
        result["models"] = {m.key: seed_entry(m.to_dict()) for m in done.models}
        if parent is not None:
            target = parent / trial_id
            shutil.rmtree(target, ignore_errors=True)   # a stale copy from an older attempt
            run.rename(target)
        else:
            result["files"] = {str(p.relative_to(run)): p.read_bytes()
                               for p in sorted(run.rglob("*")) if p.is_file()}
    except RunInterrupted:
        result["status"] = "interrupted"
    except MlplabError as e:
        result.update(status="failed", error=str(e))
    except Exception as e:   # a bug or a library's error: the sweep goes on and shows it
        last = traceback.extract_tb(e.__traceback__)[-1]
        result.update(status="failed", error=f"{type(e).__name__}: {e} "
                                             f"({Path(last.filename).name}:{last.lineno})")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["seconds"] = round(time.perf_counter() - t0, 3)
    return result

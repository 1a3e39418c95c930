"""Where trials run: local worker processes, or Ray tasks (a local Ray or a cluster).

Both take jobs ``(trial_id, experiment)`` and call ``on_result(result)`` in the driver for
every trial as it finishes (the dict of :func:`mlplab.sweep.worker.run_trial`, with the run
folder's files for Ray). Ctrl-C (KeyboardInterrupt) stops the queue: trials not started are
cancelled, running ones are stopped, and the exception reaches the caller, which keeps what
finished.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from mlplab.errors import UsageError
from mlplab.util import lookup


def default_workers() -> int:
    """One worker per core this process may use (mlplab.threads.cores)."""
    from mlplab.threads import cores

    return cores()


def _local_worker_init() -> None:
    # Ctrl-C is the driver's to handle: it cancels the queue and stops the workers
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    from mlplab.sweep.worker import init_worker

    init_worker()


def _context():
    """forkserver where the platform has it (workers fork from a server that imported the
    runner once, instead of each importing it), else spawn; never plain fork, which would
    copy the driver's threads and locks."""
    if "forkserver" in mp.get_all_start_methods():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["mlplab.sweep.worker", "mlplab.experiments"])
        return ctx
    return mp.get_context("spawn")


class _DeferredInterrupt:
    """Within the ``with`` block Ctrl-C (and SIGTERM, which TerminateAsInterrupt forwards to the
    SIGINT handler) is noted, and :meth:`check` raises it as KeyboardInterrupt where the driver
    asks. Raised the moment the signal comes, it could land inside ``concurrent.futures.wait``
    while that holds the futures' locks: the pool's manager thread then blocks on a lock no one
    releases, and the process hangs at exit, after its summary. A second Ctrl-C raises at once.
    Only in the main thread, and only when SIGINT is not ignored."""

    def __init__(self):
        self.requested, self._old = False, None

    def _handler(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _DeferredInterrupt:
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
            self._old = signal.signal(signal.SIGINT, self._handler)
        return self

    def check(self) -> None:
        if self.requested:
            raise KeyboardInterrupt

    def __exit__(self, *exc) -> None:
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None


# how often the driver looks for a noted Ctrl-C while no trial finishes
_POLL_SECONDS = 0.1


def run_local(jobs, trials_dir: Path, on_result: Callable[[dict], None], workers: int) -> None:
    """Run ``jobs`` on ``workers`` local processes, each with its thread pools pinned to one
    thread; each finished run folder is moved into ``trials_dir`` by its worker."""
    from mlplab.sweep.worker import run_trial

    jobs = list(jobs)
    if not jobs:
        return
    ex = ProcessPoolExecutor(max_workers=max(1, min(workers, len(jobs))),
                             mp_context=_context(), initializer=_local_worker_init)
    clean = False
    try:
        with _DeferredInterrupt() as interrupt:
            pending = {ex.submit(run_trial, exp, tid, str(trials_dir)): tid for tid, exp in jobs}
            while pending:
                interrupt.check()
                done, _ = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
                for f in done:
                    tid = pending.pop(f)
                    try:
                        result = f.result()
                    except BrokenProcessPool:
                        result = {"id": tid, "status": "failed", "seconds": 0.0,
                                  "error": "the worker process died (out of memory or "
                                           "killed); run again with --resume"}
                    on_result(result)
                    interrupt.check()
        clean = True
    finally:
        if clean:
            ex.shutdown(wait=True)
        else:
            _stop(ex)


def _stop(ex: ProcessPoolExecutor) -> None:
    """Cancel what has not started and stop the running workers now."""
    procs = list(getattr(ex, "_processes", {}).values())
    ex.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(5)


def ray_module():
    try:
        import ray
    except ImportError:
        raise UsageError("--backend ray needs Ray: pip install 'mlplab[ray]'") from None
    return ray


def start_ray(address: str | None, workers: int) -> bool:
    """Connect to Ray: the session already started in this process, the cluster at
    ``address`` ("auto" or HOST:PORT), or a local Ray with ``workers`` CPUs started here.
    Returns True when this call started it (the caller shuts it down)."""
    ray = ray_module()
    if ray.is_initialized():
        return False
    # the workers find mlplab through the driver's interpreter and sys.path (an editable
    # install or a checkout); a cluster needs mlplab installed on its nodes
    kwargs = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR",
              "configure_logging": False}
    try:
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)
    except ConnectionError as e:
        raise UsageError(f"--address {address}: no Ray cluster answers there ({e}); start one "
                         "with `ray start --head` or leave --address out for a local Ray") \
            from None
    return True


def run_ray(jobs, trials_dir: Path, on_result: Callable[[dict], None], workers: int,
            address: str | None = None) -> None:
    """Run ``jobs`` as Ray tasks (one CPU each); the finished run folders come back as bytes
    and are written into ``trials_dir`` here, so the cluster needs no shared file system."""
    jobs = list(jobs)
    if not jobs:
        return
    ray = ray_module()
    started = start_ray(address, workers)
    from mlplab.sweep.worker import run_trial

    task = ray.remote(num_cpus=1, max_retries=0)(run_trial)
    pending = {}
    try:
        pending = {task.remote(exp, tid, None): tid for tid, exp in jobs}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                tid = pending.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as e:   # the task's process died, or Ray lost it
                    result = {"id": tid, "status": "failed", "seconds": 0.0,
                              "error": f"Ray task failed: {type(e).__name__}: "
                                       f"{str(e).splitlines()[0] if str(e) else ''}"}
                files = result.pop("files", None)
                if files is not None:
                    write_files(trials_dir / tid, files)
                on_result(result)
    finally:
        for ref in pending:
            ray.cancel(ref, force=True)
        if started:
            ray.shutdown()


def write_files(folder: Path, files: dict) -> None:
    """Write a run folder's files (relative path -> bytes) as ``folder``, atomically: into a
    hidden sibling first, renamed when complete."""
    import shutil

    tmp = folder.with_name(f".{folder.name}.incoming.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for rel, data in files.items():
        p = tmp / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    shutil.rmtree(folder, ignore_errors=True)
    tmp.rename(folder)


BACKENDS = {"local": run_local, "ray": run_ray}


def run_jobs(backend: str, jobs, trials_dir: Path, on_result, workers: int,
             address: str | None = None) -> None:
    fn = lookup(BACKENDS, backend, "backend")
    if address and backend != "ray":
        raise UsageError("--address names a Ray cluster: add --backend ray")
    trials_dir.mkdir(parents=True, exist_ok=True)
    if backend == "ray":
        fn(jobs, trials_dir, on_result, workers, address)
    else:
        fn(jobs, trials_dir, on_result, workers)

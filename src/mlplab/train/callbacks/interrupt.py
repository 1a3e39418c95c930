"""Ctrl-C (and SIGTERM, forwarded by the CLI) as a request to stop after the batch."""

from __future__ import annotations

import signal
import threading

from mlplab.train.callbacks.base import Callback
from mlplab.train.history import Outcome


class CtrlC(Callback):
    """Turns the first Ctrl-C into a flag polled after each batch: training stops there
    (outcome "interrupted"; :class:`Checkpoint` saves where it stands). A second Ctrl-C
    raises KeyboardInterrupt at once. Only in the main thread (signals arrive there). The
    CLI forwards SIGTERM to this handler (mlplab.util.TerminateAsInterrupt): ``by`` names
    the signal that stopped training in the message."""

    def __init__(self):
        self.requested, self._old, self.by = False, None, "Ctrl-C"

    def on_fit_start(self, fit):
        self.requested = False
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum, frame):
            if self.requested:
                raise KeyboardInterrupt
            self.requested = True
            self.by = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"

        self._old = signal.signal(signal.SIGINT, handler)

    def on_batch_end(self, fit):
        # a batch that diverged is reported as such; after the last batch the epoch is
        # finished (evaluated, recorded) and on_epoch_end stops
        if self.requested and not fit.stopping and fit.batch < fit.n_batches:
            fit.stop(Outcome.INTERRUPTED, f"interrupted by {self.by} during epoch {fit.epoch}, "
                                          f"after batch {fit.batch} of {fit.n_batches}")

    def on_epoch_end(self, fit, logs):
        if self.requested:
            fit.stop(Outcome.INTERRUPTED, f"interrupted by {self.by} after epoch {fit.epoch}")

    def teardown(self, fit):
        if self._old is not None:
            signal.signal(signal.SIGINT, self._old)
            self._old = None

"""Callbacks: what the Trainer does around its loop, one small class per concern.

The Trainer owns the loop (epochs, batches, evaluation, the History); everything else hooks in
through one protocol, as in Keras and Lightning. Each hook gets the :class:`FitState` of the
running ``fit``; ``on_batch_end`` and ``on_epoch_end`` may stop training by calling
``fit.stop(outcome, message)`` or by returning True. A stop requested in ``on_batch_end``
ends training right after that batch (its epoch is not recorded); one requested in
``on_epoch_end`` ends it after that epoch. The Trainer builds the built-in ones from its
arguments, in this order, with the user's ``callbacks=[...]`` before the last three:

    LRSchedule       the learning rate of every batch from a schedule (``schedule=``)
    DivergenceGuard  stops on a nan or inf loss with a diagnosis ("diverged")
    EarlyStopping    stops when the monitored loss stops improving, restores the best weights
    WorseThanStart   compares the training loss of the initial and the final weights: flags
                     one that ended above the start, stops one that grew a thousandfold
    CtrlC            the first Ctrl-C finishes the batch and stops ("interrupted")
    Checkpoint       atomic checkpoints after epochs and on a stop, for ``resume_from``
    ProgressBar      the rich progress bars (``progress=True``)

One module per concern: ``base`` (the protocol and FitState), ``schedule``, ``stopping``
(DivergenceGuard, WorseThanStart, EarlyStopping), ``interrupt`` (CtrlC), ``checkpoint``
(the file format and the callback that writes it), ``progress`` and ``dynamics``
(TrainingDynamics: per-layer gradient norms, saturation and inactive units, on request);
every name is re-exported here.
"""

from mlplab.train.callbacks.base import SAMPLE_ROWS, Callback, FitState
from mlplab.train.callbacks.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from mlplab.train.callbacks.dynamics import TrainingDynamics
from mlplab.train.callbacks.interrupt import CtrlC
from mlplab.train.callbacks.progress import ProgressBar, clock, scores
from mlplab.train.callbacks.schedule import LRSchedule, make_schedule
from mlplab.train.callbacks.stopping import (
    DivergenceGuard,
    EarlyStopping,
    WorseThanStart,
    diagnose,
)

__all__ = ["SAMPLE_ROWS", "Callback", "Checkpoint", "CtrlC", "DivergenceGuard", "EarlyStopping",
           "FitState", "LRSchedule", "ProgressBar", "TrainingDynamics", "WorseThanStart",
           "clock", "diagnose", "load_checkpoint", "make_schedule", "save_checkpoint", "scores"]

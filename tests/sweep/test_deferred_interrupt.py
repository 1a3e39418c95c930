"""Ctrl-C while a local sweep's pool runs is raised where the driver checks, not inside
concurrent.futures: there it could leave a future's lock held and hang the exit."""

from __future__ import annotations

import os
import signal

import pytest

from mlplab.sweep.backends import _DeferredInterrupt
from mlplab.util import TerminateAsInterrupt


def test_ctrl_c_is_noted_and_raised_at_the_check():
    before = signal.getsignal(signal.SIGINT)
    with _DeferredInterrupt() as interrupt:
        interrupt.check()                      # nothing noted yet
        os.kill(os.getpid(), signal.SIGINT)    # the handler runs here and only notes it
        assert interrupt.requested
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()
    assert signal.getsignal(signal.SIGINT) is before


def test_a_second_ctrl_c_raises_at_once():
    with _DeferredInterrupt(), pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGINT)


def test_sigterm_through_terminate_as_interrupt_is_noted_the_same_way():
    with TerminateAsInterrupt() as term, _DeferredInterrupt() as interrupt:
        os.kill(os.getpid(), signal.SIGTERM)
        assert term.received and interrupt.requested
        with pytest.raises(KeyboardInterrupt):
            interrupt.check()


def test_an_ignored_sigint_stays_ignored():
    old = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with _DeferredInterrupt():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, old)

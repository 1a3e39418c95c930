"""What every command line face of mlplab prints with: the console, the one error line, and
the words and exit code of a run stopped by a signal.

Shared by ``mlplab`` (:mod:`mlplab.cli`), ``mlplab data`` and ``mlplab sweep``; it imports typer
and, when a console is made, rich, and nothing of mlplab's numerics.
"""

from __future__ import annotations

import typer


def console():
    """A rich console as wide as the terminal, or as ``COLUMNS`` says; 150 columns when the
    output is not a terminal and ``COLUMNS`` is not set (pipes, CI logs). rich itself honours
    ``NO_COLOR`` and writes no colours or cursor moves to a pipe."""
    import os
    import sys

    from rich.console import Console

    known = sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit()
    return Console(width=None if known else 150)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print one clear line to stderr and return the Exit to raise."""
    typer.secho(f"error: {message}", err=True, fg="red")
    return typer.Exit(code)


def stopped_by(term) -> tuple[int, str]:
    """(exit code, words) of a run stopped by a signal: SIGTERM 143, Ctrl-C 130. ``term`` is
    the :class:`mlplab.util.TerminateAsInterrupt` the run ran under."""
    return (143, "terminated by SIGTERM") if term.received else (130, "interrupted")

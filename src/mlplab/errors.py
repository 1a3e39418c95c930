"""The one error boundary: every error a user can fix is an :class:`MlplabError`.

The CLI prints exactly these as one red line and exits with code 2; any other exception is a
bug in mlplab and shows its traceback with a line asking to report it (exit 1). Each
subclass also derives from ``ValueError`` so that code written against the older names
(``except ValueError``) keeps working.
"""

from __future__ import annotations

import re


class MlplabError(Exception):
    """An error the user can fix. The message is one line: the file or argument, what is
    wrong, what to do. Newlines in the message are folded into spaces."""

    def __init__(self, message: str = "") -> None:
        super().__init__(re.sub(r"\s*\n\s*", " ", str(message)).strip())


class UsageError(MlplabError, ValueError):
    """A bad argument or option value: an unknown name, a number out of range."""


class DataError(MlplabError, ValueError):
    """Bad or missing data: the file or argument, what is wrong, the fix."""


class SpecError(MlplabError, ValueError):
    """A model spec that cannot be parsed or does not fit together."""


class ExperimentError(MlplabError, ValueError):
    """An experiment file that cannot be run as written."""


class ExplainError(MlplabError, ValueError):
    """Input ``mlplab explain`` cannot use."""

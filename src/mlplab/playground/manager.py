"""The server's few sessions: at most ``max_sessions`` at a time, idle ones stopped and dropped.

An entry is a :class:`Session` plus what its live stream needs: whether it is playing, the
frames sent and acknowledged, and the asyncio event that wakes the stream's sender.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass, field

from mlplab.errors import UsageError
from mlplab.playground.session import Session


class TooManySessions(UsageError):
    """Every session slot is taken by a page with an open stream."""


class NoSession(UsageError):
    """The id names no session (never made, closed, or dropped after idling)."""


@dataclass
class Entry:
    session: Session
    last_input: float = field(default_factory=time.monotonic)
    streams: int = 0
    playing: bool = False
    need_frame: bool = True
    notice: str = ""                 # a one-off line for the page, sent with the next frame
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def changed(self, *, stop: bool = False, notice: str = "") -> None:
        """Ask the stream for a fresh frame (and stop playing when ``stop``)."""
        if stop:
            self.playing = False
        if notice:
            self.notice = notice
        self.need_frame = True
        self.wake.set()


class SessionManager:
    def __init__(self, max_sessions: int = 4, idle_seconds: float = 600.0):
        self.max_sessions, self.idle_seconds = max_sessions, idle_seconds
        self.entries: dict[str, Entry] = {}

    def create(self, session: Session) -> str:
        """Keep ``session`` under a new unguessable id; makes room by dropping the longest
        idle session without an open stream, or raises TooManySessions."""
        self.drop_idle()
        if len(self.entries) >= self.max_sessions:
            free = [(e.last_input, sid) for sid, e in self.entries.items() if not e.streams]
            if not free:
                raise TooManySessions(f"the playground runs at most {self.max_sessions} "
                                      "sessions at a time; close another playground tab")
            del self.entries[min(free)[1]]
        sid = secrets.token_urlsafe(16)
        self.entries[sid] = Entry(session)
        return sid

    def get(self, sid: str) -> Entry:
        entry = self.entries.get(sid)
        if entry is None:
            raise NoSession("no such session (it was closed or stopped after idling); reload "
                            "the page")
        return entry

    def drop(self, sid: str) -> None:
        entry = self.entries.pop(sid, None)
        if entry is not None:
            entry.playing = False
            entry.wake.set()

    def drop_idle(self) -> list[str]:
        """Drop sessions without an open stream and without input for ``idle_seconds``."""
        now = time.monotonic()
        old = [sid for sid, e in self.entries.items()
               if not e.streams and now - e.last_input > self.idle_seconds]
        for sid in old:
            self.drop(sid)
        return old

"""Health badges and titles for the session picker, found in a background thread.

A :class:`HealthFeed` reads the titles of the listed sessions (a few KB each), then
checks them with :func:`inspector.batch.check_many`, in the order of the list (newest
first): results from the on-disk result cache first, the rest from a pool of worker
processes. Each answer goes into the app's :class:`HealthCache` (by path, size and
mtime: reopening the picker is instant) and its session onto a queue that the picker
drains on a timer, many cells per tick. Nothing here imports Textual.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from multiprocessing import resource_tracker
from pathlib import Path

from inspector.agents import session_title
from inspector.batch import Checked, Settings, check_many
from inspector.core.agent import SessionFile
from inspector.core.cache_folder import cache_root
from inspector.core.client import ClientChoice
from inspector.core.wording import counted


class Health(Enum):
    """What a badge says, for the picker's health filter."""

    PENDING = "pending"
    REJECTED = "rejected"
    WARNINGS = "warnings"
    OK = "ok"
    UNKNOWN = "unknown"
    """Not a transcript, or unreadable."""


@dataclass(frozen=True, slots=True)
class Badge:
    text: str
    style: str
    health: Health = Health.UNKNOWN
    """What the health filter sorts it under."""


PENDING = Badge("…", "dim", Health.PENDING)

HealthKey = tuple[Path, int, float]

INLINE_BYTES = 4 * 1024 * 1024
"""Files to check under this many bytes in all are checked in the feed's own thread:
starting worker processes (fresh interpreters, from a process with threads) costs more."""


def health_key(session: SessionFile) -> HealthKey:
    return (session.path, session.size, session.mtime)


def badge_of(checked: Checked) -> Badge:
    """The badge of one outcome of :func:`check_many`."""
    result = checked.result
    if result is None:
        if checked.failure is not None and "not a conversation" in checked.failure:
            return Badge("? not a transcript", "dim", Health.UNKNOWN)
        return Badge("? unreadable", "dim", Health.UNKNOWN)
    counts = result.get("counts", {})
    errors, warnings = int(counts.get("errors", 0)), int(counts.get("warnings", 0))
    if errors:
        return Badge(f"✗ {counted(errors, 'error')}", "bold red", Health.REJECTED)
    if warnings:
        return Badge(f"⚠ {counted(warnings, 'warning')}", "yellow", Health.WARNINGS)
    return Badge("✓ ok", "green", Health.OK)


class HealthCache:
    """Badges and titles by (path, size, mtime): a file that did not change is not read
    again while the app runs."""

    def __init__(self) -> None:
        self._badges: dict[HealthKey, Badge] = {}
        self._titles: dict[HealthKey, str] = {}
        self._lock = threading.Lock()

    def title(self, session: SessionFile) -> str | None:
        with self._lock:
            return self._titles.get(health_key(session))

    def put_title(self, session: SessionFile, title: str) -> None:
        with self._lock:
            self._titles[health_key(session)] = title

    def get(self, session: SessionFile) -> Badge | None:
        with self._lock:
            return self._badges.get(health_key(session))

    def put(self, session: SessionFile, badge: Badge) -> None:
        with self._lock:
            self._badges[health_key(session)] = badge


TITLE = "title"
HEALTH = "health"


class HealthFeed:
    """Fills ``cache`` with the titles, then the badges, of ``sessions`` in a daemon
    thread; :meth:`drain` gives what arrived since (``(TITLE or HEALTH, session)``)."""

    def __init__(self, sessions: Sequence[SessionFile], cache: HealthCache) -> None:
        self.sessions = list(sessions)
        self.cache = cache
        missing = [s for s in self.sessions if cache.get(s) is None]
        self.badges_left = len(missing)
        self.in_pool = sum(s.size for s in missing) >= INLINE_BYTES
        """Checked by worker processes (else in the feed's thread)."""
        self.failure: str | None = None
        """Why the feed stopped early (an unexpected error), in one line."""
        self.done = threading.Event()
        self._stop = threading.Event()
        self._updates: queue.SimpleQueue[tuple[str, SessionFile]] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="inspector-health", daemon=True)

    def start(self) -> HealthFeed:
        """Start the thread (call it from the UI thread: see :func:`_start_resource_tracker`)."""
        if self.in_pool:
            _start_resource_tracker()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop soon: the thread closes the checks (the worker processes end) when the
        file it waits for is done. Returns at once."""
        self._stop.set()

    def drain(self, limit: int) -> list[tuple[str, SessionFile]]:
        found: list[tuple[str, SessionFile]] = []
        while len(found) < limit:
            try:
                found.append(self._updates.get_nowait())
            except queue.Empty:
                break
        return found

    def _run(self) -> None:
        try:
            self._titles()
            self._badges()
        except Exception as error:  # a bug: said once, the picker stays usable
            self.failure = f"health badges failed: {type(error).__name__}: {error}"
        finally:
            self.done.set()

    def _titles(self) -> None:
        for session in self.sessions:
            if self._stop.is_set():
                return
            if self.cache.title(session) is None:
                try:
                    title = session_title(session)
                except Exception:  # an odd file: its id stands for its title
                    title = ""
                self.cache.put_title(session, title)
                self._updates.put((TITLE, session))

    def _badges(self) -> None:
        missing = {s.path: s for s in self.sessions if self.cache.get(s) is None}
        if not missing or self._stop.is_set():
            return
        settings = Settings(client=ClientChoice(environ=os.environ), cache_root=cache_root())
        jobs = None if self.in_pool else 1
        results = check_many(list(missing), settings, jobs=jobs, biggest_first=False)
        try:
            for checked in results:
                session = missing[checked.path]
                self.cache.put(session, badge_of(checked))
                self.badges_left -= 1
                self._updates.put((HEALTH, session))
                if self._stop.is_set():
                    return
        finally:
            results.close()  # ends the worker processes


def _start_resource_tracker() -> None:
    """Start multiprocessing's resource tracker (once per process) with the real stderr.

    The first pool would start it, from the feed's thread, handing it ``sys.stderr``'s
    file descriptor; while a Textual app runs, ``sys.stderr`` is Textual's capture,
    whose descriptor is -1, and the pool fails ("bad value(s) in fds_to_keep"). Called
    from the UI thread, which is the one that prints through that capture."""
    if os.name != "posix":
        return  # no resource tracker there
    captured = sys.stderr
    sys.stderr = sys.__stderr__
    try:
        resource_tracker.ensure_running()
    finally:
        sys.stderr = captured

"""Health badges for the session picker: a cached one-line verdict per transcript file
(and its title, cached the same way)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from inspector.agents import NotATranscript
from inspector.check import check_file
from inspector.core.agent import SessionFile
from inspector.core.wording import counted


@dataclass(frozen=True, slots=True)
class Badge:
    text: str
    style: str


PENDING = Badge("…", "dim")

HealthKey = tuple[Path, int, float]


def health_key(session: SessionFile) -> HealthKey:
    return (session.path, session.size, session.mtime)


def compute_badge(path: Path) -> Badge:
    """Check one transcript (slow on big files: call it from a worker thread).

    Never raises: one odd file under the config root must not stop the picker.
    """
    try:
        report = check_file(path)
    except NotATranscript:
        return Badge("? not a transcript", "dim")
    except Exception:  # unreadable, or content the domain does not expect
        return Badge("? unreadable", "dim")
    errors, warnings = len(report.errors), len(report.warnings)
    if errors:
        return Badge(f"✗ {counted(errors, 'error')}", "bold red")
    if warnings:
        return Badge(f"⚠ {counted(warnings, 'warning')}", "yellow")
    return Badge("✓ ok", "green")


class HealthCache:
    """Badges and titles by (path, size, mtime): a file that did not change is not read
    again."""

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

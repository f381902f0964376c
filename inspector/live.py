"""A session followed as it is written: re-read only new bytes, rebuild, re-check.

Used by the app (and usable from any script); it never imports Textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inspector.formats.claude_code import ClaudeCodeTranscript
from inspector.model import Conversation
from inspector.reader import JsonlReader
from inspector.rules import Report, validate


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The session as of one refresh."""

    conversation: Conversation
    report: Report
    restarted: bool
    """The file shrank or was replaced and was read again from the start."""
    lines_read: int
    """Lines consumed by this refresh."""
    size: int
    """Bytes of the file consumed so far."""


class LiveSession:
    """One transcript, refreshed incrementally."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._reader = JsonlReader(path)
        self._transcript = ClaudeCodeTranscript(path)
        self._snapshot: Snapshot | None = None

    @property
    def snapshot(self) -> Snapshot | None:
        """The latest snapshot, if :meth:`refresh` ran."""
        return self._snapshot

    def refresh(self) -> Snapshot | None:
        """Read what was appended; return a new snapshot, or None when nothing changed.

        Raises OSError when the file cannot be read (it may have been removed).
        """
        result = self._reader.read()
        if result.restarted:
            self._transcript.reset()
        before = self._transcript.line_count
        self._transcript.feed(result.lines)
        lines_read = self._transcript.line_count - before
        if self._snapshot is not None and not result.restarted and lines_read == 0:
            return None
        conversation = self._transcript.project()
        self._snapshot = Snapshot(
            conversation, validate(conversation), result.restarted, lines_read, self._reader.offset
        )
        return self._snapshot

"""A session followed as it is written: re-read what changed, rebuild, re-check.

Claude Code appends to its transcripts, so only the new bytes are read, and the
conversation is rebuilt by extending the previous rebuild
(:mod:`inspector.agents.claude_code.tail`). Other agents
rewrite their history files whole (Roo Code, Cline) or are small enough to re-read
(Codex rollouts): those are reloaded when the file's size, time or identity changes.
Used by the app (and usable from any script); it never imports Textual.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inspector.agents import detect_format, load_conversation
from inspector.agents.claude_code import tail as claude_tail
from inspector.agents.claude_code.tail import ProjectionState
from inspector.agents.claude_code.transcript import FORMAT as CLAUDE_CODE
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.jsonl import JsonlReader
from inspector.core.model import Conversation
from inspector.core.verdict import require_transcript
from inspector.rules import Report, validate


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The session as of one refresh."""

    conversation: Conversation
    report: Report
    restarted: bool
    """The file shrank or was replaced and was read again from the start."""
    lines_read: int
    """Lines consumed by this refresh (for a reloaded file: all of them)."""
    size: int
    """Bytes of the file consumed so far."""


class LiveSession:
    """One session file, refreshed as it changes."""

    def __init__(self, path: Path, format_name: str | None = None) -> None:
        self.path = path
        self.format = format_name
        """The file's format; recognised on the first refresh unless given."""
        self._reader = JsonlReader(path)
        self._transcript = ClaudeCodeTranscript(path)
        self._projection: ProjectionState | None = None
        """The last rebuild, extended as lines are appended."""
        self._snapshot: Snapshot | None = None
        self._stamp: tuple[int, int, int] | None = None

    @property
    def snapshot(self) -> Snapshot | None:
        """The latest snapshot, if :meth:`refresh` ran."""
        return self._snapshot

    def refresh(self) -> Snapshot | None:
        """Read what changed; return a new snapshot, or None when nothing changed.

        Raises OSError when the file cannot be read (it may have been removed), and
        NotATranscript when it is not a history the inspector reads.
        """
        if self.format is None:
            self.format = detect_format(self.path)
        if self.format == CLAUDE_CODE:
            return self._append()
        return self._reload()

    def _append(self) -> Snapshot | None:
        result = self._reader.read()
        if result.restarted:
            self._transcript.reset()
            self._projection = None
        before = self._transcript.line_count
        self._transcript.feed(result.lines)
        # followed live, a file with no line yet is a session just started: wait for it
        require_transcript(self._transcript, complete=False)
        lines_read = self._transcript.line_count - before
        if self._snapshot is not None and not result.restarted and lines_read == 0:
            return None
        # The extension updates the previous state in place: if it fails for any reason
        # the state is gone, and the next refresh rebuilds in full.
        previous, self._projection = self._projection, None
        conversation, self._projection = claude_tail.project(self._transcript, previous)
        return self._keep(conversation, result.restarted, lines_read, self._reader.offset)

    def _reload(self) -> Snapshot | None:
        stat = os.stat(self.path)
        stamp = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        if stamp == self._stamp:
            return None
        restarted = self._stamp is not None
        self._stamp = stamp
        conversation = load_conversation(self.path, self.format)
        return self._keep(conversation, restarted, len(conversation.messages), stat.st_size)

    def _keep(
        self, conversation: Conversation, restarted: bool, lines_read: int, size: int
    ) -> Snapshot:
        previous = self._snapshot.report if self._snapshot is not None and not restarted else None
        # Only an appended log is validated again on top of its last report: a history
        # rewritten whole is read from the start each time, so its memo would go unused.
        report = validate(conversation, previous, remember=self.format == CLAUDE_CODE)
        self._snapshot = Snapshot(conversation, report, restarted, lines_read, size)
        return self._snapshot

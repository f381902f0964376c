"""A session followed as it is written: re-read what changed, rebuild, re-check.

An agent that offers a follower (:meth:`inspector.core.agent.Agent.follower`: Claude Code,
which appends to its transcripts) is read by its tail: only the new bytes are read, and
the conversation is rebuilt by extending the previous rebuild. Other agents' files are
rewritten whole (Roo Code, Cline) or small enough to re-read (Codex rollouts): those are
reloaded when the file's size, time or identity changes.
Used by the app (and usable from any script); it never imports Textual.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from inspector.agents import FORMATS, detect_format, load_conversation
from inspector.core.agent import Follower
from inspector.core.model import Conversation
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
        self._follower: Follower | None = None
        """Reads the file by its tail, when its agent offers that."""
        self._decided = False
        """The format is known, and with it whether the file is followed by its tail."""
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
        if not self._decided:
            if self.format is None:
                self.format = detect_format(self.path)
            agent = FORMATS.get(self.format)  # an unknown name: refused by the reload
            self._follower = agent.follower(self.path) if agent is not None else None
            self._decided = True
        if self._follower is not None:
            return self._append(self._follower)
        return self._reload()

    def _append(self, follower: Follower) -> Snapshot | None:
        read = follower.read(changed_only=self._snapshot is not None)
        if read is None:
            return None
        return self._keep(read.conversation, read.restarted, read.lines_read, read.size)

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
        # Only a file followed by its tail is validated again on top of its last report: a
        # file read again whole is read from the start each time, so its memo would go unused.
        report = validate(conversation, previous, remember=self._follower is not None)
        self._snapshot = Snapshot(conversation, report, restarted, lines_read, size)
        return self._snapshot

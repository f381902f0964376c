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
from inspector.core.agent import Followed, Follower, Kept
from inspector.core.model import TOOL_RESULT, Conversation
from inspector.rules import Report, validate
from inspector.rules.findings import Cut, Earlier, Finding


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
    earlier: Earlier | None = None
    """What the start of the session held, when it was let go of
    (:meth:`LiveSession.forget_settled`): the conversation and the report are then those
    of the part held, from line :attr:`kept_from` on. None: they are the whole session's."""
    kept_from: Kept | None = None

    @property
    def findings(self) -> list[Finding]:
        """The whole session's findings, the part let go of included."""
        if self.earlier is None:
            return self.report.findings
        return self.earlier.merged(self.report.findings)

    @property
    def last_valid(self) -> Cut | None:
        """The whole session's last valid turn."""
        if self.earlier is None:
            return self.report.last_valid
        return self.earlier.last_valid_with(self.report.last_valid)


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
        self._earlier: Earlier | None = None
        """What the part let go of held (:meth:`forget_settled`)."""

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

    def forget_settled(self) -> Snapshot | None:
        """Let go of the start of the session that appends can no longer change (every
        finding so far included: they are kept as said) and rebuild what is held: memory
        then stays in proportion to the recent part of the session. The new snapshot, or
        None when nothing could be let go of (or the file is not followed by its tail).
        Raises what :meth:`refresh` raises."""
        last = self._snapshot
        if self._follower is None or last is None:
            return None
        findings = last.findings
        after_line = max((finding.line or 0 for finding in findings), default=0)
        kept = self._follower.forget_settled(after_line)
        if kept is None:
            return None
        self._earlier = _earlier_part(last, findings, kept.messages_before)
        read = self._follower.read(changed_only=False)
        return None if read is None else self._keep_read(read)

    def _append(self, follower: Follower) -> Snapshot | None:
        read = follower.read(changed_only=self._snapshot is not None)
        return None if read is None else self._keep_read(read)

    def _keep_read(self, read: Followed) -> Snapshot:
        return self._keep(
            read.conversation, read.restarted, read.lines_read, read.size, read.kept_from
        )

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
        self,
        conversation: Conversation,
        restarted: bool,
        lines_read: int,
        size: int,
        kept_from: Kept | None = None,
    ) -> Snapshot:
        last = self._snapshot
        same_start = last is not None and last.kept_from == kept_from and not restarted
        previous = last.report if last is not None and same_start else None
        # Only a file followed by its tail is validated again on top of its last report: a
        # file read again whole is read from the start each time, so its memo would go unused.
        report = validate(conversation, previous, remember=self._follower is not None)
        if kept_from is None:
            self._earlier = None  # read whole again
        earlier = self._earlier
        self._snapshot = Snapshot(
            conversation, report, restarted, lines_read, size, earlier, kept_from
        )
        return self._snapshot


def _earlier_part(last: Snapshot, findings: list[Finding], messages: int) -> Earlier:
    """What the session up to its ``messages``-th message holds, as ``last`` saw it."""
    held_before = last.kept_from.messages_before if last.kept_from is not None else 0
    let_go = last.conversation.messages[: messages - held_before]
    tool_uses = sum(
        1
        for call in last.report.calls
        if call.use is not None and call.use_message is not None and call.use_message < len(let_go)
    )
    tool_results = sum(
        1 for message in let_go for block in message.blocks if block.type == TOOL_RESULT
    )
    if last.earlier is not None:
        tool_uses += last.earlier.tool_uses
        tool_results += last.earlier.tool_results
    limited = any(finding.limits_last_valid for finding in findings)
    last_valid = last.last_valid
    if not limited:
        # the message just before the part held: a finished answer, a valid place to cut
        origin = let_go[-1].last_origin
        last_valid = Cut(messages - 1, origin.line, origin.uuid)
    return Earlier(tuple(findings), messages, tool_uses, tool_results, last_valid, limited)

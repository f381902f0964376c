"""Following a Claude Code transcript by its tail: only appended bytes are read, and the
conversation is rebuilt by extending the previous rebuild
(:mod:`inspector.agents.claude_code.tail`)."""

from __future__ import annotations

from pathlib import Path

from inspector.agents.claude_code import tail
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.agents.claude_code.tail import ProjectionState
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.agent import Followed
from inspector.core.jsonl import JsonlReader
from inspector.core.verdict import require_transcript


class TailFollower:
    """One transcript, read as it grows."""

    def __init__(self, path: Path, behaviour: ClaudeCodeBehaviour = NEWEST) -> None:
        self._behaviour = behaviour
        self._reader = JsonlReader(path)
        self._transcript = ClaudeCodeTranscript(path)
        self._projection: ProjectionState | None = None
        """The last rebuild, extended as lines are appended."""

    def read(self, *, changed_only: bool) -> Followed | None:
        result = self._reader.read()
        if result.restarted:
            self._transcript.reset()
            self._projection = None
        before = self._transcript.line_count
        self._transcript.feed(result.lines)
        # followed live, a file with no line yet is a session just started: wait for it
        require_transcript(self._transcript, complete=False)
        lines_read = self._transcript.line_count - before
        if changed_only and not result.restarted and lines_read == 0:
            return None
        # The extension updates the previous state in place: if it fails for any reason
        # the state is gone, and the next refresh rebuilds in full.
        previous, self._projection = self._projection, None
        conversation, self._projection = tail.project(self._transcript, previous, self._behaviour)
        return Followed(conversation, result.restarted, lines_read, self._reader.offset)

"""Reading a whole Claude Code transcript: serially, or on two cores when it is big.

Kept apart from :mod:`inspector.agents.claude_code.transcript` so that the parser knows
nothing of how a file is read, and :mod:`~inspector.agents.claude_code.split_read`
(which builds on the parser) is no cycle.
"""

from __future__ import annotations

from pathlib import Path

from inspector.agents.claude_code import split_read
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.jsonl import JsonlReader
from inspector.core.model import Conversation
from inspector.core.verdict import require_transcript


def load_checked(path: Path, behaviour: ClaudeCodeBehaviour = NEWEST) -> Conversation:
    """Like :func:`load`, but raise NotATranscript for a file that is not a Claude Code
    transcript (an empty file included)."""
    transcript = load_transcript(path)
    require_transcript(transcript)
    return transcript.project(behaviour=behaviour)


def load(path: Path, behaviour: ClaudeCodeBehaviour = NEWEST) -> Conversation:
    """Read a whole Claude Code transcript and rebuild its conversation, as the release
    ``behaviour`` stands for sends it (the newest known by default)."""
    return load_transcript(path).project(behaviour=behaviour)


def load_transcript(path: Path) -> ClaudeCodeTranscript:
    """Read a whole Claude Code transcript file (treating its end as final).

    A big file is read on two cores (:mod:`inspector.agents.claude_code.split_read`).
    """
    if split_read.can_split(path):
        return split_read.read_split(path)
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(JsonlReader(path).read(final=True).lines)
    return transcript

"""Agent formats: each turns its files into the shared :class:`~inspector.model.Conversation`."""

from __future__ import annotations

from pathlib import Path

from inspector.formats import claude_code
from inspector.model import Conversation


class NotATranscript(Exception):
    """The file is not a session log of any format the inspector reads."""


def load_conversation(path: Path) -> Conversation:
    """Read a session file and rebuild its conversation. Raises OSError or NotATranscript."""
    transcript = claude_code.load_transcript(path)
    if not transcript.is_transcript:
        raise NotATranscript(f"{path}: not a Claude Code transcript (no line reads as one)")
    return transcript.project()

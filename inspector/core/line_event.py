"""What one transcript line is, as the agent that wrote it tells: the few kinds of line
that explain a defect (:mod:`inspector.causes`) and the client version that wrote it.

Shared code never reads an agent's line shapes: it asks :meth:`Agent.line_event`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LineEventKind(StrEnum):
    INTERRUPT = "interrupt"
    """The user interrupted the client (Esc)."""
    HOOK_OUTPUT = "hook_output"
    """A hook's output written into the conversation (attachment, context, summary)."""
    SESSION_START = "session_start"
    """A client process started (or resumed) the session here."""
    COMPACTION = "compaction"
    """A compaction boundary: what comes before it is summarised away."""
    API_ERROR = "api_error"
    """A failed request the client stored."""
    SUBAGENT_CALL = "subagent_call"
    """A tool call that runs a subagent."""
    TURN_END = "turn_end"
    """The client says the turn ended (a stop, the turn's duration)."""
    OTHER = "other"
    """One of the agent's lines, none of the above."""


@dataclass(frozen=True, slots=True)
class LineEvent:
    """One line as its agent describes it (no file contents, no tool output)."""

    kind: LineEventKind
    text: str
    """A short plain-text summary for people (the caller escapes it to show it)."""
    version: str | None = None
    """The client version that wrote the line (None: the line does not say)."""
    timestamp: str | None = None
    session_id: str | None = None
    folder: str | None = None
    """The folder the client ran in, when the line says (a report learns the user's name
    from it to take it out)."""

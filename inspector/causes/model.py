"""Why a defect happened: the cause the transcript shows, with the lines that show it.

A cause is never a guess: a :class:`Why` of kind :attr:`CauseKind.UNKNOWN` is what a
defect gets when the evidence is not in the file.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CauseKind(StrEnum):
    """What made a defect, as the transcript shows it (the value is the ``--json`` word)."""

    INTERRUPT = "interrupt"
    """The user interrupted (Esc) while calls were pending."""
    HOOK_OUTPUT = "hook_output"
    """A hook's output was written between a call and its results."""
    COMPACTION = "compaction"
    """A compaction boundary falls between the call and its result."""
    ENDED_MID_BATCH = "ended_mid_batch"
    """The session ended (process killed or crashed) with calls pending."""
    SUBAGENTS = "subagents"
    """Subagents ran in parallel and were still running."""
    CLIENT_FAKED = "client_faked"
    """The client made up a result in place of the real one."""
    DAMAGED_FILE = "damaged_file"
    """The file itself is damaged: glued or cut lines."""
    PARTIAL_FILE = "partial_file"
    """The file starts mid-session: the calls its first lines answer are not in it."""
    RESUMED_ONTO_OLDER = "resumed_onto_older"
    """A resumed session was appended onto an older one."""
    UNKNOWN = "unknown"
    """The evidence is not in the file."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """One transcript line that shows the cause."""

    line: int
    """1-based line number in the transcript file."""
    text: str
    """The line summarised for people, plain text (never markup)."""
    timestamp: str | None = None


@dataclass(frozen=True, slots=True)
class Why:
    """The cause of one finding."""

    kind: CauseKind
    summary: str
    """One sentence for people."""
    evidence: tuple[Evidence, ...] = ()
    client_version: str | None = None
    """The client version that wrote the lines (None: the file does not say)."""

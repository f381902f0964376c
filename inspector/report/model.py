"""What ``inspector report`` says about one transcript, before it is written out.

Plain data: :mod:`inspector.report.build` fills it from a validation report,
:mod:`inspector.report.redact` rewrites its text, and the writers
(:mod:`inspector.report.markdown`, :mod:`inspector.report.html`) only lay it out. Text
from the transcript is kept whole here; the writers cut excerpts after redaction, so a
secret is never cut in half before it could be recognised.
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.causes.model import Evidence


@dataclass(frozen=True, slots=True)
class CallSpan:
    """One tool call of a turn in time: call sent → result written."""

    tool: str
    tool_id: str
    called: str | None
    """When the call was written (the file's timestamp text), None: not written."""
    answered: str | None
    """When its result was written, None: no result."""
    seconds: float | None
    """Result time minus call time, when both are known."""
    status: str
    call_line: int | None
    result_line: int | None
    named_by: str | None
    """``error`` or ``warning``: the gravest finding that names this call (None: none)."""


@dataclass(frozen=True, slots=True)
class TurnTimeline:
    """The tool calls of one assistant turn that holds a defect."""

    number: int
    """1-based, in the order the report shows them."""
    line: int | None
    """Line of the turn's first call."""
    calls: tuple[CallSpan, ...]
    chart: str = ""
    """The calls as bars in time with the events the causes name, as the app's timeline
    draws them (:mod:`inspector.timeline`, plain text)."""


@dataclass(frozen=True, slots=True)
class TranscriptLine:
    """One transcript line near a defect, summarised."""

    number: int
    kind: str
    """``assistant``, ``user``, ``system/compact_boundary``, … (``?`` when unreadable)."""
    blocks: tuple[str, ...]
    """Content block types, in order."""
    tools: tuple[str, ...]
    """``Read toolu_01…`` for each call or result the line holds."""
    excerpt: str | None
    excerpt_kind: str | None
    """What the excerpt is: ``prompt``, ``tool output``, ``client message``, … (its kind
    decides whether redaction drops it whole)."""
    is_defect: bool


@dataclass(frozen=True, slots=True)
class Cause:
    """Why a defect happened, as :func:`inspector.causes.explain` says (or that it cannot)."""

    kind: str | None
    """The :class:`~inspector.causes.model.CauseKind` value, None: not known."""
    summary: str
    client_version: str | None = None
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True, slots=True)
class Defect:
    """One error or warning finding, with its cause and what surrounds it."""

    rule: str
    severity: str
    line: int | None
    text: str
    ids: tuple[str, ...]
    structural_cause: str | None
    """The validator's own cause (``result absent: …``)."""
    note: str | None
    resume: str | None
    resume_without_inputs: str | None
    """:attr:`resume` naming the calls by their tool alone: what a redacted report shows."""
    cause: Cause
    turn: int | None
    """The :attr:`TurnTimeline.number` of its turn, None: no call to place in time."""
    context: tuple[TranscriptLine, ...]


@dataclass(frozen=True, slots=True)
class SessionReport:
    path: str
    folder: str | None
    """The folder the session ran in, when its lines say."""
    format: str
    session_id: str | None
    client: str | None
    ok: bool
    verdict: str
    messages: int
    tool_calls: int
    errors: int
    warnings: int
    last_valid_line: int | None
    resume: str | None
    defects: tuple[Defect, ...]
    timelines: tuple[TurnTimeline, ...]
    redacted: bool = False
    removed: tuple[tuple[str, int], ...] = ()
    """What redaction removed: (kind, count), most first; never the values."""

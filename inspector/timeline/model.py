"""The tool calls of one turn as bars in time: call sent → result written.

A turn is an assistant message with tool_use blocks and the results that answer them.
Each call is a :class:`Bar` from the time its tool_use line was written to the time its
result line was written; a call with no result runs to the end of the turn (the next
message that is not a result, or the end of the file) and is marked open. Bars that
overlap ran in parallel. The validator's status says which call is a defect; other
events (an interrupt, a hook's output, a compaction) come as :class:`Mark` objects from
the caller, :func:`marks_from_why` turns a root cause's evidence into them.

When the lines lack times the timeline falls back to file order: positions are line
numbers and no duration is claimed. :func:`render_rows` lays a timeline out for a width
(≥ :data:`MIN_WIDTH`) as styled cells; :func:`render_text` is the plain-text version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from inspector.causes.model import CauseKind, Evidence, Why
from inspector.core.model import TOOL_RESULT, Conversation, Origin
from inspector.core.safe_text import escaped
from inspector.core.timestamps import parse_timestamp
from inspector.rules.findings import CallStatus, Report, Severity, ToolCall

MIN_WIDTH: Final = 40
"""Narrowest layout: every part still has a column of its own."""
DEFECTS: Final = frozenset(
    {
        CallStatus.MISSING,
        CallStatus.MISPLACED,
        CallStatus.LATE,
        CallStatus.DUPLICATE,
        CallStatus.ORPHAN_RESULT,
    }
)
"""Statuses the timeline marks ✗: what the API rejects. Not a failed tool (``is_error``)
nor results out of order (R4, a warning: the API takes parallel results in any order)."""


@dataclass(frozen=True, slots=True)
class Mark:
    """An event at a point of the turn: an interrupt, a hook's output, a compaction."""

    time: str | None
    """ISO 8601 time of the line (None: placed by its line)."""
    label: str
    """What happened, plain text (shown escaped)."""
    line: int
    """1-based line of the transcript."""


def marks_from_evidence(evidence: Iterable[Evidence]) -> list[Mark]:
    """A mark for each evidence line of a root cause."""
    return [Mark(each.timestamp, each.text, each.line) for each in evidence]


def marks_from_why(why: Why | None, bars: Iterable[int] = ()) -> list[Mark]:
    """The evidence of ``why`` as marks, but for the lines ``bars`` (the calls and results
    the timeline draws as bars). None for a finding that is not a defect, and none for a
    cause not known: the lines it looked at are no events."""
    if why is None or why.kind is CauseKind.UNKNOWN:
        return []
    drawn = set(bars)
    return marks_from_evidence(each for each in why.evidence if each.line not in drawn)


def turn_marks(report: Report, whys: Sequence[Why | None], message_index: int) -> list[Mark]:
    """The evidence of the causes (``whys``, aligned with ``report.findings`` as
    ``inspector.causes.explain`` gives them) of the findings that name a call of the turn
    at ``message_index``, once per line and text: the interrupt, hook output, compaction…
    that the cause names."""
    calls = [call for call in report.calls if call.use_message == message_index]
    ids = {call.tool_id for call in calls if call.tool_id is not None}
    bars = {block.origin.line for call in calls for block in (call.use, call.result) if block}
    marks: dict[tuple[int, str], Mark] = {}
    for finding, why in zip(report.findings, whys, strict=False):
        if ids.intersection(finding.ids):
            for mark in marks_from_why(why, bars):
                marks.setdefault((mark.line, mark.label), mark)
    return list(marks.values())


@dataclass(frozen=True, slots=True)
class Bar:
    """One tool call of the turn."""

    call: ToolCall
    name: str
    tool_id: str | None
    sent_line: int
    result_line: int | None
    """None: no result anywhere after the call (the bar is open-ended)."""
    start: float
    end: float
    """Positions on the timeline's scale (seconds, or lines in file order)."""
    defect: str | None
    """``R1 missing result``: the rule and status of a defect; None for a healthy call."""

    @property
    def open_ended(self) -> bool:
        return self.result_line is None

    @property
    def status(self) -> CallStatus:
        return self.call.status


@dataclass(frozen=True, slots=True)
class PlacedMark:
    mark: Mark
    at: float | None
    """Position on the timeline's scale, negative before the first call; None: the mark
    has no time and no line before it has one."""


@dataclass(frozen=True, slots=True)
class Timeline:
    """The calls of one turn laid out on one scale."""

    message_index: int
    line: int
    """First line of the assistant message."""
    bars: tuple[Bar, ...]
    marks: tuple[PlacedMark, ...]
    span: float
    """Length of the scale: from the first call sent (0) to the end of the turn."""
    started: datetime | None
    """When the first call was sent; None in file order (the lines lack times)."""
    end_line: int

    @property
    def timed(self) -> bool:
        return self.started is not None

    @property
    def most_at_once(self) -> int:
        """The most calls running at the same moment (bars touching at an end count)."""
        edges = sorted([(bar.start, 0) for bar in self.bars] + [(bar.end, 1) for bar in self.bars])
        running = most = 0
        for _, closing in edges:
            running += -1 if closing else 1
            most = max(most, running)
        return most


def tool_turns(report: Report) -> list[int]:
    """Indexes of the messages that hold tool calls, in order."""
    return sorted({call.use_message for call in report.calls if call.use_message is not None})


def turn_for(report: Report, message_index: int) -> int | None:
    """The turn to show for a selected message: its own calls, else the calls its results
    answer, else the nearest turn before it (then after it); None without any call."""
    turns = tool_turns(report)
    if not turns:
        return None
    if message_index in turns:
        return message_index
    answered = [
        call.use_message
        for call in report.calls
        if call.result_message == message_index and call.use_message is not None
    ]
    if answered:
        return min(answered)
    before = [turn for turn in turns if turn < message_index]
    return before[-1] if before else turns[0]


def build_timeline(report: Report, message_index: int, marks: Iterable[Mark] = ()) -> Timeline:
    """The calls of the assistant message ``message_index`` with their results, and
    ``marks``. Raises ValueError when that message has no call."""
    calls = [
        call for call in report.calls if call.use_message == message_index and call.use is not None
    ]
    if not calls:
        raise ValueError(f"message {message_index} holds no tool call")
    calls.sort(key=lambda call: _use_origin(call).line)
    conversation = report.conversation
    end = _turn_end(conversation, message_index, calls)
    defects = _defects(report)
    placed = _Scale.of(calls, end)
    bars = tuple(placed.bar(call, end, defects.get(id(call))) for call in calls)
    marks = sorted(marks, key=lambda mark: mark.line)
    untimed = placed.started is not None and any(mark.time is None for mark in marks)
    line_times = _line_times(conversation) if untimed else []
    marks_placed = tuple(PlacedMark(mark, placed.mark_at(mark, line_times)) for mark in marks)
    positions = [bar.end for bar in bars] + [m.at for m in marks_placed if m.at is not None]
    span = max(positions)
    return Timeline(
        message_index,
        conversation.messages[message_index].origins[0].line,
        bars,
        marks_placed,
        span,
        placed.started,
        end.line,
    )


def _use_origin(call: ToolCall) -> Origin:
    assert call.use is not None  # build_timeline keeps calls with a tool_use only
    return call.use.origin


def _turn_end(conversation: Conversation, message_index: int, calls: list[ToolCall]) -> Origin:
    """Where an open-ended bar stops: the first message after the turn that is not only
    results (the model's next reply, a new prompt), else the last line of the file."""
    messages = conversation.messages
    for message in messages[message_index + 1 :]:
        if message.origins and not all(block.type == TOOL_RESULT for block in message.blocks):
            return message.origins[0]
    last = [origin for message in messages for origin in message.origins]
    last.extend(conversation.chain)
    last.extend(_use_origin(call) for call in calls)
    return max(last, key=lambda origin: (origin.line, origin.timestamp is not None))


def _defects(report: Report) -> dict[int, str]:
    """``R1 missing result`` for each defective call (by object id)."""
    rules: dict[str, str] = {}
    for finding in report.findings:
        if finding.severity is not Severity.INFO:
            for tool_id in finding.ids:
                rules.setdefault(tool_id, finding.rule.value)
    found: dict[int, str] = {}
    for call in report.calls:
        if call.status in DEFECTS:
            rule = rules.get(call.tool_id or "")
            found[id(call)] = f"{rule} {call.status.value}" if rule else call.status.value
    return found


def _line_times(conversation: Conversation) -> list[tuple[int, datetime]]:
    """Every line with a time, by line: to place a mark that has none."""
    seen: dict[int, datetime] = {}
    origins = [origin for message in conversation.messages for origin in message.origins]
    for origin in (*origins, *conversation.chain):
        moment = parse_timestamp(origin.timestamp)
        if moment is not None:
            seen[origin.line] = moment
    return sorted(seen.items())


@dataclass(frozen=True, slots=True)
class _Scale:
    """Seconds since the first call (``started`` set), or lines since it (file order)."""

    started: datetime | None
    first_line: int

    @staticmethod
    def of(calls: list[ToolCall], end: Origin) -> _Scale:
        """The time scale when every call, result and (for an open bar) the turn's end
        have a time; file order otherwise."""
        first_line = _use_origin(calls[0]).line
        origins = [_use_origin(call) for call in calls]
        origins.extend(call.result.origin for call in calls if call.result is not None)
        if any(call.result is None for call in calls):
            origins.append(end)
        if any(parse_timestamp(origin.timestamp) is None for origin in origins):
            return _Scale(None, first_line)
        sent = [parse_timestamp(_use_origin(call).timestamp) for call in calls]
        return _Scale(min(moment for moment in sent if moment is not None), first_line)

    def at(self, origin: Origin) -> float:
        if self.started is None:
            return float(max(origin.line - self.first_line, 0))
        moment = parse_timestamp(origin.timestamp)
        if moment is None:
            return 0.0
        return max((moment - self.started).total_seconds(), 0.0)

    def bar(self, call: ToolCall, end: Origin, defect: str | None) -> Bar:
        use = _use_origin(call)
        result = call.result.origin if call.result is not None else None
        start = self.at(use)
        finish = max(self.at(result if result is not None else end), start)
        name = escaped(call.use.name if call.use is not None and call.use.name else "?")
        return Bar(
            call,
            name,
            call.tool_id,
            use.line,
            result.line if result else None,
            start,
            finish,
            defect,
        )

    def mark_at(self, mark: Mark, line_times: list[tuple[int, datetime]]) -> float | None:
        if self.started is None:
            return float(mark.line - self.first_line)
        moment = parse_timestamp(mark.time)
        if moment is None:  # the time of the nearest line before it that has one
            earlier = [when for line, when in line_times if line <= mark.line]
            if not earlier:
                return None
            moment = earlier[-1]
        return (moment - self.started).total_seconds()

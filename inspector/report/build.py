"""The report of one transcript, from its validation (and the resume preview the
``check`` command shows), its causes, and its lines around each defect."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from inspector.agents import agent_of
from inspector.causes import Why, explain
from inspector.causes.evidence import line_event_of
from inspector.causes.lines import LineReader
from inspector.check import check_file
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.json_out import path_text
from inspector.core.model import Conversation
from inspector.report.lines import AROUND, context_lines
from inspector.report.model import (
    CallSpan,
    Cause,
    Defect,
    SessionReport,
    TranscriptLine,
    TurnTimeline,
)
from inspector.resume import ResumePreview, ResumeVerdict, preview_resume
from inspector.rules import Finding, Report, Severity, ToolCall
from inspector.timeline import build_timeline, render_text, turn_marks

CHART_WIDTH = 100
"""Columns of the timeline charts (a report is read in a browser or an editor)."""


def build_report(report: Report) -> SessionReport:
    """What to say about the transcript behind ``report`` (text not yet redacted).
    Raises OSError when the file cannot be read again for its lines."""
    conversation = report.conversation
    preview = preview_resume(report)
    whys = explain(report)
    defect_indices = [
        index
        for index, finding in enumerate(report.findings)
        if finding.severity is not Severity.INFO
    ]
    turns = _Turns(report)
    wanted = {number for index in defect_indices for number in _around(report.findings[index].line)}
    lines = context_lines(conversation, wanted)
    defects = tuple(
        _defect(
            report.findings[index],
            _cause(whys, index),
            _verdict(preview, index),
            turns.number_of(report.findings[index]),
            lines,
        )
        for index in defect_indices
    )
    client = conversation.client
    return SessionReport(
        path=path_text(conversation.path),
        folder=_session_folder(conversation),
        format=conversation.format,
        session_id=conversation.session_id,
        client=None if client is None else f"{client.label} {client.version} ({client.source})",
        ok=report.ok,
        verdict=report.verdict(),
        messages=len(conversation.messages),
        tool_calls=report.tool_use_count,
        errors=len(report.errors),
        warnings=len(report.warnings),
        last_valid_line=None if report.ok or report.last_valid is None else report.last_valid.line,
        resume=None if preview is None else preview.summary(),
        defects=defects,
        timelines=turns.timelines(whys),
    )


def _around(line: int | None) -> range:
    return range(0) if line is None else range(max(1, line - AROUND), line + AROUND + 1)


def _cause(whys: Sequence[Why | None], index: int) -> Cause:
    why = whys[index]
    if why is None:
        return Cause(None, "no cause given for this finding")
    return Cause(why.kind.value, why.summary, why.client_version, tuple(why.evidence))


def _verdict(preview: ResumePreview | None, index: int) -> ResumeVerdict | None:
    return None if preview is None else preview.verdicts.get(index)


def _session_folder(conversation: Conversation) -> str | None:
    """The folder the session ran in, as its first line the conversation knows says (None:
    it does not). Only that line is read."""
    firsts = [*conversation.chain[:1], *(m.origins[0] for m in conversation.messages[:1])]
    if not firsts:
        return None
    first = min(firsts, key=lambda origin: origin.line)
    try:
        raw = LineReader.anchored(conversation.path, [first]).read(first.line, first.line)
    except OSError:
        return None
    event = line_event_of(agent_of(conversation), raw.get(first.line, b""))
    return None if event is None else event.folder


def _defect(
    finding: Finding,
    cause: Cause,
    resume: ResumeVerdict | None,
    turn: int | None,
    lines: dict[int, TranscriptLine],
) -> Defect:
    context = tuple(
        _marked(lines[number], number == finding.line)
        for number in _around(finding.line)
        if number in lines
    )
    return Defect(
        rule=finding.rule.value,
        severity=finding.severity.value,
        line=finding.line,
        text=finding.text,
        ids=finding.ids,
        structural_cause=finding.cause,
        note=finding.note,
        resume=None if resume is None else resume.text,
        resume_without_inputs=None if resume is None else resume.text_without_inputs,
        cause=cause,
        turn=turn,
        context=context,
    )


def _marked(line: TranscriptLine, is_defect: bool) -> TranscriptLine:
    if not is_defect:
        return line
    return TranscriptLine(
        line.number, line.kind, line.blocks, line.tools, line.excerpt, line.excerpt_kind, True
    )


class _Turns:
    """The assistant turns that hold a defect's calls, numbered as first met."""

    def __init__(self, report: Report) -> None:
        self._report = report
        self._calls = report.calls
        self._numbers: dict[int, int] = {}
        self._defect_ids: dict[int, set[str]] = {}
        self._error_ids: set[str] = set()
        self._has_turn = {call.use_message for call in report.calls if call.use is not None}

    def number_of(self, finding: Finding) -> int | None:
        message = self._turn_of(finding)
        if message is None:
            return None
        self._defect_ids.setdefault(message, set()).update(finding.ids)
        if finding.severity is Severity.ERROR:
            self._error_ids.update(finding.ids)
        return self._numbers.setdefault(message, len(self._numbers) + 1)

    def _turn_of(self, finding: Finding) -> int | None:
        named = [call for call in self._calls if call.tool_id in finding.ids]
        for call in named:
            if call.use is not None and call.use_message is not None:
                return call.use_message
        # A result without its call: the turn just before the message holding it.
        for call in named:
            if call.result_message is not None and call.result_message - 1 in self._has_turn:
                return call.result_message - 1
        return None

    def timelines(self, whys: Sequence[Why | None]) -> tuple[TurnTimeline, ...]:
        timelines: list[TurnTimeline] = []
        for message, number in self._numbers.items():
            defect_ids = self._defect_ids[message]
            calls = [
                call
                for call in self._calls
                if call.use_message == message or (call.use is None and call.tool_id in defect_ids)
            ]
            spans = tuple(_span(call, self._named_by(call, defect_ids)) for call in calls)
            first = next((span.call_line for span in spans if span.call_line), None)
            timelines.append(TurnTimeline(number, first, spans, self._chart(message, whys)))
        return tuple(timelines)

    def _named_by(self, call: ToolCall, defect_ids: set[str]) -> Severity | None:
        """The gravest finding that names the call: an error, a warning, or none."""
        if call.tool_id in self._error_ids:
            return Severity.ERROR
        return Severity.WARNING if call.tool_id in defect_ids else None

    def _chart(self, message: int, whys: Sequence[Why | None]) -> str:
        if not any(call.use_message == message for call in self._calls):
            return ""  # results without their calls: nothing to draw
        marks = turn_marks(self._report, whys, message)
        return render_text(build_timeline(self._report, message, marks), CHART_WIDTH)


def _span(call: ToolCall, named_by: Severity | None) -> CallSpan:
    use, result = call.use, call.result
    made_up = result is not None and result.made_up is not None
    called = None if use is None else use.origin.timestamp
    answered = None if result is None or made_up else result.origin.timestamp
    status = call.status.value + (" (made up by the client)" if made_up else "")
    return CallSpan(
        tool=(use.name if use is not None and use.name else "?"),
        tool_id=call.tool_id or "?",
        called=called,
        answered=answered,
        seconds=None if made_up else call.seconds,
        status=status,
        call_line=None if use is None else use.origin.line,
        result_line=None if result is None or made_up else result.origin.line,
        named_by=None if named_by is None else named_by.value,
    )


def report_of(
    path: Path, format_name: str | None = None, client: ClientChoice = NEWEST_KNOWN
) -> SessionReport:
    """Check and report one file, not yet redacted. Raises OSError, NotATranscript."""
    return build_report(check_file(path, format_name, client))

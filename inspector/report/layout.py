"""What the Markdown and HTML writers share: the words and the table cells.

Every cell is plain text made safe to show on one line (:func:`one_line`): each writer
then escapes it for its own format.
"""

from __future__ import annotations

from inspector.core.durations import spoken
from inspector.core.safe_text import one_line
from inspector.core.timestamps import parse_timestamp
from inspector.core.wording import counted
from inspector.report.model import CallSpan, Defect, SessionReport, TranscriptLine, TurnTimeline

EXCERPT_LIMIT = 400
TIMELINE_HEADER = ("tool", "id", "call", "result", "took", "status")
CONTEXT_HEADER = ("line", "kind", "blocks", "tools", "excerpt")


def title(report: SessionReport) -> str:
    name = report.path.replace("\\", "/").rsplit("/", 1)[-1]
    return f"Inspector report: {one_line(name, 200)}"


def verdict(report: SessionReport) -> str:
    if report.ok:
        return "✓ the API accepts this conversation"
    return f"✗ the API rejects this conversation: {one_line(report.verdict, 400)}"


def facts(report: SessionReport) -> list[tuple[str, str]]:
    """The summary list under the title: (label, value)."""
    rows = [
        ("File", one_line(report.path, 400)),
        *([("Folder", one_line(report.folder, 400))] if report.folder else []),
        ("Session", one_line(report.session_id or "no session id", 200)),
        ("Format", one_line(report.format, 80)),
        (
            "Size",
            f"{counted(report.messages, 'message')} · {counted(report.tool_calls, 'tool call')}",
        ),
        (
            "Findings",
            f"{counted(report.errors, 'error')} · {counted(report.warnings, 'warning')}",
        ),
    ]
    if report.client:
        rows.append(("Rebuilt as", one_line(report.client, 200) + " sends it"))
    if report.last_valid_line is not None:
        rows.append(("Last valid turn", f"line {report.last_valid_line}"))
    if report.resume:
        rows.append(("Resume", one_line(report.resume, 400)))
    rows.append(
        (
            "Redaction",
            "on: secrets, paths, user names, prompts, tool outputs (file contents), "
            "the model's and system lines' text and dropped calls' inputs removed "
            "(list at the end)"
            if report.redacted
            else "off (--no-redact): this report holds the transcript's text as is",
        )
    )
    return rows


def defect_heading(number: int, defect: Defect) -> str:
    where = f" at line {defect.line}" if defect.line is not None else ""
    return f"{number}. {defect.severity} {defect.rule}{where}"


def cause_text(defect: Defect) -> str:
    cause = defect.cause
    head = f"{cause.kind}: " if cause.kind else ""
    version = f" (written by client {cause.client_version})" if cause.client_version else ""
    return one_line(f"{head}{cause.summary}{version}", 400)


def evidence_lines(defect: Defect) -> list[str]:
    return [
        one_line(
            f"line {item.line}"
            + (f" ({clock(item.timestamp)})" if item.timestamp else "")
            + f": {item.text}",
            300,
        )
        for item in defect.cause.evidence
    ]


def details(defect: Defect) -> list[tuple[str, str]]:
    """The finding's other facts: (label, value)."""
    rows: list[tuple[str, str]] = []
    if defect.ids:
        rows.append(("Tool ids", one_line(", ".join(defect.ids), 400)))
    if defect.structural_cause:
        rows.append(("What the file shows", one_line(defect.structural_cause, 400)))
    if defect.resume:
        rows.append(("On resume", one_line(defect.resume, 400)))
    if defect.note:
        rows.append(("Note", one_line(defect.note, 400)))
    if defect.turn is not None:
        rows.append(("Timeline", f"turn {defect.turn}"))
    return rows


def clock(timestamp: str | None) -> str:
    """``09:14:50.612`` (UTC) for a file's timestamp; the text itself when unreadable."""
    moment = parse_timestamp(timestamp)
    if moment is None:
        return one_line(timestamp, 40) if timestamp else "—"
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def took(seconds: float | None) -> str:
    if seconds is None:
        return ""
    return spoken(seconds)


_NAMED_MARKS: dict[str | None, str] = {"error": "✗ ", "warning": "⚠ "}
"""A call an error names is marked as the app marks what the API rejects; one only a
warning names, as the app marks warnings."""


def timeline_heading(turn: TurnTimeline) -> str:
    where = f" (calls from line {turn.line})" if turn.line is not None else ""
    return f"Turn {turn.number}{where}"


def timeline_row(span: CallSpan) -> tuple[str, ...]:
    return (
        _NAMED_MARKS.get(span.named_by, "") + one_line(span.tool, 40),
        one_line(span.tool_id, 60),
        _moment(span.called, span.call_line, "not written"),
        _moment(span.answered, span.result_line, "no result"),
        took(span.seconds),
        one_line(span.status, 60),
    )


def _moment(timestamp: str | None, line: int | None, absent: str) -> str:
    """``09:14:50.612 (line 8)``; ``no time (line 8)`` when the file gives none."""
    if line is None:
        return clock(timestamp) if timestamp else absent
    return f"{clock(timestamp) if timestamp else 'no time'} (line {line})"


def context_row(line: TranscriptLine) -> tuple[str, ...]:
    mark = "→" if line.is_defect else " "
    return (
        f"{mark}{line.number}",
        one_line(line.kind, 60),
        one_line(", ".join(line.blocks), 80),
        one_line(", ".join(line.tools), 200),
        one_line(line.excerpt, EXCERPT_LIMIT) if line.excerpt else "",
    )


def removed_rows(report: SessionReport) -> list[tuple[str, str]]:
    return [(kind, str(count)) for kind, count in report.removed]


def text_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    """Columns padded to their widest cell; the last column is left ragged."""
    widths = [max(len(row[k]) for row in [header, *rows]) for k in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return lines

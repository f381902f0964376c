"""Tree labels and status marks, always as plain :class:`rich.text.Text`.

Transcript text reaches these functions already escaped for one line (the cached
summaries and previews go through :func:`inspector.core.safe_text.one_line`); it is
appended to ``Text`` objects, never parsed as markup, so ``[/bold]`` in a tool
output is shown as typed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from rich.text import Text

from inspector.core.durations import compact
from inspector.core.model import Origin
from inspector.core.safe_text import escaped, one_line
from inspector.core.timestamps import parse_timestamp
from inspector.core.wording import counted
from inspector.rules import CallStatus, Severity
from inspector.tui.conversation_view import (
    ApiErrorRow,
    BranchRow,
    CallRow,
    ConversationView,
    MessageRow,
)

ICONS: Final[dict[CallStatus, str]] = {
    CallStatus.ANSWERED: "✓",
    CallStatus.ANSWERED_ERROR: "!",  # ran and failed: normal; red ✗ is only what the API rejects
    CallStatus.OUT_OF_ORDER: "⇅",
    CallStatus.MISSING: "∅",
    CallStatus.MISPLACED: "↧",
    CallStatus.LATE: "»",
    CallStatus.DUPLICATE: "≡",
    CallStatus.ORPHAN_RESULT: "⊗",
    CallStatus.PENDING: "…",
}
STYLES: Final[dict[CallStatus, str]] = {
    CallStatus.ANSWERED: "green",
    CallStatus.ANSWERED_ERROR: "dim yellow",
    CallStatus.OUT_OF_ORDER: "yellow",
    CallStatus.MISSING: "bold red",
    CallStatus.MISPLACED: "bold red",
    CallStatus.LATE: "bold red",
    CallStatus.DUPLICATE: "bold red",
    CallStatus.ORPHAN_RESULT: "bold red",
    CallStatus.PENDING: "cyan",
}
RULES: Final[dict[CallStatus, str]] = {
    CallStatus.MISSING: "R1",
    CallStatus.LATE: "R1",
    CallStatus.MISPLACED: "R3",
    CallStatus.ORPHAN_RESULT: "R2",
    CallStatus.DUPLICATE: "R5",
    CallStatus.OUT_OF_ORDER: "R4",
}
QUIET: Final = frozenset({CallStatus.ANSWERED})
"""Statuses shown by their mark alone; the others also say what they mean."""
SEVERITY_STYLES: Final[dict[Severity, str]] = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "yellow",
    Severity.INFO: "cyan",
}
SEVERITY_ICONS: Final[dict[Severity, str]] = {
    Severity.ERROR: "✗",
    Severity.WARNING: "⚠",
    Severity.INFO: "i",
}
DIM: Final = "dim"


def styled(text: str, style: str) -> Text:
    """A ``Text`` whose first part has ``style``; parts appended later keep their own.

    (``Text(text, style=...)`` would give the style to the whole line, appended parts too.)
    """
    result = Text()
    result.append(text, style=style)
    return result


def status_mark(status: CallStatus, *, words: bool = True) -> Text:
    """The status icon in its colour, followed by its name unless it is plain success."""
    text = styled(ICONS[status], STYLES[status])
    if words and status not in QUIET:
        text.append(f" {status.value}", style=STYLES[status])
    return text


def clock(timestamp: str | None) -> str:
    """``HH:MM:SS`` in local time (UTC at the ends of the calendar), or ``--:--:--``."""
    moment = parse_timestamp(timestamp)
    if moment is None:
        return "--:--:--"
    try:
        return moment.astimezone().strftime("%H:%M:%S")
    except (OverflowError, ValueError, OSError):
        return moment.strftime("%H:%M:%S")


def short_model(model: str | None) -> str:
    if not model:
        return ""
    return escaped(model.removeprefix("claude-"))


def id_tail(tool_id: str | None, size: int = 6) -> str:
    return "…" + escaped(tool_id[-size:]) if tool_id else "(no id)"


def byte_size(count: int) -> str:
    """A size in binary units, named as such ("95.5 MiB" for 100,100,000 bytes)."""
    size = float(count)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def session_label(path: Path, view: ConversationView | None, error: str | None = None) -> Text:
    """``<badges>  <file name>  <counts>``: the badges first, so a narrow pane never cuts them."""
    if error:
        text = styled(escaped(error), "bold red")
    elif view is None:
        text = styled("reading…", DIM)
    else:
        report = view.snapshot.report
        errors, warnings = len(report.errors), len(report.warnings)
        text = Text()
        if errors:
            text.append(f"✗ {counted(errors, 'error')}  ", style="bold red")
        if warnings:
            text.append(f"⚠ {counted(warnings, 'warning')}  ", style="yellow")
        if not errors and not warnings:
            text.append("✓  ", style="green")
    text.append(escaped(path.name), style="bold")
    if view is not None and not error:
        count, calls = view.message_count, view.snapshot.report.tool_use_count
        text.append(f"  {counted(count, 'message')} · {counted(calls, 'call')}", style=DIM)
    return text


def message_label(row: MessageRow, preview: str | None) -> Text:
    """``#<index> <rule> <worst status>  <time> <role> …``: what is wrong comes before the
    text, so a narrow pane cuts the preview, never the badges."""
    message = row.message
    text = styled(f"#{row.index} ", "bold")
    if row.severity is not None:
        style = SEVERITY_STYLES[row.severity]
        text.append(f"{SEVERITY_ICONS[row.severity]} {row.findings[0].rule.value}", style=style)
        text.append(" · " if row.worst is not None else "  ", style=DIM)
    if row.worst is not None:
        text.append_text(status_mark(row.worst))
        text.append(" " if row.worst in QUIET else "  ")
    text.append(clock(message.timestamp), style=DIM)
    text.append(" ")
    uses = sum(1 for call in row.calls if call.call.use is not None)
    results = sum(1 for block in message.blocks if block.is_result)
    if message.role == "assistant":
        text.append("assistant", style="magenta")
        model = short_model(message.model)
        if model:
            text.append(f" {model}", style=DIM)
        if uses:
            text.append(f" · {counted(uses, 'call')}")
    else:
        text.append(escaped(message.role), style="blue")
        if results:
            text.append(f" · {counted(results, 'result')}", style=DIM)
    if preview:
        text.append("  ")
        text.append(preview, style="italic" if message.role == "user" else "")
    return text


def call_label(row: CallRow, summary: str | None) -> Text:
    """``<mark> [<status words> (<rule>)]  <tool>  <input summary>  <id tail>``: the status
    comes first so it stays visible when a long summary is cut at the pane's edge."""
    call = row.call
    text = status_mark(row.status)
    rule = RULES.get(row.status)
    if rule:
        text.append(f" ({rule})", style=STYLES[row.status])
    text.append("  " if row.status not in QUIET else " ")
    if call.use is None:
        text.append("↳ result", style="bold")
    else:
        text.append(escaped(row.name or "?"), style="bold")
        if summary:
            text.append("  ")
            text.append(summary)
    text.append(f"  {id_tail(call.tool_id)}", style=DIM)
    return text


def result_label(row: CallRow) -> Text:
    result = row.call.result
    text = styled("↳ result", "bold")
    if result is None:
        return text
    if result.is_error:
        text.append(" is_error", style="yellow")
    text.append(f"  #{row.call.result_message}", style=DIM)
    text.append(f" · line {result.origin.line} · {byte_size(result.origin.length)}", style=DIM)
    duration = call_duration(row)
    if duration is not None:
        text.append(f" · {duration}", style=DIM)
    return text


def call_duration(row: CallRow) -> str | None:
    seconds = row.call.seconds
    if seconds is None:
        return None
    return f"+{compact(seconds)}"


def subagent_label(row: CallRow, view: ConversationView | None, error: str | None) -> Text:
    text = styled("⤷ subagent", "bold magenta")
    text.append_text(_loaded_suffix(view, error))
    if row.agent_type:
        text.append(f" {one_line(row.agent_type, 40)}", style="magenta")
    if row.description:
        text.append(f": {one_line(row.description, 80)}")
    if row.agent_id:
        text.append(f"  agent-{one_line(row.agent_id, 24)}", style=DIM)
    return text


def loose_subagent_label(path: Path, view: ConversationView | None, error: str | None) -> Text:
    text = styled("⤷ subagent file", "bold magenta")
    text.append_text(_loaded_suffix(view, error))
    text.append(f" {escaped(path.name)}")
    text.append("  (no call links to it yet: still running?)", style=DIM)
    return text


def _loaded_suffix(view: ConversationView | None, error: str | None) -> Text:
    """A subagent's health and size, put right after its kind (before its description)."""
    if error:
        return Text(f" {escaped(error)} ·", style="red")
    if view is None:
        return Text("")
    report = view.snapshot.report
    if report.errors:
        text = styled(f" ✗ {len(report.errors)}", "bold red")
    else:
        text = styled(" ✓", "green")
    text.append(f" · {view.message_count} messages ·", style=DIM)
    return text


def api_error_label(row: ApiErrorRow) -> Text:
    text = styled("⚠ stored API error", "bold yellow")
    text.append(f"  line {row.record.origin.line} · not sent  ", style=DIM)
    text.append(one_line(row.record.text or "API error", 140))
    return text


def branch_label(row: BranchRow) -> Text:
    count = len(row.branch.origins)
    text = styled("⎇ abandoned branch", "italic dim")
    where = f" after #{row.after_message}" if row.after_message is not None else ""
    text.append(f"{where} · {counted(count, 'entry', 'entries')} · ", style="dim")
    text.append("not sent", style="italic yellow")
    return text


def origin_label(origin: Origin) -> Text:
    text = styled(f"line {origin.line}", "dim")
    text.append(f"  {clock(origin.timestamp)}", style="dim")
    if origin.uuid:
        text.append(f"  {escaped(origin.uuid)}", style="dim")
    return text


def gap_label(hidden: int, step: int) -> Text:
    more = min(hidden, step)
    text = styled(f"⋯ {counted(hidden, 'earlier message')}", "bold")
    text.append(f"  (enter: show {more} more)", style=DIM)
    return text


def note_label(note: str) -> Text:
    return Text(escaped(note), style=DIM)

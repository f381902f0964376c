"""What the detail pane says about a row, built in a worker thread.

Full block contents are re-read from disk here (:func:`block_payload`), shown as
plain :class:`rich.text.Text` (bodies after :func:`printable`, one-line titles and fields
after :func:`escaped`), and folded when long (the
``e`` key asks for everything, up to a cap). Nothing here parses markup or writes
terminal escapes, whatever the transcript holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson
from rich.console import Group, RenderableType
from rich.highlighter import JSONHighlighter
from rich.table import Table
from rich.text import Text

from inspector.agents import block_payload
from inspector.causes import CauseKind
from inspector.core.json_out import dumps
from inspector.core.jsonl import read_line
from inspector.core.model import TEXT, THINKING, TOOL_RESULT, TOOL_USE, Block, Origin
from inspector.core.safe_text import escaped, one_line, printable
from inspector.resume import ResumeVerdict
from inspector.rules import Finding, Severity
from inspector.tui import labels
from inspector.tui.conversation_view import (
    ApiErrorRow,
    BranchRow,
    CallRow,
    ConversationView,
    LooseSubagentRow,
    MessageRow,
    NodeKind,
)

FOLD_LINES: Final = 40
FOLD_CHARS: Final = 4_000
ALL_LINES: Final = 3_000
ALL_CHARS: Final = 150_000
TEXT_FIELD_MIN: Final = 80
"""A string input field longer than this with line breaks is also shown as text."""

_HIGHLIGHT_JSON = JSONHighlighter()


@dataclass(frozen=True, slots=True, repr=False)
class DetailRequest:
    """Everything the pane needs to describe one row (read-only, shared with a thread)."""

    kind: NodeKind
    path: Path
    view: ConversationView | None
    key: Any
    show_all: bool = False
    child_view: ConversationView | None = None
    """For a subagent row: the subagent's own view, once loaded."""
    error: str | None = None

    def __repr__(self) -> str:
        return f"DetailRequest({self.kind.value}, {self.key!r})"


def describe(request: DetailRequest) -> RenderableType:
    """The detail of one row. Never raises for content problems (they are shown)."""
    try:
        return _Describer(request).run()
    except Exception as error:  # the file changed under us, or an unexpected shape
        return Text(f"could not show this row: {escaped(repr(error))}", style="red")


class _Describer:
    def __init__(self, request: DetailRequest) -> None:
        self.request = request
        self.path = request.path
        self.view = request.view
        self.cache: dict[int, dict[str, Any]] = {}
        self.parts: list[RenderableType] = []

    def run(self) -> RenderableType:
        kind = self.request.kind
        view = self.view
        if view is None:
            return Text(escaped(self.request.error or "reading the transcript…"), style="dim")
        key = self.request.key
        if kind is NodeKind.SESSION:
            self._session(view)
        elif kind is NodeKind.GAP:
            self._gap(view)
        elif kind is NodeKind.MESSAGE:
            item = view.items_by_key.get(key)
            if isinstance(item, MessageRow):
                self._message(view, item)
        elif kind in (NodeKind.CALL, NodeKind.RESULT, NodeKind.SUBAGENT):
            call = view.calls.get(key)
            if call is not None:
                if kind is NodeKind.SUBAGENT:
                    self._subagent(call.subagent_path, call)
                self._call(view, call, result_first=kind is NodeKind.RESULT)
        elif kind is NodeKind.API_ERROR:
            item = view.items_by_key.get(key)
            if isinstance(item, ApiErrorRow):
                self._api_error(item)
        elif kind is NodeKind.BRANCH:
            item = view.items_by_key.get(key)
            if isinstance(item, BranchRow):
                self._branch(item)
        elif kind is NodeKind.BRANCH_LINE and isinstance(key, tuple):
            item = view.items_by_key.get(key[0])
            if isinstance(item, BranchRow):
                self._branch_line(item.branch.origins[key[1]])
        elif kind is NodeKind.LOOSE_SUBAGENT:
            item = view.items_by_key.get(key)
            if isinstance(item, LooseSubagentRow):
                self._subagent(item.path, None)
        if not self.parts:
            self.parts.append(Text("nothing to show", style="dim"))
        return Group(*self.parts)

    # ------------------------------------------------------------------ building blocks

    def heading(self, title: str, style: str = "bold underline") -> None:
        if self.parts:
            self.parts.append(Text(""))
        self.parts.append(Text(escaped(title), style=style))

    def field(self, name: str, value: str, style: str = "") -> None:
        """``name`` in a narrow column, ``value`` wrapped beside it."""
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=10, style="dim", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(Text(name), Text(escaped(value), style=style))
        self.parts.append(grid)

    def body(self, text: str, *, highlight_json: bool = False) -> None:
        shown, hidden = fold(text, self.request.show_all)
        rendered = Text(printable(shown))
        if highlight_json:
            _HIGHLIGHT_JSON.highlight(rendered)
        if hidden:  # above too: the end of a long body is below the pane
            self.parts.append(Text(hidden, style="italic cyan"))
        self.parts.append(rendered)
        if hidden:
            self.parts.append(Text(hidden, style="italic cyan"))

    def where(self, origin: Origin) -> str:
        return f"{self.path.name}:{origin.line}"

    def findings(self, findings: list[Finding]) -> None:
        for finding in findings:
            style = labels.SEVERITY_STYLES[finding.severity]
            self.heading(
                f"{labels.SEVERITY_ICONS[finding.severity]} {finding.rule.value} "
                f"{finding.severity.value}"
                + (": the API rejects this" if finding.severity is Severity.ERROR else ""),
                style=f"{style} underline",
            )
            self.parts.append(Text(escaped(finding.text), style=style))
            if finding.cause:
                self.field("cause", finding.cause)
            self._why(finding)
            verdict = self._verdict(finding)
            if verdict is not None:
                self.field("resume", verdict.text, style="green" if verdict.heals else "yellow")
            if finding.note:
                self.field("note", finding.note)
            if finding.line is not None:
                self.field("at", f"{self.path.name}:{finding.line}")

    def _why(self, finding: Finding) -> None:
        """The defect's root cause, the client version and the lines that show it."""
        why = self.view.cause_of(finding) if self.view is not None else None
        if why is None:
            return
        unknown = why.kind is CauseKind.UNKNOWN
        self.field("why", f"{why.kind.value}: {why.summary}", style="dim" if unknown else "bold")
        if why.client_version:
            self.field("client", why.client_version)
        for evidence in why.evidence:
            stamp = f" · {evidence.timestamp}" if evidence.timestamp else ""
            self.field(f"line {evidence.line}", f"{evidence.text}{stamp}")

    def _verdict(self, finding: Finding) -> ResumeVerdict | None:
        preview = self.view.resume_preview() if self.view is not None else None
        return preview.verdict_of(finding) if preview is not None else None

    def payload(self, block: Block) -> Any:
        view = self.view
        if view is None:
            raise LookupError("the transcript is not read yet")
        return block_payload(view.snapshot.conversation, block, self.cache)

    # ------------------------------------------------------------------ rows

    def _session(self, view: ConversationView) -> None:
        snapshot = view.snapshot
        report = snapshot.report
        conversation = snapshot.conversation
        self.heading("Session")
        self.field("file", str(self.path))
        self.field("session", conversation.session_id or "?")
        self.field("size", f"{labels.byte_size(snapshot.size)} read")
        self.field("messages", str(view.message_count))
        self.field("calls", f"{report.tool_use_count} tool_use, {report.tool_result_count} results")
        if conversation.subagents:
            self.field("subagents", str(len(conversation.subagents)))
        if conversation.abandoned:
            self.field("abandoned", f"{len(conversation.abandoned)} branch(es), not sent")
        self.heading("Verdict")
        style = "bold green" if report.ok else "bold red"
        self.parts.append(Text(escaped(report.verdict()), style=style))
        cut = report.last_valid
        self.field(
            "last valid",
            f"#{cut.message_index} (line {cut.line})" if cut else "none: no valid prefix",
        )
        if conversation.client is not None:
            self.field("as sent by", conversation.client.describe())
        preview = view.resume_preview()
        if preview is not None and preview.resumed.steps:
            style = "green" if preview.heals_all else "yellow"
            self.field("resume", preview.summary(), style=style)
        if report.findings:
            self.heading(f"Findings ({len(report.findings)})")
            for finding in report.findings[:200]:
                text = labels.styled(
                    f"{labels.SEVERITY_ICONS[finding.severity]} {finding.rule.value:<8}",
                    labels.SEVERITY_STYLES[finding.severity],
                )
                text.append(f" line {finding.line or '?':<6} ", style="dim")
                text.append(one_line(finding.text, 160))
                self.parts.append(text)

    def _gap(self, view: ConversationView) -> None:
        self.heading("Earlier messages")
        self.parts.append(
            Text(
                "These messages are not in the tree yet (only the newest are, to stay fast "
                "on big sessions). Press enter on this row to show more; n / p load what "
                "they need."
            )
        )

    def _message(self, view: ConversationView, row: MessageRow) -> None:
        message = row.message
        title = f"#{row.index} {message.role}"
        if message.model:
            title += f" · {message.model}"
        self.heading(title)
        self.field("time", message.timestamp or "?")
        self.findings(list(row.findings))
        problem_calls = [c for c in row.calls if c.status not in labels.QUIET]
        if problem_calls:
            self.heading("Calls needing a look")
            for call in problem_calls:
                text = Text(escaped(call.name or "result") + "  ")
                text.append(labels.id_tail(call.call.tool_id, 12) + "  ", style="dim")
                text.append_text(labels.status_mark(call.status))
                self.parts.append(text)
        self.heading("Content")
        for block in message.blocks:
            self._block_summary(block)
        self.heading("Provenance")
        for origin in message.origins[:40]:
            self.field(
                "line", f"{self.where(origin)}  {origin.uuid or ''}  {origin.timestamp or ''}"
            )
        if len(message.origins) > 40:
            self.parts.append(Text(f"… {len(message.origins) - 40} more lines", style="dim"))

    def _block_summary(self, block: Block) -> None:
        if block.type == TOOL_USE:
            text = labels.styled("tool_use ", "bold")
            text.append(escaped(block.name or "?"))
            text.append(f"  {escaped(block.tool_id or '')}", style="dim")
            self.parts.append(text)
        elif block.type == TOOL_RESULT:
            text = labels.styled("tool_result ", "bold")
            text.append(escaped(block.tool_id or ""), style="dim")
            if block.is_error:
                text.append("  is_error", style="yellow")
            self.parts.append(text)
        elif block.type in (TEXT, THINKING):
            raw = self.payload(block)
            value = raw if isinstance(raw, str) else raw.get(block.type, "")
            self.parts.append(Text(block.type, style="bold"))
            self.body(value if isinstance(value, str) else json_text(value))
        else:
            self.parts.append(Text(escaped(block.type), style="bold"))

    def _call(self, view: ConversationView, row: CallRow, *, result_first: bool) -> None:
        call = row.call
        title = labels.styled(escaped(row.name or "tool_result without a call"), "bold")
        title.append(f"  {escaped(call.tool_id or '(no id)')}  ", style="dim")
        title.append_text(labels.status_mark(row.status))
        if self.parts:
            self.parts.append(Text(""))
        self.parts.append(title)
        self.findings(view.findings_for_call(row))
        sections = [self._input, self._result]
        if result_first:
            sections.reverse()
        for section in sections:
            section(row)
        self._provenance(row)

    def _input(self, row: CallRow) -> None:
        use = row.call.use
        if use is None:
            return
        self.heading("Input")
        payload = self.payload(use)
        tool_input = payload.get("input") if isinstance(payload, dict) else None
        self.body(json_text(tool_input), highlight_json=True)
        if isinstance(tool_input, dict):
            for name, value in tool_input.items():
                if isinstance(value, str) and "\n" in value and len(value) > TEXT_FIELD_MIN:
                    self.heading(f"{name} (as text)", style="bold")
                    self.body(value)

    def _result(self, row: CallRow) -> None:
        result = row.call.result
        self.heading("Result")
        if result is None:
            self.parts.append(
                Text(f"no result: {row.status.value}", style=labels.STYLES[row.status])
            )
            return
        if result.is_error:
            self.parts.append(Text("is_error: true", style="yellow"))
        payload = self.payload(result)
        content = payload.get("content") if isinstance(payload, dict) else payload
        self.body(result_text(content))

    def _provenance(self, row: CallRow) -> None:
        call = row.call
        self.heading("Provenance")
        for name, block, index in (
            ("tool_use", call.use, call.use_message),
            ("result", call.result, call.result_message),
        ):
            if block is None:
                self.field(name, "—")
                continue
            origin = block.origin
            self.field(name, f"{self.where(origin)}  messages.{index}")
            self.field("", f"uuid {origin.uuid or '?'}  {origin.timestamp or ''}", style="dim")
        duration = labels.call_duration(row)
        if duration:
            self.field("duration", duration)

    def _subagent(self, path: Path | None, row: CallRow | None) -> None:
        self.heading("Subagent")
        if row is not None:
            if row.agent_type:
                self.field("type", row.agent_type)
            if row.description:
                self.field("task", row.description)
            if row.agent_id:
                self.field("agent", row.agent_id)
        self.field("file", str(path) if path else "(inline, in the session file)")
        child = self.request.child_view
        if child is not None:
            report = child.snapshot.report
            self.field("messages", str(child.message_count))
            self.field("verdict", report.verdict(), style="green" if report.ok else "bold red")
        else:
            self.parts.append(Text("expand the row to read it", style="dim"))

    def _api_error(self, row: ApiErrorRow) -> None:
        record = row.record
        self.heading("Stored API error (not sent)")
        self.parts.append(Text(printable(record.text or "API error"), style="bold yellow"))
        self.field("request", f"held messages 0..{record.messages_before - 1}")
        self.field("at", f"{self.where(record.origin)}  {record.origin.uuid or ''}")
        self.field("time", record.origin.timestamp or "?")
        if row.finding is not None:
            if row.finding.cause:
                self.field("cause", row.finding.cause)
            if row.finding.note:
                self.field("note", row.finding.note)

    def _branch(self, row: BranchRow) -> None:
        branch = row.branch
        self.heading("Abandoned branch: not sent", style="bold italic yellow")
        self.parts.append(
            Text(
                "Claude Code resumes the newest leaf of the file; these entries hang off "
                "another path (left behind by /rewind, say) and are not part of what it sends."
            )
        )
        self.field("fork", branch.fork_uuid or "not connected to the sent conversation")
        if row.after_message is not None:
            self.field("after", f"#{row.after_message}")
        self.field("entries", str(len(branch.origins)))
        first, last = branch.origins[0], branch.origins[-1]
        self.field("lines", f"{first.line}..{last.line}")

    def _branch_line(self, origin: Origin) -> None:
        self.heading(f"{self.where(origin)} (abandoned branch, not sent)")
        self.field("uuid", origin.uuid or "?")
        self.field("time", origin.timestamp or "?")
        value = read_line(self.path, origin.offset, origin.length)
        message = value.get("message")
        content = message.get("content") if isinstance(message, dict) else value
        self.heading(str(value.get("type", "entry")))
        self.body(result_text(content))


def fold(text: str, show_all: bool) -> tuple[str, str | None]:
    """``text`` cut to the fold (or the show-all cap), and a note on what was left out."""
    max_lines, max_chars = (ALL_LINES, ALL_CHARS) if show_all else (FOLD_LINES, FOLD_CHARS)
    cut = text[:max_chars]
    lines = cut.split("\n")
    if len(lines) > max_lines:
        cut = "\n".join(lines[:max_lines])
    if len(cut) == len(text):
        return text, None
    rest = text[len(cut) :]
    more_lines = rest.count("\n")
    more = f"{more_lines} more lines" if more_lines else f"{len(rest)} more characters"
    if show_all:
        return (
            cut,
            f"… {more} not shown (too long for the pane: the provenance says where to read it)",
        )
    return cut, f"… {more} (press e to show all)"


def json_text(value: Any) -> str:
    try:
        return dumps(value, option=orjson.OPT_INDENT_2, default=repr).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)


def result_text(content: Any) -> str:
    """A tool result's content as text: text blocks joined, other blocks named."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for item in content:
            if isinstance(item, dict) and item.get("type") == "text":
                text = item.get("text")
                parts.append(text if isinstance(text, str) else json_text(text))
            elif isinstance(item, dict) and item.get("type") == "image":
                source = item.get("source")
                media = source.get("media_type", "?") if isinstance(source, dict) else "?"
                parts.append(f"(image: {media})")
            else:
                parts.append(json_text(item))
        return "\n".join(parts)
    if content is None:
        return ""
    return json_text(content)

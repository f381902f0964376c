"""What the app shows of one conversation, computed off the UI thread.

A :class:`ConversationModel` owns a :class:`~inspector.live.LiveSession` for one
transcript (the session, or a subagent's) and turns each snapshot into a
:class:`ConversationView`: rows for the tree (one per projected message, stored API
error, abandoned branch and not-yet-linked subagent file), every tool call keyed by
where its block sits in the file, and the problems to jump between. Nothing here
re-derives what the validator computed: statuses, findings, the last valid turn and
the pairing all come from the :class:`~inspector.rules.Report`.

Short texts the labels need (a tool call's input summary, a message's first words)
are re-read from disk in the same worker thread and cached per block, so building
a label on the UI thread never touches the disk. Textual is not imported here.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from inspector.agents import block_payload
from inspector.agents.claude_code.layout import iter_subagent_files
from inspector.causes import Why, explain
from inspector.core.model import (
    TEXT,
    TOOL_USE,
    ApiErrorRecord,
    Block,
    Branch,
    Conversation,
    Message,
    SubagentLink,
)
from inspector.core.safe_text import one_line
from inspector.live import LiveSession, Snapshot
from inspector.resume import ResumePreview, preview_resume
from inspector.rules import CallStatus, Finding, Rule, Severity, ToolCall
from inspector.rules.running import hold_running
from inspector.summaries import tool_input_summary

WINDOW = 500
"""Messages put in the tree when a conversation opens (older ones load on demand)."""
PREVIEW_LIMIT = 160
"""Characters of a message's first text kept for its label."""

ItemKey = tuple[str, int | str]
"""Identity of a top-level row that survives refreshes: ("m", first line of a message),
("e", line of a stored API error), ("b", first line of a branch), ("s", subagent path)."""
CallKey = tuple[str, int, int]
"""("u", line, index) of a tool_use block, or ("r", line, index) of an orphan result."""

PROBLEM_RANK: dict[CallStatus, int] = {
    CallStatus.ANSWERED: 0,
    CallStatus.ANSWERED_ERROR: 1,
    CallStatus.PENDING: 2,
    CallStatus.OUT_OF_ORDER: 3,
    CallStatus.LATE: 4,
    CallStatus.MISPLACED: 4,
    CallStatus.MISSING: 5,
    CallStatus.DUPLICATE: 5,
    CallStatus.ORPHAN_RESULT: 5,
}
"""How bad a call status is, for a message's summary status (higher is worse)."""


class NodeKind(Enum):
    """The kinds of rows the tree shows."""

    SESSION = "session"
    GAP = "gap"
    MESSAGE = "message"
    CALL = "call"
    RESULT = "result"
    SUBAGENT = "subagent"
    LOOSE_SUBAGENT = "loose subagent"
    BRANCH = "branch"
    BRANCH_LINE = "branch line"
    API_ERROR = "api error"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class CallRow:
    """A tool call as the tree shows it: under the message that holds its tool_use
    (or, for a result without a call, under the message that holds the result)."""

    key: CallKey
    call: ToolCall
    message_index: int
    subagent_path: Path | None = None
    agent_type: str | None = None
    description: str | None = None
    agent_id: str | None = None

    @property
    def status(self) -> CallStatus:
        """The validator's status."""
        return self.call.status

    @property
    def name(self) -> str | None:
        return self.call.use.name if self.call.use is not None else None


@dataclass(frozen=True, slots=True)
class MessageRow:
    key: ItemKey
    index: int
    message: Message
    calls: tuple[CallRow, ...]
    findings: tuple[Finding, ...]
    """Findings that point at this message but not at one of its calls."""
    worst: CallStatus | None
    severity: Severity | None
    anchor: int


@dataclass(frozen=True, slots=True)
class ApiErrorRow:
    key: ItemKey
    record: ApiErrorRecord
    finding: Finding | None
    anchor: int


@dataclass(frozen=True, slots=True)
class BranchRow:
    key: ItemKey
    branch: Branch
    after_message: int | None
    anchor: int


@dataclass(frozen=True, slots=True)
class LooseSubagentRow:
    """A subagent transcript beside the session that no call links to yet (still running)."""

    key: ItemKey
    path: Path
    anchor: int


Item = MessageRow | ApiErrorRow | BranchRow | LooseSubagentRow


@dataclass(frozen=True, slots=True)
class Problem:
    """A finding the user can jump to, and the row that shows it."""

    finding: Finding
    message_index: int | None
    """The message whose row (or call) shows it; None: the session row."""
    item_key: ItemKey | None
    call_key: CallKey | None


@dataclass(slots=True, repr=False)
class ConversationView:
    """One snapshot, arranged for the tree, the detail pane and the status bar."""

    path: Path
    snapshot: Snapshot
    items: list[Item]
    anchors: list[int]
    """``anchors[i]``: the message index item ``i`` belongs to (-1: before the first)."""
    rows: list[MessageRow]
    calls: dict[CallKey, CallRow]
    problems: list[Problem]
    items_by_key: dict[ItemKey, Item] = field(default_factory=dict)
    call_rows: list[CallRow | None] = field(default_factory=list)
    """The row of each call of the report, in the report's order (None: not shown)."""
    message_findings: dict[int, list[Finding]] = field(default_factory=dict)
    """Findings shown on a message row rather than on one of its calls."""
    _preview: list[ResumePreview | None] = field(default_factory=list)
    _causes: list[list[Why | None]] = field(default_factory=list)

    def causes(self) -> list[Why | None]:
        """Why each finding of this view's report happened (worked out once, on first use:
        it re-reads the lines near the defects)."""
        if not self._causes:
            self._causes.append(explain(self.snapshot.report))
        return self._causes[0]

    def cause_of(self, finding: Finding) -> Why | None:
        """Why ``finding``, one of this view's report, happened."""
        findings = self.snapshot.report.findings
        return next(
            (why for f, why in zip(findings, self.causes(), strict=True) if f is finding), None
        )

    def resume_preview(self) -> ResumePreview | None:
        """What resuming the session does to it (worked out once, on first use: it
        validates the conversation again)."""
        if not self._preview:
            self._preview.append(preview_resume(self.snapshot.report))
        return self._preview[0]

    def __repr__(self) -> str:
        return f"ConversationView({str(self.path)!r}, {len(self.rows)} messages)"

    @property
    def message_count(self) -> int:
        return len(self.rows)

    def first_item_of(self, message_index: int) -> int:
        """Position in :attr:`items` of the first item that belongs to ``message_index``."""
        if message_index <= 0:
            return 0
        return bisect.bisect_left(self.anchors, message_index)

    def findings_for_call(self, row: CallRow) -> list[Finding]:
        """Findings that name this call's id (for the detail pane)."""
        tool_id = row.call.tool_id
        if not tool_id:
            return []
        return [f for f in self.snapshot.report.findings if tool_id in f.ids]


class ConversationModel:
    """One transcript followed live, with the short texts its labels need."""

    def __init__(self, path: Path, *, is_subagent: bool = False) -> None:
        self.path = path
        self.is_subagent = is_subagent
        self.live = LiveSession(path)
        self.texts: dict[tuple[int, int], str] = {}
        """(line, index) of a block → its one-line summary or preview."""
        self._lock = threading.Lock()
        self._view: ConversationView | None = None
        """The last view built: the next one reuses its unchanged rows."""
        self.read_whole = False
        """The last refresh read the file from its start (the first read, or a restart)."""
        self._loose: list[Path] = []
        """The subagent files beside the session that the last view shows unlinked."""
        self._running = False
        """The last view was of a session being written (calls of its batch running)."""

    def refresh(
        self,
        keep_from: int | None = None,
        *,
        force: bool = False,
        rescan: bool = False,
        window: int = WINDOW,
        running: bool = False,
    ) -> ConversationView | None:
        """Read what was appended and arrange it (in a worker thread). None: no change.

        ``running``: the client is writing the session (its process is alive): the calls
        of the batch it is writing are running, not missing results (see
        :func:`~inspector.rules.running.hold_running`). A change of it is a change.

        With ``force`` the view is rebuilt even when the file did not grow (a subagent
        file appeared beside it); with ``rescan``, when the subagent files beside it
        are not those of the last view (a poll: a watch event can be missed). The
        texts of messages from ``keep_from`` (or the last ``window`` messages) to the
        end are read into :attr:`texts`. Raises OSError when the file is unreadable.
        """
        with self._lock:
            snapshot = self.live.refresh()
            loose = None
            force = force or running != self._running
            if snapshot is None:
                current = self.live.snapshot
                if current is None or not (force or rescan):
                    return None
                loose = self._loose_subagents(current)
                if not force and loose == self._loose:
                    return None
                snapshot = replace(current, restarted=False, lines_read=0)
            if snapshot.restarted:
                self.texts.clear()
            if loose is None:
                loose = self._loose_subagents(snapshot)
            self._loose = loose
            self.read_whole = snapshot.restarted or self._view is None
            previous = None if self.read_whole else self._view
            self._running = running
            if running:
                snapshot = replace(snapshot, report=hold_running(snapshot.report))
            view = self._view = build_view(self.path, snapshot, loose, previous)
            count = view.message_count
            first = max(0, count - window)
            if keep_from is not None and not snapshot.restarted:
                first = min(first, keep_from)
            self._read_texts(view, view.rows[first:])
            return view

    def read_texts(self, view: ConversationView, start: int, end: int) -> None:
        """Read the texts of messages ``start``..``end`` (before putting them in the tree)."""
        with self._lock:
            self._read_texts(view, view.rows[start:end])

    def text(self, block: Block) -> str | None:
        return self.texts.get((block.origin.line, block.index))

    def preview(self, message: Message) -> str | None:
        """The message's first text, if it has one and it was read."""
        first = first_text_block(message)
        return self.text(first) if first is not None else None

    def _loose_subagents(self, snapshot: Snapshot) -> list[Path]:
        if self.is_subagent:
            return []
        conversation = snapshot.conversation
        linked = {link.path for link in conversation.subagents if link.path is not None}
        try:
            files = list(iter_subagent_files(self.path, conversation.session_id))
        except OSError:
            return []
        return [path for path in files if path not in linked]

    def _read_texts(self, view: ConversationView, rows: Iterable[MessageRow]) -> None:
        conversation = view.snapshot.conversation
        cache: dict[int, dict[str, Any]] = {}
        texts = self.texts
        for row in rows:
            blocks = [block for block in row.message.blocks if block.type == TOOL_USE]
            first = first_text_block(row.message)
            if first is not None:
                blocks.append(first)
            for block in blocks:
                key = (block.origin.line, block.index)
                if key in texts:
                    continue
                if len(cache) > 8:
                    cache.clear()
                texts[key] = _block_text(conversation, block, cache)


def _block_text(conversation: Conversation, block: Block, cache: dict[int, Any]) -> str:
    """A tool call's input summary, or a text block's first words (re-read from disk)."""
    try:
        payload = block_payload(conversation, block, cache)
    except (OSError, ValueError, LookupError, TypeError, AttributeError):
        return "(could not re-read this line)"
    if block.type == TOOL_USE:
        tool_input = payload.get("input") if isinstance(payload, dict) else None
        return tool_input_summary(block.name, tool_input)
    if isinstance(payload, dict):
        payload = payload.get("text", "")
    return one_line(payload if isinstance(payload, str) else "", PREVIEW_LIMIT)


def first_text_block(message: Message) -> Block | None:
    return next((block for block in message.blocks if block.type == TEXT), None)


def build_view(
    path: Path,
    snapshot: Snapshot,
    loose_subagents: list[Path],
    previous: ConversationView | None = None,
) -> ConversationView:
    """Arrange a snapshot for the views (pure: no disk access).

    ``previous``: the view of an earlier snapshot of the same session; its rows are
    reused where the message, its calls and its findings are the very same objects
    (a live session re-validated after an append shares most of them).
    """
    return _ViewBuilder(path, snapshot, loose_subagents, previous).run()


class _ViewBuilder:
    def __init__(
        self,
        path: Path,
        snapshot: Snapshot,
        loose: list[Path],
        previous: ConversationView | None = None,
    ) -> None:
        self.path = path
        self.snapshot = snapshot
        self.conversation = snapshot.conversation
        self.report = snapshot.report
        self.loose = loose
        self.previous = previous
        self.calls: dict[CallKey, CallRow] = {}
        self.call_rows: list[CallRow | None] = []
        self.calls_by_message: dict[int, list[CallRow]] = {}
        self._calls_by_id: dict[str, list[CallRow]] | None = None
        self._first_lines: list[tuple[int, int]] | None = None

    def run(self) -> ConversationView:
        kept_calls = self._arrange_calls()
        messages = self.conversation.messages
        problems = [self._problem(f) for f in self.report.findings if _is_problem(f)]
        message_findings: dict[int, list[Finding]] = {}
        for problem in problems:
            if (
                problem.call_key is None
                and problem.message_index is not None
                and problem.item_key is not None
                and problem.item_key[0] == "m"
            ):
                message_findings.setdefault(problem.message_index, []).append(problem.finding)
        kept = self._unchanged_rows(kept_calls, message_findings)
        self._group_calls(kept)
        previous_rows = self.previous.rows if self.previous is not None else []
        rows = previous_rows[:kept]
        rows.extend(
            self._message_row(index, messages[index], message_findings.get(index, []))
            for index in range(kept, len(messages))
        )
        last = len(messages) - 1
        extras: list[Item] = [*self._api_error_rows(), *self._branch_rows()]
        extras.extend(LooseSubagentRow(("s", str(p)), p, max(last, 0)) for p in self.loose)
        items: list[Item] = [*rows, *extras]
        if extras:
            items.sort(key=_item_order)
        return ConversationView(
            self.path,
            self.snapshot,
            items,
            [item.anchor for item in items],
            rows,
            self.calls,
            problems,
            {item.key: item for item in items},
            self.call_rows,
            message_findings,
        )

    def _arrange_calls(self) -> int:
        """A row for every call; return how many leading calls are the previous view's
        (the same objects, with the same subagent links): their rows are taken as they are."""
        calls = self.report.calls
        previous = self.previous
        kept = 0
        if previous is not None and previous.snapshot.conversation.subagents == (
            self.conversation.subagents
        ):
            old_calls = previous.snapshot.report.calls
            limit = min(len(old_calls), len(calls))
            while kept < limit and calls[kept] is old_calls[kept]:
                kept += 1
            self.calls = dict(previous.calls)
            for row in previous.call_rows[kept:]:
                if row is not None:
                    self.calls.pop(row.key, None)
            self.call_rows = previous.call_rows[:kept]
        old_rows = previous.calls if previous is not None else {}
        links = {link.tool_use_id: link for link in self.conversation.subagents}
        for call in calls[kept:]:
            row = self._call_row(call, links, old_rows)
            self.call_rows.append(row)
            if row is not None:
                self.calls[row.key] = row
        return kept

    def _call_row(
        self, call: ToolCall, links: dict[str, SubagentLink], old_rows: dict[CallKey, CallRow]
    ) -> CallRow | None:
        if call.use is not None and call.use_message is not None:
            key: CallKey = ("u", call.use.origin.line, call.use.index)
            message_index = call.use_message
        elif call.result is not None and call.result_message is not None:
            key = ("r", call.result.origin.line, call.result.index)
            message_index = call.result_message
        else:
            return None
        link = links.get(call.tool_id or "") if call.use is not None else None
        agent = (
            (link.path, link.agent_type, link.description, link.agent_id)
            if link
            else (None, None, None, None)
        )
        row = old_rows.get(key)
        if (
            row is not None
            and row.call is call
            and row.message_index == message_index
            and (row.subagent_path, row.agent_type, row.description, row.agent_id) == agent
        ):
            return row
        return CallRow(key, call, message_index, *agent)

    def _unchanged_rows(self, kept_calls: int, message_findings: dict[int, list[Finding]]) -> int:
        """How many leading message rows of the previous view stay as they are: same
        message objects, no call or message finding of theirs changed."""
        previous = self.previous
        if previous is None:
            return 0
        messages, old_messages = self.conversation.messages, previous.snapshot.conversation.messages
        kept = min(len(messages), len(old_messages), len(previous.rows))
        for index in range(kept):
            if messages[index] is not old_messages[index]:
                kept = index
                break
        for row in (*previous.call_rows[kept_calls:], *self.call_rows[kept_calls:]):
            if row is not None:
                kept = min(kept, row.message_index)
        old_findings = previous.message_findings
        for index in {*old_findings, *message_findings}:
            if index < kept and not _same(
                old_findings.get(index, ()), message_findings.get(index, ())
            ):
                kept = index
        return kept

    def _group_calls(self, from_message: int) -> None:
        """Calls by message, for the messages from ``from_message`` on."""
        groups = self.calls_by_message
        for row in self.call_rows:
            if row is not None and row.message_index >= from_message:
                groups.setdefault(row.message_index, []).append(row)
        for group in groups.values():
            group.sort(key=lambda row: (row.key[1], row.key[2]))

    def _message_row(self, index: int, message: Message, findings: list[Finding]) -> MessageRow:
        calls = tuple(self.calls_by_message.get(index, ()))
        previous_rows = self.previous.rows if self.previous is not None else []
        if index < len(previous_rows):
            row = previous_rows[index]
            if row.message is message and _same(row.calls, calls) and _same(row.findings, findings):
                return row
        worst = max((row.status for row in calls), key=PROBLEM_RANK.__getitem__) if calls else None
        severity = _worst_severity(f.severity for f in findings) if findings else None
        key = _message_key(message, index)
        return MessageRow(key, index, message, calls, tuple(findings), worst, severity, index)

    def _api_error_rows(self) -> list[ApiErrorRow]:
        by_line = {f.line: f for f in self.report.findings if f.rule is Rule.APIERROR}
        return [
            ApiErrorRow(
                ("e", record.origin.line),
                record,
                by_line.get(record.origin.line),
                record.messages_before - 1,
            )
            for record in self.conversation.api_errors
        ]

    def _branch_rows(self) -> list[BranchRow]:
        if not self.conversation.abandoned:
            return []
        by_uuid: dict[str, int] = {}
        for index, message in enumerate(self.conversation.messages):
            for origin in message.origins:
                if origin.uuid:
                    by_uuid[origin.uuid] = index
        rows: list[BranchRow] = []
        for branch in self.conversation.abandoned:
            if not branch.origins:
                continue
            after = by_uuid.get(branch.fork_uuid) if branch.fork_uuid else None
            anchor = after if after is not None else self._message_at_line(branch.origins[0].line)
            rows.append(BranchRow(("b", branch.origins[0].line), branch, after, anchor))
        return rows

    def _message_at_line(self, line: int) -> int:
        """The last message that starts at or before ``line`` (-1: none)."""
        if self._first_lines is None:
            self._first_lines = sorted(
                (message.origins[0].line, index)
                for index, message in enumerate(self.conversation.messages)
                if message.origins
            )
        position = bisect.bisect_right(self._first_lines, (line, len(self._first_lines)))
        return self._first_lines[position - 1][1] if position else -1

    def _problem(self, finding: Finding) -> Problem:
        messages = self.conversation.messages
        if finding.rule is Rule.APIERROR and finding.line is not None:
            record = next(
                (r for r in self.conversation.api_errors if r.origin.line == finding.line), None
            )
            if record is not None:
                return Problem(
                    finding, max(record.messages_before - 1, 0), ("e", finding.line), None
                )
        row = self._call_for(finding)
        if row is not None:
            message = messages[row.message_index]
            return Problem(
                finding, row.message_index, _message_key(message, row.message_index), row.key
            )
        index = finding.message_index
        if (index is None or index >= len(messages)) and finding.line is not None:
            index = self._message_at_line(finding.line)
        if index is None or not 0 <= index < len(messages):
            return Problem(finding, None, None, None)
        return Problem(finding, index, _message_key(messages[index], index), None)

    def _call_for(self, finding: Finding) -> CallRow | None:
        calls_by_id = self._calls_by_id
        if calls_by_id is None:  # only problems need it: built when the first one asks
            calls_by_id = self._calls_by_id = {}
            for row in self.calls.values():
                if row.call.tool_id:
                    calls_by_id.setdefault(row.call.tool_id, []).append(row)
        candidates = [row for tool_id in finding.ids for row in calls_by_id.get(tool_id, ())]
        if not candidates:
            return None
        for row in candidates:
            call = row.call
            if finding.line is not None and (
                (call.use is not None and call.use.origin.line == finding.line)
                or (call.result is not None and call.result.origin.line == finding.line)
            ):
                return row
        return candidates[0]


def _same(kept: Sequence[object], new: Sequence[object]) -> bool:
    """The same objects in the same order."""
    return len(kept) == len(new) and all(a is b for a, b in zip(kept, new, strict=True))


def _message_key(message: Message, index: int) -> ItemKey:
    return ("m", message.origins[0].line if message.origins else -index - 1)


def _is_problem(finding: Finding) -> bool:
    return finding.severity is Severity.ERROR or finding.severity is Severity.WARNING


_SEVERITY_RANK: dict[Severity, int] = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}


def _worst_severity(severities: Iterable[Severity]) -> Severity | None:
    return max(severities, key=_SEVERITY_RANK.__getitem__, default=None)


def _item_order(item: Item) -> tuple[int, int, int]:
    if isinstance(item, MessageRow):
        return (item.anchor, 0, 0)
    if isinstance(item, ApiErrorRow):
        return (item.anchor, 1, item.record.origin.line)
    if isinstance(item, BranchRow):
        return (item.anchor, 2, item.branch.origins[0].line)
    return (item.anchor, 3, 0)

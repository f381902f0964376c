"""Claude Code transcript lines → entries: what reconstruction needs of each line.

:class:`TranscriptEntries` takes parsed lines in file order (a live view feeds it only
new lines) and keeps the indexes the projection (:mod:`.projection`) reads: entries by
uuid (a later line with the same uuid supersedes the earlier), the candidates for a
leaf, legacy ``progress`` entries to bridge, the lines it could not read, and what
links a Task/Agent call to its subagent (:mod:`.subagents`).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from inspector.core.anthropic_blocks import anthropic_block, str_or_none, text_block
from inspector.core.jsonl import BadLine, ParsedLine
from inspector.core.model import (
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    Block,
    IssueKind,
    MadeUpResult,
    Origin,
    TranscriptIssue,
)

FORMAT = "claude-code"
"""The agent's name: what ``--format`` takes and a conversation's ``format``."""

USER = "user"
ASSISTANT = "assistant"
SYSTEM = "system"
ATTACHMENT = "attachment"
PROGRESS = "progress"
CHAIN_KINDS = frozenset({USER, ASSISTANT, SYSTEM, ATTACHMENT, PROGRESS})
"""Entry types that take part in the ``parentUuid`` chain."""
_CANONICAL = {kind: kind for kind in CHAIN_KINDS}
"""Each kind as one shared string (a parsed line brings its own copy)."""
KNOWN_METADATA_KINDS = frozenset(
    {
        "summary",
        "custom-title",
        "ai-title",
        "last-prompt",
        "tag",
        "permission-mode",
        "pr-link",
        "file-history-snapshot",
        "queue-operation",
        "content-replacement",
        "api-request",
        "api-request-blob",
        "api-request-shape",
        "tools-used",
        "atis-latch",
        "cost-state",
        "mode",
    }
)
AGENT_TOOLS = frozenset({"Task", "Agent"})
COMPACT_BOUNDARY = "compact_boundary"
REQUEST_BLOB = "api-request-blob"
"""A message as Claude Code sent it, stored when the conversation lines do not make it."""
MISSING_RESULT = "[Tool result missing due to internal error]"
"""The result Claude Code 2.1.332 sends for a call whose result is missing."""
AT_SEND = "when it sent a request"
AT_RESUME = "when it resumed the session"
LOCAL_COMMAND = "local_command"


@dataclass(slots=True, eq=False)
class Entry(Origin):
    """One chain entry: a transcript line reduced to what reconstruction needs."""

    kind: str
    parent: str | None
    sidechain: bool
    message_id: str | None = None
    subtype: str | None = None
    model: str | None = None
    stop_reason: str | None = None
    string_content: bool = False
    api_error: bool = False
    blocks: list[Block] = field(default_factory=list)

    @property
    def is_message(self) -> bool:
        return self.kind == USER or self.kind == ASSISTANT

    def has_results(self) -> bool:
        return any(block.type == TOOL_RESULT for block in self.blocks)


class TranscriptEntries:
    """The entries of one Claude Code transcript file, fed line by line, and the indexes
    the projection reads."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        """Forget every line (also: the file was truncated or replaced)."""
        self.entries: list[Entry] = []
        """Every entry read, in file order (superseded ones too)."""
        self.by_uuid: dict[str, Entry] = {}
        """uuid → its entry: the last line with that uuid, as Claude Code keeps it."""
        self.superseded: set[Entry] = set()
        """Entries whose uuid a later line has: Claude Code keeps one entry per uuid."""
        self.main_entries: list[Entry] = []
        """Entries of the main conversation that can be a leaf (no sidechain, no progress)."""
        self.side_entries: list[Entry] = []
        """The same for sidechain entries (a subagent file holds only these)."""
        self.progress: dict[str, Entry] = {}
        """Legacy ``progress`` entries by uuid: bridged over by the parent walk."""
        self.agent_calls: list[Block] = []
        """Task/Agent tool_use blocks of the main conversation, in file order."""
        self.has_messages = False
        self.has_main_line = False
        """Any entry of the main conversation (else: a subagent's file, all sidechain)."""
        self.session_id: str | None = None
        self.bad_lines: list[BadLine] = []
        self.line_count = 0
        self.object_lines = 0
        self.recognised_lines = 0
        """Lines that look like Claude Code's (chain entries or known metadata)."""
        self.thinking_blocks = False
        """Some assistant turn holds a thinking block (thinking was on for it)."""
        self.thinking_setting: bool | None = None
        """Thinking on or off as the last prompt recorded it (``thinkingMetadata``)."""
        self.written_by: str | None = None
        """The Claude Code version on the last line that names one (``version``)."""
        self.agent_ids: dict[str, str] = {}
        """tool_use id of a Task/Agent call → agentId named by its result line."""
        self.agent_prompts: dict[str, str] = {}
        """tool_use id of a Task/Agent call → its prompt (links ≤ 1.0.x inline sidechains)."""
        self.sidechain_prompts: dict[str, str] = {}
        """uuid of an inline sidechain's first entry → its prompt text."""
        self.api_error_texts: dict[int, str] = {}
        """line number → text of a stored API error."""
        self.made_up: list[MadeUpResult] = []
        """Results Claude Code says it made up (2.1.332 records them), in file order."""

    def feed(self, lines: Iterable[ParsedLine | BadLine]) -> None:
        """Take parsed lines in file order."""
        add = self._add
        objects = 0
        last: ParsedLine | BadLine | None = None
        try:
            for last in lines:
                if type(last) is ParsedLine:
                    objects += 1
                    add(last)
                else:
                    self.bad_lines.append(last)  # type: ignore[arg-type]
        finally:  # counted once, not per line: this loop runs 50k times on 100 MB
            self.object_lines += objects
            if last is not None:
                self.line_count = last.number

    def _add(self, line: ParsedLine) -> None:
        # The hot path of reading: written for speed (50k lines per 100 MB).
        value = line.value
        raw_kind = value.get("type")
        # one look-up both recognises a chain kind and gives its shared string
        kind = _CANONICAL.get(raw_kind) if type(raw_kind) is str else None
        if kind is None:
            if raw_kind == REQUEST_BLOB:
                self._note_sent_placeholders(line.number, value)
            known = type(raw_kind) is str and raw_kind in KNOWN_METADATA_KINDS
            if known or "sessionId" in value or "leafUuid" in value:
                self.recognised_lines += 1
            return
        uuid = value.get("uuid")
        if type(uuid) is not str:
            return
        self.recognised_lines += 1
        version = value.get("version")
        if type(version) is str:
            self.written_by = version
        if self.session_id is None:
            session_id = value.get("sessionId")
            if type(session_id) is str:
                self.session_id = session_id
        parent = value.get("parentUuid")
        if type(parent) is str:
            # Share the parent's own uuid string: one copy of each id in memory.
            known_parent = self.by_uuid.get(parent)
            parent = known_parent.uuid if known_parent is not None else parent
        else:
            parent = None
        timestamp = value.get("timestamp")
        sidechain = value.get("isSidechain") is True
        entry = Entry(
            line.number,
            line.offset,
            line.length,
            uuid,
            timestamp if type(timestamp) is str else None,
            kind,
            parent,
            sidechain,
        )
        if kind in (USER, ASSISTANT):
            message = value.get("message")
            if type(message) is dict:
                self._read_message(entry, value, message)
        elif kind == SYSTEM:
            entry.subtype = str_or_none(value.get("subtype"))
            if entry.subtype == LOCAL_COMMAND:
                content = value.get("content")
                entry.blocks.append(text_block(entry, -1, content))
                entry.string_content = True
        self.index(entry)

    def index(self, entry: Entry) -> None:
        """Add an entry (read from the next line) to the indexes the projection uses."""
        self.entries.append(entry)
        uuid = entry.uuid or ""
        earlier = self.by_uuid.get(uuid)
        self.by_uuid[uuid] = entry
        if earlier is not None:
            self._supersede(earlier)
        if entry.kind == PROGRESS:
            self.progress[uuid] = entry
        elif entry.sidechain:
            self.side_entries.append(entry)
        else:
            self.main_entries.append(entry)
        if not entry.sidechain:
            self.has_main_line = True
        if entry.kind == USER or entry.kind == ASSISTANT:
            self.has_messages = True

    def _supersede(self, earlier: Entry) -> None:
        """A later line has ``earlier``'s uuid. Measured against Claude Code: it keeps one
        entry per uuid, the later line's (a line written twice is sent once)."""
        self.superseded.add(earlier)
        if earlier.kind == PROGRESS and self.progress.get(earlier.uuid or "") is earlier:
            del self.progress[earlier.uuid or ""]

    def candidates(self) -> list[Entry]:
        """The entries that can be a leaf or a sibling: the main conversation's (a
        subagent's file: its sidechain), without superseded ones."""
        entries = self.main_entries if self.has_main_line else self.side_entries
        if self.superseded:
            return [entry for entry in entries if entry not in self.superseded]
        return entries

    @property
    def thinking_enabled(self) -> bool:
        """Whether the next request has thinking on: as the last prompt recorded it, else
        as the thinking blocks show (Claude Code before ``thinkingMetadata``)."""
        if self.thinking_setting is not None:
            return self.thinking_setting
        return self.thinking_blocks

    def bad_line_issues(self) -> list[TranscriptIssue]:
        """A BADLINE issue for every line that could not be read."""
        return [
            TranscriptIssue(IssueKind.BADLINE, bad.number, f"line {bad.number}: {bad.reason}")
            for bad in self.bad_lines
        ]

    def _read_message(self, entry: Entry, value: dict[str, Any], message: dict[str, Any]) -> None:
        message_id = message.get("id")
        if type(message_id) is str:
            entry.message_id = message_id
        if entry.kind == ASSISTANT:
            model = message.get("model")
            stop_reason = message.get("stop_reason")
            # A handful of distinct values over thousands of lines: keep one copy of each.
            entry.model = sys.intern(model) if type(model) is str else None
            entry.stop_reason = sys.intern(stop_reason) if type(stop_reason) is str else None
            entry.api_error = value.get("isApiErrorMessage") is True
        content = message.get("content")
        if type(content) is list:
            blocks = entry.blocks
            for index, raw in enumerate(content):
                if type(raw) is dict:
                    block = anthropic_block(entry, index, raw)
                    blocks.append(block)
                    if block.name in AGENT_TOOLS or block.type in THINKING_TYPES:
                        self._note_block(entry, block, raw)
        elif isinstance(content, str):
            entry.blocks.append(text_block(entry, -1, content))
            entry.string_content = True
        if entry.api_error:
            self.api_error_texts[entry.line] = _api_error_text(value, content)
        if entry.kind == USER:
            self._note_links(entry, value, content)
            metadata = value.get("thinkingMetadata")
            if type(metadata) is dict:
                self.thinking_setting = _thinking_on(metadata)

    def _note_block(self, entry: Entry, block: Block, raw: dict[str, Any]) -> None:
        if block.type in THINKING_TYPES:
            self.thinking_blocks = True
        elif block.name in AGENT_TOOLS and block.tool_id and not entry.sidechain:
            if entry.kind == ASSISTANT and block.type == TOOL_USE:
                self.agent_calls.append(block)
            tool_input = raw.get("input")
            if isinstance(tool_input, dict) and isinstance(tool_input.get("prompt"), str):
                self.agent_prompts[block.tool_id] = tool_input["prompt"]

    def _note_sent_placeholders(self, number: int, value: dict[str, Any]) -> None:
        """A message Claude Code stored because it sent it changed: a result it made up."""
        message = value.get("message")
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else ():
            if (
                isinstance(block, dict)
                and block.get("type") == TOOL_RESULT
                and block.get("content") == MISSING_RESULT
                and isinstance(block.get("tool_use_id"), str)
            ):
                self.made_up.append(
                    MadeUpResult(number, block["tool_use_id"], MISSING_RESULT, AT_SEND)
                )

    def _note_links(self, entry: Entry, value: dict[str, Any], content: Any) -> None:
        if value.get("toolDenialKind") == "interrupted":
            for block in entry.blocks:
                if block.type == TOOL_RESULT and block.tool_id:
                    text = value.get("toolUseResult")
                    said = text if isinstance(text, str) else "a placeholder"
                    self.made_up.append(MadeUpResult(entry.line, block.tool_id, said, AT_RESUME))
        tool_result = value.get("toolUseResult")
        if type(tool_result) is dict:
            agent_id = tool_result.get("agentId")
            if isinstance(agent_id, str):
                for block in entry.blocks:
                    if block.type == TOOL_RESULT and block.tool_id:
                        self.agent_ids[block.tool_id] = agent_id
        if entry.sidechain and entry.parent is None and entry.uuid:
            self.sidechain_prompts[entry.uuid] = _first_text(content)

    def continue_after(self, lines_before: int) -> None:
        """Forget every line, and go on as the same file after its first ``lines_before``
        lines: what those lines said of the whole session (its id, who wrote it, whether
        thinking is on, that it is a transcript) stays."""
        session_id, written_by = self.session_id, self.written_by
        thinking_blocks, thinking_setting = self.thinking_blocks, self.thinking_setting
        object_lines, recognised_lines = self.object_lines, self.recognised_lines
        self.reset()
        self.line_count = lines_before
        self.session_id, self.written_by = session_id, written_by
        self.thinking_blocks, self.thinking_setting = thinking_blocks, thinking_setting
        self.object_lines, self.recognised_lines = object_lines, recognised_lines

    def absorb(self, later: TranscriptEntries) -> None:
        """Append what ``later`` read from the rest of the same file (its line numbers
        already counted from the start of the file), as if fed here in one go."""
        self.entries.extend(later.entries)
        # The later line with a uuid supersedes the earlier, as in index().
        for uuid in later.by_uuid.keys() & self.by_uuid.keys():
            self._supersede(self.by_uuid[uuid])
        self.by_uuid.update(later.by_uuid)
        self.superseded |= later.superseded
        self.main_entries.extend(later.main_entries)
        self.side_entries.extend(later.side_entries)
        self.progress.update(later.progress)
        self.agent_calls.extend(later.agent_calls)
        self.has_messages = self.has_messages or later.has_messages
        self.has_main_line = self.has_main_line or later.has_main_line
        self.session_id = self.session_id if self.session_id is not None else later.session_id
        self.bad_lines.extend(later.bad_lines)
        self.line_count = max(self.line_count, later.line_count)
        self.object_lines += later.object_lines
        self.recognised_lines += later.recognised_lines
        self.thinking_blocks = self.thinking_blocks or later.thinking_blocks
        if later.thinking_setting is not None:
            self.thinking_setting = later.thinking_setting
        if later.written_by is not None:
            self.written_by = later.written_by
        self.agent_ids.update(later.agent_ids)
        self.agent_prompts.update(later.agent_prompts)
        self.sidechain_prompts.update(later.sidechain_prompts)
        self.api_error_texts.update(later.api_error_texts)
        self.made_up.extend(later.made_up)


def _api_error_text(value: dict[str, Any], content: Any) -> str:
    """The stored error's text, with the API's own words when Claude Code kept them
    (2.1.332 shortens them, e.g. "API Error: 400 orphaned tool_result in conversation
    history", and keeps the API's answer in ``errorDetails``)."""
    text = _first_text(content)
    details = value.get("errorDetails")
    if not isinstance(details, str):
        return text
    body = details.partition(" ")[2]  # "400 {…}"
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return text
    error = answer.get("error") if isinstance(answer, dict) else None
    message = error.get("message") if isinstance(error, dict) else None
    return f"{text} (the API said: {message})" if isinstance(message, str) else text


def _first_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                return str(block["text"])
    return ""


def _thinking_on(metadata: dict[str, Any]) -> bool:
    """A prompt's ``thinkingMetadata``: ``{"maxThinkingTokens": N}`` (≤ 2.1.3x) or
    ``{"level", "disabled", "triggers"}`` (later releases)."""
    if metadata.get("disabled") is True or metadata.get("level") == "none":
        return False
    budget = metadata.get("maxThinkingTokens")
    return not (type(budget) is int and budget <= 0)

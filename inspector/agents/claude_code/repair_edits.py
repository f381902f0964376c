"""The line-level edits of a repair: each changes one :class:`EntryLine` of the session
(rename an id, quote a result as text, reorder blocks) or builds a line to add (a
synthetic result, timed and placed where Claude Code keeps it in order)."""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta
from typing import Any

from inspector.agents.claude_code.entries import CHAIN_KINDS, COMPACT_BOUNDARY, LOCAL_COMMAND
from inspector.agents.claude_code.lines import EntryLine
from inspector.core.fields import str_field
from inspector.core.model import THINKING_TYPES, TOOL_RESULT, TOOL_USE, Block, Conversation
from inspector.core.timestamps import parse_timestamp
from inspector.rewrite.fixes import LATE_RESULT, LOST_RESULT, result_as_text, tool_uses_last


def _content(item: EntryLine) -> list[Any] | None:
    current = item.current
    message = current.get("message") if current else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else None


def _editable_content(item: EntryLine) -> list[Any]:
    content = item.editable()["message"]["content"]
    assert isinstance(content, list)
    return content


def _block(item: EntryLine, index: int) -> dict[str, Any] | None:
    """The line's block ``index`` when it has one and it is an object."""
    content = _content(item)
    if content is None or not 0 <= index < len(content):
        return None
    block = content[index]
    return block if isinstance(block, dict) else None


def block_id_at(item: EntryLine, index: int) -> str | None:
    block = _block(item, index)
    value = (block.get("tool_use_id") or block.get("id")) if block is not None else None
    return value if isinstance(value, str) else None


def text_after(item: EntryLine, index: int) -> bool:
    """Whether the line has a non-thinking, non-tool block after its block ``index``."""
    content = _content(item)
    if content is None:
        return False
    return any(
        isinstance(block, dict)
        and block.get("type") not in (TOOL_USE, "server_tool_use", *THINKING_TYPES)
        for block in content[index + 1 :]
    )


def text_first(item: EntryLine) -> bool:
    """Move the line's tool_use blocks after its other blocks (no thinking block moves)."""
    content = _content(item)
    reordered = tool_uses_last(content) if content is not None else None
    if reordered is None:
        return False
    _editable_content(item)[:] = reordered
    return True


def results_first(item: EntryLine) -> bool:
    content = _content(item)
    if content is None:
        return False

    def is_result(block: Any) -> bool:
        return isinstance(block, dict) and block.get("type") == TOOL_RESULT

    reordered = [b for b in content if is_result(b)] + [b for b in content if not is_result(b)]
    if reordered == content:
        return False
    _editable_content(item)[:] = reordered
    return True


def rename_block(item: EntryLine, index: int, new_id: str) -> bool:
    if _block(item, index) is None:
        return False
    block = _editable_content(item)[index]
    key = "id" if block.get("type") == TOOL_USE else "tool_use_id"
    block[key] = new_id
    return True


def result_to_text(item: EntryLine, index: int, cause: str) -> bool:
    block = _block(item, index)
    if block is None or block.get("type") != TOOL_RESULT:
        return False
    _editable_content(item)[index : index + 1] = result_as_text(block, cause)
    return True


def insert_position(
    items: list[EntryLine], conversation: Conversation, message_index: int, use: Block
) -> int:
    """Where a synthetic result for ``use`` goes: after its line and the batch's lines, before
    the first result of a later call of the batch or the next turn."""
    start = use.origin.line - 1
    current = items[start].current or {}
    message = current.get("message")
    message_id = message.get("id") if isinstance(message, dict) else None
    uses = conversation.messages[message_index].tool_uses()
    rank = {block.tool_id: order for order, block in enumerate(uses) if block.tool_id}
    mine = next((order for order, block in enumerate(uses) if block is use), 0)
    position = start + 1
    while position < len(items):
        value = items[position].current
        position += 1
        if value is None or value.get("isSidechain") is True:
            continue
        kind = str_field(value, "type")
        line_message = value.get("message")
        if kind == "assistant" and isinstance(line_message, dict):
            if message_id is not None and line_message.get("id") == message_id:
                continue
            return position - 1
        if kind == "user":
            ids = _result_ids(value)
            if ids and all(tool_id in rank for tool_id in ids):
                if any(rank[tool_id] > mine for tool_id in ids):
                    return position - 1
                continue
            return position - 1
        if kind == "system" and str_field(value, "subtype") in (COMPACT_BOUNDARY, LOCAL_COMMAND):
            return position - 1
        if kind in CHAIN_KINDS and kind not in ("attachment", "progress", "system"):
            return position - 1
    return len(items)


def _result_ids(value: dict[str, Any]) -> list[str]:
    message = value.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [
        str(block.get("tool_use_id"))
        for block in content
        if isinstance(block, dict) and block.get("type") == TOOL_RESULT
    ]


_CONTEXT_KEYS = ("userType", "entrypoint", "cwd", "sessionId", "version", "gitBranch", "slug")


def synthetic_result(item: EntryLine, use: Block, *, late: bool) -> EntryLine:
    """A user line answering ``use`` with an is_error result, shaped like Claude Code's."""
    source = item.current or {}
    text = LATE_RESULT if late else LOST_RESULT
    line: dict[str, Any] = {
        "parentUuid": source.get("uuid"),
        "isSidechain": source.get("isSidechain", False),
    }
    if "agentId" in source:
        line["agentId"] = source["agentId"]
    line["type"] = "user"
    line["message"] = {
        "role": "user",
        "content": [
            {"tool_use_id": use.tool_id, "type": TOOL_RESULT, "content": text, "is_error": True}
        ],
    }
    line["uuid"] = str(uuidlib.uuid4())
    if isinstance(source.get("timestamp"), str):
        line["timestamp"] = source["timestamp"]
    line["toolUseResult"] = f"Error: {text}"
    line["sourceToolAssistantUUID"] = source.get("uuid")
    for key in _CONTEXT_KEYS:
        if key in source:
            line[key] = source[key]
    return EntryLine(None, b"", None, replacement=line)


def _timestamp_at(items: list[EntryLine], positions: range) -> datetime | None:
    for position in positions:
        current = items[position].current
        moment = parse_timestamp(current.get("timestamp") if current else None)
        if moment is not None:
            return moment
    return None


def fit_timestamp(line: EntryLine, items: list[EntryLine], position: int) -> None:
    """Time an added line just after the line before it (not after the line that follows):
    Claude Code orders re-attached results by time, and this keeps them in file order."""
    before = _timestamp_at(items, range(position - 1, -1, -1))
    if before is None or line.replacement is None:
        return
    after = _timestamp_at(items, range(position, len(items)))
    try:
        stamp = before + timedelta(milliseconds=1)
    except OverflowError:  # the last representable moment
        stamp = before
    if after is not None and stamp > after:
        stamp = before
    text = stamp.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    line.replacement["timestamp"] = text

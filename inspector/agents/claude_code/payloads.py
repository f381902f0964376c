"""A projected Claude Code conversation's content as the file holds it, re-read from disk
by each block's byte range (the conversation keeps positions, not content)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.claude_code.entries import SYSTEM, Entry
from inspector.agents.claude_code.releases import ClaudeCodeBehaviour, behaviour_of
from inspector.core.jsonl import read_line
from inspector.core.model import (
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
)

LEGACY_AGENT_TOOL = "Task"
AGENT_TOOL = "Agent"


def block_payload(path: Path, block: Block, cache: dict[int, dict[str, Any]]) -> Any:
    """The block as it appears in the file: a content dict, or the string content (a result
    the client makes up: as the client sends it)."""
    if block.made_up is not None:
        return {
            "type": TOOL_RESULT,
            "content": block.made_up,
            "is_error": True,
            "tool_use_id": block.tool_id,
        }
    origin = block.origin
    value = cache.get(origin.line)
    if value is None:
        value = read_line(path, origin.offset, origin.length)
        cache[origin.line] = value
    if isinstance(origin, Entry) and origin.kind == SYSTEM:
        return value.get("content", "")
    content = value.get("message", {}).get("content")
    if block.index < 0:
        return content
    return content[block.index]


def message_payloads(conversation: Conversation) -> list[dict[str, Any]]:
    """The projected conversation as API message dicts, with content re-read from disk and
    changed where the client changes it when it sends (:func:`_as_sent`)."""
    cache: dict[int, dict[str, Any]] = {}
    payloads: list[dict[str, Any]] = []
    behaviour = behaviour_of(conversation.client)
    for message in conversation.messages:
        if message.string_content and len(message.blocks) == 1:
            content: Any = block_payload(conversation.path, message.blocks[0], cache)
        else:
            content = []
            for position, block in enumerate(message.blocks):
                raw = block_payload(conversation.path, block, cache)
                raw = {"type": TEXT, "text": raw} if isinstance(raw, str) else raw
                content.append(_as_sent(raw, message, position, behaviour))
        payloads.append({"role": message.role, "content": content})
    return payloads


def _as_sent(raw: Any, message: Message, position: int, behaviour: ClaudeCodeBehaviour) -> Any:
    """A block as the client sends it (checked on every real transcript, 2.1.197 and
    2.1.332): a legacy ``Task`` call goes out named ``Agent``; in a user message made of
    several lines, the last text of a line that another line's block follows ends with a
    newline (the client joins the lines' texts)."""
    if not isinstance(raw, dict):
        return raw
    kind = raw.get("type")
    if kind == TOOL_USE and raw.get("name") == LEGACY_AGENT_TOOL and behaviour.renames_task_tool:
        return raw | {"name": AGENT_TOOL}
    if kind == TEXT and message.role == USER_ROLE and isinstance(raw.get("text"), str):
        line = message.blocks[position].origin.line
        later = [block.origin.line for block in message.blocks[position + 1 :]]
        if later and line not in later and behaviour.joins_user_lines_with_newline:
            return raw | {"text": raw["text"] + "\n"}
    return raw

"""A projected Claude Code conversation's content as the file holds it, re-read from disk
by each block's byte range (the conversation keeps positions, not content)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.claude_code.entries import SYSTEM, Entry
from inspector.core.jsonl import read_line
from inspector.core.model import TEXT, Block, Conversation


def block_payload(path: Path, block: Block, cache: dict[int, dict[str, Any]]) -> Any:
    """The block as it appears in the file: a content dict, or the string content."""
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
    """The projected conversation as API message dicts, with content re-read from disk."""
    cache: dict[int, dict[str, Any]] = {}
    payloads: list[dict[str, Any]] = []
    for message in conversation.messages:
        if message.string_content and len(message.blocks) == 1:
            content: Any = block_payload(conversation.path, message.blocks[0], cache)
        else:
            content = []
            for block in message.blocks:
                raw = block_payload(conversation.path, block, cache)
                content.append({"type": TEXT, "text": raw} if block.index < 0 else raw)
        payloads.append({"role": message.role, "content": content})
    return payloads

"""Anthropic Messages API content blocks → model blocks, for every Anthropic-shaped format."""

from __future__ import annotations

import sys
from typing import Any

from inspector.core.model import SERVER_TOOL_USE, TEXT, TOOL_RESULT, TOOL_USE, Block, Origin


def anthropic_block(origin: Origin, index: int, raw: dict[str, Any]) -> Block:
    """One content block, reduced to what the rules need."""
    kind = raw.get("type")
    if type(kind) is not str:
        return Block("unknown", origin, index)
    # One shared copy of each type name: a big transcript has tens of thousands.
    kind = sys.intern(kind)
    if kind == TEXT:
        return text_block(origin, index, raw.get("text"))
    if kind in (TOOL_USE, SERVER_TOOL_USE):
        tool_id, name = raw.get("id"), raw.get("name")
        return Block(
            kind,
            origin,
            index,
            tool_id if type(tool_id) is str else None,  # str_or_none, without the call
            name if type(name) is str else None,
        )
    if kind == TOOL_RESULT or kind.endswith("_tool_result"):
        result_id = raw.get("tool_use_id")
        result_id = result_id if type(result_id) is str else None
        return Block(kind, origin, index, result_id, None, bool(raw.get("is_error")))
    return Block(kind, origin, index)


def anthropic_blocks(origin: Origin, content: Any) -> tuple[list[Block], bool]:
    """The blocks of a message's content, and whether the content was a plain string."""
    if isinstance(content, str):
        return [text_block(origin, -1, content)], True
    if isinstance(content, list):
        return [
            anthropic_block(origin, index, raw)
            for index, raw in enumerate(content)
            if isinstance(raw, dict)
        ], False
    return [], False


def text_block(origin: Origin, index: int, text: Any) -> Block:
    empty = not isinstance(text, str) or not text
    return Block(TEXT, origin, index, blank=empty or text.isspace(), empty=empty)


def str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None

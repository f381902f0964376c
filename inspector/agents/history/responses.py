"""OpenAI Responses API input items → messages, shared by every reader of them (Codex CLI
rollouts, one item per line; Responses request bodies, an ``input`` array).

A call (``function_call``, ``custom_tool_call``, ``local_shell_call``) is a ``tool_use``
block of an assistant message, its output (``function_call_output``,
``custom_tool_call_output``) a ``tool_result`` block of a user message, paired by
``call_id``. Other items (``reasoning``…) are not part of the pairing and are skipped.
"""

from __future__ import annotations

from typing import Any

from inspector.core.anthropic_blocks import str_or_none
from inspector.core.model import (
    ASSISTANT_ROLE,
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Message,
    Origin,
    part_type,
)

CALL_ITEMS = {"function_call": "name", "custom_tool_call": "name", "local_shell_call": None}
"""Call item types, and the key holding the tool's name (None: the type names it)."""
OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output"})
ITEM_TYPES = frozenset({*CALL_ITEMS, *OUTPUT_ITEMS, "message", "reasoning"})
"""The item types a Responses input list holds that matter here."""


def responses_item(origin: Origin, item: dict[str, Any]) -> Message | None:
    """The message one input item is sent as (None: no part of the pairing). A message
    item may leave out ``type`` (the easy input form ``{role, content}``)."""
    kind = item.get("type", "message" if "role" in item else None)
    if not isinstance(kind, str):
        return None
    if kind in CALL_ITEMS:
        name_key = CALL_ITEMS[kind]
        name = str_or_none(item.get(name_key)) if name_key else "local_shell"
        call = Block(TOOL_USE, origin, -1, str_or_none(item.get("call_id")), name)
        return Message(ASSISTANT_ROLE, [call], [origin])
    if kind in OUTPUT_ITEMS:
        answer = Block(TOOL_RESULT, origin, -1, str_or_none(item.get("call_id")))
        return Message(USER_ROLE, [answer], [origin])
    if kind == "message":
        role = ASSISTANT_ROLE if item.get("role") == ASSISTANT_ROLE else USER_ROLE
        parts = item.get("content")
        if isinstance(parts, str):
            return Message(role, [Block(TEXT, origin, -1)] if parts else [], [origin])
        blocks = [
            Block(part_type(part), origin, -1)
            for part in (parts if isinstance(parts, list) else [])
            if isinstance(part, dict)
        ]
        return Message(role, blocks, [origin])
    return None

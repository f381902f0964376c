"""Gemini ``contents`` (``[{role: "user" | "model", parts: [...]}]``) as neutral messages:
what Gemini CLI sessions and raw ``generateContent`` bodies share.

A ``functionCall`` part is a ``tool_use`` block, a ``functionResponse`` part a
``tool_result`` block (both keep the call's ``id`` and ``name``); a ``text`` part is text;
any other part (``inlineData``, ``fileData``, ``executableCode``…) is a block named after
its key. Each block's ``index`` is its position in the parts of the content it is sent in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.core.anthropic_blocks import str_or_none, text_block
from inspector.core.model import ASSISTANT_ROLE, TOOL_RESULT, TOOL_USE, USER_ROLE, Block, Origin

ROLES = {"user": USER_ROLE, "model": ASSISTANT_ROLE, "function": USER_ROLE}
"""Gemini's roles as the neutral ones (Vertex's older ``function`` role answers calls)."""
THOUGHT = "thought"


@dataclass(slots=True, eq=False)
class ContentOrigin(Origin):
    """Where a content came from: ``record`` is the stored record (a session message, or
    the content itself in a request body) and ``turn`` the content's place in what is sent."""

    record: int
    turn: int


def part_blocks(origin: Origin, parts: list[Any]) -> list[Block]:
    """The blocks of one content's parts (a thought part is a block of its own kind)."""
    blocks: list[Block] = []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            blocks.append(Block("unknown", origin, index))
            continue
        call = part.get("functionCall")
        response = part.get("functionResponse")
        if isinstance(call, dict):
            name = str_or_none(call.get("name"))
            blocks.append(Block(TOOL_USE, origin, index, str_or_none(call.get("id")), name))
        elif isinstance(response, dict):
            body = response.get("response")
            failed = isinstance(body, dict) and "error" in body and "output" not in body
            tool_id = str_or_none(response.get("id"))
            name = str_or_none(response.get("name"))
            blocks.append(Block(TOOL_RESULT, origin, index, tool_id, name, is_error=failed))
        elif part.get("thought") is True:
            blocks.append(Block(THOUGHT, origin, index))
        elif "text" in part:
            blocks.append(text_block(origin, index, part.get("text")))
        else:
            blocks.append(Block(next(iter(part), "unknown"), origin, index))
    return blocks

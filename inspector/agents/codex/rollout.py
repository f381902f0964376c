"""Codex CLI rollouts ``rollout-<time>-<uuid>.jsonl``: lines ``{timestamp, type, payload}``;
``response_item`` payloads are the Responses API input items. A ``compacted`` line
replaces the history before it.

A call (``function_call``, ``custom_tool_call``, ``local_shell_call``) is a ``tool_use``
block of an assistant message, its output (``function_call_output``,
``custom_tool_call_output``) a ``tool_result`` block of a user message, paired by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspector.core.anthropic_blocks import str_or_none
from inspector.core.jsonl import JsonlReader, ParsedLine, read_line
from inspector.core.model import (
    ASSISTANT_ROLE,
    OPENAI_RESPONSES,
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    ClientNotes,
    Conversation,
    Message,
    Origin,
    part_type,
)
from inspector.core.verdict import require_lines_of

CODEX = "codex"
NOTES = ClientNotes(
    missing='Codex CLI inserts the output "aborted" right after a call that has none.',
    orphan="Codex CLI drops an output whose call is gone.",
    pending="A call still running in a live session gets its output when it ends.",
)
"""What Codex CLI does with each defect when it sends the history."""

CODEX_LINE_TYPES = frozenset(
    {"session_meta", "response_item", "event_msg", "turn_context", "compacted"}
)
CALL_ITEMS = {"function_call": "name", "custom_tool_call": "name", "local_shell_call": None}
OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output"})


def load_codex(path: Path) -> Conversation:
    """The rollout's conversation. Raises NotATranscript when no line is Codex's."""
    lines = [
        (
            Origin(line.number, line.offset, line.length, None, line.value.get("timestamp")),
            line.value,
        )
        for line in JsonlReader(path).read(final=True).lines
        if isinstance(line, ParsedLine)
    ]
    require_lines_of(path, sum(looks_like_codex(value) for _, value in lines), "Codex rollout")
    return codex_conversation(path, lines)


def codex_conversation(path: Path, lines: Iterable[tuple[Origin, dict[str, Any]]]) -> Conversation:
    """The conversation of a rollout's lines (each with where it was read)."""
    messages: list[Message] = []
    session_id: str | None = None
    for origin, value in lines:
        kind, item = value.get("type"), value.get("payload")
        if not isinstance(item, dict):
            continue
        if kind == "session_meta" and session_id is None:
            session_id = str_or_none(item.get("id"))
        elif kind == "compacted":
            messages = _compacted(origin, item)
        elif kind == "response_item":
            message = _codex_item(origin, item)
            if message is not None:
                messages.append(message)
    return Conversation(
        path=path,
        format=CODEX,
        session_id=session_id,
        messages=messages,
        api=OPENAI_RESPONSES,
        has_content=bool(messages),
        notes=NOTES,
    )


def _codex_item(origin: Origin, item: dict[str, Any]) -> Message | None:
    kind = item.get("type")
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
        blocks = [
            Block(part_type(part), origin, -1)
            for part in (parts if isinstance(parts, list) else [])
            if isinstance(part, dict)
        ]
        return Message(role, blocks, [origin])
    return None


def _compacted(origin: Origin, item: dict[str, Any]) -> list[Message]:
    replacement = item.get("replacement_history")
    if isinstance(replacement, list):
        return [
            m for raw in replacement if isinstance(raw, dict) and (m := _codex_item(origin, raw))
        ]
    return [Message(USER_ROLE, [Block(TEXT, origin, -1)], [origin])]


def codex_payload(path: Path, block: Block, cache: dict[int, Any]) -> Any:
    origin = block.origin
    value = cache.get(origin.line)
    if value is None:
        value = read_line(path, origin.offset, origin.length)
        cache[origin.line] = value
    return value.get("payload")


def looks_like_codex(first_line: dict[str, Any]) -> bool:
    kind = first_line.get("type")
    return isinstance(kind, str) and kind in CODEX_LINE_TYPES and "payload" in first_line

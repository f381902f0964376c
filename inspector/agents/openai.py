"""OpenAI-shaped histories: Chat Completions requests and Codex CLI rollouts.

Both map onto the shared model: a call (``tool_calls[i]``, ``function_call``,
``custom_tool_call``, ``local_shell_call``) is a ``tool_use`` block of an assistant
message, its answer (a ``tool`` message, ``function_call_output``,
``custom_tool_call_output``) a ``tool_result`` block of a user message, paired by id.
The validator then speaks the right API's words (``Conversation.api``).

* Chat Completions request: ``{messages: [...]}``, a bare array, or a JSONL log of
  requests (the last one is checked). System/developer messages after the first turn
  are kept as user text, so a call answered after one is caught.
* Codex CLI rollout ``rollout-<time>-<uuid>.jsonl``: lines ``{timestamp, type, payload}``;
  ``response_item`` payloads are the Responses API input items. A ``compacted`` line
  replaces the history before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspector.agents.history.document import StoredHistory, origin_for, stored_message
from inspector.core.anthropic_blocks import str_or_none, text_block
from inspector.core.jsonl import JsonlReader, ParsedLine, read_line
from inspector.core.model import (
    ASSISTANT_ROLE,
    OPENAI_CHAT,
    OPENAI_RESPONSES,
    SERVER_TOOL_USE,
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
    Origin,
)

CHAT = "openai-chat"
CODEX = "codex"

CODEX_LINE_TYPES = frozenset(
    {"session_meta", "response_item", "event_msg", "turn_context", "compacted"}
)
CALL_ITEMS = {"function_call": "name", "custom_tool_call": "name", "local_shell_call": None}
OUTPUT_ITEMS = frozenset({"function_call_output", "custom_tool_call_output"})
_SYSTEM_ROLES = ("system", "developer")


# ---------------------------------------------------------------------- Chat Completions


def chat_conversation(path: Path, history: StoredHistory) -> Conversation:
    """The conversation of a Chat Completions request already read."""
    return Conversation(
        path=path,
        format=CHAT,
        session_id=None,
        messages=chat_messages(history),
        api=OPENAI_CHAT,
        has_content=bool(history.messages),
    )


def chat_messages(history: StoredHistory) -> list[Message]:
    messages: list[Message] = []
    for position, stored in enumerate(history.messages):
        if not isinstance(stored, dict):
            continue
        origin = origin_for(history, position, stored)
        role = stored.get("role")
        if role == "tool":
            tool_id = str_or_none(stored.get("tool_call_id"))
            messages.append(Message(USER_ROLE, [Block(TOOL_RESULT, origin, -1, tool_id)], [origin]))
        elif role == ASSISTANT_ROLE:
            blocks = _chat_text(origin, stored.get("content"))
            calls = stored.get("tool_calls")
            for index, call in enumerate(calls if isinstance(calls, list) else []):
                if isinstance(call, dict):
                    function = call.get("function")
                    name = str_or_none(function.get("name")) if isinstance(function, dict) else None
                    blocks.append(Block(TOOL_USE, origin, index, str_or_none(call.get("id")), name))
            messages.append(Message(ASSISTANT_ROLE, blocks, [origin]))
        elif role == USER_ROLE or (role in _SYSTEM_ROLES and messages):
            messages.append(Message(USER_ROLE, _chat_text(origin, stored.get("content")), [origin]))
    return messages


def _chat_text(origin: Origin, content: Any) -> list[Block]:
    if isinstance(content, str):
        return [text_block(origin, -1, content)] if content else []
    if isinstance(content, list):
        return [
            Block(_part_type(part), origin, index)
            for index, part in enumerate(content)
            if isinstance(part, dict)
        ]
    return []


def _part_type(part: dict[str, Any]) -> str:
    """A content part's type; calls and results only come from their own fields."""
    kind = part.get("type")
    if not isinstance(kind, str) or kind in (TOOL_USE, TOOL_RESULT, SERVER_TOOL_USE):
        return "unknown"
    return kind


def chat_payload(path: Path, block: Block, cache: dict[int, Any]) -> Any:
    message = stored_message(path, block.origin, cache)
    if block.type == TOOL_USE:
        return message["tool_calls"][block.index]
    if block.type == TOOL_RESULT:
        return message
    content = message.get("content")
    return content if block.index < 0 else content[block.index]


# What only a Chat Completions message has: an Anthropic message has the roles user and
# assistant only (its system prompt is a request field), always has content, and has no
# such keys or content parts. Tool calls are not enough: a rewind can cut them all away,
# and the body must still read as what it is.
_CHAT_ROLES = ("system", "developer", "tool", "function")
_CHAT_KEYS = ("tool_calls", "tool_call_id", "function_call", "refusal", "audio")
_CHAT_PARTS = ("image_url", "input_audio", "file", "refusal")
# What only an Anthropic message has: its tool and thinking blocks. A client may add part
# types of its own (Cline stores "file" parts beside tool_use blocks), so these win.
_ANTHROPIC_PARTS = frozenset(
    {TOOL_USE, TOOL_RESULT, SERVER_TOOL_USE, "thinking", "redacted_thinking", "document"}
)


def looks_like_chat(messages: list[Any]) -> bool:
    """Whether a message array is a Chat Completions one (else: Anthropic-shaped)."""
    objects = [m for m in messages if isinstance(m, dict)]
    if any(_part_types(m) & _ANTHROPIC_PARTS for m in objects):
        return False
    return any(_chat_message(m) for m in objects)


def _part_types(message: dict[str, Any]) -> set[str]:
    content = message.get("content")
    if not isinstance(content, list):
        return set()
    return {
        part["type"]
        for part in content
        if isinstance(part, dict) and isinstance(part.get("type"), str)
    }


def _chat_message(message: dict[str, Any]) -> bool:
    if message.get("role") in _CHAT_ROLES or any(key in message for key in _CHAT_KEYS):
        return True
    content = message.get("content", "")
    if content is None:
        return True
    return isinstance(content, list) and any(
        isinstance(part, dict) and part.get("type") in _CHAT_PARTS for part in content
    )


# ---------------------------------------------------------------------- Codex CLI rollouts


def load_codex(path: Path) -> Conversation:
    lines = (
        (
            Origin(line.number, line.offset, line.length, None, line.value.get("timestamp")),
            line.value,
        )
        for line in JsonlReader(path).read(final=True).lines
        if isinstance(line, ParsedLine)
    )
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
            Block(_part_type(part), origin, -1)
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

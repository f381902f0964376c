"""Raw OpenAI Chat Completions requests: ``{messages: [...]}``, a bare array, or a JSONL
log of requests (the last one is checked).

A call (``tool_calls[i]``) is a ``tool_use`` block of an assistant message, its answer
(a ``tool`` message) a ``tool_result`` block of a user message, paired by id; the
validator then speaks the Chat API's words. System/developer messages after the first
turn are kept as user text, so a call answered after one is caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.history import anthropic
from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.anthropic import ANTHROPIC_MESSAGES
from inspector.agents.history.document import StoredHistory, origin_for, stored_message
from inspector.core.agent import DISTINCT, NOT_MINE, Sample
from inspector.core.anthropic_blocks import str_or_none, text_block
from inspector.core.model import (
    ASSISTANT_ROLE,
    NO_NOTES,
    OPENAI_CHAT,
    SERVER_TOOL_USE,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
    Origin,
    part_type,
)
from inspector.rules import validate

CHAT = "openai-chat"
_SYSTEM_ROLES = ("system", "developer")


class OpenAIChatRequest(DocumentAgent):
    name = CHAT
    label = "OpenAI Chat Completions request"
    api = OPENAI_CHAT

    def recognise(self, sample: Sample) -> int:
        messages = sample.messages
        return DISTINCT if messages is not None and looks_like_chat(messages) else NOT_MINE

    def from_history(self, path: Path, history: StoredHistory) -> Conversation:
        return chat_conversation(path, history)

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        return chat_payload(path, block, cache)

    def kept_note(self, path: Path, kept: list[Any]) -> str | None:
        """What ``inspector check`` says of a kept request nothing marks as Chat's."""
        if looks_like_chat(kept):
            return None
        history = StoredHistory(kept, None, None)
        read = validate(anthropic.history_conversation(path, ANTHROPIC_MESSAGES, history, NO_NOTES))
        said = "no OpenAI-only field is left in the kept request: `inspector check` reads it "
        if read.ok:
            return (
                said + "as an Anthropic request unless given --format openai-chat (both accept it)"
            )
        return (
            said + "as an Anthropic request, which the Anthropic API rejects "
            f"({read.errors[0].headline}): check it with --format openai-chat"
        )


AGENT = OpenAIChatRequest()


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
            Block(part_type(part), origin, index)
            for index, part in enumerate(content)
            if isinstance(part, dict)
        ]
    return []


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

"""Agent formats: each turns its files into the shared :class:`~inspector.core.model.Conversation`.

The format is recognised from the content (the file name only breaks ties between Roo
Code and Cline), and can be forced by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from inspector.agents import openai
from inspector.agents.claude_code import transcript as claude_code
from inspector.agents.history import anthropic as anthropic_history
from inspector.agents.history.document import (
    StoredHistory,
    StoredMessage,
    read_history,
    request_messages,
    stored_message,
)
from inspector.core.model import Block, Conversation
from inspector.core.safe_read import open_regular
from inspector.core.verdict import NotATranscript

__all__ = ["FORMATS", "Format", "NotATranscript", "detect_format", "load_conversation"]


@dataclass(frozen=True, slots=True)
class Format:
    """How to read one agent's history."""

    name: str
    agent: str
    """Who writes it, for people."""
    load: Callable[[Path], Conversation]
    payload: Callable[[Path, Block, dict[int, Any]], Any]
    """A block's full JSON, re-read from the file."""
    appends: bool
    """The client appends to the file (else it rewrites it whole)."""
    from_history: Callable[[Path, StoredHistory], Conversation] | None = None
    """The conversation of a whole history document that recognising it already read."""


def _whole_document(
    name: str,
    agent: str,
    from_history: Callable[[Path, StoredHistory], Conversation],
    payload: Callable[[Path, Block, dict[int, Any]], Any],
) -> Format:
    """A format whose files are one history document, which the client rewrites whole."""

    def load(path: Path) -> Conversation:
        return from_history(path, read_history(path))

    return Format(name, agent, load, payload, False, from_history)


def _anthropic(name: str) -> Callable[[Path, StoredHistory], Conversation]:
    return lambda path, history: anthropic_history.history_conversation(path, name, history)


FORMATS: dict[str, Format] = {
    format.name: format
    for format in (
        Format(
            claude_code.FORMAT,
            "Claude Code",
            claude_code.load_checked,
            claude_code.block_payload,
            True,
        ),
        _whole_document(
            anthropic_history.ROO_CODE,
            "Roo Code",
            _anthropic(anthropic_history.ROO_CODE),
            anthropic_history.payload,
        ),
        _whole_document(
            anthropic_history.CLINE,
            "Cline",
            _anthropic(anthropic_history.CLINE),
            anthropic_history.payload,
        ),
        Format(openai.CODEX, "Codex CLI", openai.load_codex, openai.codex_payload, True),
        _whole_document(
            anthropic_history.ANTHROPIC_MESSAGES,
            "Anthropic Messages API request",
            _anthropic(anthropic_history.ANTHROPIC_MESSAGES),
            anthropic_history.payload,
        ),
        _whole_document(
            openai.CHAT,
            "OpenAI Chat Completions request",
            openai.chat_conversation,
            openai.chat_payload,
        ),
    )
}
_SNIFF_BYTES = 1 << 16
ROO_KEYS = frozenset({"isSummary", "condenseParent", "truncationParent"})


def detect_format(path: Path) -> str:
    """The format of a history file, recognised from its content. Raises NotATranscript."""
    return _recognise(path)[0]


def _recognise(path: Path) -> tuple[str, StoredHistory | None]:
    """The format, and the history when recognising it meant reading the whole document."""
    with open_regular(path) as handle:
        head = handle.read(_SNIFF_BYTES)
    start = head.lstrip()
    if not start:
        return claude_code.FORMAT, None
    first_line = start.split(b"\n", 1)[0]
    try:
        first = orjson.loads(first_line)
    except orjson.JSONDecodeError:
        first = None
    if isinstance(first, dict) and openai.looks_like_codex(first):
        return openai.CODEX, None
    messages = request_messages(first)
    if messages is not None:
        return _message_array_format(path, messages), None
    if isinstance(first, dict):
        return claude_code.FORMAT, None
    if start[:1] in (b"[", b"{"):  # a JSON document over several lines
        history = read_history(path)
        return _message_array_format(path, history.messages), history
    return claude_code.FORMAT, None


def _message_array_format(path: Path, messages: list[Any]) -> str:
    if openai.looks_like_chat(messages):
        return openai.CHAT
    parts = {part.lower() for part in path.parts}
    keys = {key for m in messages if isinstance(m, dict) for key in m}
    if "rooveterinaryinc.roo-cline" in parts or keys & ROO_KEYS:
        return anthropic_history.ROO_CODE
    if "saoudrizwan.claude-dev" in parts or path.name == "api_conversation_history.json":
        return anthropic_history.CLINE
    if path.name.endswith(".messages.json"):
        return anthropic_history.CLINE
    return anthropic_history.ANTHROPIC_MESSAGES


def load_conversation(path: Path, format_name: str | None = None) -> Conversation:
    """Read a session file and rebuild its conversation. Raises OSError, or NotATranscript
    when the file is not a conversation (:mod:`inspector.core.verdict` decides)."""
    name, history = (format_name, None) if format_name else _recognise(path)
    if name not in FORMATS:
        raise NotATranscript(path, f"no format named {name!r} (known: {', '.join(FORMATS)})")
    read = FORMATS[name].from_history
    if history is not None and read is not None:
        return read(path, history)  # read once: recognising it parsed the whole file
    return FORMATS[name].load(path)


def block_payload(conversation: Conversation, block: Block, cache: dict[int, Any]) -> Any:
    """A block's full JSON as stored in the file (re-read from disk, cached per caller)."""
    return FORMATS[conversation.format].payload(conversation.path, block, cache)


def message_payloads(conversation: Conversation) -> list[Any]:
    """The conversation as the client sends it, with content re-read from disk."""
    if conversation.format == claude_code.FORMAT:
        return claude_code.message_payloads(conversation)
    cache: dict[int, Any] = {}
    payloads: list[Any] = []
    seen: set[int] = set()
    for message in conversation.messages:
        for origin in message.origins:
            if id(origin) in seen:
                continue
            seen.add(id(origin))
            if isinstance(origin, StoredMessage):
                payloads.append(_client_fields(stored_message(conversation.path, origin, cache)))
            elif message.blocks:  # a Codex response item: one per line
                payloads.append(block_payload(conversation, message.blocks[0], cache))
    return payloads


def _client_fields(message: Any) -> Any:
    """A stored message without the client's own bookkeeping keys (Roo's ts, isSummary…)."""
    if not isinstance(message, dict):
        return message
    sent = {"role", "content", "tool_calls", "tool_call_id", "name"}
    return {key: value for key, value in message.items() if key in sent}

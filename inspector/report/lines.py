"""Transcript lines near a defect, read again from the file and summarised.

Any JSON-lines transcript reads the same way here: the line's ``type`` (and ``subtype``),
the role of the message it holds (under ``message`` or ``payload``, else at the top), its
content blocks' types, the tool names and ids they carry, and the first text as an
excerpt whose kind (prompt, tool output, …) lets redaction drop it whole.

A JSON document (a Cline or Gemini history) has no lines: its "line" is the message's
number, and its messages are summarised from the conversation, their blocks re-read
through the agent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import orjson

from inspector.agents import block_payload
from inspector.causes.lines import LineReader, known_lines
from inspector.core.model import TOOL_USE, Conversation
from inspector.report.model import TranscriptLine

AROUND = 2
"""Lines shown before and after a defect's line."""

_LINE_LIMIT = 4 << 20
"""Longer lines are summarised from their first bytes (they are not parsed)."""

_CLIENT_MESSAGE = re.compile(r"\A(?:\[[^\]\n]{1,160}\]|API Error[^\n]{0,300})\Z")
"""Text the client writes itself (an interrupt marker, a stored API error): kept."""

_CALL_TYPES = ("tool_use", "server_tool_use", "function_call", "custom_tool_call")
_RESULT_TYPES = ("tool_result", "function_call_output", "custom_tool_call_output")


def context_lines(conversation: Conversation, wanted: Iterable[int]) -> dict[int, TranscriptLine]:
    """The summaries of the wanted lines (1-based) the transcript has. Raises OSError."""
    first = next((m.origins[0] for m in conversation.messages if m.origins), None)
    if first is None or first.offset >= 0:
        return read_lines(conversation, wanted)
    return _document_messages(conversation, set(wanted))


def _document_messages(conversation: Conversation, wanted: set[int]) -> dict[int, TranscriptLine]:
    found: dict[int, TranscriptLine] = {}
    payloads: dict[int, Any] = {}
    for message in conversation.messages:
        number = message.origins[0].line if message.origins else None
        if number is None or number not in wanted or number in found:
            continue
        tools: list[str] = []
        excerpt: str | None = None
        excerpt_kind: str | None = None
        for block in message.blocks:
            if block.tool_id is not None:
                tools.append(
                    f"{block.name} {block.tool_id}"
                    if block.type == TOOL_USE
                    else f"result for {block.tool_id}"
                )
            if excerpt is None:
                payload = block_payload(conversation, block, payloads)
                if isinstance(payload, dict):
                    excerpt, excerpt_kind = _block_text(message.role, block.type, payload)
                elif isinstance(payload, str):
                    excerpt, excerpt_kind = payload, _text_kind(message.role, payload)
        blocks = tuple(block.type for block in message.blocks)
        found[number] = TranscriptLine(
            number, message.role, blocks, tuple(tools), excerpt, excerpt_kind, False
        )
    return found


def read_lines(conversation: Conversation, wanted: Iterable[int]) -> dict[int, TranscriptLine]:
    """The summaries of the wanted lines (1-based) that the file has, each run of them
    read from the nearest line whose start the conversation knows. Raises OSError."""
    reader = LineReader.anchored(conversation.path, known_lines(conversation))
    found: dict[int, TranscriptLine] = {}
    for first, last in _runs(wanted):
        for number, raw in reader.read(first, last).items():
            found[number] = summarise(number, raw[:_LINE_LIMIT])
    return found


def _runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Consecutive numbers as (first, last) runs, in order."""
    runs: list[tuple[int, int]] = []
    for number in sorted(set(numbers)):
        if runs and number == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    return runs


def summarise(number: int, raw: bytes) -> TranscriptLine:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        text = raw.decode("utf-8", "replace")
        return TranscriptLine(number, "?", (), (), text or None, "unreadable line", False)
    if not isinstance(value, dict):
        return TranscriptLine(number, "json", (), (), None, None, False)
    inner = _message_of(value)
    kind = _kind(value, inner)
    content = inner.get("content")
    role = inner.get("role") if isinstance(inner.get("role"), str) else value.get("type")
    if isinstance(content, str):
        text_kind = _text_kind(str(role), content)
        return TranscriptLine(number, kind, ("text",), (), content, text_kind, False)
    blocks: list[str] = []
    tools: list[str] = []
    excerpt: str | None = None
    excerpt_kind: str | None = None
    if isinstance(content, list):
        parts: list[Any] = content
    else:  # a payload that is itself one block (a function call), or no message at all
        parts = [inner] if inner is not value else []
    for block in parts:
        if not isinstance(block, dict):
            continue
        block_type = str(block.get("type", "?"))
        blocks.append(block_type)
        tool = _tool_label(block_type, block)
        if tool:
            tools.append(tool)
        if excerpt is None:
            excerpt, excerpt_kind = _block_text(str(role), block_type, block)
    if excerpt is None and not blocks:
        excerpt, excerpt_kind = _top_text(value)
    return TranscriptLine(number, kind, tuple(blocks), tuple(tools), excerpt, excerpt_kind, False)


def _message_of(value: dict[str, Any]) -> dict[str, Any]:
    for key in ("message", "payload"):
        inner = value.get(key)
        if isinstance(inner, dict):
            return inner
    return value


def _kind(value: dict[str, Any], inner: dict[str, Any]) -> str:
    parts = [str(value.get("type", "?"))]
    role = inner.get("role")
    if isinstance(role, str) and role != parts[0]:
        parts.append(role)
    subtype = value.get("subtype")
    if isinstance(subtype, str):
        parts.append(subtype)
    for key in ("attachment", "payload"):
        nested = value.get(key)
        if isinstance(nested, dict) and isinstance(nested.get("type"), str):
            parts.append(nested["type"])
            break
    return "/".join(dict.fromkeys(parts))


def _tool_label(block_type: str, block: dict[str, Any]) -> str | None:
    if block_type in _CALL_TYPES:
        name, tool_id = block.get("name"), block.get("id") or block.get("call_id")
        return f"{name} {tool_id}" if name else str(tool_id)
    if block_type in _RESULT_TYPES:
        tool_id = block.get("tool_use_id") or block.get("call_id")
        return f"result for {tool_id}"
    return None


def _block_text(role: str, block_type: str, block: dict[str, Any]) -> tuple[str | None, str | None]:
    if block_type in _RESULT_TYPES:
        output = block.get("content", block.get("output"))
        return _flatten(output), "tool output"
    if block_type in ("thinking", "reasoning"):
        text = block.get("thinking") or block.get("text")
        return (text, "thinking") if isinstance(text, str) and text else (None, None)
    text = block.get("text")
    if isinstance(text, str):
        return text, _text_kind(role, text)
    return None, None


def _top_text(value: dict[str, Any]) -> tuple[str | None, str | None]:
    """The text of a line that holds no message: a system line's, an attachment's."""
    content = value.get("content")
    if isinstance(content, str) and content:
        return content, "client message" if _CLIENT_MESSAGE.match(content) else "system text"
    attachment = value.get("attachment")
    if isinstance(attachment, dict):
        text = _flatten(attachment.get("content") or attachment.get("stdout"))
        if text:
            return text, "hook output"
    return None, None


def _text_kind(role: str, text: str) -> str:
    """Text the client wrote is kept; the model's and anyone else's (a user, a developer
    message, an unknown role) counts as what redaction drops."""
    if _CLIENT_MESSAGE.match(text.strip()):
        return "client message"
    if role == "system":
        return "system text"
    return "assistant text" if role in ("assistant", "model") else "prompt"


def _flatten(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return " ".join(_flatten(part) for part in output)
    if isinstance(output, dict):
        text = output.get("text")
        return text if isinstance(text, str) else ""
    return ""

"""What Gemini CLI sends of a session: its records turned into Gemini ``contents``.

Learnt from Gemini CLI's own resume path (``convertSessionToClientHistory``, then the send
path's ``stripThoughts`` and ``coalesceConsecutiveRoles``):

* ``info``, ``error`` and ``warning`` records are not sent; nor is a ``user`` record whose
  text is blank or starts with ``/``, ``?``, ``<session_context>`` or ``<hook_context>``;
* a ``gemini`` record is one ``model`` content: its content parts when they already hold
  the calls or thoughts, else its text then one ``functionCall`` per ``toolCalls`` entry;
  then one ``user`` content with the function responses of the calls that have a
  ``result`` (a string is wrapped as ``{output}``, a list is sent as its parts);
* thoughts are not sent; consecutive contents of one role are merged (the validator's
  turn merge does that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inspector.agents.gemini_cli.session import Record

IGNORED_PREFIXES = ("/", "?", "<session_context>", "<hook_context>")


@dataclass(frozen=True, slots=True)
class SentContent:
    """One content of the request and the record it was made of."""

    role: str
    """``user`` or ``model``."""
    parts: list[Any]
    record: int
    """Index of its record in the session's records."""


def client_history(records: list[Record]) -> list[SentContent]:
    """The contents Gemini CLI sends for these records, thoughts removed."""
    sent: list[SentContent] = []
    for position, record in enumerate(records):
        message = record.value
        kind = message.get("type")
        content = message.get("content")
        if kind == "user":
            if (
                not as_text(content).strip().startswith(IGNORED_PREFIXES)
                and as_text(content).strip()
            ):
                sent.append(SentContent("user", part_array(content), position))
        elif kind == "gemini":
            calls = [c for c in _list(message.get("toolCalls")) if isinstance(c, dict)]
            parts = part_array(content) if _truthy(content) else []
            if not any(
                isinstance(p, dict) and ("functionCall" in p or p.get("thought")) for p in parts
            ):
                parts = parts + [_call_part(call) for call in calls]
            model_parts = [p for p in parts if not (isinstance(p, dict) and p.get("thought"))]
            if model_parts:
                sent.append(SentContent("model", model_parts, position))
            if parts:  # Gemini CLI answers calls of a turn that had any part, thoughts too
                responses = [part for call in calls for part in _response_parts(call)]
                if responses:
                    sent.append(SentContent("user", responses, position))
    return sent


def part_array(content: Any) -> list[Any]:
    """Content as a part list: a string is one text part, a list its parts."""
    if isinstance(content, list):
        return [{"text": part} if isinstance(part, str) else part for part in content]
    if isinstance(content, str):
        return [{"text": content}]
    return [content]


def as_text(content: Any) -> str:
    """The text of a content (Gemini CLI tests it to skip commands and blank prompts)."""
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else [content]
    return "".join(
        part if isinstance(part, str) else str(part.get("text", ""))
        for part in parts
        if isinstance(part, str) or (isinstance(part, dict) and isinstance(part.get("text"), str))
    )


def _call_part(call: dict[str, Any]) -> dict[str, Any]:
    return {
        "functionCall": {"id": call.get("id"), "name": call.get("name"), "args": call.get("args")}
    }


def _response_parts(call: dict[str, Any]) -> list[Any]:
    result = call.get("result")
    if not _truthy(result):
        return []
    if isinstance(result, str):
        response = {"id": call.get("id"), "name": call.get("name"), "response": {"output": result}}
        return [{"functionResponse": response}]
    if isinstance(result, list):
        return part_array(result)
    return [result]


def _truthy(value: Any) -> bool:
    """JavaScript's truthiness, which Gemini CLI tests (an empty list is true there)."""
    return value not in (None, False, "", 0)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

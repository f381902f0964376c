"""Codex CLI rollouts ``rollout-<time>-<uuid>.jsonl``: lines ``{timestamp, type, payload}``;
``response_item`` payloads are the Responses API input items. A ``compacted`` line
replaces the history before it.

Items become messages as :mod:`inspector.agents.history.responses` says (shared with
Responses request bodies).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from inspector.agents.history.responses import responses_item
from inspector.core.anthropic_blocks import str_or_none
from inspector.core.jsonl import JsonlReader, ParsedLine, read_line
from inspector.core.model import (
    OPENAI_RESPONSES,
    TEXT,
    USER_ROLE,
    Block,
    ClientNotes,
    Conversation,
    Message,
    Origin,
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
            message = responses_item(origin, item)
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


def _compacted(origin: Origin, item: dict[str, Any]) -> list[Message]:
    replacement = item.get("replacement_history")
    if isinstance(replacement, list):
        return [
            m for raw in replacement if isinstance(raw, dict) and (m := responses_item(origin, raw))
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

"""Anthropic-shaped message arrays: Roo Code, Cline, and raw Messages API requests.

* Roo Code / Cline keep ``tasks/<taskId>/api_conversation_history.json``: an array of
  ``{role, content}`` messages with extra keys (``ts``, ``isSummary``, ``condenseParent``,
  ``truncationParent``, …). Roo sends its *effective* history: from the last
  ``isSummary`` message on, without messages a truncation or condensation hid.
* Cline ≥ 4 also writes ``<id>.messages.json`` (an array, or an object with messages).
* A raw request body ``{model, system?, messages: [...], tools?}``, a bare array, or a
  JSONL log of such requests (the last one is checked).

The API merges consecutive same-role messages itself; the validator does the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.history.document import (
    StoredHistory,
    origin_for,
    stored_message,
)
from inspector.core.anthropic_blocks import anthropic_blocks
from inspector.core.model import (
    ASSISTANT_ROLE,
    NO_NOTES,
    THINKING_TYPES,
    USER_ROLE,
    ClientNotes,
    Conversation,
    Message,
)

ROO_CODE = "roo-code"
CLINE = "cline"
ANTHROPIC_MESSAGES = "anthropic-messages"

ROO_HIDING_KEYS = ("truncationParent", "condenseParent")
"""A Roo message carrying one of these was hidden by a truncation or a condensation."""


def history_conversation(
    path: Path, format_name: str, history: StoredHistory, notes: ClientNotes = NO_NOTES
) -> Conversation:
    """The conversation a history already read is sent as (``notes``: its client's)."""
    positions = effective_positions(history.messages, format_name)
    conversation = conversation_of(path, format_name, history, positions)
    conversation.notes = notes
    return conversation


def effective_positions(messages: list[Any], format_name: str) -> list[int]:
    """Positions of the stored messages the client sends, in order."""
    valid = [i for i, m in enumerate(messages) if isinstance(m, dict)]
    if format_name != ROO_CODE:
        return valid
    start = max((i for i in valid if messages[i].get("isSummary") is True), default=0)
    return [i for i in valid if i >= start and not any(messages[i].get(k) for k in ROO_HIDING_KEYS)]


def conversation_of(
    path: Path, format_name: str, history: StoredHistory, positions: list[int]
) -> Conversation:
    messages: list[Message] = []
    thinking = False
    setting, model = _request_settings(history.document)
    for position in positions:
        stored = history.messages[position]
        role = stored.get("role")
        if role not in (USER_ROLE, ASSISTANT_ROLE):
            continue
        origin = origin_for(history, position, stored)
        blocks, is_string = anthropic_blocks(origin, stored.get("content"))
        thinking = thinking or any(block.type in THINKING_TYPES for block in blocks)
        # A request's assistant turns go to the request's model (R12 asks which one).
        messages.append(
            Message(role, blocks, [origin], is_string, model if role != USER_ROLE else None)
        )
    if setting is not None:
        thinking = setting  # the request says it: blocks from before do not
    session_id = path.parent.name if format_name in (ROO_CODE, CLINE) else None
    return Conversation(
        path=path,
        format=format_name,
        session_id=session_id,
        messages=messages,
        thinking_enabled=thinking,
        has_content=bool(messages),
    )


def _request_settings(document: Any) -> tuple[bool | None, str | None]:
    """Whether a request body asks for thinking (``{"thinking": {"type": "enabled"}}``;
    None: it does not say) and the model it goes to."""
    if not isinstance(document, dict):
        return None, None
    model = document.get("model")
    settings = document.get("thinking")
    kind = settings.get("type") if isinstance(settings, dict) else None
    enabled = kind == "enabled" if isinstance(kind, str) else None
    return enabled, model if isinstance(model, str) else None


def payload(path: Path, block: Any, cache: dict[int, Any]) -> Any:
    """A block's full JSON, re-read from the stored history."""
    message = stored_message(path, block.origin, cache)
    content = message.get("content")
    return content if block.index < 0 else content[block.index]


__all__ = ["history_conversation", "payload"]

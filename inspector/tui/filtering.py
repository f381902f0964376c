"""The tree filter: which messages and calls match a piece of text.

Matches a tool's name, its id, its one-line input summary, and a message's first
words (case-insensitive). Runs in a worker thread: the texts of every message are
read first (they are cached, so only the first filter on a big session pays).
"""

from __future__ import annotations

from dataclasses import dataclass

from inspector.tui.conversation_view import CallKey, ConversationModel, ConversationView

FILTER_LIMIT = 2000
"""At most this many matching messages are shown (the newest)."""


@dataclass(frozen=True, slots=True)
class FilterMatch:
    text: str
    messages: set[int]
    calls: set[CallKey]
    truncated: bool = False


def match_view(model: ConversationModel, view: ConversationView, text: str) -> FilterMatch:
    """The messages and calls of ``view`` that ``text`` matches."""
    needle = text.casefold()
    model.read_texts(view, 0, view.message_count)
    messages: list[int] = []
    calls: set[CallKey] = set()
    for row in view.rows:
        hit = False
        preview = model.preview(row.message)
        if preview and needle in preview.casefold():
            hit = True
        for call in row.calls:
            use = call.call.use
            fields = [call.name or "", call.call.tool_id or ""]
            if use is not None:
                fields.append(model.text(use) or "")
            if any(needle in value.casefold() for value in fields):
                calls.add(call.key)
                hit = True
        if hit:
            messages.append(row.index)
    truncated = len(messages) > FILTER_LIMIT
    kept = set(messages[-FILTER_LIMIT:])
    return FilterMatch(text, kept, calls, truncated)

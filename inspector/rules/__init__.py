"""The validator: what the API would reject about a conversation, in its own words.

Implements ``docs/api-rules.md`` on a projected :class:`~inspector.core.model.Conversation`.
Like the API, it first merges consecutive messages of the same role into one turn,
then checks tool-call pairing turn by turn. Every API-rule finding carries the API's
exact text with the ``messages.N[.content.M]`` index of the projected conversation,
the line and uuid of the offending block, the cause, and a note on what Claude Code
itself does with the defect. The report also pairs every tool_use with its result
(for the views) and computes the last valid turn (the rewind target).

The pipeline, in :mod:`~inspector.rules.validator`:

* :mod:`~inspector.rules.turns`: the API's same-role turn merge;
* the call pairing of the API family: :mod:`~inspector.rules.next_turn` (Anthropic
  Messages, OpenAI Chat) or :mod:`~inspector.rules.responses` (OpenAI Responses), with
  what they share in :mod:`~inspector.rules.pairing`;
* the checks only Anthropic makes: :mod:`~inspector.rules.anthropic`;
* what the transcript itself says: :mod:`~inspector.rules.transcript`;
* the words: :mod:`~inspector.rules.texts`; the results: :mod:`~inspector.rules.findings`;
  what a live view's next validation reuses: :mod:`~inspector.rules.memo`.
"""

from inspector.rules.findings import CallStatus, Cut, Finding, Report, Rule, Severity, ToolCall
from inspector.rules.memo import ValidationMemo
from inspector.rules.validator import validate

__all__ = [
    "CallStatus",
    "Cut",
    "Finding",
    "Report",
    "Rule",
    "Severity",
    "ToolCall",
    "ValidationMemo",
    "validate",
]

"""What one validation leaves for the next: a live view validates again after every append."""

from __future__ import annotations

from dataclasses import dataclass, field

from inspector.core.model import Message
from inspector.rules.findings import Finding, ToolCall
from inspector.rules.turns import Turn


@dataclass(frozen=True, slots=True)
class Checked:
    """What checking one message or one turn produced, when nothing outside it matters,
    and what it was checked as: where the message or turn stood, and the turn it was
    paired with (a key made of the objects themselves, so looking it up allocates
    nothing: a live view validates 10k messages per append)."""

    findings: tuple[Finding, ...] = ()
    calls: tuple[ToolCall, ...] = ()
    use_ids: tuple[str, ...] = ()
    result_ids: tuple[str, ...] = ()
    result_blocks: int = 0
    index: int = -1
    """The message's index (the first message's, for a turn)."""
    is_last: bool = False
    turn: list[Message] | None = None
    neighbor: list[Message] | None = None
    neighbor_index: int = -1

    def is_for_turn(self, turn: Turn, neighbor: Turn | None) -> bool:
        if self.index != turn.first_message or self.turn != turn.messages:
            return False
        if neighbor is None:
            return self.neighbor is None
        return self.neighbor_index == neighbor.first_message and self.neighbor == neighbor.messages


@dataclass(slots=True)
class ValidationMemo:
    """Results of a validation that depend only on the messages they are keyed by.

    A live session is validated again after every append, and its messages are mostly
    the very objects of the previous projection (see :mod:`inspector.agents.claude_code.tail`):
    for those, checks of single messages and of turn pairs are looked up here instead of
    run again. Results that depend on the rest of the conversation (a missing result
    that may come later, a call compacted away, a duplicate id) are never kept.
    """

    dialect: tuple[str, str]
    messages: dict[Message, Checked] = field(default_factory=dict)
    """Message → its block checks."""
    answers: dict[Message, Checked] = field(default_factory=dict)
    """First message of an assistant turn → the checks of its calls against the next turn."""
    results: dict[Message, Checked] = field(default_factory=dict)
    """First message of a user turn → the checks of its results against the turn before."""

"""Turns as the API sees them, and how the calls of one turn meet the results of the next.

The API first merges consecutive messages of the same role into one turn, then pairs
tool calls turn by turn. :func:`merge_turns` is that merge, the one the validator and
the rewriters share.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from inspector.core.model import (
    ASSISTANT_ROLE,
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Message,
)

Placed = tuple[int, int, Block]
"""A block and where it stands: (message index, content index, block)."""


@dataclass(slots=True)
class Turn:
    """Consecutive messages of one role, as the API merges them."""

    role: str
    first_message: int
    messages: list[Message] = field(default_factory=list)
    _blocks: list[Placed] | None = None

    @property
    def last_message(self) -> int:
        return self.first_message + len(self.messages) - 1

    @property
    def blocks(self) -> list[Placed]:
        """(message index, content index, block) in order (built when first asked)."""
        if self._blocks is None:
            self._blocks = [
                (index, position, block)
                for index, message in enumerate(self.messages, self.first_message)
                for position, block in enumerate(message.blocks)
            ]
        return self._blocks


def merge_turns(messages: list[Message], start: int = 0) -> list[Turn]:
    """Merge consecutive same-role messages, as the API does (from message ``start``:
    the caller knows a turn begins there)."""
    turns: list[Turn] = []
    turn: Turn | None = None
    for index in range(start, len(messages)):
        message = messages[index]
        if message.role not in (USER_ROLE, ASSISTANT_ROLE):
            continue
        if turn is None or turn.role != message.role:
            turn = Turn(message.role, index)
            turns.append(turn)
        turn.messages.append(message)
    return turns


def split_results(turn: Turn) -> tuple[dict[str, Placed], dict[str, Placed]]:
    """The results at the start of a user turn, and those after its first other block."""
    leading: dict[str, Placed] = {}
    later: dict[str, Placed] = {}
    in_leading_run = True
    for message_index, position, block in turn.blocks:
        if block.type != TOOL_RESULT:
            in_leading_run = False
            continue
        target = leading if in_leading_run else later
        target.setdefault(block.tool_id or "", (message_index, position, block))
    return leading, later


def uses_and_text_after(turn: Turn) -> tuple[list[Placed], set[int]]:
    """The turn's tool_use blocks, and which of them (``id()``) have a non-tool block
    after them in the turn (R6)."""
    uses: list[Placed] = []
    flagged: set[int] = set()
    unclosed = 0  # uses at the end of ``uses`` with nothing but tools and thinking after
    for item in turn.blocks:
        kind = item[2].type
        if kind == TOOL_USE:
            uses.append(item)
            unclosed += 1
        elif unclosed and kind not in THINKING_TYPES:
            flagged.update(id(use[2]) for use in uses[-unclosed:])
            unclosed = 0
    return uses, flagged


def answered_in_order(uses: list[Placed], leading: dict[str, Placed]) -> bool:
    """Whether the leading results come in the order of their calls (the common case)."""
    last_message = last_position = -1
    for _, _, block in uses:
        place = leading.get(block.tool_id) if block.tool_id is not None else None
        if place is None:
            continue
        message_index, position, _ = place
        if message_index < last_message or (
            message_index == last_message and position < last_position
        ):
            return False
        last_message, last_position = message_index, position
    return True

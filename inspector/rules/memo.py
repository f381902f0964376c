"""What one validation leaves for the next: a live view validates again after every append."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from inspector.core.model import ASSISTANT_ROLE, USER_ROLE, Block, Message
from inspector.rules.findings import Finding, ToolCall
from inspector.rules.turns import Turn

Layers = tuple[frozenset[str], ...]
"""A set of ids in layers, one per validation that added some (merged now and then)."""


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
    resume: Resume | None = None
    """Where the next validation may start, when the conversation only grew at its end."""


@dataclass(frozen=True, slots=True)
class Resume:
    """What the passes over turns and messages had found before turn :attr:`turn`.

    A live session grows at its end: its next validation starts here instead of looking
    every earlier message and turn up in the memo (40 ms on a 100 MB session). It may when
    its conversation starts with the same message objects up to :attr:`first_message`, a
    turn starts there, and nothing appended changes what was found before: a result for
    a call found missing (:attr:`absent`) turns "result absent" into "late result".
    """

    messages: list[Message]
    """The conversation's messages as validated."""
    turns: list[Turn]
    """Its turns (those before :attr:`turn` are taken over as they are)."""
    turn: int
    first_message: int
    """The first message of turn :attr:`turn`."""
    compacted: frozenset[str]
    """The conversation's tool_use ids before its last compaction (orphans name them)."""
    pairing_calls: tuple[ToolCall, ...]
    pairing_findings: tuple[Finding, ...]
    """The call pairing's, for the turns before ``turn - 1`` (that one is paired with
    turn ``turn``, which may grow)."""
    absent: frozenset[str]
    block_findings: tuple[Finding, ...]
    """The block checks', for the messages before :attr:`first_message`."""
    seen_uses: Layers
    seen_results: Layers
    result_count: int
    repeated_uses: tuple[Block, ...]
    answered_before: Layers | None
    """Ids some user turn before :attr:`turn` answers (None: not known, a result stood
    in an assistant message)."""


RESUME_MARGIN = 8
"""Messages from the end a resume point is set back: a live append rebuilds the last
two to five messages (a few hundred on a rewind, which starts over)."""


def resume_turn(turns: list[Turn], message_count: int) -> int | None:
    """The turn the next validation may start at: the last one beginning at least
    :data:`RESUME_MARGIN` messages from the end (None: the conversation is too short)."""
    limit = message_count - RESUME_MARGIN
    for position in range(len(turns) - 1, 1, -1):
        if turns[position].first_message <= limit:
            return position
    return None


def resumes(resume: Resume, messages: list[Message], compacted: frozenset[str]) -> bool:
    """Whether a validation of ``messages`` may start at ``resume``."""
    start = resume.first_message
    if len(messages) <= start or messages[start].role == resume.turns[resume.turn - 1].role:
        return False
    if messages[start].role not in (USER_ROLE, ASSISTANT_ROLE) or compacted != resume.compacted:
        return False
    if messages[:start] != resume.messages[:start]:  # messages compare by identity
        return False
    if resume.absent:
        for message in messages[start:]:
            if any(block.is_result and block.tool_id in resume.absent for block in message.blocks):
                return False
    return True


_MOST_LAYERS = 8


class IdSet(Protocol):
    """What the block checks ask of the ids seen so far: a set, or :class:`SeenIds`."""

    def __contains__(self, item: object, /) -> bool: ...
    def add(self, item: str, /) -> None: ...
    def update(self, items: Iterable[str], /) -> None: ...
    def isdisjoint(self, items: Iterable[str], /) -> bool: ...


class SeenIds:
    """Ids seen before a resume point (its layers, shared, never changed) and after it.

    A resumed validation adds the few ids of the messages it checks; copying every id
    of a 100 MB session into a new set on every append would cost more than that."""

    __slots__ = ("layers", "own")

    def __init__(self, layers: Layers) -> None:
        self.layers = layers
        self.own: set[str] = set()

    def __contains__(self, item: object) -> bool:
        return item in self.own or in_layers(item, self.layers)

    def add(self, item: str) -> None:
        self.own.add(item)

    def update(self, items: Iterable[str]) -> None:
        self.own.update(items)

    def isdisjoint(self, items: Iterable[str]) -> bool:
        return not any(item in self for item in items)


def in_layers(item: object, layers: Layers) -> bool:
    return any(item in layer for layer in layers)


def layers_of(seen: IdSet) -> Layers:
    """The ids seen so far, as layers for the next validation."""
    if isinstance(seen, set):
        return (frozenset(seen),)
    assert isinstance(seen, SeenIds)
    layers = (*seen.layers, frozenset(seen.own)) if seen.own else seen.layers
    if len(layers) > _MOST_LAYERS:
        return (frozenset().union(*layers),)
    return layers

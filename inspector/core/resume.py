"""What a client changes in a recorded conversation when it resumes it, on its own.

Claude Code 2.1.x heals a damaged history at resume without a word: it drops a call that
has no result, strips a result that has no call. The session then no longer fails, but the
model has lost what it did. An agent whose client does this describes it as a
:class:`Resumed`: the conversation it will send, and each :class:`HealStep` it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from inspector.core.model import Block, Conversation


class HealKind(StrEnum):
    """One thing a client removes at resume."""

    DROPPED_CALL = "drops the call"
    """A tool_use no result answers: the model will not know it ran."""
    DROPPED_REPEAT = "drops the repeated call"
    """A tool_use whose id an earlier message already used, with its result."""
    STRIPPED_RESULT = "strips the result"
    """A tool_result no call asks for (or whose call it dropped)."""
    MOVED_RESULT = "moves the result"
    """A result sent in a later turn, moved to a turn of its own right after its call."""
    FAKED_RESULT = "answers the call with a placeholder"
    """A call without a result in the next turn gets a made-up one (:attr:`HealStep.text`)."""


@dataclass(frozen=True, slots=True)
class HealStep:
    kind: HealKind
    block: Block
    """The block removed, as recorded."""
    message_index: int
    """The recorded message it was in."""
    text: str | None = None
    """The placeholder the model is given (a made-up result)."""


@dataclass(slots=True)
class Resumed:
    """The conversation as the client sends it once it has healed it on resume."""

    conversation: Conversation
    steps: list[HealStep]

    def steps_for(self, tool_ids: tuple[str, ...]) -> list[HealStep]:
        """The steps that removed a block of one of these tool ids."""
        wanted = set(tool_ids)
        return [step for step in self.steps if step.block.tool_id in wanted]

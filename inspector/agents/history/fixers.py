"""Repairs of a stored message array: fix, check and fix again until the API accepts it.

* a missing result (R1) gets a synthetic one in the client's own shape and words (Roo:
  :data:`ROO_MISSING`; Cline: :data:`CLINE_MISSING`; raw Anthropic: an ``is_error``
  result, OpenAI Chat: a ``tool`` message, both saying the result was lost);
* a result that answers no call (R2) or answers one twice (R5b) becomes plain text that
  quotes it (Roo's own shape ``Tool result:\\n…``);
* results after other content (R3): the answering results move to the start of the user
  turn, into its first stored message (a message they leave empty is removed);
* a tool_use id used again later (R5): the later call and its result get
  ``<id>-dup<n>``, as the Claude Code repair does; text after a tool_use in one message
  (R6) moves before it. Thinking blocks are never edited or moved.

The round loop and the move of results to the start of a turn are here (:class:`ArrayFixer`);
the edits in each API's shape are in :mod:`~inspector.agents.history.anthropic_fixer` and
:mod:`~inspector.agents.history.chat_fixer`. The fixes every agent shares are in
:mod:`inspector.rewrite.fixes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from inspector.agents.history.document import StoredMessage
from inspector.core.model import ASSISTANT_ROLE, USER_ROLE, Block, Conversation, Message
from inspector.rewrite.fixes import LATE_RESULT, LOST_RESULT, until_accepted
from inspector.rewrite.plan import Change
from inspector.rules import CallStatus, Report, validate
from inspector.rules.turns import merge_turns

if TYPE_CHECKING:
    from inspector.agents.history.arrays import ArraySource

ROO_MISSING: Final = "Tool execution was interrupted before completion."
"""Roo Code's words for a result it adds itself (``validateAndFixToolResultIds``)."""
CLINE_MISSING: Final = "[migration] Tool result missing in legacy conversation history."
"""Cline's placeholder for a missing result (``sanitizeInitialMessagesForSessionStart``)."""
ROO_RESULT_PREFIX: Final = "Tool result:\n"
"""How Roo Code keeps a result that answers no call, as text."""
MAX_ROUNDS: Final = 8


def stored_position(message: Message) -> int:
    """The message's position in the stored array."""
    origin = message.origins[0]
    assert isinstance(origin, StoredMessage)
    return origin.position


class ArrayFixer:
    """Fix, check and fix again until the API accepts the array (or nothing helps)."""

    def __init__(self, source: ArraySource, changes: list[Change]) -> None:
        self.source = source
        self.changes = changes
        self.work: list[Any] = list(source.messages)
        self.removed = 0
        self.added = 0
        self.late: set[str] = set()
        """ids whose result came too late (kept as text where it was)."""

    def run(self) -> tuple[list[Any], Report]:
        report = until_accepted(
            lambda: validate(self.source.project(self.work)),
            lambda report: self.fix(report.conversation, report),
            MAX_ROUNDS,
        )
        return self.work, report

    def fix(self, conversation: Conversation, report: Report) -> bool:
        """One kind of fix per round (positions move): ids, stray results, order."""
        return (
            self.rename(conversation, report)
            or self.to_text(conversation, report)
            or self.text_first(conversation, report)
            or self.restructure(conversation, report)
        )

    def rename(self, conversation: Conversation, report: Report) -> bool:
        return False

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        raise NotImplementedError

    def text_first(self, conversation: Conversation, report: Report) -> bool:
        return False

    def restructure(self, conversation: Conversation, report: Report) -> bool:
        """Move the results of each broken turn to its start and add the missing ones."""
        broken = {
            call.use_message
            for call in report.calls
            if call.use is not None
            and call.use_message is not None
            and call.status in (CallStatus.MISSING, CallStatus.LATE, CallStatus.MISPLACED)
        }
        applied = False
        drops: set[int] = set()
        for turn in reversed(merge_turns(conversation.messages)):
            first, last, role = turn.first_message, turn.last_message, turn.role
            if role != ASSISTANT_ROLE or not any(first <= i <= last for i in broken):
                continue
            following = last + 1
            if following >= len(conversation.messages):
                continue  # still running: nothing to answer yet
            end = following
            while (
                end + 1 < len(conversation.messages)
                and conversation.messages[end + 1].role == USER_ROLE
            ):
                end += 1
            uses = [b for m in conversation.messages[first : last + 1] for b in m.tool_uses()]
            applied |= self.answer_turn(conversation, uses, following, end, drops)
        for position in sorted(drops, reverse=True):
            del self.work[position]
            self.removed += 1
        return applied

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        raise NotImplementedError

    def missing_text(self, tool_id: str) -> str:
        return LATE_RESULT if tool_id in self.late else LOST_RESULT

    def lost_or_late(self, tool_id: str) -> str:
        """How a change names what happened to a missing result."""
        return "recorded too late" if tool_id in self.late else "lost"

    def note_late(self, cause: str | None, tool_id: str | None) -> None:
        """Remember a result that came too late: the call's new result says so."""
        if cause and cause.startswith("late result") and tool_id:
            self.late.add(tool_id)

    def movable(self, block: Block) -> bool:
        """Whether a result block may move to the start of its turn."""
        return True

    def answers_in(
        self, conversation: Conversation, uses: list[Block], first: int, last: int
    ) -> tuple[list[str], dict[str, Block]]:
        """The ids ``uses`` call, and the first movable result of each in messages
        ``first`` to ``last``."""
        wanted = list(dict.fromkeys(b.tool_id for b in uses if b.tool_id))
        taken: dict[str, Block] = {}
        for message in conversation.messages[first : last + 1]:
            for block in message.blocks:
                if (
                    block.is_result
                    and block.tool_id in wanted
                    and block.tool_id not in taken
                    and self.movable(block)
                ):
                    taken[block.tool_id] = block
        return wanted, taken


def block_position(block: Block) -> int:
    origin = block.origin
    assert isinstance(origin, StoredMessage)
    return origin.position

"""What Claude Code changes in a transcript's conversation when it resumes it.

Observed with the real client, offline, on the planted samples and 310 generated mutations
of real transcripts (``scripts/check_resume_preview.py``; ``tests/claude/test_resume_preview.py``
holds a CI-sized share), Claude Code 2.1.197 and 2.1.332:

* a call whose id an earlier call already used is dropped, and every result of that id
  beyond the first answer of the earlier call is stripped;
* a call answered only in a later user turn: 2.1.332 answers it with the placeholder
  ``[Tool result missing due to internal error]`` (first in the turn after the call) and
  strips the late result, or, when no user turn follows the call, sends the late result in
  a turn of its own right after it; 2.1.197 drops the call, and its result with it;
* when the session ended mid-batch (its last assistant turn has a call left without a
  result, and nothing but results follows it), 2.1.332 answers every call of that tool loop
  (since the last prompt) left without a result: those of the last turn with ``[Tool call
  interrupted: …]``, which it writes into the transcript (after the turn's results), earlier
  ones that have a turn of results with the missing-result placeholder (first in it);
  2.1.197 drops those calls;
* any other call without a result in the next turn is dropped (the model forgets it ran);
* a result that answers no kept call before it is stripped;
* a message left with nothing in it is not sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field

from inspector.agents.claude_code.entries import MISSING_RESULT
from inspector.agents.claude_code.releases import ClaudeCodeBehaviour, behaviour_of
from inspector.core.model import TOOL_RESULT, TOOL_USE, USER_ROLE, Block, Conversation, Message
from inspector.core.resume import HealKind, HealStep, Resumed

INTERRUPTED_RESULT = (
    "[Tool call interrupted: the session ended before this call's result was recorded, so "
    "its outcome is unknown. Check whether it took effect before relying on it or running it "
    "again.]"
)
"""The result Claude Code 2.1.332 makes up for a call the session ended without answering."""


def heal_on_resume(conversation: Conversation) -> Resumed:
    """The conversation Claude Code sends after healing it at resume, and what it changed."""
    behaviour = behaviour_of(conversation.client)
    plan = _HealPlan(conversation.messages, behaviour)
    plan.decide()
    if not plan.steps:
        return Resumed(conversation, [])
    resumed = dataclasses.replace(conversation, messages=plan.healed(), api_errors=[])
    return Resumed(resumed, sorted(plan.steps, key=lambda step: step.message_index))


@dataclass
class _HealPlan:
    messages: list[Message]
    behaviour: ClaudeCodeBehaviour
    steps: list[HealStep] = field(default_factory=list)
    dropped: set[int] = field(default_factory=set)
    """``id()`` of the blocks the client leaves out."""
    added: dict[int, list[Block]] = field(default_factory=dict)
    """Index of an assistant message → results the client puts first in the turn after it."""
    appended: dict[int, list[Block]] = field(default_factory=dict)
    """Index of an assistant message → results the client adds last in the turn after it."""

    def decide(self) -> None:
        """What becomes of each call (kept, dropped, answered with a placeholder) and of
        each result (kept as the answer of its call, or stripped), in the module's rules."""
        answers = self._results_by_id()
        ending = self._ending_batch()
        interrupted = self.behaviour.fakes_interrupted and self._cut_short(ending, answers)
        turn_start = self._turn_start(ending)
        used: set[str] = set()
        for index, message in enumerate(self.messages):
            for block in message.blocks:
                if block.type != TOOL_USE or not block.tool_id:
                    continue
                tool_id = block.tool_id
                if tool_id in used:
                    self._drop(block, index, HealKind.DROPPED_REPEAT)
                    continue
                used.add(tool_id)
                found = [(at, result) for at, result in answers.get(tool_id, ()) if at > index]
                if found and found[0][0] == index + 1 and self._answer_turn(index):
                    kept = found[0][1]
                elif found and self.behaviour.fakes_missing and self._answer_turn(index):
                    self._fake(block, index, MISSING_RESULT)
                    continue
                elif found and self.behaviour.fakes_missing:
                    at, kept = found[0]
                    self._move(kept, at, index)
                elif not found and interrupted and index == ending:
                    self._fake(block, index, INTERRUPTED_RESULT)
                    continue
                elif not found and interrupted and index > turn_start and self._answer_turn(index):
                    self._fake(block, index, MISSING_RESULT)
                    continue
                else:
                    self._drop(block, index, HealKind.DROPPED_CALL)
                    continue
                answers[tool_id] = [(at, r) for at, r in answers[tool_id] if r is not kept]
        for left in answers.values():
            for at, result in left:
                self._drop(result, at, HealKind.STRIPPED_RESULT)

    def healed(self) -> list[Message]:
        healed: list[Message] = []
        for index, message in enumerate(self.messages):
            kept = [block for block in message.blocks if id(block) not in self.dropped]
            if self._answer_turn(index - 1):
                first = self.added.get(index - 1, [])
                last = self.appended.get(index - 1, [])
                kept = _results_first([*first, *kept, *last]) if first or last else kept
            if len(kept) == len(message.blocks) and kept == message.blocks:
                healed.append(message)
            elif kept:
                healed.append(dataclasses.replace(message, blocks=kept))
            outgoing = [*self.added.get(index, []), *self.appended.get(index, [])]
            if outgoing and not self._answer_turn(index):
                origins = [block.origin for block in outgoing]
                healed.append(Message(USER_ROLE, list(outgoing), origins))
        return healed

    def _ending_batch(self) -> int:
        """The assistant turn a session that ended mid-batch ends on (alone, or followed by
        a turn of its results and nothing else); -1: it did not end so."""
        last = len(self.messages) - 1
        if last < 0:
            return -1
        final = self.messages[last]
        if final.role != USER_ROLE:
            return last
        if last > 0 and final.blocks and all(block.is_result for block in final.blocks):
            return last - 1
        return -1

    def _turn_start(self, ending: int) -> int:
        """The last user message before ``ending`` that says more than tool results (the
        prompt the interrupted tool loop answers)."""
        for index in range(ending - 1, -1, -1):
            message = self.messages[index]
            if message.role == USER_ROLE and not all(b.is_result for b in message.blocks):
                return index
        return -1

    def _cut_short(self, ending: int, answers: dict[str, list[tuple[int, Block]]]) -> bool:
        """Whether the batch the session ends on has a call without a result."""
        if ending < 0:
            return False
        return any(
            block.type == TOOL_USE
            and not any(at > ending for at, _ in answers.get(block.tool_id or "", ()))
            for block in self.messages[ending].blocks
        )

    def _results_by_id(self) -> dict[str, list[tuple[int, Block]]]:
        answers: dict[str, list[tuple[int, Block]]] = {}
        for index, message in enumerate(self.messages):
            for block in message.blocks:
                if block.is_result and block.tool_id:
                    answers.setdefault(block.tool_id, []).append((index, block))
        return answers

    def _answer_turn(self, index: int) -> bool:
        """Whether the message after ``index`` is a user turn (that answers its calls)."""
        after = index + 1
        return index >= 0 and after < len(self.messages) and self.messages[after].role == USER_ROLE

    def _drop(self, block: Block, index: int, kind: HealKind) -> None:
        self.dropped.add(id(block))
        self.steps.append(HealStep(kind, block, index))

    def _move(self, result: Block, at: int, call_index: int) -> None:
        """Send a late result in a turn of its own right after its call (which has none)."""
        self.dropped.add(id(result))
        self.added.setdefault(call_index, []).append(result)
        self.steps.append(HealStep(HealKind.MOVED_RESULT, result, at))

    def _fake(self, call: Block, index: int, text: str) -> None:
        """Answer ``call`` with a made-up result: the interrupted one is written into the
        transcript after the turn's results; the missing one is put first at send time."""
        made_up = Block(TOOL_RESULT, call.origin, -1, call.tool_id, is_error=True, made_up=text)
        place = self.appended if text == INTERRUPTED_RESULT else self.added
        place.setdefault(index, []).append(made_up)
        self.steps.append(HealStep(HealKind.FAKED_RESULT, call, index, text))


def _results_first(blocks: Iterable[Block]) -> list[Block]:
    listed = list(blocks)
    return [b for b in listed if b.is_result] + [b for b in listed if not b.is_result]

"""What Claude Code removes from a transcript's conversation when it resumes it.

Observed with the real client (``tests/claude/test_resume_preview.py``, Claude Code
2.1.197 and 2.1.332, on the planted samples and generated mutations of real transcripts):

* a ``tool_use`` that no later result answers is dropped;
* a ``tool_use`` whose id an earlier message already used is dropped, with the first
  result after it that carries the id;
* a ``tool_result`` that no kept call before it asks for (an orphan, a result whose call
  was compacted away or dropped, a second answer to one call) is stripped;
* a message left with nothing in it is not sent.
"""

from __future__ import annotations

import dataclasses

from inspector.core.model import TOOL_USE, Block, Conversation, Message
from inspector.core.resume import HealKind, HealStep, Resumed


def heal_on_resume(conversation: Conversation) -> Resumed:
    """The conversation Claude Code sends after healing it at resume, and what it removed."""
    messages = conversation.messages
    last_answer: dict[str, int] = {}
    for index, message in enumerate(messages):
        for block in message.blocks:
            if block.is_result and block.tool_id:
                last_answer[block.tool_id] = index
    steps: list[HealStep] = []
    used: set[str] = set()
    awaiting: set[str] = set()
    """Ids of kept calls that no kept result has answered yet."""
    repeats: set[str] = set()
    """Ids of dropped repeats whose result is still to come (and to go)."""
    healed: list[Message] = []
    for index, message in enumerate(messages):
        kept: list[Block] = []
        for block in message.blocks:
            step = _step(block, index, last_answer, used, awaiting, repeats)
            if step is None:
                kept.append(block)
            else:
                steps.append(HealStep(step, block, index))
        if len(kept) == len(message.blocks):
            healed.append(message)
        elif kept:
            healed.append(dataclasses.replace(message, blocks=kept))
    resumed = dataclasses.replace(conversation, messages=healed, api_errors=[])
    return Resumed(resumed, steps)


def _step(
    block: Block,
    index: int,
    last_answer: dict[str, int],
    used: set[str],
    awaiting: set[str],
    repeats: set[str],
) -> HealKind | None:
    """What the client does with one block (None: sends it); updates the id sets."""
    tool_id = block.tool_id
    if block.type == TOOL_USE and tool_id:
        if tool_id in used:
            repeats.add(tool_id)
            return HealKind.DROPPED_REPEAT
        used.add(tool_id)
        if last_answer.get(tool_id, -1) <= index:
            return HealKind.DROPPED_CALL
        awaiting.add(tool_id)
        return None
    if block.is_result and tool_id:
        if tool_id in repeats:
            repeats.discard(tool_id)
            return HealKind.STRIPPED_RESULT
        if tool_id in awaiting:
            awaiting.discard(tool_id)
            return None
        return HealKind.STRIPPED_RESULT
    return None

"""What Cline 3.x does to a task history with native tool calls when it sends it.

From 3.35 (native tool calling), Cline 3.x stores the assistant's ``tool_use`` blocks, but
a result whose call it cannot map back to a tool_use id is stored as a text block,
``"[read_file for 'a.py'] Result:\\n…"``, with no ``tool_result`` at all
(``ToolResultUtils.createToolResultBlock``, id ``"cline"``). Before each request,
``ContextManager.ensureToolResultsFollowToolUse`` rebuilds the user turn after each
assistant turn with calls: a ``tool_result`` per call first, in call order, a
``"result missing"`` one for each call the turn does not answer, then its other blocks.
The API accepts that; the model reads the real output in the text that follows, so a
placeholder is worth a word only when no text names its call.

The shape is recognised by content: a call answered only by text in the next user turn.
Cline ≥ 4 sends its histories through another sanitiser (``agents/cline.py``'s notes).
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any, Final

from inspector.core.client import ClientRelease
from inspector.core.model import (
    ASSISTANT_ROLE,
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    MadeUpResult,
    Message,
)

RESULT_MISSING: Final = "result missing"
"""Cline 3.x's placeholder for a call the next user turn does not answer."""
AT_SEND: Final = "when it sent a request"
RELEASE: Final = ClientRelease("Cline", "3.35+", "native tool calls answered by text")


def sends_text_results(conversation: Conversation, stored: list[Any]) -> bool:
    """Whether a call is answered only by a text block naming it: Cline 3.x's shape."""
    for calls, position in _call_turns(conversation):
        answer = conversation.messages[position]
        answered = {block.tool_id for block in answer.blocks if block.is_result}
        texts = _texts(answer, stored)
        if any(c.tool_id not in answered and _naming(c, texts) is not None for c in calls):
            return True
    return False


def as_sent(conversation: Conversation, stored: list[Any]) -> None:
    """Rebuild ``conversation`` (read from ``stored``) the way Cline 3.x sends it."""
    conversation.client = RELEASE
    for calls, position in _call_turns(conversation):
        answer = conversation.messages[position]
        blocks = [] if answer.string_content else answer.blocks  # Cline: content = []
        results: dict[str, Block] = {}
        others: list[Block] = []
        for block in blocks:
            if block.is_result and block.tool_id:
                results[block.tool_id] = block  # a repeated id: the last one is sent
            else:
                others.append(block)
        ids = [call.tool_id for call in calls if call.tool_id]
        update = answer.string_content or _out_of_place(blocks, ids, len(results))
        texts = _texts(answer, stored)
        for call in calls:
            if call.tool_id is None or call.tool_id in results:
                continue
            update = True
            results[call.tool_id] = Block(
                TOOL_RESULT, call.origin, -1, call.tool_id, made_up=RESULT_MISSING
            )
            text = _naming(call, texts)
            if text is None:  # no text carries its output either: the model lost it
                line = answer.origins[0].line
                made_up = MadeUpResult(line, call.tool_id, RESULT_MISSING, AT_SEND)
                conversation.made_up_results.append(made_up)
            else:
                texts.remove(text)
        if update:  # results of other calls are dropped, like Cline drops them
            sent = [results[tool_id] for tool_id in ids] + others
            conversation.messages[position] = Message(USER_ROLE, sent, answer.origins)


def made_up_payload(block: Block) -> dict[str, Any]:
    """The placeholder result as Cline 3.x sends it (no ``is_error``)."""
    return {"type": TOOL_RESULT, "tool_use_id": block.tool_id, "content": block.made_up}


def _call_turns(conversation: Conversation) -> list[tuple[list[Block], int]]:
    """Each assistant turn's calls and the position of the user turn right after it."""
    messages = conversation.messages
    return [
        (calls, index + 1)
        for index, (message, after) in enumerate(pairwise(messages))
        if message.role == ASSISTANT_ROLE
        and after.role == USER_ROLE
        and (calls := [b for b in message.blocks if b.type == TOOL_USE and b.tool_id])
    ]


def _out_of_place(blocks: list[Block], ids: list[str], result_count: int) -> bool:
    """Cline's test: the turn does not open with exactly the calls' results, in order."""
    expected = 0
    for block in blocks:
        if expected >= len(ids):
            break
        if not (block.is_result and block.tool_id == ids[expected]):
            return True
        expected += 1
    return expected < result_count


def _texts(answer: Message, stored: list[Any]) -> list[str]:
    """The text of the answer's text blocks, read from the stored messages."""
    texts: list[str] = []
    for block in answer.blocks:
        if block.type != TEXT or block.index < 0:
            continue
        position = getattr(block.origin, "position", None)
        if not isinstance(position, int) or not 0 <= position < len(stored):
            continue
        content = stored[position].get("content") if isinstance(stored[position], dict) else None
        raw = content[block.index] if isinstance(content, list) else None
        text = raw.get("text") if isinstance(raw, dict) else None
        if isinstance(text, str):
            texts.append(text)
    return texts


def _naming(call: Block, texts: list[str]) -> str | None:
    """The first text that answers ``call``: Cline 3.x names the tool in brackets
    (``[read_file for 'a.py'] Result:``, ``Tool [read_file] was not executed…``)."""
    if not call.name:
        return None
    pattern = re.compile(rf"\[{re.escape(call.name)}(?:\]| for )")
    return next((text for text in texts if pattern.search(text[:2000])), None)

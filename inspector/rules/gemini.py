"""Gemini ``generateContent``: a function call turn is answered by the very next turn, with
as many function response parts as it has function call parts.

The API counts parts; whether it compares ids is not known, so calls are paired with
responses by id, then by name, then in order, and only a count that differs is an error.
Consecutive contents of one role count as one turn (Gemini CLI merges them before it
sends). The texts are the API's own words, each recorded in a real 400 answer:

* count: gemini-cli issues #4217, #5443, #16415 (``INVALID_ARGUMENT``);
* orphan response: GoogleCloudPlatform/generative-ai#368, langchain-ai/langchain#27799;
* a call turn first: gemini-cli#11814 ("when the sent conversation history starts with
  a function call"), continuedev/continue#11164.
"""

from __future__ import annotations

from inspector.core.model import ASSISTANT_ROLE, TOOL_RESULT, TOOL_USE, USER_ROLE, Block
from inspector.rules.context import Context
from inspector.rules.findings import CallStatus, Finding, Rule, Severity, ToolCall
from inspector.rules.pairing import check_order, report_pending
from inspector.rules.turns import Placed, Turn

COUNT_MISMATCH = (
    "Please ensure that the number of function response parts is equal to the number of "
    "function call parts of the function call turn."
)
ORPHAN_RESPONSE = (
    "Please ensure that function response turn comes immediately after a function call turn."
)
CALL_FIRST = (
    "Please ensure that function call turn comes immediately after a user turn or after a "
    "function response turn."
)


def check_gemini_pairing(context: Context) -> None:
    """R1 (count), R2 (orphan response turn), R11 (call turn first), R4 and PENDING."""
    turns = context.turns
    for position, turn in enumerate(turns):
        calls = [placed for placed in turn.blocks if placed[2].type == TOOL_USE]
        responses = [placed for placed in turn.blocks if placed[2].type == TOOL_RESULT]
        if turn.role == ASSISTANT_ROLE and calls:
            if position == 0:
                _call_turn_first(context, calls)
            following = turns[position + 1] if position + 1 < len(turns) else None
            _check_call_turn(context, position, calls, following)
        elif turn.role == USER_ROLE and responses:
            previous = turns[position - 1] if position > 0 else None
            if previous is None or not any(b.type == TOOL_USE for _, _, b in previous.blocks):
                _orphan_turn(context, responses, previous)


def _check_call_turn(
    context: Context, position: int, calls: list[Placed], following: Turn | None
) -> None:
    if following is None:
        for message_index, _, block in calls:
            context.calls.append(
                ToolCall(block.tool_id, block, message_index, status=CallStatus.PENDING)
            )
        report_pending(context, calls)
        return
    responses = [placed for placed in following.blocks if placed[2].type == TOOL_RESULT]
    paired = _pair(calls, responses)
    missing: list[Placed] = []
    for placed in calls:
        message_index, _, block = placed
        response = paired.get(id(block))
        if response is None:
            call = ToolCall(block.tool_id, block, message_index, status=CallStatus.MISSING)
            if _answered_later(context, position, block):
                call.status = CallStatus.LATE
            missing.append(placed)
        else:
            result_message, _, result = response
            status = CallStatus.ANSWERED_ERROR if result.is_error else CallStatus.ANSWERED
            call = ToolCall(block.tool_id, block, message_index, result, result_message, status)
        context.calls.append(call)
    used = {id(placed[2]) for placed in paired.values()}
    extra = [placed for placed in responses if id(placed[2]) not in used]
    for message_index, _, block in extra:
        context.calls.append(
            ToolCall(block.tool_id, None, None, block, message_index, CallStatus.ORPHAN_RESULT)
        )
    if len(responses) != len(calls):
        _count_mismatch(context, calls, responses, missing, extra, following)
    by_id = {
        block.tool_id: paired[id(block)]
        for _, _, block in calls
        if block.tool_id and id(block) in paired
    }
    check_order(context, calls, by_id)


def _pair(calls: list[Placed], responses: list[Placed]) -> dict[int, Placed]:
    """Each call's response (by ``id()`` of the call): by id, then by name, then in order."""
    paired: dict[int, Placed] = {}
    free = list(responses)
    for same in (
        lambda call, response: call.tool_id is not None and call.tool_id == response.tool_id,
        lambda call, response: call.name is not None and call.name == response.name,
        lambda call, response: True,
    ):
        for _, _, call in calls:
            if id(call) in paired:
                continue
            match = next((placed for placed in free if same(call, placed[2])), None)
            if match is not None:
                paired[id(call)] = match
                free.remove(match)
    if len(responses) != len(calls):  # the API counts: only what ids or names pair is paired
        for _, _, call in calls:
            response = paired.get(id(call))
            if response is not None and not (
                call.tool_id == response[2].tool_id or call.name == response[2].name
            ):
                del paired[id(call)]
    return paired


def _answered_later(context: Context, position: int, call: Block) -> bool:
    return call.tool_id is not None and any(
        block.type == TOOL_RESULT and block.tool_id == call.tool_id
        for turn in context.turns[position + 2 :]
        for _, _, block in turn.blocks
    )


def _count_mismatch(
    context: Context,
    calls: list[Placed],
    responses: list[Placed],
    missing: list[Placed],
    extra: list[Placed],
    following: Turn,
) -> None:
    first_message, _, first = (missing or calls)[0]
    said = f"{len(calls)} function call part(s), {len(responses)} function response part(s)"
    if following.role != USER_ROLE:
        cause = f"{said}: the next turn is not a user turn"
    elif not responses:
        cause = f"{said}: the next turn holds no function response"
    elif missing and any(
        _answered_later(context, context.turns.index(following) - 1, block)
        for _, _, block in missing
    ):
        cause = f"{said} in the next turn: a response only comes in a later turn"
    else:
        cause = f"{said} in the next turn"
    if extra:
        cause += f" ({len(extra)} response(s) answer no call of the turn)"
    context.findings.append(
        Finding(
            Rule.R1,
            Severity.ERROR,
            COUNT_MISMATCH,
            ids=tuple(block.tool_id or block.name or "" for _, _, block in missing or extra),
            message_index=following.first_message,
            line=first.origin.line,
            uuid=first.origin.uuid,
            cause=cause,
            note=context.notes.missing,
            cut_before=first_message,
        )
    )


def _orphan_turn(context: Context, responses: list[Placed], previous: Turn | None) -> None:
    cause = "no turn before it" if previous is None else "the turn before it holds no function call"
    for message_index, _, block in responses:
        context.calls.append(
            ToolCall(block.tool_id, None, None, block, message_index, CallStatus.ORPHAN_RESULT)
        )
    message_index, position, block = responses[0]
    context.error(
        Rule.R2,
        ORPHAN_RESPONSE,
        ids=tuple(b.tool_id or b.name or "" for _, _, b in responses),
        message_index=message_index,
        content_index=position,
        block=block,
        cause=cause,
        note=context.notes.orphan,
    )


def _call_turn_first(context: Context, calls: list[Placed]) -> None:
    message_index, position, block = calls[0]
    context.error(
        Rule.R11,
        CALL_FIRST,
        ids=tuple(b.tool_id or b.name or "" for _, _, b in calls),
        message_index=message_index,
        content_index=position,
        block=block,
        cause="the conversation opens with a function call turn",
    )

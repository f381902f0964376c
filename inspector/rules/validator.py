"""The validator as the pipeline it is: pair the calls the API's way, check what only
that API checks, add what the transcript itself says, then find the last valid turn."""

from __future__ import annotations

from dataclasses import replace

from inspector.core.model import (
    ANTHROPIC,
    ASSISTANT_ROLE,
    BEDROCK_CONVERSE,
    GEMINI,
    OPENAI_RESPONSES,
    SERVER_TOOL_USE,
    TOOL_RESULT,
    TOOL_USE,
    Conversation,
    count_blocks,
)
from inspector.rules import anthropic, bedrock
from inspector.rules.context import Context
from inspector.rules.findings import CallStatus, Cut, Finding, Report, Rule
from inspector.rules.gemini import check_gemini_pairing
from inspector.rules.memo import Resume
from inspector.rules.next_turn import RESULT_ABSENT, NextTurnPairing
from inspector.rules.responses import check_responses_pairing
from inspector.rules.transcript import add_api_errors, add_made_up_results, add_transcript_issues


def validate(
    conversation: Conversation, previous: Report | None = None, *, remember: bool = False
) -> Report:
    """Check a projected conversation against the API rules and the transcript checks.

    ``previous``: the report on an earlier state of the same conversation, whose work
    on unchanged messages is reused (the result is the same as without it).
    ``remember``: keep that work in the report for the next validation (a live view
    does; a one-shot check need not pay for it).
    """
    memo = previous.memo if previous is not None else None
    context = Context(conversation, memo, remember or memo is not None)
    api = context.api
    if api == OPENAI_RESPONSES:
        check_responses_pairing(context)
    elif api == GEMINI:
        check_gemini_pairing(context)
    else:
        server_tools = anthropic.check_server_tools if api == ANTHROPIC else None
        NextTurnPairing(context, server_tools).run()
    if api == BEDROCK_CONVERSE:
        bedrock.check_roles(context)
    if api == ANTHROPIC:
        anthropic.BlockChecks(context).run()  # counts the results as it goes
        anthropic.check_thinking(context)
    else:
        context.tool_result_count = count_blocks(conversation, TOOL_RESULT)
    _mark_duplicates(context)
    add_transcript_issues(context)
    add_api_errors(context)
    add_made_up_results(context)
    context.findings.sort(key=_finding_order)
    if context.remember:
        context.memo.resume = _resume_point(context)
    return Report(
        conversation,
        context.findings,
        context.calls,
        _last_valid(context),
        context.tool_result_count,
        context.memo if context.remember else None,
    )


def _resume_point(context: Context) -> Resume | None:
    """Where the next validation may start: this one's resume point if the passes noted
    what they had found there, else the point this one started from (still a prefix)."""
    if context.resume_at is None or context.pairing_mark is None or context.block_mark is None:
        return context.resumed
    calls, pairing_findings = context.pairing_mark
    block_findings, seen_uses, seen_results, result_count, repeated = context.block_mark
    turn = context.resume_at
    absent = frozenset(
        tool_id
        for finding in pairing_findings
        if finding.rule is Rule.R1 and finding.cause == RESULT_ABSENT
        for tool_id in finding.ids
    )
    return Resume(
        context.messages,
        context.turns,
        turn,
        context.turns[turn].first_message,
        context.conversation.compacted_tool_ids,
        calls,
        pairing_findings,
        absent,
        block_findings,
        seen_uses,
        seen_results,
        result_count,
        repeated,
        None if any(f.rule is Rule.R7 for f in block_findings) else seen_results,
    )


def _mark_duplicates(context: Context) -> None:
    """A call whose id an earlier call already used is shown as a duplicate."""
    if not context.repeated_uses:
        return
    repeated = {id(block) for block in context.repeated_uses}
    calls = context.calls
    for position, call in enumerate(calls):
        if call.use is not None and id(call.use) in repeated:
            # a new object: calls may be shared with the memo and earlier reports
            calls[position] = replace(call, status=CallStatus.DUPLICATE)


def _last_valid(context: Context) -> Cut | None:
    """The last message the conversation can be cut after and be accepted."""
    messages = context.messages
    limits = [
        f.cut_before for f in context.findings if f.cut_before is not None and f.limits_last_valid
    ]
    limit = min(limits, default=len(messages))
    for index in range(min(limit, len(messages)) - 1, -1, -1):
        message = messages[index]
        if message.role == ASSISTANT_ROLE and any(
            b.type == TOOL_USE or b.type == SERVER_TOOL_USE for b in message.blocks
        ):
            continue
        origin = message.last_origin
        return Cut(index, origin.line, origin.uuid)
    return None


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    index = finding.message_index if finding.message_index is not None else -1
    return (index, finding.line or 0, finding.rule.value)

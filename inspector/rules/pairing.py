"""Findings every API's call pairing reports the same way: R2 orphans, R4 order, PENDING."""

from __future__ import annotations

from inspector.core.model import Block
from inspector.rules import texts
from inspector.rules.context import Context
from inspector.rules.findings import CallStatus, Finding, Rule, Severity, ToolCall
from inspector.rules.turns import Placed, answered_in_order


def report_orphan(
    context: Context,
    message_index: int,
    position: int,
    block: Block,
    cause: str,
    note: str | None,
) -> None:
    """R2: a result no call answers to."""
    tool_id = block.tool_id or ""
    context.calls.append(
        ToolCall(block.tool_id, None, None, block, message_index, CallStatus.ORPHAN_RESULT)
    )
    context.error(
        Rule.R2,
        texts.unexpected_result(context.api, message_index, position, tool_id),
        ids=(tool_id,),
        message_index=message_index,
        content_index=position,
        block=block,
        cause=cause,
        note=note,
    )


def report_pending(context: Context, uses: list[Placed]) -> None:
    """Calls at the end of the conversation whose results are not written yet."""
    first_message, _, first = uses[0]
    context.findings.append(
        Finding(
            Rule.PENDING,
            Severity.INFO,
            texts.PENDING,
            ids=tuple(block.tool_id or "" for _, _, block in uses),
            message_index=first_message,
            line=first.origin.line,
            uuid=first.origin.uuid,
            cause="no next message",
            note=context.notes.pending,
            cut_before=first_message,
        )
    )


def check_order(context: Context, uses: list[Placed], leading: dict[str, Placed]) -> None:
    """R4: results answered in another order than the calls (accepted, but worth a look).

    ``uses`` are the calls last added to ``context.calls``.
    """
    if answered_in_order(uses, leading):
        return
    call_order = [b.tool_id for _, _, b in uses if b.tool_id in leading]
    call_ids = [tool_id or "" for tool_id in call_order]
    result_order = sorted(call_order, key=lambda tool_id: leading[tool_id or ""][:2])
    batch = tuple(tool_id or "" for tool_id in result_order)
    first_message, first_position, first_result = leading[batch[0]]
    calls = context.calls
    for call in calls[len(calls) - len(uses) :]:  # this turn's calls
        if call.tool_id in batch and call.status is CallStatus.ANSWERED:
            call.status = CallStatus.OUT_OF_ORDER
    context.findings.append(
        Finding(
            Rule.R4,
            Severity.WARNING,
            texts.out_of_order(context.api, first_message, call_ids, list(batch)),
            ids=batch,
            message_index=first_message,
            content_index=first_position,
            line=first_result.origin.line,
            uuid=first_result.origin.uuid,
            cause=f"calls in order {', '.join(call_ids)}",
        )
    )

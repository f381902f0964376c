"""OpenAI Responses API (Codex): a call's output may come anywhere after the call."""

from __future__ import annotations

from inspector.core.model import TOOL_RESULT, TOOL_USE, Block
from inspector.rules import texts
from inspector.rules.context import Context
from inspector.rules.findings import CallStatus, Finding, Rule, Severity, ToolCall
from inspector.rules.pairing import check_order, report_orphan, report_pending
from inspector.rules.turns import Placed


def check_responses_pairing(context: Context) -> None:
    """R1, R2, R4 and PENDING: outputs must follow their call, anywhere after it."""
    messages = context.messages
    outputs: dict[str, Placed] = {}
    for index, message in enumerate(messages):
        for position, block in enumerate(message.blocks):
            if block.type == TOOL_RESULT and block.tool_id:
                if context.first_use.get(block.tool_id, index) >= index:
                    cause = "no call with this call_id before it"
                    report_orphan(context, index, position, block, cause, context.notes.orphan)
                else:
                    outputs.setdefault(block.tool_id, (index, position, block))
    last_content = max(
        (i for i, m in enumerate(messages) if any(not b.tool_id for b in m.blocks)),
        default=-1,
    )
    for turn in context.turns:
        uses = [(m, c, b) for m, c, b in turn.blocks if b.type == TOOL_USE]
        answered: dict[str, Placed] = {}
        missing: list[tuple[int, Block]] = []
        pending: list[Placed] = []
        for message_index, position, block in uses:
            call = ToolCall(block.tool_id, block, message_index)
            context.calls.append(call)
            output = outputs.get(block.tool_id or "")
            if output is not None:
                call.result_message, _, call.result = output
                call.status = (
                    CallStatus.ANSWERED_ERROR if output[2].is_error else CallStatus.ANSWERED
                )
                answered[block.tool_id or ""] = output
            elif message_index > last_content:
                call.status = CallStatus.PENDING
                pending.append((message_index, position, block))
            else:
                call.status = CallStatus.MISSING
                missing.append((message_index, block))
        if missing:
            _report_missing_output(context, missing)
        if pending:
            report_pending(context, pending)
        check_order(context, uses, answered)


def _report_missing_output(context: Context, missing: list[tuple[int, Block]]) -> None:
    ids = [block.tool_id or "" for _, block in missing]
    first_message, first = missing[0]
    context.findings.append(
        Finding(
            Rule.R1,
            Severity.ERROR,
            texts.missing_results(context.api, first_message, ids),
            ids=tuple(ids),
            message_index=first_message,
            line=first.origin.line,
            uuid=first.origin.uuid,
            cause="result absent: no output for this call_id anywhere after it",
            note=context.notes.missing,
            cut_before=first_message,
        )
    )

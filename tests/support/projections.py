"""A projected conversation as plain values, to compare two ways of building it."""

from __future__ import annotations

from typing import Any

from inspector.core.model import Block, Conversation
from inspector.rules import Report


def projection_values(conversation: Conversation) -> dict[str, Any]:
    """Everything a projection holds, with blocks and lines named by where they are read."""
    return {
        "messages": [
            (
                message.role,
                [(b.type, b.tool_id, b.origin.line, b.index) for b in message.blocks],
                [origin.line for origin in message.origins],
                message.string_content,
                message.model,
                message.stop_reason,
            )
            for message in conversation.messages
        ],
        "chain": [origin.line for origin in conversation.chain],
        "issues": conversation.issues,
        "api_errors": [
            (record.origin.line, record.text, record.messages_before)
            for record in conversation.api_errors
        ],
        "subagents": conversation.subagents,
        "abandoned": [
            (branch.fork_uuid, [origin.line for origin in branch.origins])
            for branch in conversation.abandoned
        ],
        "compacted": conversation.compacted_tool_ids,
        "flags": (
            conversation.session_id,
            conversation.thinking_enabled,
            conversation.has_content,
        ),
    }


def _where(block: Block | None) -> tuple[int, int] | None:
    return (block.origin.line, block.index) if block is not None else None


def report_values(report: Report) -> dict[str, Any]:
    """Everything a validation found, with blocks named by where they are read."""
    return {
        "findings": report.findings,
        "calls": [
            (
                call.tool_id,
                _where(call.use),
                call.use_message,
                _where(call.result),
                call.result_message,
                call.status,
            )
            for call in report.calls
        ],
        "last_valid": report.last_valid,
        "counts": (report.tool_use_count, report.tool_result_count, report.ok),
    }

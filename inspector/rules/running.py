"""Calls still running while the client writes a parallel batch.

Claude Code writes a response's ``tool_use`` lines, then each result as its tool ends
(streamed calls: between them). Until the last result is written, the calls without one
are running, not missing: the client sends nothing before the batch is complete. A view
of a session that is being written (its client process alive) tells them as PENDING;
one that ended so keeps the error (the results will never come).
"""

from __future__ import annotations

from dataclasses import replace

from inspector.core.model import ASSISTANT_ROLE, TOOL_USE, USER_ROLE
from inspector.rules import texts
from inspector.rules.findings import CallStatus, Finding, Report, Rule, Severity

RUNNING_CAUSE = "results still being written: the client is running the batch"


def running_calls(report: Report) -> frozenset[str]:
    """Ids of the calls of the last response that no result answers yet (its results
    come one by one, after the calls or between them); none once an API error was
    stored after that response (a request went out with the batch as it stands)."""
    messages = report.conversation.messages
    last = len(messages) - 1
    if (
        last >= 1
        and messages[last].role == USER_ROLE
        and all(block.is_result for block in messages[last].blocks)
    ):
        last -= 1  # the results written so far
    if last < 0 or messages[last].role != ASSISTANT_ROLE:
        return frozenset()
    response_line = messages[last].last_origin.line
    if any(error.origin.line > response_line for error in report.conversation.api_errors):
        return frozenset()  # the client sent it already, and stored the API's answer
    answered = {block.tool_id for message in messages[last + 1 :] for block in message.blocks}
    return frozenset(
        block.tool_id
        for block in messages[last].blocks
        if block.type == TOOL_USE and block.tool_id is not None and block.tool_id not in answered
    )


def only_running(finding: Finding, running: frozenset[str]) -> bool:
    """A missing result of calls that are all still running (R1 on the last response)."""
    return finding.rule is Rule.R1 and bool(finding.ids) and set(finding.ids) <= running


def hold_running(report: Report) -> Report:
    """The report of a session being written: its calls still running are PENDING, not
    missing (the same report when there are none)."""
    running = running_calls(report)
    if not any(only_running(finding, running) for finding in report.findings):
        return report
    notes = report.conversation.notes
    findings = [
        replace(
            finding,
            rule=Rule.PENDING,
            severity=Severity.INFO,
            text=texts.PENDING_BATCH,
            cause=RUNNING_CAUSE,
            note=notes.pending,
        )
        if only_running(finding, running)
        else finding
        for finding in report.findings
    ]
    calls = [
        replace(call, status=CallStatus.PENDING)
        if call.tool_id in running and call.status is CallStatus.MISSING
        else call
        for call in report.calls
    ]
    return replace(report, findings=findings, calls=calls)

"""Findings about the transcript itself, not the API's rules: what reading it met, and the
failed requests the client stored in it."""

from __future__ import annotations

import re

from inspector.core.safe_text import one_line
from inspector.rules.context import Context
from inspector.rules.findings import Finding, Rule, Severity

_MESSAGE_INDEX = re.compile(r"messages\.(\d+)")

MADE_UP_CAUSES = {
    "when it resumed the session": "the session ended before the call's result was recorded "
    "(killed or crashed mid-call)",
    "when it sent a request": "the call's result was missing from the history it sent",
}


def add_transcript_issues(context: Context) -> None:
    """BADLINE, CHAIN, CYCLE: problems of the file or its entry chain."""
    for issue in context.conversation.issues:
        context.findings.append(
            Finding(
                Rule(issue.kind.value),
                Severity.WARNING,
                issue.text,
                line=issue.line,
                uuid=issue.uuid,
                note=issue.note,
            )
        )


def add_made_up_results(context: Context) -> None:
    """MADEUP: a result the client made up: the API accepts it, the model lost the output."""
    conversation = context.conversation
    client = conversation.client.label if conversation.client else "The client"
    for made_up in conversation.made_up_results:
        context.findings.append(
            Finding(
                Rule.MADEUP,
                Severity.WARNING,
                f"{client} made up the result of {made_up.tool_id} {made_up.when}: the model "
                f"was given {one_line(made_up.text, 90)!r} instead of the call's real output",
                ids=(made_up.tool_id,),
                line=made_up.line,
                cause=MADE_UP_CAUSES.get(made_up.when),
                note="The API accepts it; what the call really did is lost to the model.",
            )
        )


def add_api_errors(context: Context) -> None:
    """APIERROR: each stored failed request, tied to the defect that caused it if any."""
    defects = [f for f in context.findings if f.severity is Severity.ERROR]
    for record in context.conversation.api_errors:
        named = _MESSAGE_INDEX.search(record.text.replace("`", ""))
        cause_finding = next(
            (
                f
                for f in defects
                if (named and f.message_index == int(named.group(1)))
                or (not named and (f.cut_before or 0) < record.messages_before)
            ),
            None,
        )
        tool_related = "tool" in record.text.lower()
        if cause_finding is not None:
            cause = (
                f"caused by {cause_finding.rule} at line {cause_finding.line}: "
                f"{cause_finding.cause or cause_finding.text}"
            )
        else:
            cause = "no defect found before it in the conversation (a passing error?)"
        context.findings.append(
            Finding(
                Rule.APIERROR,
                Severity.WARNING if tool_related or cause_finding else Severity.INFO,
                record.text or "API error",
                ids=cause_finding.ids if cause_finding else (),
                message_index=record.messages_before,
                line=record.origin.line,
                uuid=record.origin.uuid,
                cause=cause,
                note="The client stored this failed request in the session; it is not sent.",
            )
        )

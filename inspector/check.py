"""Checking a transcript end to end, and the ``--json`` shape of the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents import load_conversation
from inspector.causes import Why, explain, tools_and_batches
from inspector.core.client import NEWEST_KNOWN, ClientChoice, ClientRelease
from inspector.core.json_out import path_text
from inspector.core.model import Conversation
from inspector.resume import ResumePreview, ResumeVerdict, step_dict
from inspector.rules import Cut, Finding, Report, validate
from inspector.rules.findings import Earlier, Severity


def check_file(
    path: Path, format_name: str | None = None, client: ClientChoice = NEWEST_KNOWN
) -> Report:
    """Read, rebuild and validate one transcript, as the client release ``client`` tells
    sends it. Raises OSError or NotATranscript."""
    return validate(load_conversation(path, format_name, client))


def finding_dict(
    finding: Finding,
    verdict: ResumeVerdict | None = None,
    why: Why | None = None,
    tools: list[str] | None = None,
    batch: int | None = None,
) -> dict[str, Any]:
    """One finding for ``--json``; ``why``, ``tools`` and ``batch`` from the report
    (:func:`inspector.causes.explain`, :func:`inspector.causes.tools_and_batches`)."""
    return {
        "rule": finding.rule.value,
        "severity": finding.severity.value,
        "ids": list(finding.ids),
        "message_index": finding.message_index,
        "content_index": finding.content_index,
        "line": finding.line,
        "uuid": finding.uuid,
        "text": finding.text,
        "cause": finding.cause,
        "note": finding.note,
        "resume": None if verdict is None else {"heals": verdict.heals, "text": verdict.text},
        "why": why_dict(why),
        "tools": tools or [],
        "batch": batch,
    }


def why_dict(why: Why | None) -> dict[str, Any] | None:
    if why is None:
        return None
    return {
        "cause": why.kind.value,
        "summary": why.summary,
        "client_version": why.client_version,
        "evidence": [
            {"line": evidence.line, "text": evidence.text, "timestamp": evidence.timestamp}
            for evidence in why.evidence
        ],
    }


def cut_dict(cut: Cut | None) -> dict[str, Any] | None:
    if cut is None:
        return None
    return {"message_index": cut.message_index, "line": cut.line, "uuid": cut.uuid}


def client_dict(client: ClientRelease | None) -> dict[str, str] | None:
    if client is None:
        return None
    return {"label": client.label, "version": client.version, "source": client.source}


def resume_dict(preview: ResumePreview | None) -> dict[str, Any] | None:
    """What resuming does to the conversation (None: the client resumes it as recorded)."""
    if preview is None:
        return None
    resumed = preview.resumed.conversation
    payloads: dict[int, Any] = {}
    return {
        "heals": preview.heals_all,
        "text": preview.summary(),
        "errors_left": len(preview.report.errors),
        "steps": [step_dict(resumed, step, payloads) for step in preview.resumed.steps],
    }


def report_dict(
    report: Report, preview: ResumePreview | None = None, earlier: Earlier | None = None
) -> dict[str, Any]:
    """The machine-readable result for one transcript (``inspector check --json``);
    ``earlier``: what the start of a followed session held, when the report is only on
    the part after it (:meth:`inspector.live.LiveSession.forget_settled`)."""
    conversation: Conversation = report.conversation
    verdicts = preview.verdicts if preview is not None else {}
    # reads nothing for a healthy file (no findings, or R4 order warnings alone)
    whys = explain(report, order_alone=False)
    facts = tools_and_batches(report) if report.findings else []
    before = earlier.messages if earlier is not None else 0
    findings = [
        finding_dict(finding.after(before), verdicts.get(index), whys[index], *facts[index])
        for index, finding in enumerate(report.findings)
    ]
    errors, warnings = len(report.errors), len(report.warnings)
    tool_uses, tool_results = report.tool_use_count, report.tool_result_count
    last_valid = report.last_valid
    if earlier is not None:
        tool_uses += earlier.tool_uses
        tool_results += earlier.tool_results
        findings[:0] = [finding_dict(finding) for finding in earlier.findings]
        errors += sum(1 for f in earlier.findings if f.severity is Severity.ERROR)
        warnings += sum(1 for f in earlier.findings if f.severity is Severity.WARNING)
        last_valid = earlier.last_valid_with(last_valid)
    return {
        "path": path_text(conversation.path),
        "format": conversation.format,
        "session_id": conversation.session_id,
        "ok": errors == 0,
        "counts": {
            "messages": before + len(conversation.messages),
            "tool_uses": tool_uses,
            "tool_results": tool_results,
            "errors": errors,
            "warnings": warnings,
        },
        "findings": findings,
        "last_valid": cut_dict(last_valid),
        "client": client_dict(conversation.client),
        "written_by": conversation.written_by,
        "resume": resume_dict(preview),
    }

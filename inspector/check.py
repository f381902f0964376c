"""Checking a transcript end to end, and the ``--json`` shape of the result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents import load_conversation
from inspector.core.json_out import path_text
from inspector.core.model import Conversation
from inspector.rules import Cut, Finding, Report, validate


def check_file(path: Path, format_name: str | None = None) -> Report:
    """Read, rebuild and validate one transcript. Raises OSError or NotATranscript."""
    return validate(load_conversation(path, format_name))


def finding_dict(finding: Finding) -> dict[str, Any]:
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
    }


def cut_dict(cut: Cut | None) -> dict[str, Any] | None:
    if cut is None:
        return None
    return {"message_index": cut.message_index, "line": cut.line, "uuid": cut.uuid}


def report_dict(report: Report) -> dict[str, Any]:
    """The machine-readable result for one transcript (``inspector check --json``)."""
    conversation: Conversation = report.conversation
    return {
        "path": path_text(conversation.path),
        "format": conversation.format,
        "session_id": conversation.session_id,
        "ok": report.ok,
        "counts": {
            "messages": len(conversation.messages),
            "tool_uses": report.tool_use_count,
            "tool_results": report.tool_result_count,
            "errors": len(report.errors),
            "warnings": len(report.warnings),
        },
        "findings": [finding_dict(finding) for finding in report.findings],
        "last_valid": cut_dict(report.last_valid),
    }

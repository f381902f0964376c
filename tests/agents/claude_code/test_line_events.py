"""What Claude Code's lines are, for the causes of defects: lines as 1.0.x to 2.1.x write them
(trimmed copies of real ones from ../shared/realworld and the 2.1.332 fixtures)."""

from __future__ import annotations

from typing import Any

import pytest

from inspector.agents import agent_named
from inspector.core.line_event import LineEventKind

BASE: dict[str, Any] = {
    "parentUuid": "c77c4cb7-3687-4550-9014-20123208c878",
    "isSidechain": False,
    "userType": "external",
    "sessionId": "f98b3209-fb48-4e97-95f3-85f1836b3673",
    "version": "2.1.39",
    "uuid": "88f07f6d-c5c0-45db-8506-0f9139630a31",
    "timestamp": "2026-02-12T10:42:37.382Z",
}

LINES = [
    (
        {"type": "user", "message": {"role": "user", "content": "[Request interrupted by user]"}},
        LineEventKind.INTERRUPT,
        "user interrupt: [Request interrupted by user]",
    ),
    (
        {
            "type": "user",
            "message": {
                "role": "user",
                "content": [{"type": "text", "text": "[Request interrupted by user for tool use]"}],
            },
        },
        LineEventKind.INTERRUPT,
        "user interrupt: [Request interrupted by user for tool use]",
    ),
    (
        {
            "type": "attachment",
            "attachment": {
                "type": "hook_success",
                "hookName": "PostToolUse:Bash",
                "toolUseID": "toolu_01",
                "hookEvent": "PostToolUse",
                "content": "secret output",
                "stdout": "secret output\n",
            },
        },
        LineEventKind.HOOK_OUTPUT,
        "hook output: PostToolUse:Bash (hook_success)",
    ),
    (
        {
            "type": "attachment",
            "attachment": {
                "type": "hook_additional_context",
                "content": ["clmail 6.0.10 session registered"],
                "hookName": "SessionStart",
                "toolUseID": "SessionStart",
                "hookEvent": "SessionStart",
            },
        },
        LineEventKind.SESSION_START,
        "SessionStart hook output (hook_additional_context)",
    ),
    (
        {
            "type": "system",
            "subtype": "stop_hook_summary",
            "hookCount": 1,
            "hookInfos": [{"command": "entire hooks claude-code stop"}],
        },
        LineEventKind.HOOK_OUTPUT,
        "hook output: system line (stop_hook_summary)",
    ),
    (
        {
            "parentUuid": None,
            "logicalParentUuid": "b7b1a0bd-8ed1-4659-a10a-509db44daa71",
            "type": "system",
            "subtype": "compact_boundary",
            "content": "Conversation compacted",
            "compactMetadata": {"trigger": "manual", "preTokens": 38335},
        },
        LineEventKind.COMPACTION,
        "compaction boundary (trigger manual, 38335 tokens before)",
    ),
    (
        {"type": "system", "subtype": "turn_duration", "durationMs": 5321},
        LineEventKind.TURN_END,
        "turn duration (the turn ended)",
    ),
    (
        {
            "type": "assistant",
            "isApiErrorMessage": True,
            "message": {"role": "assistant", "content": [{"type": "text", "text": "API Error"}]},
        },
        LineEventKind.API_ERROR,
        "API error stored by the client",
    ),
    (
        {
            "type": "assistant",
            "message": {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_01", "name": "Task", "input": {"prompt": "x"}}
                ],
                "stop_reason": "tool_use",
            },
        },
        LineEventKind.SUBAGENT_CALL,
        "subagent call (Task)",
    ),
    (
        {
            "type": "user",
            "message": {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_01", "content": "x"}],
            },
        },
        LineEventKind.OTHER,
        "tool result",
    ),
    (
        {"type": "user", "message": {"role": "user", "content": "my secret prompt"}},
        LineEventKind.OTHER,
        "user prompt",
    ),
    (
        {"type": "file-history-snapshot", "messageId": "m"},
        LineEventKind.OTHER,
        "file-history-snapshot line",
    ),
]


@pytest.mark.parametrize(("line", "kind", "text"), LINES, ids=[text for _, _, text in LINES])
def test_each_line_is_told_without_its_contents(
    line: dict[str, Any], kind: LineEventKind, text: str
) -> None:
    event = agent_named("claude-code").line_event({**BASE, **line})
    assert event is not None
    assert (event.kind, event.text) == (kind, text)
    assert event.version == "2.1.39"
    assert event.timestamp == "2026-02-12T10:42:37.382Z"
    assert event.session_id == "f98b3209-fb48-4e97-95f3-85f1836b3673"
    assert "secret" not in event.text


def test_a_message_line_without_a_parent_starts_a_chain() -> None:
    agent = agent_named("claude-code")
    prompt = {**BASE, "parentUuid": None, "type": "user", "message": {"content": "hi"}}
    event = agent.line_event(prompt)
    assert event is not None
    assert event.kind is LineEventKind.SESSION_START
    assert event.text == "user prompt starting a new chain (no parent line)"
    summary = {**prompt, "isCompactSummary": True}
    assert agent.line_event(summary) is not None
    assert agent.line_event(summary).kind is LineEventKind.OTHER  # type: ignore[union-attr]


def test_what_is_not_a_line_of_its_own_is_none() -> None:
    agent = agent_named("claude-code")
    assert agent.line_event(["a", "list"]) is None
    assert agent.line_event({"no": "type"}) is None

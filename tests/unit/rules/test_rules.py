"""The validator, rule by rule, on minimal hand-written conversations."""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.agents.claude_code.read import load
from inspector.rules import CallStatus, Finding, Report, Rule, Severity, validate
from tests.support.conversations import (
    assistant,
    result,
    text,
    tool_use,
    transcript_lines,
    user,
    write_conversation,
    write_lines,
)


def check(tmp_path: Path, messages: list[tuple[str, object]]) -> Report:
    return validate(load(write_conversation(tmp_path / "s.jsonl", messages)))  # type: ignore[arg-type]


def only(report: Report, rule: Rule) -> Finding:
    found = [f for f in report.findings if f.rule is rule]
    assert len(found) == 1, report.findings
    return found[0]


def test_healthy_parallel_calls_are_accepted(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [
            user("look"),
            assistant("reading", tool_use("toolu_a"), tool_use("toolu_b")),
            user(result("toolu_a"), result("toolu_b")),
            assistant("done"),
        ],
    )
    assert report.ok
    assert report.findings == []
    assert [call.status for call in report.calls] == [CallStatus.ANSWERED, CallStatus.ANSWERED]
    assert report.last_valid is not None
    assert report.last_valid.message_index == 3
    assert report.verdict() == "the API accepts this conversation"


def test_r1_missing_result_names_the_id_and_the_next_message(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a"), tool_use("toolu_b")),
            user(result("toolu_a")),
            assistant("ok"),
        ],
    )
    finding = only(report, Rule.R1)
    assert finding.severity is Severity.ERROR
    assert finding.ids == ("toolu_b",)
    assert finding.text == (
        "messages.2: `tool_use` ids were found without `tool_result` blocks immediately "
        "after: toolu_b. Each `tool_use` block must have a corresponding `tool_result` "
        "block in the next message."
    )
    assert finding.cause is not None
    assert finding.cause.startswith("result absent")
    assert finding.note is not None
    assert "do not send this call as recorded when they resume" in finding.note
    assert finding.line == 3  # the tool_use line of toolu_b
    assert report.last_valid is not None
    assert report.last_valid.message_index == 0


def test_r1_late_result_also_breaks_r2_where_it_lands(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a")),
            user("hm?"),
            assistant("wait"),
            user(result("toolu_a")),
        ],
    )
    r1 = only(report, Rule.R1)
    assert r1.cause is not None
    assert r1.cause.startswith("late result")
    r2 = only(report, Rule.R2)
    assert r2.message_index == 4
    assert r2.content_index == 0
    assert r2.cause is not None
    assert "messages.1" in r2.cause
    assert {call.status for call in report.calls} == {CallStatus.LATE, CallStatus.ORPHAN_RESULT}


def test_r2_result_without_a_call(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [user("go"), assistant(tool_use("toolu_a")), user(result("toolu_a"), result("toolu_x"))],
    )
    finding = only(report, Rule.R2)
    assert finding.text == (
        "messages.2.content.1: unexpected `tool_use_id` found in `tool_result` blocks: "
        "toolu_x. Each `tool_result` block must have a corresponding `tool_use` block in "
        "the previous message."
    )
    assert finding.ids == ("toolu_x",)


def test_r3_text_between_results_breaks_the_leading_run(tmp_path: Path) -> None:
    # One user line holding [result, text, result]: Claude Code only reorders across lines.
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a"), tool_use("toolu_b")),
            user(result("toolu_a"), text("hook says hi"), result("toolu_b")),
        ],
    )
    finding = only(report, Rule.R3)
    assert finding.ids == ("toolu_b",)
    assert "toolu_b" in finding.text
    assert finding.text.startswith("messages.2: `tool_use` ids")
    assert report.calls[1].status is CallStatus.MISPLACED


def test_text_after_results_is_fine(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [user("go"), assistant(tool_use("toolu_a")), user(result("toolu_a"), text("and also"))],
    )
    assert report.ok


def test_results_split_across_lines_with_text_between_are_moved_first(tmp_path: Path) -> None:
    # Separate user lines: Claude Code merges them, results first, so the API accepts it.
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a"), tool_use("toolu_b")),
            user(result("toolu_a")),
            user("[Request interrupted by user]"),
            user(result("toolu_b")),
        ],
    )
    assert report.ok, report.findings


def test_r4_out_of_order_is_only_a_warning(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a"), tool_use("toolu_b")),
            user(result("toolu_b"), result("toolu_a")),
        ],
    )
    assert report.ok
    finding = only(report, Rule.R4)
    assert finding.severity is Severity.WARNING
    assert finding.ids == ("toolu_b", "toolu_a")
    assert {call.status for call in report.calls} == {CallStatus.OUT_OF_ORDER}


def test_r5_duplicate_tool_use_id(tmp_path: Path) -> None:
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(tool_use("toolu_a")),
            user(result("toolu_a")),
            assistant(tool_use("toolu_a")),
            user(result("toolu_a")),
        ],
    )
    r5 = only(report, Rule.R5)
    assert r5.text == "messages.3.content.0: `tool_use` ids must be unique"
    assert [call.status for call in report.calls if call.use is not None] == [
        CallStatus.ANSWERED,
        CallStatus.DUPLICATE,
    ]
    r5b = only(report, Rule.R5B)
    assert r5b.text == (
        "messages.4.content.0: each tool_use must have a single result. Found multiple "
        "tool_result blocks with id: toolu_a"
    )
    assert report.last_valid is not None
    assert report.last_valid.message_index == 2


def test_r6_text_after_tool_use_in_the_same_turn(tmp_path: Path) -> None:
    # Two assistant messages in a row merge into one turn: [tool_use, text].
    lines = transcript_lines(
        [user("go"), assistant(tool_use("toolu_a")), assistant("and then"), user(result("toolu_a"))]
    )
    report = validate(load(write_lines(tmp_path / "s.jsonl", lines)))
    finding = only(report, Rule.R6)
    assert finding.ids == ("toolu_a",)
    assert "immediately after: toolu_a" in finding.text


def test_r7_tool_result_in_an_assistant_message(tmp_path: Path) -> None:
    report = check(tmp_path, [user("go"), assistant(result("toolu_a"))])
    finding = only(report, Rule.R7)
    assert finding.text == "messages.1: `tool_result` blocks can only be in `user` messages"


def test_r7_tool_use_in_a_user_message(tmp_path: Path) -> None:
    report = check(tmp_path, [user(tool_use("toolu_a"))])
    assert only(report, Rule.R7).text == (
        "messages.0: `tool_use` blocks can only be in `assistant` messages"
    )


def test_r8_bad_id_pattern(tmp_path: Path) -> None:
    report = check(
        tmp_path, [user("go"), assistant(tool_use("toolu a!")), user(result("toolu a!"))]
    )
    texts = [f.text for f in report.findings if f.rule is Rule.R8]
    assert texts == [
        "messages.1.content.0.tool_use.id: String should match pattern '^[a-zA-Z0-9_-]+$'",
        "messages.2.content.0.tool_result.tool_use_id: String should match pattern "
        "'^[a-zA-Z0-9_-]+$'",
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", "messages: text content blocks must be non-empty"),
        ("  \n", "messages: text content blocks must contain non-whitespace text"),
    ],
)
def test_r9_blank_user_text(tmp_path: Path, value: str, expected: str) -> None:
    report = check(tmp_path, [user(text("hi"), text(value))])
    assert only(report, Rule.R9).text == expected


def test_r9_empty_message(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant("x")])
    lines.append(
        lines[0]
        | {
            "uuid": "late",
            "parentUuid": lines[-1]["uuid"],
            "message": {"role": "user", "content": []},
            "timestamp": "2026-01-01T01:00:00.000Z",
        }
    )
    report = validate(load(write_lines(tmp_path / "s.jsonl", lines)))
    assert only(report, Rule.R9).text == (
        "messages.2: all messages must have non-empty content except for the optional final "
        "assistant message"
    )


def test_r12_thinking_on_and_open_tool_loop_without_thinking(tmp_path: Path) -> None:
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "sig"}
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(thinking, "first"),
            user("next"),
            assistant(tool_use("toolu_a")),
            user(result("toolu_a")),
        ],
    )
    finding = only(report, Rule.R12)
    assert finding.text.startswith(
        "messages.3.content.0.type: Expected `thinking` or `redacted_thinking`, but found "
        "`tool_use`. When `thinking` is enabled, a final `assistant` message must start with "
        "a thinking block"
    )


def test_r12_not_raised_when_the_loop_started_with_thinking(tmp_path: Path) -> None:
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "sig"}
    report = check(
        tmp_path,
        [
            user("go"),
            assistant(thinking, tool_use("toolu_a")),
            user(result("toolu_a")),
            assistant(tool_use("toolu_b")),
            user(result("toolu_b")),
        ],
    )
    assert report.ok, report.findings


def test_r13_server_tool_without_its_result(tmp_path: Path) -> None:
    server = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    report = check(tmp_path, [user("go"), assistant(server, "found nothing"), user("thanks")])
    assert only(report, Rule.R13).text == (
        "messages.1: `web_search` tool use with id `srvtoolu_1` was found without a "
        "corresponding `web_search_tool_result` block"
    )


def test_r13_answered_server_tool_is_fine(tmp_path: Path) -> None:
    server = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    answer = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}
    report = check(tmp_path, [user("go"), assistant(server, answer, "found it"), user("ok")])
    assert report.ok


def test_pending_call_at_the_end_is_info(tmp_path: Path) -> None:
    report = check(tmp_path, [user("go"), assistant("let me", tool_use("toolu_a"))])
    assert report.ok
    finding = only(report, Rule.PENDING)
    assert finding.severity is Severity.INFO
    assert report.calls[0].status is CallStatus.PENDING
    assert report.last_valid is not None
    assert report.last_valid.message_index == 0


def test_result_only_message_at_the_start_is_r2(tmp_path: Path) -> None:
    report = check(tmp_path, [user(result("toolu_a")), assistant("hi")])
    assert only(report, Rule.R2).message_index == 0
    assert report.last_valid is None


def test_api_error_line_is_linked_to_the_defect(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant(tool_use("toolu_a")), user("still there?")])
    error = {
        "parentUuid": lines[-1]["uuid"],
        "isSidechain": False,
        "sessionId": "s-1",
        "type": "assistant",
        "uuid": "err",
        "timestamp": "2026-01-01T02:00:00.000Z",
        "isApiErrorMessage": True,
        "message": {
            "id": "e1",
            "role": "assistant",
            "model": "<synthetic>",
            "content": [
                {
                    "type": "text",
                    "text": "API Error: 400 due to tool use concurrency issues. "
                    "Run /rewind to recover the conversation.",
                }
            ],
        },
    }
    report = validate(load(write_lines(tmp_path / "s.jsonl", [*lines, error])))
    api_error = only(report, Rule.APIERROR)
    assert api_error.severity is Severity.WARNING
    assert api_error.ids == ("toolu_a",)
    assert api_error.cause is not None
    assert api_error.cause.startswith("caused by R1")
    assert len(report.conversation.messages) == 3  # the stored error is not sent


def test_r8_result_without_any_id(tmp_path: Path) -> None:
    no_id = {"type": "tool_result", "content": "?"}
    report = check(
        tmp_path, [user("go"), assistant(tool_use("toolu_a")), user(result("toolu_a"), no_id)]
    )
    texts = [f.text for f in report.findings if f.rule is Rule.R8]
    assert texts == [
        "messages.2.content.1.tool_result.tool_use_id: String should match pattern "
        "'^[a-zA-Z0-9_-]+$'"
    ]

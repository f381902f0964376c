"""Bedrock Converse request bodies: recognised, paired in Bedrock's words, rewound in
their own shape; the recorded bodies Bedrock answered 200 read with no error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import detect_format, message_payloads, plan_rewrite
from inspector.check import check_file
from inspector.rewrite.plan import Action, RewriteFailed, apply
from inspector.rules import Rule, Severity
from tests.agents.bodies.cases import CASES, need, recorded


def use(tool_id: str) -> dict[str, Any]:
    return {"toolUse": {"toolUseId": tool_id, "name": "get_weather", "input": {"city": "P"}}}


def result(tool_id: str) -> dict[str, Any]:
    return {"toolResult": {"toolUseId": tool_id, "content": [{"text": "22"}], "status": "success"}}


TAILS: dict[str, list[dict[str, Any]]] = {
    "healthy": [{"role": "user", "content": [result("A"), result("B")]}],
    "missing result": [{"role": "user", "content": [result("A")]}],
    "orphan result": [{"role": "user", "content": [result("A"), result("B"), result("Z")]}],
    "reordered": [{"role": "user", "content": [result("B"), result("A")]}],
    "interleaved": [{"role": "user", "content": [result("A"), {"text": "note"}, result("B")]}],
}
EXPECTED = {  # case: (errors, warnings)
    "healthy": (set(), set()),
    "missing result": ({"R1"}, set()),
    "orphan result": ({"R2"}, set()),
    "reordered": (set(), {"R4"}),
    "interleaved": ({"R3"}, set()),
}


def body(tail: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "modelId": "anthropic.claude-sonnet-4-5",
        "messages": [
            {"role": "user", "content": [{"text": "Weather in Paris and Lyon?"}]},
            {"role": "assistant", "content": [{"text": "Checking."}, use("A"), use("B")]},
            *tail,
        ],
        "toolConfig": {"tools": []},
    }


def write(tmp_path: Path, value: Any, name: str = "request.json") -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(value))
    return path


@pytest.mark.parametrize("case", CASES)
def test_cases_in_bedrock_words(tmp_path: Path, case: str) -> None:
    report = check_file(write(tmp_path, body(TAILS[case])))
    assert report.conversation.format == "bedrock-converse"
    errors, warnings = EXPECTED[case]
    assert {f.rule.value for f in report.errors} == errors
    assert {f.rule.value for f in report.findings if f.severity is Severity.WARNING} == warnings
    assert sum(1 for call in report.calls if call.use is not None) == 2


def test_texts_are_bedrock_s(tmp_path: Path) -> None:
    [missing] = check_file(write(tmp_path, body(TAILS["missing result"]))).errors
    assert missing.text == (
        "Expected toolResult blocks at messages.2.content for the following Ids: B"
    )
    [orphan] = check_file(write(tmp_path, body(TAILS["orphan result"]))).errors
    assert orphan.text == (
        "The number of toolResult blocks at messages.2.content exceeds the number of "
        "toolUse blocks of previous turn."
    )
    [order] = check_file(write(tmp_path, body(TAILS["reordered"]))).findings
    assert order.severity is Severity.WARNING  # Converse itself is not known to reject it
    assert order.text.endswith(
        "Expected toolResult blocks at messages.2.content for the following Ids: A, B, "
        "but found: B, A"
    )


def test_roles_must_alternate_and_start_with_user(tmp_path: Path) -> None:
    messages = body(TAILS["healthy"])["messages"]
    split = [messages[1], messages[2], {"role": "user", "content": [{"text": "and?"}]}]
    report = check_file(write(tmp_path, {"messages": split}))
    assert {f.rule for f in report.errors} == {Rule.R10, Rule.R11}
    [r10] = [f for f in report.errors if f.rule is Rule.R10]
    assert r10.message_index == 2
    assert r10.text.startswith("A conversation must alternate between user and assistant roles.")


def test_rewind_keeps_bedrock_shape_and_repair_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, body(TAILS["missing result"]))
    written = apply(plan_rewrite(Action.REWIND, path)).written
    assert written is not None
    kept = orjson.loads(written.read_bytes())
    assert kept["modelId"] == "anthropic.claude-sonnet-4-5"
    assert kept["messages"] == body([])["messages"][:1]
    assert detect_format(written) == "bedrock-converse"
    with pytest.raises(RewriteFailed, match="not supported for Bedrock Converse requests"):
        plan_rewrite(Action.REPAIR, path)


def test_anthropic_and_chat_bodies_stay_theirs(tmp_path: Path) -> None:
    anthropic = {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}
    chat = {
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]
    }
    assert detect_format(write(tmp_path, anthropic, "a.json")) == "anthropic-messages"
    assert detect_format(write(tmp_path, chat, "c.json")) == "openai-chat"


@pytest.mark.parametrize("path", recorded("bedrock-converse"))
def test_recorded_bodies_bedrock_answered(path: Path | None) -> None:
    path = need(path)
    report = check_file(path)  # every one was answered 200 (SOURCES.md)
    assert report.conversation.format == "bedrock-converse"
    assert report.errors == []
    stored = orjson.loads(path.read_bytes())["messages"]
    calls = sum(1 for m in stored for part in m["content"] if "toolUse" in part)
    assert sum(1 for call in report.calls if call.use is not None) == calls
    assert message_payloads(report.conversation) == stored

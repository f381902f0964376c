"""OpenAI Responses request bodies: recognised, paired with the Responses rules (an
output anywhere after its call), printed and rewound as ``input`` items; the recorded
bodies OpenAI answered 200 read with no error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import detect_format, plan_rewrite
from inspector.check import check_file
from inspector.rewrite.plan import Action, RewriteFailed, apply
from inspector.rules import Severity
from tests.agents.bodies.cases import CASES, need, recorded


def call(tool_id: str) -> dict[str, Any]:
    return {"type": "function_call", "call_id": tool_id, "name": "get_weather", "arguments": "{}"}


def output(tool_id: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": tool_id, "output": "22"}


NOTE = {"role": "user", "content": [{"type": "input_text", "text": "and Lyon?"}]}
TAILS: dict[str, list[dict[str, Any]]] = {
    "healthy": [output("A"), output("B")],
    "missing result": [output("A"), NOTE],
    "orphan result": [output("A"), output("B"), output("Z")],
    "reordered": [output("B"), output("A")],
    # The Responses API pairs by call_id anywhere after the call: a message between is fine.
    "interleaved": [output("A"), NOTE, output("B")],
}
EXPECTED = {  # case: (errors, warnings)
    "healthy": (set(), set()),
    "missing result": ({"R1"}, set()),
    "orphan result": ({"R2"}, set()),
    "reordered": (set(), {"R4"}),
    "interleaved": (set(), set()),
}


def body(tail: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "model": "gpt-5.5",
        "input": [
            {"role": "system", "content": "Use the tools."},
            {"role": "user", "content": [{"type": "input_text", "text": "Weather in Paris?"}]},
            call("A"),
            call("B"),
            *tail,
        ],
        "tools": [],
    }


def write(tmp_path: Path, value: Any, name: str = "request.json", indent: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0))
    return path


@pytest.mark.parametrize("indent", [False, True], ids=["one line", "indented"])
@pytest.mark.parametrize("case", CASES)
def test_cases_in_responses_words(tmp_path: Path, case: str, indent: bool) -> None:
    report = check_file(write(tmp_path, body(TAILS[case]), indent=indent))
    assert report.conversation.format == "openai-responses"
    errors, warnings = EXPECTED[case]
    assert {f.rule.value for f in report.errors} == errors
    assert {f.rule.value for f in report.findings if f.severity is Severity.WARNING} == warnings
    assert sum(1 for c in report.calls if c.use is not None) == 2
    if case == "missing result":
        assert report.errors[0].text == "No tool output found for function call B."
    if case == "orphan result":
        assert report.errors[0].text == (
            "No tool call found for function call output with call_id Z."
        )


def test_messages_prints_the_input_items(tmp_path: Path) -> None:
    sent = body(TAILS["healthy"])
    sent["input"].insert(2, {"type": "reasoning", "id": "rs_1", "summary": []})
    path = write(tmp_path, sent)
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "messages", str(path)],
        capture_output=True,
        check=True,
    )
    assert orjson.loads(done.stdout) == {"input": sent["input"]}


def test_rewind_keeps_the_input_shape_and_repair_says_why(tmp_path: Path) -> None:
    path = write(tmp_path, body(TAILS["missing result"]))
    written = apply(plan_rewrite(Action.REWIND, path)).written
    assert written is not None
    kept = orjson.loads(written.read_bytes())
    assert kept["model"] == "gpt-5.5"
    assert "messages" not in kept
    assert kept["input"] == body([])["input"][:2]
    assert detect_format(written) == "openai-responses"
    with pytest.raises(RewriteFailed, match="not supported for OpenAI Responses requests"):
        plan_rewrite(Action.REPAIR, path)


def test_a_chat_body_with_the_same_messages_stays_chat(tmp_path: Path) -> None:
    messages = body([])["input"][:2]
    assert detect_format(write(tmp_path, {"messages": messages})) == "openai-chat"


@pytest.mark.parametrize("path", recorded("openai-responses") + recorded("openai-responses-cache"))
def test_recorded_bodies_openai_answered(path: Path | None) -> None:
    path = need(path)
    report = check_file(path)  # every one was answered 200 (SOURCES.md)
    assert report.conversation.format == "openai-responses"
    assert report.errors == []
    items = orjson.loads(path.read_bytes())["input"]
    calls = sum(1 for item in items if item.get("type") == "function_call")
    assert sum(1 for c in report.calls if c.use is not None) == calls

"""Other agents' histories: detection, projection, and validation in each API's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import detect_format, load_conversation, message_payloads
from inspector.check import check_file
from inspector.rules import Report, Rule, Severity

# ---------------------------------------------------------------- Anthropic-shaped histories


def use(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "read_file", "input": {"path": "a.py"}}


def answer(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "x = 1"}


TEXT = {"type": "text", "text": "<environment_details>…</environment_details>"}
IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AA=="}}

ANTHROPIC_CASES: dict[str, tuple[list[dict[str, Any]], set[str], set[str]]] = {
    # name: (messages after the opening prompt and call of A and B, errors, warnings)
    "healthy": ([{"role": "user", "content": [answer("A"), answer("B")]}], set(), set()),
    "missing result": ([{"role": "user", "content": [answer("A")]}], {"R1"}, set()),
    "orphan result": (
        [{"role": "user", "content": [answer("A"), answer("B"), answer("Z")]}],
        {"R2"},
        set(),
    ),
    "reordered": ([{"role": "user", "content": [answer("B"), answer("A")]}], set(), {"R4"}),
    "text between results": (
        [{"role": "user", "content": [answer("A"), TEXT, answer("B")]}],
        {"R3"},
        set(),
    ),
    "image between results": (
        [{"role": "user", "content": [answer("A"), IMAGE, answer("B")]}],
        {"R3"},
        set(),
    ),
    "results split with text between": (
        [
            {"role": "user", "content": [answer("A")]},
            {"role": "user", "content": [TEXT]},
            {"role": "user", "content": [answer("B")]},
        ],
        {"R3"},
        set(),
    ),
}


def anthropic_history(tail: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    return [
        {"role": "user", "content": [{"type": "text", "text": "fix it"}], **extra},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Reading."}, use("A"), use("B")],
        },
        *tail,
    ]


def rules_of(report: Report, severity: Severity) -> set[str]:
    return {f.rule.value for f in report.findings if f.severity is severity}


@pytest.mark.parametrize("case", sorted(ANTHROPIC_CASES))
@pytest.mark.parametrize(
    ("folder", "name", "expected_format"),
    [
        ("rooveterinaryinc.roo-cline/tasks/t1", "api_conversation_history.json", "roo-code"),
        ("saoudrizwan.claude-dev/tasks/t1", "api_conversation_history.json", "cline"),
        ("sessions/s1", "s1.messages.json", "cline"),
        ("proxy", "request.json", "anthropic-messages"),
    ],
)
def test_anthropic_shaped_histories(
    tmp_path: Path, case: str, folder: str, name: str, expected_format: str
) -> None:
    tail, errors, warnings = ANTHROPIC_CASES[case]
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True)
    history: Any = anthropic_history(tail, ts=1)
    if expected_format == "anthropic-messages":
        history = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": history}
    path.write_bytes(orjson.dumps(history))
    report = check_file(path)
    assert report.conversation.format == expected_format
    assert rules_of(report, Severity.ERROR) == errors
    assert rules_of(report, Severity.WARNING) == warnings


def test_anthropic_texts_for_the_interleaved_roo_report(tmp_path: Path) -> None:
    # RooCodeInc/Roo-Code#11804 blamed order; what breaks is the text between results.
    path = tmp_path / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(anthropic_history(ANTHROPIC_CASES["text between results"][0])))
    [r3] = check_file(path).errors
    assert r3.text.startswith("messages.2: `tool_use` ids were found without `tool_result`")
    assert r3.ids == ("B",)
    assert r3.cause == "result present but after a non-result block in the next message"


def test_bare_array_and_jsonl_request_log(tmp_path: Path) -> None:
    bare = tmp_path / "bare.json"
    bare.write_bytes(orjson.dumps(anthropic_history(ANTHROPIC_CASES["missing result"][0])))
    assert detect_format(bare) == "anthropic-messages"
    assert rules_of(check_file(bare), Severity.ERROR) == {"R1"}
    log = tmp_path / "requests.jsonl"
    healthy = anthropic_history(ANTHROPIC_CASES["healthy"][0])
    broken = anthropic_history(ANTHROPIC_CASES["orphan result"][0])
    log.write_bytes(
        orjson.dumps({"messages": healthy}) + b"\n" + orjson.dumps({"messages": broken}) + b"\n"
    )
    report = check_file(log)
    assert report.conversation.format == "anthropic-messages"
    [r2] = report.errors
    assert r2.rule is Rule.R2
    assert r2.line == 2


def test_roo_effective_history_starts_at_the_last_summary(tmp_path: Path) -> None:
    broken_before_summary = [
        {"role": "user", "content": [{"type": "text", "text": "old"}]},
        {"role": "assistant", "content": [use("OLD")]},
        {"role": "user", "content": [{"type": "text", "text": "no result for OLD"}]},
    ]
    summary = {"role": "user", "content": [{"type": "text", "text": "Summary…"}], "isSummary": True}
    hidden = {"role": "assistant", "content": [use("GONE")], "truncationParent": "x"}
    history = [*broken_before_summary, summary, hidden, *anthropic_history([])[1:]]
    history.append({"role": "user", "content": [answer("A"), answer("B")]})
    path = tmp_path / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(history))
    report = check_file(path)
    assert report.conversation.format == "roo-code"
    assert report.ok, report.findings
    assert [m.origins[0].line for m in report.conversation.messages] == [4, 6, 7]


# ---------------------------------------------------------------- OpenAI Chat Completions


def call(tool_id: str) -> dict[str, Any]:
    return {"id": tool_id, "type": "function", "function": {"name": "read", "arguments": "{}"}}


def tool(tool_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": tool_id, "content": "ok"}


CHAT_CASES: dict[str, tuple[list[dict[str, Any]], set[str], set[str]]] = {
    "healthy": ([tool("A"), tool("B")], set(), set()),
    "missing result": ([tool("A"), {"role": "user", "content": "and?"}], {"R1"}, set()),
    "orphan result": ([tool("A"), tool("B"), tool("Z")], {"R2"}, set()),
    "reordered": ([tool("B"), tool("A")], set(), {"R4"}),
    "text between results": (
        [tool("A"), {"role": "user", "content": "hm"}, tool("B")],
        {"R3"},
        set(),
    ),
    "system message between results": (
        [tool("A"), {"role": "system", "content": "note"}, tool("B")],
        {"R3"},
        set(),
    ),
}


@pytest.mark.parametrize("case", sorted(CHAT_CASES))
def test_openai_chat_requests(tmp_path: Path, case: str) -> None:
    tail, errors, warnings = CHAT_CASES[case]
    messages = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": None, "tool_calls": [call("A"), call("B")]},
        *tail,
    ]
    path = tmp_path / "chat.json"
    path.write_bytes(orjson.dumps({"model": "gpt-5", "messages": messages}))
    report = check_file(path)
    assert report.conversation.format == "openai-chat"
    assert rules_of(report, Severity.ERROR) == errors
    assert rules_of(report, Severity.WARNING) == warnings
    assert report.tool_result_count == sum(1 for m in tail if m["role"] == "tool")


def test_openai_chat_error_texts(tmp_path: Path) -> None:
    messages = [
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [call("call_1"), call("call_2")]},
        tool("call_1"),
        {"role": "user", "content": "next"},
        tool("call_9"),
    ]
    path = tmp_path / "chat.json"
    path.write_bytes(orjson.dumps({"messages": messages}))
    texts = {f.rule.value: f.text for f in check_file(path).errors}
    assert texts["R1"] == (
        "An assistant message with 'tool_calls' must be followed by tool messages responding "
        "to each 'tool_call_id'. The following tool_call_ids did not have response messages: "
        "call_2"
    )
    assert texts["R2"] == (
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding "
        "message with 'tool_calls'."
    )


# ---------------------------------------------------------------- Codex CLI rollouts


def codex_line(kind: str, payload: dict[str, Any]) -> bytes:
    return orjson.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": kind, "payload": payload})


def codex_call(call_id: str, kind: str = "function_call") -> bytes:
    item = {"type": kind, "name": "shell", "arguments": "{}", "call_id": call_id}
    return codex_line("response_item", item)


def codex_output(call_id: str) -> bytes:
    item = {"type": "function_call_output", "call_id": call_id, "output": "ok"}
    return codex_line("response_item", item)


def codex_message(role: str, text: str) -> bytes:
    kind = "output_text" if role == "assistant" else "input_text"
    item = {"type": "message", "role": role, "content": [{"type": kind, "text": text}]}
    return codex_line("response_item", item)


CODEX_CASES: dict[str, tuple[list[bytes], set[str], set[str]]] = {
    "healthy": (
        [codex_output("A"), codex_output("B"), codex_message("assistant", "done")],
        set(),
        set(),
    ),
    "missing result": ([codex_output("A"), codex_message("assistant", "done")], {"R1"}, set()),
    "orphan result": ([codex_output("A"), codex_output("B"), codex_output("Z")], {"R2"}, set()),
    "reordered": ([codex_output("B"), codex_output("A")], set(), {"R4"}),
    "message between outputs": (
        [codex_output("A"), codex_message("user", "hm"), codex_output("B")],
        set(),
        set(),
    ),
}


@pytest.mark.parametrize("case", sorted(CODEX_CASES))
def test_codex_rollouts(tmp_path: Path, case: str) -> None:
    tail, errors, warnings = CODEX_CASES[case]
    meta = codex_line("session_meta", {"id": "0199-aaaa", "originator": "codex_cli_rs"})
    lines = [
        meta,
        codex_message("user", "fix it"),
        codex_call("A"),
        codex_call("B", "custom_tool_call"),
        *tail,
    ]
    path = tmp_path / "rollout-2026-01-01T00-00-00-0199-aaaa.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = check_file(path)
    assert report.conversation.format == "codex"
    assert report.conversation.session_id == "0199-aaaa"
    assert rules_of(report, Severity.ERROR) == errors
    assert rules_of(report, Severity.WARNING) == warnings
    assert report.tool_result_count == sum(b"function_call_output" in line for line in tail)


def test_codex_texts_and_a_call_still_running(tmp_path: Path) -> None:
    lines = [
        codex_message("user", "go"),
        codex_call("call_1"),
        codex_output("call_7"),
        codex_message("assistant", "hm"),
        codex_call("call_2"),
    ]
    path = tmp_path / "rollout.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = check_file(path)
    texts = {f.rule.value: f.text for f in report.findings}
    assert texts["R1"] == "No tool output found for function call call_1."
    assert texts["R2"] == "No tool call found for function call output with call_id call_7."
    assert texts["PENDING"]  # call_2 is the last thing: still running


# ---------------------------------------------------------------- detection and output


def test_claude_code_is_still_detected_first(tmp_path: Path) -> None:
    from tests.conftest import SAMPLES

    assert detect_format(SAMPLES / "orphan-tool-use.jsonl") == "claude-code"
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert detect_format(empty) == "claude-code"


def test_format_can_be_forced(tmp_path: Path) -> None:
    path = tmp_path / "history.json"
    path.write_bytes(orjson.dumps(anthropic_history(ANTHROPIC_CASES["healthy"][0])))
    assert load_conversation(path, "cline").format == "cline"


def test_messages_of_a_roo_history_drop_client_keys(tmp_path: Path) -> None:
    path = tmp_path / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(anthropic_history([], ts=5, isSummary=True)))
    payloads = message_payloads(load_conversation(path))
    assert payloads[0] == {"role": "user", "content": [{"type": "text", "text": "fix it"}]}


def test_roo_and_cline_epoch_milliseconds_become_iso_times(tmp_path: Path) -> None:
    path = tmp_path / "api_conversation_history.json"
    history = [
        {"role": "user", "content": "go", "ts": 1767225600000},
        {"role": "assistant", "content": "ok", "ts": 1e30},
    ]
    path.write_bytes(orjson.dumps(history))
    first, second = load_conversation(path).messages
    assert first.timestamp == "2026-01-01T00:00:00Z"
    assert second.timestamp is None


def test_a_history_document_is_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recognising a multi-line history parses it whole: the check reuses that parse."""
    import inspector.agents as formats
    from inspector.agents.history import document as stored

    reads: list[Path] = []

    def counting(path: Path) -> stored.StoredHistory:
        reads.append(path)
        return stored.read_history(path)

    monkeypatch.setattr(formats, "read_history", counting)
    path = tmp_path / "rooveterinaryinc.roo-cline/tasks/t1/api_conversation_history.json"
    path.parent.mkdir(parents=True)
    tail = ANTHROPIC_CASES["healthy"][0]
    path.write_bytes(orjson.dumps(anthropic_history(tail), option=orjson.OPT_INDENT_2))
    report = check_file(path)
    assert report.conversation.format == "roo-code"
    assert report.ok
    assert len(reads) == 1

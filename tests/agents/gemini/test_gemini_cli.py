"""Gemini CLI sessions: recognised, sent as Gemini CLI sends them, checked in Gemini's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import (
    agent_named,
    detect_format,
    load_conversation,
    message_payloads,
    stored_sessions,
)
from inspector.core.model import GEMINI
from inspector.rewrite.plan import Action, RewriteFailed
from inspector.rules import CallStatus, Rule, Severity, validate
from inspector.rules.gemini import COUNT_MISMATCH, ORPHAN_RESPONSE

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gemini_cli"
REAL = {
    "entireio-513fab7adf0b.json": 1,
    "entireio-9c53780d06b7.json": 4,
    "session-2026-01-16T11-01-file-ops-37b7abef.json": 14,
}


def call(call_id: str, result: bool = True, name: str = "read_file") -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": call_id,
        "name": name,
        "args": {"path": "a"},
        "status": "success",
    }
    if result:
        response = {"id": call_id, "name": name, "response": {"output": "ok"}}
        found["result"] = [{"functionResponse": response}]
    return found


def user(text: str, number: int) -> dict[str, Any]:
    return {
        "id": f"u{number}",
        "timestamp": "2026-01-10T20:00:00Z",
        "type": "user",
        "content": text,
    }


def gemini(number: int, *calls: dict[str, Any], text: str = "") -> dict[str, Any]:
    message: dict[str, Any] = {"id": f"g{number}", "type": "gemini", "content": text}
    if calls:
        message["toolCalls"] = list(calls)
    message["thoughts"] = [{"subject": "Plan", "description": "think", "timestamp": "t"}]
    message["model"] = "gemini-2.5-flash"
    return message


def session(tmp_path: Path, *messages: dict[str, Any], name: str = "session-x.json") -> Path:
    path = tmp_path / name
    document = {
        "sessionId": "s-1",
        "projectHash": "abc",
        "startTime": "2026-01-10T20:00:00Z",
        "lastUpdated": "2026-01-10T20:01:00Z",
        "messages": list(messages),
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


def test_healthy_session_is_read_as_gemini_cli_sends_it(tmp_path: Path) -> None:
    path = session(
        tmp_path,
        user("read a", 1),
        gemini(2, call("c1"), call("c2"), text="Reading."),
        {"id": "i3", "type": "info", "content": "update available"},
        gemini(4, text="Done."),
        user("/quit", 5),
    )
    assert detect_format(path) == "gemini-cli"
    conversation = load_conversation(path)
    assert conversation.api == GEMINI
    roles = [m.role for m in conversation.messages]
    assert roles == ["user", "assistant", "user", "assistant"]  # info and /quit not sent
    assert [b.type for b in conversation.messages[1].blocks] == ["text", "tool_use", "tool_use"]
    report = validate(conversation)
    assert report.ok
    assert [c.status for c in report.calls] == [CallStatus.ANSWERED] * 2
    sent = message_payloads(conversation)
    assert sent[1]["role"] == "model"
    assert sent[1]["parts"][1] == {
        "functionCall": {"id": "c1", "name": "read_file", "args": {"path": "a"}}
    }
    assert all("thought" not in part for content in sent for part in content["parts"])


def test_call_without_result_is_the_count_error(tmp_path: Path) -> None:
    path = session(
        tmp_path, user("read", 1), gemini(2, call("c1"), call("c2", result=False)), user("next", 3)
    )
    report = validate(load_conversation(path))
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    assert [(f.rule, f.text, f.ids) for f in errors] == [(Rule.R1, COUNT_MISMATCH, ("c2",))]
    assert "2 function call part(s), 1 function response part(s)" in (errors[0].cause or "")
    assert errors[0].note is not None
    assert "Gemini CLI" in errors[0].note


def test_no_result_at_all_merges_into_the_next_user_turn(tmp_path: Path) -> None:
    path = session(tmp_path, user("read", 1), gemini(2, call("c1", result=False)), user("next", 3))
    report = validate(load_conversation(path))
    assert [f.rule for f in report.errors] == [Rule.R1]
    assert "no function response" in (report.errors[0].cause or "")


def test_session_ending_on_a_call_is_pending(tmp_path: Path) -> None:
    path = session(tmp_path, user("read", 1), gemini(2, call("c1", result=False)))
    report = validate(load_conversation(path))
    assert report.ok
    assert [f.rule for f in report.findings] == [Rule.PENDING]


def test_user_record_of_responses_only_is_not_sent(tmp_path: Path) -> None:
    # Gemini CLI skips a user record whose text is blank: a stored response there is not sent
    stray = {
        "id": "u3",
        "type": "user",
        "content": [{"functionResponse": {"id": "zz", "name": "read_file", "response": {}}}],
    }
    path = session(tmp_path, user("hi", 1), gemini(2, text="Hello."), stray)
    assert len(load_conversation(path).messages) == 2


def test_orphan_response_turn(tmp_path: Path) -> None:
    # a record whose content parts hold only a thought: Gemini CLI takes them as the model
    # turn (no call), drops the thought, and sends the responses after the user's prompt
    thinking = gemini(2, call("c1"))
    thinking["content"] = [{"text": "planning", "thought": True}]
    path = session(tmp_path, user("hi", 1), thinking)
    report = validate(load_conversation(path))
    assert [(f.rule, f.text, f.ids) for f in report.errors] == [(Rule.R2, ORPHAN_RESPONSE, ("c1",))]
    assert [c.status for c in report.calls] == [CallStatus.ORPHAN_RESULT]


def test_reordered_responses_are_a_warning(tmp_path: Path) -> None:
    first, second = call("c1"), call("c2")
    first["result"], second["result"] = second["result"], first["result"]  # c2's response first
    path = session(tmp_path, user("read", 1), gemini(2, first, second))
    report = validate(load_conversation(path))
    assert report.ok
    assert [(f.rule, f.severity) for f in report.findings] == [(Rule.R4, Severity.WARNING)]


def test_interleaved_calls_answered_in_the_wrong_turns(tmp_path: Path) -> None:
    # c2 is answered only after the next call turn: both call turns miscount
    late = call("c2", result=False)
    carrier = gemini(4, call("c3"))
    carrier["toolCalls"][0]["result"].append(
        {"functionResponse": {"id": "c2", "name": "read_file", "response": {"output": "late"}}}
    )
    path = session(tmp_path, user("go", 1), gemini(2, call("c1"), late), user("more", 3), carrier)
    report = validate(load_conversation(path))
    assert [(f.rule, f.text) for f in report.errors] == [(Rule.R1, COUNT_MISMATCH)] * 2
    statuses = [(c.tool_id, c.status) for c in report.calls]
    assert ("c2", CallStatus.LATE) in statuses
    assert ("c2", CallStatus.ORPHAN_RESULT) in statuses  # its response answers no call of c3's turn


def test_jsonl_session_folds_updates_and_rewinds(tmp_path: Path) -> None:
    path = tmp_path / "session-y.jsonl"
    lines = [
        {"sessionId": "s-2", "projectHash": "abc", "startTime": "t"},
        user("read", 1),
        gemini(2, call("c1", result=False)),
        gemini(2, call("c1")),  # written again with its result
        user("abandoned", 3),
        gemini(4, call("c9", result=False)),
        {"$rewindTo": "u3"},
        {"$set": {"lastUpdated": "t2"}},
    ]
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    assert detect_format(path) == "gemini-cli"
    conversation = load_conversation(path)
    report = validate(conversation)
    assert report.ok
    assert report.findings == []
    assert [c.tool_id for c in report.calls] == ["c1"]
    assert conversation.messages[1].origins[0].line == 4


def test_real_sessions_are_accepted_with_their_tool_calls() -> None:
    for name, calls in REAL.items():
        path = FIXTURES / name
        assert detect_format(path) == "gemini-cli", name
        report = validate(load_conversation(path))
        assert report.errors == [], name
        assert len(report.calls) == calls, name
        assert all(c.status is CallStatus.ANSWERED for c in report.calls), name


def test_sessions_are_found_where_gemini_cli_keeps_them(tmp_path: Path) -> None:
    chats = tmp_path / "home" / ".gemini" / "tmp" / "hash1" / "chats"
    chats.mkdir(parents=True)
    found = session(chats, user("hi", 1), name="session-2026-01-01T00-00-abc.json")
    other = tmp_path / "elsewhere" / ".gemini" / "tmp" / "hash2" / "chats"
    other.mkdir(parents=True)
    moved = session(other, user("hi", 1), name="session-2026-01-02T00-00-def.json")
    at_home = [s for s in stored_sessions(tmp_path / "home", {}) if s.agent == "Gemini CLI"]
    assert [(s.path, s.project) for s in at_home] == [(found, "hash1")]
    env = {"GEMINI_CLI_HOME": str(tmp_path / "elsewhere")}
    assert [s.path for s in stored_sessions(tmp_path / "home", env) if s.agent == "Gemini CLI"] == [
        moved
    ]


@pytest.mark.parametrize("action", [Action.REWIND, Action.REPAIR])
def test_rewrite_is_refused_with_a_reason(tmp_path: Path, action: Action) -> None:
    path = session(tmp_path, user("read", 1), gemini(2, call("c1", result=False)), user("x", 3))
    agent = agent_named("gemini-cli")
    plan = agent.plan_rewind if action is Action.REWIND else agent.plan_repair
    with pytest.raises(RewriteFailed, match="not supported for Gemini CLI"):
        plan(path)

"""Gemini generateContent bodies: recognised, checked as sent, in the API's words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import agent_named, detect_format, load_conversation
from inspector.rewrite.plan import RewriteFailed
from inspector.rules import Rule, Severity, validate
from inspector.rules.gemini import CALL_FIRST, COUNT_MISMATCH, ORPHAN_RESPONSE
from tests.conftest import REPO

RECORDINGS = REPO.parent / "shared" / "realworld-external" / "opencode-recordings" / "requests"


def fc(call_id: str, name: str = "get_weather") -> dict[str, Any]:
    return {"functionCall": {"id": call_id, "name": name, "args": {"city": "Paris"}}}


def fr(call_id: str, name: str = "get_weather") -> dict[str, Any]:
    return {"functionResponse": {"id": call_id, "name": name, "response": {"output": "sunny"}}}


def body(tmp_path: Path, *contents: tuple[str, list[Any]], indent: bool = False) -> Path:
    path = tmp_path / "request.json"
    document = {
        "contents": [{"role": role, "parts": parts} for role, parts in contents],
        "tools": [{"functionDeclarations": [{"name": "get_weather"}]}],
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2 if indent else 0))
    return path


@pytest.mark.parametrize("indent", [False, True])
def test_healthy_body(tmp_path: Path, indent: bool) -> None:
    path = body(
        tmp_path,
        ("user", [{"text": "weather?"}]),
        ("model", [fc("a"), fc("b")]),
        ("user", [fr("a"), fr("b")]),
        ("model", [{"text": "sunny"}]),
        indent=indent,
    )
    assert detect_format(path) == "gemini-request"
    report = validate(load_conversation(path))
    assert report.ok
    assert report.findings == []
    assert len(report.calls) == 2


def test_missing_response(tmp_path: Path) -> None:
    path = body(
        tmp_path,
        ("user", [{"text": "weather?"}]),
        ("model", [fc("a"), fc("b")]),
        ("user", [fr("a")]),
    )
    report = validate(load_conversation(path))
    assert [(f.rule, f.text, f.ids, f.message_index) for f in report.errors] == [
        (Rule.R1, COUNT_MISMATCH, ("b",), 2)
    ]


def test_orphan_response(tmp_path: Path) -> None:
    path = body(
        tmp_path, ("user", [{"text": "hi"}]), ("model", [{"text": "hello"}]), ("user", [fr("z")])
    )
    report = validate(load_conversation(path))
    assert [(f.rule, f.text) for f in report.errors] == [(Rule.R2, ORPHAN_RESPONSE)]


def test_reordered_responses_are_a_warning(tmp_path: Path) -> None:
    path = body(
        tmp_path,
        ("user", [{"text": "weather?"}]),
        ("model", [fc("a"), fc("b")]),
        ("user", [fr("b"), fr("a")]),
    )
    report = validate(load_conversation(path))
    assert report.ok
    assert [(f.rule, f.severity) for f in report.findings] == [(Rule.R4, Severity.WARNING)]


def test_interleaved_text_between_call_and_response(tmp_path: Path) -> None:
    # a model turn in between: the call turn's next turn holds no response, and the
    # response then follows a turn without calls
    path = body(
        tmp_path,
        ("user", [{"text": "weather?"}]),
        ("model", [fc("a")]),
        ("user", [{"text": "also, hi"}]),
        ("model", [{"text": "hi"}]),
        ("user", [fr("a")]),
    )
    report = validate(load_conversation(path))
    assert [f.rule for f in report.errors] == [Rule.R1, Rule.R2]


def test_call_turn_first(tmp_path: Path) -> None:
    path = body(tmp_path, ("model", [fc("a")]), ("user", [fr("a")]))
    report = validate(load_conversation(path))
    assert [(f.rule, f.text) for f in report.errors] == [(Rule.R11, CALL_FIRST)]


def test_ids_absent_pair_by_name_and_count(tmp_path: Path) -> None:
    call = {"functionCall": {"name": "get_weather", "args": {}}}
    response = {"functionResponse": {"name": "get_weather", "response": {}}}
    path = body(tmp_path, ("user", [{"text": "w"}]), ("model", [call]), ("user", [response]))
    assert validate(load_conversation(path)).findings == []


def test_rewrite_is_refused(tmp_path: Path) -> None:
    path = body(tmp_path, ("user", [{"text": "hi"}]))
    with pytest.raises(RewriteFailed, match="not supported for Gemini request bodies"):
        agent_named("gemini-request").plan_rewind(path)


def test_recorded_bodies_answered_200_have_no_error() -> None:
    files = sorted(RECORDINGS.glob("gemini*/*.request.json")) if RECORDINGS.is_dir() else []
    if not files:
        pytest.skip(f"recorded Gemini bodies not found under {RECORDINGS}")
    for path in files:
        assert detect_format(path) == "gemini-request", path
        report = validate(load_conversation(path))
        assert report.findings == [], path
        assert report.calls == [], path


def test_odd_roles_are_skipped_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "odd.json"
    document = {
        "contents": [{"role": ["x"], "parts": []}, {"role": "user", "parts": [{"text": "hi"}]}]
    }
    path.write_bytes(orjson.dumps(document))
    assert [m.role for m in load_conversation(path).messages] == ["user"]

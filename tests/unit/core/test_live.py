"""Following a session while it is written."""

from __future__ import annotations

import os
from pathlib import Path

import orjson

from inspector.live import LiveSession
from tests.conftest import SAMPLES


def test_appended_lines_are_read_incrementally(tmp_path: Path) -> None:
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(lines[:10]) + lines[10][:15])  # the writer is mid-line
    live = LiveSession(path)
    first = live.refresh()
    assert first is not None
    assert first.lines_read == 10
    assert live.refresh() is None  # nothing new
    with path.open("ab") as handle:
        handle.write(lines[10][15:] + b"".join(lines[11:]))
    second = live.refresh()
    assert second is not None
    assert second.lines_read == len(lines) - 10
    assert not second.restarted
    assert second.report.ok


def test_a_pending_call_turns_answered_when_its_result_lands(tmp_path: Path) -> None:
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    values = [orjson.loads(line) for line in lines]
    first_result = next(
        i
        for i, v in enumerate(values)
        if v.get("type") == "user"
        and isinstance(v["message"]["content"], list)
        and v["message"]["content"][0].get("type") == "tool_result"
    )
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(lines[:first_result]))
    live = LiveSession(path)
    before = live.refresh()
    assert before is not None
    assert "pending" in {call.status.value for call in before.report.calls}
    with path.open("ab") as handle:
        handle.write(b"".join(lines[first_result:]))
    after = live.refresh()
    assert after is not None
    assert "pending" not in {call.status.value for call in after.report.calls}


def test_truncated_session_is_reloaded(tmp_path: Path) -> None:
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(lines))
    live = LiveSession(path)
    full = live.refresh()
    path.write_bytes(b"".join(lines[:5]))
    short = live.refresh()
    assert full is not None
    assert short is not None
    assert short.restarted
    assert len(short.conversation.messages) < len(full.conversation.messages)


def test_a_rewritten_history_is_reloaded(tmp_path: Path) -> None:
    path = tmp_path / "api_conversation_history.json"
    history = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    path.write_bytes(orjson.dumps(history))
    live = LiveSession(path)
    first = live.refresh()
    assert first is not None
    assert first.conversation.format == "cline"
    assert live.refresh() is None
    history += [{"role": "user", "content": "more"}]
    replacement = tmp_path / "tmp.json"
    replacement.write_bytes(orjson.dumps(history))
    os.replace(replacement, path)  # written whole, as the extensions do
    second = live.refresh()
    assert second is not None
    assert second.restarted
    assert len(second.conversation.messages) == 3

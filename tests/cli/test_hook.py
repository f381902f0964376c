"""``inspector hook``: Claude Code's hook input in, the answer Claude Code reads out."""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.cli.hook import run_hook
from tests.conftest import SAMPLES

ORPHAN_CALL = "toolu_01rl2GAu77DnCyJeBIrzFL3C"


def hook(event: str, transcript: Path, **more: Any) -> tuple[int, Any]:
    data = {"hook_event_name": event, "transcript_path": str(transcript), "session_id": "s1"}
    out = io.StringIO()
    code = run_hook(io.BytesIO(orjson.dumps(data | more)), out)
    text = out.getvalue()
    return code, orjson.loads(text) if text else None


def copy(name: str, folder: Path) -> Path:
    target = folder / name
    shutil.copyfile(SAMPLES / name, target)
    return target


def test_resume_tells_the_model_which_calls_lost_their_results(tmp_path: Path) -> None:
    path = copy("orphan-tool-use.jsonl", tmp_path)
    code, answer = hook("SessionStart", path, source="resume")
    assert code == 0
    context = answer["hookSpecificOutput"]["additionalContext"]
    assert answer["hookSpecificOutput"]["hookEventName"] == "SessionStart"
    assert "removed the real results of 1 earlier tool call(s)" in context
    assert "- Read /home/dev/projects/shop-api/config/import.toml (transcript line 6)" in context


@pytest.mark.parametrize("source", ["startup", "clear", "compact"])
def test_other_session_starts_say_nothing(tmp_path: Path, source: str) -> None:
    assert hook("SessionStart", copy("orphan-tool-use.jsonl", tmp_path), source=source) == (0, None)


def test_a_healthy_resume_says_nothing(tmp_path: Path) -> None:
    path = copy("healthy-parallel.jsonl", tmp_path)
    assert hook("SessionStart", path, source="resume") == (0, None)


def test_stop_tells_the_user_once_when_the_session_breaks(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    healthy = (SAMPLES / "healthy-parallel.jsonl").read_bytes()
    path.write_bytes(healthy)
    assert hook("Stop", path) == (0, None)
    path.write_bytes(healthy + (SAMPLES / "orphan-tool-use.jsonl").read_bytes())
    code, answer = hook("Stop", path)
    assert code == 0
    message = answer["systemMessage"]
    assert message.startswith("inspector: this session just broke: R")
    assert f"`inspector repair {path}`" in message
    assert "`claude --resume s1`" in message
    assert hook("Stop", path) == (0, None)  # told already
    assert hook("SubagentStop", path) == (0, None)


def test_stop_tells_of_a_result_the_client_made_up(tmp_path: Path) -> None:
    fixture = Path("tests/fixtures/claude_code/2.1.332/late-result-resumed.resumed.jsonl")
    path = tmp_path / "resumed.jsonl"
    shutil.copyfile(fixture, path)
    code, answer = hook("Stop", path)
    assert code == 0
    assert "Claude Code made up 1 tool result(s) (first at line" in answer["systemMessage"]


def test_precompact_warns_of_calls_without_results(tmp_path: Path) -> None:
    code, answer = hook("PreCompact", copy("orphan-tool-use.jsonl", tmp_path))
    assert code == 0
    assert ORPHAN_CALL in answer["systemMessage"]
    assert hook("PreCompact", copy("healthy-parallel.jsonl", tmp_path)) == (0, None)


@pytest.mark.parametrize(
    "data",
    [b"", b"not json", b"[]", b'{"hook_event_name": "PreToolUse", "transcript_path": "x"}'],
)
def test_input_it_does_not_answer_is_no_failure(data: bytes) -> None:
    out = io.StringIO()
    assert run_hook(io.BytesIO(data), out) == 0
    assert out.getvalue() == ""


def test_a_missing_transcript_says_nothing(tmp_path: Path) -> None:
    assert hook("Stop", tmp_path / "gone.jsonl") == (0, None)


def test_an_internal_failure_is_quiet_and_never_blocks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("inspector.cli.hook.answer", broken)
    code, answer = hook("Stop", copy("orphan-tool-use.jsonl", tmp_path))
    assert (code, answer) == (1, None)  # 1: a non-blocking error; 2 would block the user
    assert capsys.readouterr().err == "inspector hook: RuntimeError: boom\n"

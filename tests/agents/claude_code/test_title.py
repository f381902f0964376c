"""A session's title for the picker: Claude Code's own (custom, generated, summary), else
the first prompt; found without parsing the whole file."""

from __future__ import annotations

from pathlib import Path

import orjson

from inspector.agents import session_title
from inspector.agents.claude_code.title import session_title as claude_title
from inspector.core.agent import SessionFile
from tests.support.synthetic import SessionWriter, bash_call


def _session(
    tmp_path: Path, *, meta: list[dict[str, object]], prompt: str = "Fix the import"
) -> Path:
    writer = SessionWriter(seed=11)
    writer.prompt(prompt)
    # Tool output that merely mentions the markers is not a title line.
    writer.tool_batch([bash_call("grep -r title", '{"type":"custom-title","customTitle":"fake"}')])
    writer.assistant_text("Done.")
    path = tmp_path / f"{writer.session_id}.jsonl"
    writer.write(path)
    with path.open("ab") as handle:
        for entry in meta:
            handle.write(orjson.dumps({**entry, "sessionId": writer.session_id}) + b"\n")
    return path


def test_custom_title_wins_and_the_last_one_counts(tmp_path: Path) -> None:
    path = _session(
        tmp_path,
        meta=[
            {"type": "summary", "summary": "A summary", "leafUuid": "x"},
            {"type": "custom-title", "customTitle": "First name"},
            {"type": "ai-title", "aiTitle": "Made up"},
            {"type": "custom-title", "customTitle": "Import fix, take two"},
            {"type": "last-prompt", "lastPrompt": "continue"},
            {"type": "tag", "tag": "custom-title"},  # the marker, in a line of another type
        ],
    )
    assert claude_title(path) == "Import fix, take two"


def test_generated_title_then_summary(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    meta: list[dict[str, object]] = [
        {"type": "ai-title", "aiTitle": "Nightly import"},
        {"type": "summary", "summary": "S"},
    ]
    assert claude_title(_session(tmp_path / "a", meta=meta)) == "Nightly import"
    summary = _session(tmp_path / "b", meta=[{"type": "summary", "summary": "Duplicate keys"}])
    assert claude_title(summary) == "Duplicate keys"


def test_first_prompt_without_a_stored_title(tmp_path: Path) -> None:
    path = _session(tmp_path, meta=[], prompt="  The nightly import logs\n'duplicate key'  ")
    assert claude_title(path) == "The nightly import logs\n'duplicate key'"


def test_commands_and_meta_lines_are_not_the_first_prompt(tmp_path: Path) -> None:
    lines = [
        {"type": "user", "isMeta": True, "message": {"role": "user", "content": "Caveat: ..."}},
        {
            "type": "user",
            "message": {"role": "user", "content": "<command-name>/clear</command-name>"},
        },
        {
            "type": "user",
            "message": {"role": "user", "content": [{"type": "text", "text": "Why?"}]},
        },
    ]
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    assert claude_title(path) == "Why?"


def test_no_title_empty_or_unreadable(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert claude_title(empty) == ""
    assert claude_title(tmp_path / "missing.jsonl") == ""
    assert claude_title(tmp_path) == ""  # a folder
    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(bytes(range(256)) * 10)
    assert claude_title(binary) == ""


def test_a_title_far_down_a_big_file(tmp_path: Path) -> None:
    path = _session(tmp_path, meta=[])
    filler = orjson.dumps({"type": "progress", "data": "x" * 1000}) + b"\n"
    with path.open("ab") as handle:
        handle.write(filler * 20_000)  # 20 MB after the prompt
        handle.write(orjson.dumps({"type": "custom-title", "customTitle": "Renamed late"}) + b"\n")
    assert claude_title(path) == "Renamed late"


def test_the_registry_asks_the_sessions_agent(tmp_path: Path) -> None:
    path = _session(tmp_path, meta=[{"type": "custom-title", "customTitle": "Mine"}])
    session = SessionFile(path, "p", path.stem, 1, 0.0, "Claude Code")
    assert session_title(session) == "Mine"
    assert session_title(SessionFile(path, "p", path.stem, 1, 0.0, "Roo Code")) == ""
    assert session_title(SessionFile(path, "p", path.stem, 1, 0.0, "nobody")) == ""

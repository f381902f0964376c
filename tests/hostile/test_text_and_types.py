"""Hostile text and hostile JSON types (issue 10, items 3, 6, 8, 9).

* Text from a file or a path never forges or disguises a terminal line: newlines, tabs,
  controls, bidi and zero-width characters are shown as escapes, in the CLI and the app.
* A field of any JSON type where a string is expected is no internal error.
* A rewound OpenAI Chat request is still read (and accepted) as one.
* The live-session guard reads pids as other writers store them, and a future mtime is live.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import inspector.core.safe_text as safe_text
from inspector.agents.claude_code.layout import live_session_ids
from inspector.agents.claude_code.plan import live_reason
from inspector.cli import main
from inspector.core.agent import SessionFile
from tests.conftest import SAMPLES

SAMPLE = "orphan-tool-use"
SESSION = "780c4b16-a510-49fa-a2b2-bbd1c38dbe31"
TOOL_ID = "toolu_01rl2GAu77DnCyJeBIrzFL3C"  # the call with no result in the sample
FORGED = "toolu_01rl\n  ✓ the API accepts this conversation\n"
HIDDEN = "\u202e\u200b\u200c\u200d\u2060\ufeff\u2066\u2069\u200e\u200f\u061c\u2028\u2029"


def _unsafe(text: str, keep: str = "\n") -> list[str]:
    """Characters of ``text`` that must never reach a terminal as they are (but ``keep``)."""
    return [
        char
        for char in text
        if char not in keep and unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp")
    ]


@pytest.fixture(autouse=True)
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "claude-config"
    (config / "sessions").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return config


def _idle(path: Path) -> None:
    past = time.time() - 3600
    os.utime(path, (past, past))


def _session(tmp_path: Path, edit: Any = None, name: str = f"{SESSION}.jsonl") -> Path:
    """The orphan-tool-use sample in its own project folder, each line passed to ``edit``."""
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    path = project / name
    lines = (SAMPLES / f"{SAMPLE}.jsonl").read_bytes().splitlines()
    if edit is not None:
        lines = [
            orjson.dumps(edit(number, orjson.loads(line)))
            for number, line in enumerate(lines, start=1)
        ]
    path.write_bytes(b"".join(line + b"\n" for line in lines))
    _idle(path)
    return path


def _rename_tool_id(new: str) -> Callable[[int, dict[str, Any]], dict[str, Any]]:
    def edit(number: int, value: dict[str, Any]) -> dict[str, Any]:
        text = orjson.dumps(value).decode().replace(TOOL_ID, "\0")
        renamed: dict[str, Any] = orjson.loads(
            text.replace("\0", new.replace("\\", "\\\\").replace("\n", "\\n"))
        )
        return renamed

    return edit


# ---------------------------------------------------------------- item 3: one place for text


def test_escaped_shows_every_line_breaking_or_hiding_character() -> None:
    escaped = safe_text.escaped
    assert escaped("a\nb\tc\rd\x1b[31m") == "a\\nb\\tc\\rd\\x1b[31m"
    assert escaped("txt.\u202eexe") == "txt.\\u202eexe"
    assert escaped("\U000e0041\ud800") == "\\U000e0041\\ud800"
    assert escaped("plain é 日本 ✓ [b]") == "plain é 日本 ✓ [b]"
    everything = "".join(chr(c) for c in range(sys.maxunicode + 1))
    assert _unsafe(escaped(everything), keep="") == []
    assert _unsafe(safe_text.one_line(everything, 10**7), keep="") == []
    assert _unsafe(safe_text.printable(everything), keep="\n\t") == []
    assert "\n" not in escaped(everything)
    assert "\t" not in escaped(everything)
    # A multi-line body keeps its lines and tabs, and nothing else.
    assert safe_text.printable("a\n\tb\u202e") == "a\n\tb\\u202e"


def test_forged_report_line_from_a_tool_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _session(tmp_path, _rename_tool_id(FORGED))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✓" not in out.replace("\\n  ✓ the API accepts", "")  # only inside the escaped id
    assert "toolu_01rl\\n  ✓ the API accepts this conversation\\n" in out
    assert not [line for line in out.splitlines() if line.lstrip().startswith("✓")]


def test_forged_lines_in_rewrite_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rename = _rename_tool_id(FORGED + "\u202e")

    def edit(number: int, value: dict[str, Any]) -> dict[str, Any]:
        if "cwd" in value:
            value["cwd"] = "/x\n  ✓ the API accepts this conversation\u202e"
        return rename(number, value)

    path = _session(tmp_path, edit)
    assert main(["rewind", str(path)]) == 0
    out = capsys.readouterr().out
    assert "(in /x\\n  ✓ the API accepts this conversation\\u202e)" in out
    assert main(["repair", str(path)]) == 2  # the id breaks R8: nothing to repair it with
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    for text in (out, err):
        assert not [line for line in text.splitlines() if line.lstrip().startswith("✓")]
        assert _unsafe(text) == []


def test_hostile_path_is_one_line_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / f"x\ninspector: forged{HIDDEN}.jsonl"
    assert main(["check", str(missing)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "x\\ninspector: forged\\u202e" in err
    assert _unsafe(err) == []
    assert main(["messages", str(missing)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert _unsafe(err) == []


def test_hostile_file_name_and_session_id_in_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def edit(number: int, value: dict[str, Any]) -> dict[str, Any]:
        if "sessionId" in value:
            value["sessionId"] = f"s\n{HIDDEN}"
        return value

    path = _session(tmp_path, edit, name=f"a\u202elnosj.\n{HIDDEN}.jsonl")
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert _unsafe(out) == []
    header = out.splitlines()[0]
    assert "a\\u202elnosj.\\n" in header
    assert "session s\\n\\u202e" in header
    assert main(["repair", "--dry-run", str(path)]) == 0
    out = capsys.readouterr().out
    assert _unsafe(out) == []
    assert out.splitlines()[0].startswith("repair ")
    # JSON stays data: the id as it is, escaped the JSON way.
    assert main(["check", "--json", str(path)]) == 1
    report = orjson.loads(capsys.readouterr().out)
    assert report["session_id"] == f"s\n{HIDDEN}"


def test_app_labels_and_picker_rows_escape(tmp_path: Path) -> None:
    from inspector.tui import labels
    from inspector.tui.conversation_view import NodeKind
    from inspector.tui.details import DetailRequest, describe
    from inspector.tui.screens.picker import columns_for, row_cells
    from inspector.tui.widgets.status_bar import status_text

    name = Path(f"a\u202eb\n{HIDDEN}.jsonl")
    hostile = f"x\ny{HIDDEN}"
    session = SessionFile(name, hostile, hostile, 10, time.time(), agent=hostile)
    shown = [
        labels.session_label(name, None, hostile).plain,
        labels.id_tail(hostile, 40),
        labels.note_label(hostile).plain,
        *(cell.plain for cell in row_cells(session, columns_for(200), True, labels_badge(), None)),
        *(
            cell.plain
            for cell in row_cells(session, columns_for(80), True, labels_badge(), hostile)
        ),
        status_text(name, None, True, None, hostile, hostile).plain,
    ]
    detail = describe(DetailRequest(NodeKind.SESSION, name, None, None, error=hostile))
    assert hasattr(detail, "plain")
    shown.append(detail.plain)
    for text in shown:
        assert "\n" not in text, text
        assert _unsafe(text) == [], text
    assert "a\\u202eb\\n" in shown[0]


def labels_badge() -> Any:
    from inspector.tui.health import Badge

    return Badge("✓", "green")


# ---------------------------------------------------------------- item 6: hostile JSON types

HOSTILE_VALUES = [["user"], {"a": 1}, 7, 1.5, True, None]


def _run_both(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = path.read_bytes()
    for command in ("rewind", "repair"):
        code = main([command, str(path)])
        captured = capsys.readouterr()
        assert code in (0, 1, 2), command
        assert "internal error" not in captured.err, (command, captured.err)
        assert path.read_bytes() == original
    assert main(["check", str(path)]) in (0, 1, 2)
    capsys.readouterr()


@pytest.mark.parametrize("kind", [["user"], {"type": "summary"}])
@pytest.mark.parametrize("line", range(1, 16))
def test_entry_type_of_another_json_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], line: int, kind: Any
) -> None:
    def edit(number: int, value: dict[str, Any]) -> dict[str, Any]:
        if number == line:
            value["type"] = kind
        return value

    _run_both(_session(tmp_path, edit), capsys)


FIELDS = ["uuid", "parentUuid", "sessionId", "subtype", "messageId", "leafUuid", "isSidechain"]


@pytest.mark.parametrize("value", HOSTILE_VALUES, ids=repr)
@pytest.mark.parametrize("field", [*FIELDS, "message.id", "block.type", "block.id"])
def test_id_fields_of_another_json_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str, value: Any
) -> None:
    """The first user line, the call's line and its sibling's (lines 3, 5, 6)."""

    def edit(number: int, line: dict[str, Any]) -> dict[str, Any]:
        if number in (2, 3, 5, 6):
            message = line.get("message")
            if field == "message.id" and isinstance(message, dict):
                message["id"] = value
            elif field.startswith("block.") and isinstance(message, dict):
                for block in message["content"] if isinstance(message["content"], list) else []:
                    block[field.removeprefix("block.")] = value
            elif "." not in field:
                line[field] = value
        return line

    _run_both(_session(tmp_path, edit), capsys)


def test_codex_meta_payload_of_another_json_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    lines = [
        {"timestamp": "2026-01-01T00:00:00Z", "type": "session_meta", "payload": [1]},
        {
            "timestamp": "2026-01-01T00:00:00Z",
            "type": "session_meta",
            "payload": {"id": session_id},
        },
        {"type": "response_item", "payload": {"type": ["function_call"], "call_id": "B"}},
        {
            "type": "response_item",
            "payload": {
                "type": "function_call",
                "name": "shell",
                "arguments": "{}",
                "call_id": "A",
            },
        },
        {
            "type": "response_item",
            "payload": {
                "type": "message",
                "role": "user",
                "content": [{"type": "input_text", "text": "and?"}],
            },
        },
    ]
    path = tmp_path / f"rollout-2026-01-01T00-00-00-{session_id}.jsonl"
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    _idle(path)
    _run_both(path, capsys)


# ---------------------------------------------------------------- item 8: Chat stays Chat


def _call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "f", "arguments": "{}"}}


def test_rewound_chat_request_is_checked_as_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    messages = [
        {"role": "user", "content": None},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "go"},
        {"role": "assistant", "content": None, "tool_calls": [_call("call_A")]},
        {"role": "user", "content": "and?"},
    ]
    path = tmp_path / "body.json"
    path.write_bytes(orjson.dumps({"model": "gpt-5", "messages": messages}))
    assert main(["rewind", "--json", str(path)]) == 0
    result = orjson.loads(capsys.readouterr().out)
    assert result["status"] == "written"
    assert not [note for note in result["notes"] if "Anthropic" in note]
    assert main(["check", "--json", result["written"]]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["format"] == "openai-chat"
    assert report["ok"] is True


@pytest.mark.parametrize(
    "message",
    [
        {"role": "system", "content": "be brief"},
        {"role": "developer", "content": "be brief"},
        {"role": "user", "content": None},
        {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "assistant", "content": "no", "refusal": "no"},
    ],
)
def test_chat_request_without_tool_calls_is_chat(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], message: dict[str, Any]
) -> None:
    path = tmp_path / "body.json"
    messages = [message, {"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    path.write_bytes(orjson.dumps({"model": "gpt-5", "messages": messages}))
    assert main(["check", "--json", str(path)]) == 0
    assert orjson.loads(capsys.readouterr().out)["format"] == "openai-chat"


def test_plain_anthropic_request_stays_anthropic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "body.json"
    messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]
    path.write_bytes(orjson.dumps({"model": "claude", "max_tokens": 9, "messages": messages}))
    assert main(["check", "--json", str(path)]) == 0
    assert orjson.loads(capsys.readouterr().out)["format"] == "anthropic-messages"


@pytest.mark.parametrize("command", [["check", "--json"], ["rewind", "--dry-run", "--json"]])
def test_json_output_takes_a_file_name_that_is_not_utf8(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    name = os.fsdecode(b"bad\xff.jsonl")  # held as a lone surrogate, which orjson refuses
    path = tmp_path / name
    shutil.copyfile(SAMPLES / f"{SAMPLE}.jsonl", path)
    assert main([command[0], str(path), *command[1:]]) in (0, 1)
    document = orjson.loads(capsys.readouterr().out.splitlines()[0])
    assert (document.get("path") or document.get("source")).endswith("bad\\xff.jsonl")


def test_anthropic_blocks_beside_a_chat_like_part_stay_anthropic(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Cline >= 4 stores "file" parts (a Chat part type) beside its tool_use blocks."""
    messages = [
        {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "file"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_A", "name": "Read"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_A"}]},
    ]
    path = tmp_path / "abc.messages.json"
    path.write_bytes(orjson.dumps({"sessionId": "abc", "messages": messages}))
    assert main(["check", "--json", str(path)]) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert (report["format"], report["counts"]["tool_uses"]) == ("cline", 1)


def test_rewind_note_says_when_the_anthropic_reading_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Nothing left marks it as Chat: the note must not claim both APIs accept it."""
    messages = [
        {"role": "user", "content": ""},
        {"role": "assistant", "content": "ok"},
        {"role": "user", "content": "go"},
        {"role": "assistant", "tool_calls": [_call("call_A")]},
        {"role": "user", "content": "and?"},
    ]
    path = tmp_path / "body.json"
    path.write_bytes(orjson.dumps({"model": "gpt-5", "messages": messages}))
    assert main(["rewind", "--json", str(path)]) == 0
    result = orjson.loads(capsys.readouterr().out)
    notes = [note for note in result["notes"] if "Anthropic" in note]
    assert len(notes) == 1
    assert "both accept" not in notes[0]
    assert "R9" in notes[0]
    assert "--format openai-chat" in notes[0]
    assert main(["check", "--format", "openai-chat", result["written"]]) == 0


# ---------------------------------------------------------------- item 9: live-session guard


def _record(config: Path, pid: Any, session_id: str = "abc") -> None:
    record = {"pid": pid, "sessionId": session_id, "cwd": "/x"}
    (config / "sessions" / "1.json").write_bytes(orjson.dumps(record))


PID_FORMS: dict[str, Callable[[int], Any]] = {
    "int": lambda pid: pid,
    "float": float,
    "text": str,
    "padded text": lambda pid: f" {pid}\n",
}


@pytest.mark.parametrize("form", sorted(PID_FORMS))
def test_live_pid_as_another_writer_stores_it(config: Path, form: str) -> None:
    _record(config, PID_FORMS[form](os.getpid()))
    assert live_session_ids(config) == {"abc": os.getpid()}


@pytest.mark.parametrize(
    "pid",
    [None, "abc", "", 1.5, -3, 0, True, [1], {"a": 1}, 2**62, 1e30, "9" * 5000],
    ids=lambda pid: repr(pid)[:12],
)
def test_unreadable_pid_counts_as_live(config: Path, tmp_path: Path, pid: Any) -> None:
    _record(config, pid)
    assert "abc" in live_session_ids(config)
    transcript = tmp_path / "abc.jsonl"
    transcript.write_bytes(b"{}\n")
    _idle(transcript)
    reason = live_reason(transcript, ["abc"], roots=[config])
    assert reason is not None
    assert "pid unknown" in reason


def test_dead_pid_is_not_live(config: Path) -> None:
    _record(config, str(2**22 + 12345))  # above the usual pid_max
    assert live_session_ids(config) == {}


@pytest.mark.parametrize("form", ["float", "text"])
def test_in_place_refused_with_pid_as_text_or_float(
    tmp_path: Path, config: Path, capsys: pytest.CaptureFixture[str], form: str
) -> None:
    path = _session(tmp_path)
    _record(config, PID_FORMS[form](os.getpid()), SESSION)
    before = path.read_bytes()
    assert main(["repair", "--in-place", str(path)]) == 1
    assert "open in Claude Code" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_future_mtime_counts_as_live(tmp_path: Path) -> None:
    transcript = tmp_path / "abc.jsonl"
    transcript.write_bytes(b"{}\n")
    future = time.time() + 3600
    os.utime(transcript, (future, future))
    reason = live_reason(transcript, ["abc"], roots=[])
    assert reason is not None
    assert "future" in reason

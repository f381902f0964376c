"""Rewind and repair for Roo Code, Cline, Codex CLI, raw Anthropic and OpenAI Chat requests:
the written history passes the check in its own format, the original is never touched,
and the client's own shapes and words are used."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import inspector.agents.history.rewrite
import inspector.rewrite.plan
from inspector.agents import detect_format, plan_rewrite
from inspector.agents.claude_code.rewind import plan_rewind
from inspector.agents.codex.rewrite import CODEX_ABORTED
from inspector.agents.history.rewrite import CLINE_MISSING, ROO_MISSING, HistoryPlan
from inspector.check import check_file
from inspector.cli import main
from inspector.rewrite.fixes import LOST_RESULT
from inspector.rewrite.plan import Action, RewriteFailed, RewriteRefused, apply
from inspector.rules import Report
from tests.agents.claude_code.test_rewind import sha, tree_hashes
from tests.agents.test_formats import (
    ANTHROPIC_CASES,
    CHAT_CASES,
    CODEX_CASES,
    IMAGE,
    TEXT,
    answer,
    anthropic_history,
    call,
    codex_call,
    codex_line,
    codex_message,
    codex_output,
    tool,
    use,
)

ROO_TASK = "rooveterinaryinc.roo-cline/tasks/0b5e8a56-1f0c-4c4f-9d6b-2f4a8e1c3d70"
CLINE_TASK = "saoudrizwan.claude-dev/tasks/1700000000000"
CODEX_ID = "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
CODEX_NAME = f"rollout-2026-01-01T00-00-00-{CODEX_ID}.jsonl"
ACTIONS = [Action.REWIND, Action.REPAIR]
JSON_KEYS = {
    "action",
    "source",
    "status",
    "written",
    "session_id",
    "backup",
    "cut",
    "kept",
    "dropped",
    "resume",
    "cwd",
    "first_error",
    "changes",
    "notes",
    "snapshot",
    "error",
}


@pytest.fixture(autouse=True)
def _no_claude_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "claude-config"
    (config / "sessions").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))


def idle(*paths: Path) -> None:
    """Old mtimes: not a session written a moment ago."""
    past = time.time() - 3600
    for path in paths:
        os.utime(path, (past, past))


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


# ---------------------------------------------------------------------- writing histories


LAYOUTS = {
    # name: (format, folder, file name, shape)
    "roo-task": ("roo-code", ROO_TASK, "api_conversation_history.json", "array"),
    "cline-task": ("cline", CLINE_TASK, "api_conversation_history.json", "array"),
    "cline-session": ("cline", "sessions/s1", "s1.messages.json", "array"),
    "anthropic-request": ("anthropic-messages", "proxy", "request.json", "request"),
    "anthropic-log": ("anthropic-messages", "proxy", "requests.jsonl", "log"),
}


def write_messages(tmp_path: Path, layout: str, messages: list[dict[str, Any]]) -> tuple[Path, str]:
    fmt, folder, name, shape = LAYOUTS[layout]
    path = tmp_path / folder / name
    path.parent.mkdir(parents=True)
    if shape == "array":
        path.write_bytes(orjson.dumps(messages))
        for extra in ("ui_messages.json", "task_metadata.json"):
            (path.parent / extra).write_bytes(b'[{"ts":1,"type":"say","text":"hi \\u00e9"}]')
    elif shape == "request":
        body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": messages}
        path.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
    else:
        first = {"model": "m", "messages": messages[:1]}
        path.write_bytes(orjson.dumps(first) + b"\n" + orjson.dumps({"messages": messages}) + b"\n")
    idle(*path.parent.iterdir())
    return path, fmt


def write_chat(tmp_path: Path, tail: list[dict[str, Any]], *, log: bool = False) -> Path:
    messages = [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": None, "tool_calls": [call("A"), call("B")]},
        *tail,
    ]
    path = tmp_path / "proxy" / ("chat.jsonl" if log else "chat.json")
    path.parent.mkdir(parents=True)
    body = orjson.dumps({"model": "gpt-5", "messages": messages})
    earlier = orjson.dumps({"model": "gpt-5", "messages": [*messages[:3], tool("A"), tool("B")]})
    path.write_bytes(earlier + b"\n" + body + b"\n" if log else body)
    idle(path)
    return path


def write_codex(tmp_path: Path, tail: list[bytes]) -> Path:
    meta = codex_line("session_meta", {"id": CODEX_ID, "cwd": "/home/dev/shop"})
    event = codex_line("event_msg", {"type": "token_count"})
    lines = [meta, codex_message("user", "fix it"), event, codex_call("A")]
    lines += [codex_call("B", "custom_tool_call"), *tail]
    path = tmp_path / "sessions" / "2026" / "01" / "01" / CODEX_NAME
    path.parent.mkdir(parents=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    idle(path)
    return path


def stored(path: Path) -> list[Any]:
    value = orjson.loads(
        path.read_bytes().splitlines()[-1] if path.suffix == ".jsonl" else path.read_bytes()
    )
    return value if isinstance(value, list) else value["messages"]


def assert_accepted(written: Path, fmt: str) -> Report:
    report = check_file(written, fmt)
    assert report.errors == [], report.errors
    return report


def run(action: Action, path: Path, **options: Any) -> tuple[HistoryPlan, Any]:
    plan = plan_rewrite(action, path)
    assert isinstance(plan, HistoryPlan)
    return plan, apply(plan, **options)


# ---------------------------------------------------------------------- every format, every case


@pytest.mark.parametrize("action", ACTIONS, ids=str)
@pytest.mark.parametrize("case", sorted(ANTHROPIC_CASES))
@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_anthropic_shaped(tmp_path: Path, layout: str, case: str, action: Action) -> None:
    tail, errors, _ = ANTHROPIC_CASES[case]
    path, fmt = write_messages(tmp_path, layout, anthropic_history(tail, ts=1))
    before, names, digest = tree_hashes(tmp_path), listing(tmp_path), sha(path)
    plan = plan_rewrite(action, path)
    if not errors:
        assert plan.nothing_to_fix
        assert apply(plan).written is None
        assert tree_hashes(tmp_path) == before
        assert listing(tmp_path) == names
        return
    result = apply(plan)
    assert sha(path) == digest
    assert result.written is not None
    assert result.written.exists()
    assert detect_format(result.written) == fmt
    assert_accepted(result.written, fmt)
    assert result.resume is None
    if layout.endswith(("task", "session")):
        folder = result.written.parent
        assert folder.parent == path.parent.parent
        assert folder.name == result.session_id != path.parent.name
        for name in ("ui_messages.json", "task_metadata.json"):
            assert (folder / name).read_bytes() == (path.parent / name).read_bytes()
        assert any("UI history" in note for note in plan.notes)
    else:
        word = "rewound" if action is Action.REWIND else "repaired"
        assert result.written.name == path.name.replace(".", f".{word}.", 1)
        assert result.session_id is None
    if layout == "anthropic-log":
        original, written = path.read_bytes().splitlines(), result.written.read_bytes().splitlines()
        assert written[0] == original[0]  # the other request is copied byte for byte
    for relative, digest_before in before.items():
        assert tree_hashes(tmp_path)[relative] == digest_before


@pytest.mark.parametrize("action", ACTIONS, ids=str)
@pytest.mark.parametrize("log", [False, True], ids=["request", "log"])
@pytest.mark.parametrize("case", sorted(CHAT_CASES))
def test_openai_chat(tmp_path: Path, case: str, log: bool, action: Action) -> None:
    tail, errors, _ = CHAT_CASES[case]
    path = write_chat(tmp_path, tail, log=log)
    before = tree_hashes(tmp_path)
    plan = plan_rewrite(action, path)
    if not errors:
        assert plan.nothing_to_fix
        assert tree_hashes(tmp_path) == before
        return
    result = apply(plan)
    assert tree_hashes(tmp_path).items() >= before.items()
    assert result.written is not None
    assert_accepted(result.written, "openai-chat")
    # With its tool calls cut away, the kept body (its system message) still reads as Chat.
    assert detect_format(result.written) == "openai-chat"
    assert not any("--format openai-chat" in note for note in plan.notes)


@pytest.mark.parametrize("action", ACTIONS, ids=str)
@pytest.mark.parametrize("case", sorted(CODEX_CASES))
def test_codex(tmp_path: Path, case: str, action: Action) -> None:
    tail, errors, _ = CODEX_CASES[case]
    path = write_codex(tmp_path, tail)
    before = tree_hashes(tmp_path)
    plan = plan_rewrite(action, path)
    if not errors:
        assert plan.nothing_to_fix
        assert tree_hashes(tmp_path) == before
        return
    result = apply(plan)
    assert tree_hashes(tmp_path).items() >= before.items()
    written = result.written
    assert written is not None
    assert written.parent == path.parent
    assert written.name == f"rollout-2026-01-01T00-00-00-{result.session_id}.jsonl"
    report = assert_accepted(written, "codex")
    assert detect_format(written) == "codex"
    assert report.conversation.session_id == result.session_id != CODEX_ID
    assert result.resume == f"codex resume {result.session_id}"
    assert plan.cwd == "/home/dev/shop"
    original, lines = path.read_bytes().splitlines(), written.read_bytes().splitlines()
    assert orjson.loads(lines[0])["payload"]["id"] == result.session_id
    assert result.session_id is not None
    assert lines[0] == original[0].replace(CODEX_ID.encode(), result.session_id.encode())
    copied = [line for line in lines[1:] if line in original]
    if action is Action.REWIND:
        assert lines[1:] == original[1 : len(lines)]  # a prefix, byte for byte
    else:
        assert len(copied) >= len(original) - 2  # only added or converted lines differ


# ---------------------------------------------------------------------- the repairs themselves


@pytest.mark.parametrize(
    ("layout", "words", "is_error"),
    [
        ("roo-task", ROO_MISSING, False),
        ("cline-task", CLINE_MISSING, False),
        ("anthropic-request", LOST_RESULT, True),
    ],
)
def test_missing_result_in_the_clients_words(
    tmp_path: Path, layout: str, words: str, is_error: bool
) -> None:
    tail = [{"role": "user", "content": [answer("A"), TEXT]}]
    path, _ = write_messages(tmp_path, layout, anthropic_history(tail, ts=1))
    plan, result = run(Action.REPAIR, path)
    content = stored(result.written)[2]["content"]
    expected: dict[str, Any] = {"type": "tool_result", "tool_use_id": "B", "content": words}
    if is_error:
        expected["is_error"] = True
    assert content == [answer("A"), expected, TEXT]
    assert [c.kind for c in plan.changes] == ["synthetic_result"]


@pytest.mark.parametrize("layout", ["roo-task", "cline-task"])
def test_orphan_result_kept_as_text(tmp_path: Path, layout: str) -> None:
    tail = [{"role": "user", "content": [answer("A"), answer("Z"), answer("B")]}]
    path, _ = write_messages(tmp_path, layout, anthropic_history(tail))
    plan, result = run(Action.REPAIR, path)
    content = stored(result.written)[2]["content"]
    assert content[:2] == [answer("A"), answer("B")]
    [text] = content[2:]
    assert text["type"] == "text"
    if layout == "roo-task":
        assert text["text"] == "Tool result:\nx = 1"
    else:
        assert "tool_use_id Z" in text["text"]
        assert text["text"].endswith("x = 1")
    assert plan.dropped["tool_results_as_text"] == 1


def test_split_results_gathered_in_the_turns_first_message(tmp_path: Path) -> None:
    tail = [
        {"role": "user", "content": [answer("A")], "ts": 3},
        {"role": "user", "content": [TEXT, IMAGE], "ts": 4},
        {"role": "user", "content": [answer("B")], "ts": 5},
    ]
    path, _ = write_messages(tmp_path, "roo-task", anthropic_history(tail, ts=1))
    plan, result = run(Action.REPAIR, path)
    messages = stored(result.written)
    assert messages[2:] == [
        {"role": "user", "content": [answer("A"), answer("B")], "ts": 3},
        {"role": "user", "content": [TEXT, IMAGE], "ts": 4},
    ]
    assert plan.dropped["emptied_messages"] == 1


def test_chat_repairs(tmp_path: Path) -> None:
    tail = [
        tool("A"),
        {"role": "user", "content": "hm"},
        tool("Z"),
        {"role": "assistant", "content": "ok"},
    ]
    path = write_chat(tmp_path, tail)
    plan, result = run(Action.REPAIR, path)
    messages = stored(result.written)
    assert messages[3:5] == [
        tool("A"),
        {"role": "tool", "tool_call_id": "B", "content": LOST_RESULT},
    ]
    assert messages[5] == {"role": "user", "content": "hm"}
    assert messages[6]["role"] == "user"
    assert "tool_call_id Z" in messages[6]["content"]
    assert messages[6]["content"].endswith("ok")
    assert {c.kind for c in plan.changes} == {"synthetic_result", "result_to_text"}


def test_codex_aborted_right_after_the_call(tmp_path: Path) -> None:
    path = write_codex(tmp_path, [codex_output("Z"), codex_output("B")])
    _, result = run(Action.REPAIR, path)
    payloads = [orjson.loads(line)["payload"] for line in result.written.read_bytes().splitlines()]
    calls = [i for i, p in enumerate(payloads) if p.get("call_id") == "A"]
    assert payloads[calls[0] + 1] == {
        "type": "function_call_output",
        "call_id": "A",
        "output": CODEX_ABORTED,
    }
    converted = [p for p in payloads if p.get("type") == "message" and "call_id Z" in str(p)]
    assert converted
    assert converted[0]["role"] == "user"


def test_duplicate_ids_renamed_like_the_claude_code_repair(tmp_path: Path) -> None:
    history = [
        *anthropic_history([{"role": "user", "content": [answer("A"), answer("B")]}]),
        {"role": "assistant", "content": [use("A")]},
        {"role": "user", "content": [answer("A")]},
        {"role": "assistant", "content": [{"type": "text", "text": "done"}]},
    ]
    path, _ = write_messages(tmp_path, "cline-task", history)
    plan, result = run(Action.REPAIR, path)
    messages = stored(result.written)
    assert messages[3]["content"][0]["id"] == "A-dup2"
    assert messages[4]["content"][0]["tool_use_id"] == "A-dup2"
    assert messages[:3] == history[:3]
    assert plan.dropped["duplicate_ids_renamed"] == 1


def test_thinking_blocks_are_never_touched(tmp_path: Path) -> None:
    thinking = {"type": "thinking", "thinking": "hmm", "signature": "c2ln"}
    assistant = {"role": "assistant", "content": [thinking, use("A"), use("B")]}
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "fix it"},
        assistant,
        {"role": "user", "content": [TEXT, answer("B")]},
    ]
    path, _ = write_messages(tmp_path, "anthropic-request", history)
    _, result = run(Action.REPAIR, path)
    messages = stored(result.written)
    assert messages[1] == assistant
    assert messages[2]["content"][0] == answer("B")


def test_roo_keeps_what_precedes_its_effective_history(tmp_path: Path) -> None:
    before_summary = [
        {"role": "user", "content": [{"type": "text", "text": "old"}], "ts": 1},
        {"role": "assistant", "content": [use("OLD")], "ts": 2},
        {"role": "user", "content": [{"type": "text", "text": "no result for OLD"}], "ts": 3},
    ]
    summary = {
        "role": "user",
        "content": [{"type": "text", "text": "Summary"}],
        "isSummary": True,
        "ts": 4,
    }
    healthy = [
        {"role": "assistant", "content": [use("C")], "ts": 5},
        {"role": "assistant", "content": [use("GONE")], "truncationParent": "x", "ts": 6},
        {"role": "user", "content": [answer("C")], "ts": 7},
    ]
    broken = anthropic_history([{"role": "user", "content": [TEXT, answer("A")]}])[1:]
    history = [*before_summary, summary, *healthy, *broken]
    path, _ = write_messages(tmp_path, "roo-task", history)

    plan, result = run(Action.REWIND, path)
    assert stored(result.written) == history[:7]  # the hidden message before the cut too
    assert plan.cut is not None
    assert plan.cut.line == 7
    assert plan.cut.message_index == 2
    assert any("before the effective history" in note for note in plan.notes)

    plan, result = run(Action.REPAIR, path)
    messages = stored(result.written)
    assert messages[:8] == history[:8]
    assert messages[8]["content"] == [
        answer("A"),
        {"type": "tool_result", "tool_use_id": "B", "content": ROO_MISSING},
        TEXT,
    ]


# ---------------------------------------------------------------------- choosing the cut


def test_rewind_to_a_line(tmp_path: Path) -> None:
    history = anthropic_history([{"role": "user", "content": [answer("A"), answer("B")]}])
    history.append({"role": "assistant", "content": [{"type": "text", "text": "done"}]})
    path, _ = write_messages(tmp_path, "roo-task", history)
    plan = plan_rewrite(Action.REWIND, path, line=3)  # healthy: an explicit cut still works
    result = apply(plan)
    assert result.written is not None
    assert stored(result.written) == history[:3]
    with pytest.raises(RewriteFailed, match="results come after it"):
        plan_rewrite(Action.REWIND, path, line=2)
    with pytest.raises(RewriteFailed, match="out of range"):
        plan_rewrite(Action.REWIND, path, line=9)
    with pytest.raises(RewriteFailed, match="use --line N"):
        plan_rewrite(Action.REWIND, path, to="some-uuid")


def test_codex_rewind_to_a_file_line(tmp_path: Path) -> None:
    path = write_codex(tmp_path, [codex_output("A"), codex_output("B"), codex_output("Z")])
    result = apply(plan_rewrite(Action.REWIND, path, line=3))
    assert result.written is not None
    assert len(result.written.read_bytes().splitlines()) == 3
    with pytest.raises(RewriteFailed, match="results come after it"):
        plan_rewrite(Action.REWIND, path, line=5)


# ---------------------------------------------------------------------- safety


@pytest.mark.parametrize("layout", ["roo-task", "anthropic-log", "codex"])
def test_in_place_leaves_a_backup(tmp_path: Path, layout: str) -> None:
    if layout == "codex":
        path, fmt = write_codex(tmp_path, [codex_output("A")]), "codex"
        path.write_bytes(path.read_bytes() + codex_message("assistant", "done") + b"\n")
        idle(path)
    else:
        tail = [{"role": "user", "content": [answer("A"), TEXT, answer("B")]}]
        path, fmt = write_messages(tmp_path, layout, anthropic_history(tail, ts=1))
    original = path.read_bytes()
    others = listing(path.parent)
    plan, result = run(Action.REPAIR, path, in_place=True)
    assert result.written == path
    assert result.backup is not None
    assert result.backup.read_bytes() == original
    assert result.backup.parent == path.parent
    assert listing(path.parent) == sorted([*others, result.backup.name])
    assert_accepted(path, fmt)
    assert result.session_id == plan.session_id


def test_in_place_refused_while_recently_written(tmp_path: Path) -> None:
    path, _ = write_messages(
        tmp_path, "roo-task", anthropic_history(ANTHROPIC_CASES["missing result"][0])
    )
    os.utime(path)
    before = tree_hashes(tmp_path)
    with pytest.raises(RewriteRefused, match="written"):
        apply(plan_rewrite(Action.REPAIR, path), in_place=True)
    assert tree_hashes(tmp_path) == before


@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
@pytest.mark.parametrize("layout", ["roo-task", "codex"])
def test_failed_check_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, layout: str, in_place: bool
) -> None:
    if layout == "codex":
        path = write_codex(tmp_path, [codex_output("A"), codex_message("assistant", "done")])
    else:
        path, _ = write_messages(
            tmp_path, layout, anthropic_history(ANTHROPIC_CASES["missing result"][0])
        )
    plan = plan_rewrite(Action.REPAIR, path)
    broken = check_file(path)
    monkeypatch.setattr(inspector.rewrite.plan, "validate", lambda *_: broken)
    before, names = tree_hashes(tmp_path), listing(tmp_path)
    with pytest.raises(RewriteFailed, match="still fails the check"):
        apply(plan, in_place=in_place)
    # Not even a backup: in place, it is taken only once the written file passed its check.
    assert tree_hashes(tmp_path) == before
    assert listing(tmp_path) == names


def test_claude_code_planners_refuse_other_formats(tmp_path: Path) -> None:
    path, _ = write_messages(
        tmp_path, "roo-task", anthropic_history(ANTHROPIC_CASES["missing result"][0])
    )
    with pytest.raises(RewriteFailed, match="another agent's history"):
        plan_rewind(path)
    assert isinstance(plan_rewrite(Action.REWIND, path), HistoryPlan)  # its own agent plans it


# ---------------------------------------------------------------------- command line


@pytest.mark.parametrize("command", ["rewind", "repair"])
@pytest.mark.parametrize(
    "layout", ["roo-task", "cline-session", "anthropic-request", "codex", "chat"]
)
def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str], layout: str, command: str) -> None:
    if layout == "codex":
        path = write_codex(tmp_path, [codex_output("A"), codex_message("assistant", "done")])
    elif layout == "chat":
        path = write_chat(tmp_path, CHAT_CASES["text between results"][0])
    else:
        tail = ANTHROPIC_CASES["results split with text between"][0]
        path, _ = write_messages(tmp_path, layout, anthropic_history(tail))
    before, names = tree_hashes(tmp_path), listing(tmp_path)

    assert main([command, str(path), "--dry-run"]) == 0
    assert "dry run: would write" in capsys.readouterr().out
    assert main([command, str(path), "--dry-run", "--json"]) == 0
    assert orjson.loads(capsys.readouterr().out)["status"] == "dry run"
    assert tree_hashes(tmp_path) == before
    assert listing(tmp_path) == names

    assert main([command, str(path), "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert set(document) == JSON_KEYS
    assert document["status"] == "written"
    assert document["action"] == command
    assert document["backup"] is None
    written = Path(document["written"])
    assert written.exists()
    assert written != path
    assert document["resume"] == (
        f"codex resume {document['session_id']}" if layout == "codex" else None
    )
    assert sha(path) == before[path.relative_to(tmp_path).as_posix()]

    assert main([command, str(written)]) == 0  # already fine: nothing to fix
    assert "nothing to" in capsys.readouterr().out


def test_cli_healthy_history_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path, _ = write_messages(
        tmp_path, "cline-task", anthropic_history(ANTHROPIC_CASES["healthy"][0])
    )
    before, names = tree_hashes(tmp_path), listing(tmp_path)
    for command in ("rewind", "repair"):
        assert main([command, str(path), "--json"]) == 0
        document = orjson.loads(capsys.readouterr().out)
        assert document["status"] == "nothing to fix"
        assert document["written"] is None
    assert tree_hashes(tmp_path) == before
    assert listing(tmp_path) == names

"""Following the Claude Code release the user runs: which one, and what it changes.

What each release does was seen with the real clients (``tests/claude``); these tests hold
the rebuild to it without a client: the release is named, as ``--client-version`` does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inspector.agents.claude_code.entries import MISSING_RESULT
from inspector.agents.claude_code.payloads import message_payloads
from inspector.agents.claude_code.read import load
from inspector.agents.claude_code.releases import (
    NEWEST,
    NEWEST_KNOWN,
    behaviour_for,
    installed_version,
)
from inspector.agents.claude_code.resume import INTERRUPTED_RESULT, heal_on_resume
from inspector.core.client import ClientChoice
from inspector.core.resume import HealKind
from tests.conftest import REALWORLD
from tests.support.conversations import (
    assistant,
    result,
    text,
    tool_use,
    user,
    write_conversation,
)

SPOTTER = REALWORLD / "spotter" / "8463c716-a2ea-4c14-9efa-87158ebd9f20.jsonl"


def _release(version: str) -> ClientChoice:
    return ClientChoice(named=version)


def _structure(path: Path, version: str, *, resumed: bool = False) -> list[list[object]]:
    """The calls (ids) and results (id and content) of each message that has any."""
    conversation = load(path, behaviour_for(_release(version)))
    if resumed:
        conversation = heal_on_resume(conversation).conversation
    structure = []
    for message in message_payloads(conversation):
        content = message["content"] if isinstance(message["content"], list) else []
        tools = [
            b["id"] if b["type"] == "tool_use" else (b["tool_use_id"], b["content"])
            for b in content
            if b["type"] in ("tool_use", "tool_result")
        ]
        if tools:
            structure.append(tools)
    return structure


def test_tool_calls_of_a_merged_message_follow_the_release(realworld: Path) -> None:
    """Seen on message 123 of this transcript: 2.1.332 sends file order, 2.1.197 chain."""
    newest = [b.tool_id for b in load(SPOTTER).messages[123].tool_uses()]
    older = load(SPOTTER, behaviour_for(_release("2.1.197"))).messages[123].tool_uses()
    assert [i[-6:] for i in newest if i] == ["UXwN8g", "9AokRN", "kbzUca"]
    assert [b.tool_id[-6:] for b in older if b.tool_id] == ["UXwN8g", "kbzUca", "9AokRN"]


def test_the_release_followed_is_named_on_the_conversation(tmp_path: Path) -> None:
    path = write_conversation(tmp_path / "s.jsonl", [user("hi"), assistant("hello")])
    assert load(path).client == NEWEST.release
    assert NEWEST.release.version == NEWEST_KNOWN
    named = load(path, behaviour_for(_release("2.1.197"))).client
    assert named is not None
    assert (named.version, named.source) == ("2.1.197", "--client-version")


def test_a_pending_call_is_answered_by_the_newest_and_dropped_by_2_1_197(tmp_path: Path) -> None:
    path = write_conversation(
        tmp_path / "s.jsonl",
        [user("go"), assistant(tool_use("toolu_A"), tool_use("toolu_B")), user(result("toolu_A"))],
    )
    assert _structure(path, "2.1.332", resumed=True)[-1] == [
        ("toolu_A", "ok"),
        ("toolu_B", INTERRUPTED_RESULT),
    ]
    assert _structure(path, "2.1.197", resumed=True) == [["toolu_A"], [("toolu_A", "ok")]]


def test_a_late_result_gets_a_placeholder_from_the_newest(tmp_path: Path) -> None:
    path = write_conversation(
        tmp_path / "s.jsonl",
        [
            user("go"),
            assistant(tool_use("toolu_A"), tool_use("toolu_B")),
            user(result("toolu_B")),
            assistant("done"),
            user(result("toolu_A", "late")),
            assistant("ok"),
        ],
    )
    newest = heal_on_resume(load(path))
    assert [(s.kind, s.block.tool_id) for s in newest.steps] == [
        (HealKind.FAKED_RESULT, "toolu_A"),
        (HealKind.STRIPPED_RESULT, "toolu_A"),
    ]
    assert _structure(path, "2.1.332", resumed=True)[1] == [
        ("toolu_A", MISSING_RESULT),
        ("toolu_B", "ok"),
    ]
    older = heal_on_resume(load(path, behaviour_for(_release("2.1.197"))))
    assert [s.kind for s in older.steps] == [HealKind.DROPPED_CALL, HealKind.STRIPPED_RESULT]


def test_an_orphan_call_mid_session_is_dropped_by_both(tmp_path: Path) -> None:
    path = write_conversation(
        tmp_path / "s.jsonl",
        [
            user("go"),
            assistant(text("reading"), tool_use("toolu_A"), tool_use("toolu_B")),
            user(result("toolu_B")),
            assistant("done"),
            user("thanks"),
            assistant("bye"),
        ],
    )
    for version in ("2.1.332", "2.1.197"):
        healed = heal_on_resume(load(path, behaviour_for(_release(version))))
        assert [(s.kind, s.block.tool_id) for s in healed.steps] == [
            (HealKind.DROPPED_CALL, "toolu_A")
        ]
        assert _structure(path, version, resumed=True)[:2] == [["toolu_B"], [("toolu_B", "ok")]]


def test_legacy_task_calls_go_out_named_agent_and_user_lines_are_joined(tmp_path: Path) -> None:
    path = write_conversation(
        tmp_path / "s.jsonl",
        [
            user("first"),
            user("second"),
            assistant(tool_use("toolu_T", name="Task")),
            user(result("toolu_T")),
        ],
    )
    sent = message_payloads(load(path))
    assert [b["text"] for b in sent[0]["content"]] == ["first\n", "second"]
    assert sent[1]["content"][0]["name"] == "Agent"
    older = message_payloads(load(path, behaviour_for(_release("2.0.77"))))
    assert older[0]["content"][0]["text"] == "first"
    assert older[1]["content"][0]["name"] == "Task"


def _fake_install(root: Path, version: str) -> Path:
    package = root / "node_modules" / "@anthropic-ai" / "claude-code"
    (package / "bin").mkdir(parents=True)
    (package / "package.json").write_text(
        f'{{"name": "@anthropic-ai/claude-code", "version": "{version}"}}', encoding="utf-8"
    )
    binary = package / "bin" / "claude.exe"
    binary.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")  # never run: the file says
    binary.chmod(0o755)
    link = root / "bin" / "claude"
    link.parent.mkdir()
    link.symlink_to(binary)
    return link


def test_the_installed_version_is_read_from_its_package(tmp_path: Path) -> None:
    link = _fake_install(tmp_path, "2.1.250")
    assert installed_version({"INSPECTOR_CLAUDE_BIN": str(link)}) == "2.1.250"
    assert installed_version({"PATH": str(link.parent)}) == "2.1.250"
    assert behaviour_for(ClientChoice(environ={"PATH": str(link.parent)})).release.source == (
        "claude --version"
    )


def test_a_native_install_or_the_program_itself_tells_the_version(tmp_path: Path) -> None:
    native = tmp_path / "share" / "claude" / "versions" / "2.1.300"
    native.parent.mkdir(parents=True)
    native.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    native.chmod(0o755)
    assert installed_version({"INSPECTOR_CLAUDE_BIN": str(native)}) == "2.1.300"
    script = tmp_path / "claude"
    script.write_text("#!/bin/sh\necho '2.1.301 (Claude Code)'\n", encoding="utf-8")
    script.chmod(0o755)
    assert installed_version({"INSPECTOR_CLAUDE_BIN": str(script)}) == "2.1.301"


@pytest.mark.parametrize("environ", [{"PATH": "/nonexistent"}, {"INSPECTOR_CLAUDE_BIN": "/no"}])
def test_without_a_client_the_newest_known_is_followed(environ: dict[str, str]) -> None:
    assert installed_version(environ) is None
    release = behaviour_for(ClientChoice(environ=environ)).release
    assert (release.version, release.source) == (NEWEST_KNOWN, "newest known")

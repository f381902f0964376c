"""Rebuilding the conversation from Claude Code entries (docs/transcript-format.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.claude_code.read import load, load_transcript
from inspector.core.model import IssueKind
from inspector.core.verdict import require_transcript
from inspector.rules import Rule, validate
from tests.conftest import DATA
from tests.support.conversations import (
    assistant,
    result,
    tool_use,
    transcript_lines,
    user,
    write_lines,
)


def structure(path: Path) -> list[tuple[str, list[str]]]:
    return [
        (m.role, [f"{b.type}:{b.tool_id}" if b.tool_id else b.type for b in m.blocks])
        for m in load(path).messages
    ]


def entry(kind: str, uuid: str, parent: str | None, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "uuid": uuid,
        "parentUuid": parent,
        "isSidechain": False,
        "sessionId": "s",
        "timestamp": f"2026-01-01T00:00:{n:02d}.000Z",
        **extra,
    }


def asst(
    uuid: str, parent: str | None, n: int, message_id: str, block: dict[str, Any]
) -> dict[str, Any]:
    return entry(
        uuid=uuid,
        kind="assistant",
        parent=parent,
        n=n,
        message={"id": message_id, "role": "assistant", "content": [block]},
    )


def usr(uuid: str, parent: str | None, n: int, content: Any, **extra: Any) -> dict[str, Any]:
    return entry("user", uuid, parent, n, message={"role": "user", "content": content}, **extra)


def test_dag_layout_recovers_off_chain_siblings_and_their_results(tmp_path: Path) -> None:
    # 2.1.x: each result hangs off its own tool_use line; the leaf's walk sees only one.
    lines = [
        usr("p", None, 0, "go"),
        asst("a1", "p", 1, "M", tool_use("toolu_1")),
        asst("a2", "a1", 2, "M", tool_use("toolu_2")),
        usr("r1", "a1", 3, [result("toolu_1")], sourceToolAssistantUUID="a1"),
        usr("r2", "a2", 4, [result("toolu_2")], sourceToolAssistantUUID="a2"),
        asst("b", "r2", 5, "N", {"type": "text", "text": "done"}),
    ]
    path = write_lines(tmp_path / "s.jsonl", lines)
    assert structure(path) == [
        ("user", ["text"]),
        ("assistant", ["tool_use:toolu_1", "tool_use:toolu_2"]),
        ("user", ["tool_result:toolu_1", "tool_result:toolu_2"]),
        ("assistant", ["text"]),
    ]
    assert validate(load(path)).ok


def test_streaming_interleave_merges_fragments_and_moves_results_first(tmp_path: Path) -> None:
    lines = [
        usr("p", None, 0, "go"),
        asst("a1", "p", 1, "M", tool_use("toolu_1")),
        usr("r1", "a1", 2, [result("toolu_1")]),
        entry("attachment", "att", "r1", 3, attachment={"type": "hook_success"}),
        asst("a2", "att", 4, "M", tool_use("toolu_2")),
        usr("r2", "a2", 5, [result("toolu_2")]),
        asst("t", "r2", 6, "M", {"type": "text", "text": "written after the calls"}),
    ]
    assert structure(write_lines(tmp_path / "s.jsonl", lines)) == [
        ("user", ["text"]),
        ("assistant", ["text", "tool_use:toolu_1", "tool_use:toolu_2"]),
        ("user", ["tool_result:toolu_1", "tool_result:toolu_2"]),
    ]


def test_legacy_progress_entries_are_bridged(tmp_path: Path) -> None:
    lines = [
        usr("p", None, 0, "go"),
        entry("progress", "g1", "p", 1, data={"type": "hook_progress"}),
        asst("a", "g1", 2, "M", {"type": "text", "text": "hi"}),
        entry("progress", "g2", "a", 3, data={"type": "hook_progress"}),
        entry("system", "s", "g2", 4, subtype="turn_duration"),
    ]
    assert structure(write_lines(tmp_path / "s.jsonl", lines)) == [
        ("user", ["text"]),
        ("assistant", ["text"]),
    ]


def test_newest_leaf_wins_and_the_rewound_branch_is_known(tmp_path: Path) -> None:
    lines = [
        usr("p1", None, 0, "first"),
        asst("a1", "p1", 1, "M1", {"type": "text", "text": "one"}),
        usr("old", "a1", 2, "abandoned prompt"),
        asst("a-old", "old", 3, "M2", {"type": "text", "text": "abandoned answer"}),
        usr("new", "a1", 4, "rewound prompt"),
        asst("a-new", "new", 5, "M3", {"type": "text", "text": "new answer"}),
    ]
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert [m.origins[0].uuid for m in conversation.messages] == ["p1", "a1", "new", "a-new"]
    [branch] = conversation.abandoned
    assert branch.fork_uuid == "a1"
    assert [origin.uuid for origin in branch.origins] == ["old", "a-old"]


def test_walk_stops_at_the_last_compaction_boundary(tmp_path: Path) -> None:
    lines = [
        usr("p", None, 0, "before"),
        asst("a", "p", 1, "M", tool_use("toolu_old")),
        usr("r", "a", 2, [result("toolu_old")]),
        entry("system", "cb", None, 3, subtype="compact_boundary", logicalParentUuid="r"),
        usr("sum", "cb", 4, "This session is being continued…", isCompactSummary=True),
        usr("late", "sum", 5, [result("toolu_old")]),
    ]
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert [m.origins[0].uuid for m in conversation.messages] == ["sum"]
    report = validate(conversation)
    r2 = [f for f in report.findings if f.rule is Rule.R2]
    assert r2
    assert r2[0].cause is not None
    assert "compacted away" in r2[0].cause
    assert conversation.abandoned == []


def test_missing_parent_continues_with_the_previous_line_and_warns(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant("one"), user("more"), assistant("two")])
    lines[2]["parentUuid"] = "not-in-this-file"
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert len(conversation.messages) == 4
    [issue] = conversation.issues
    assert issue.kind is IssueKind.CHAIN
    assert issue.line == 3
    assert "2 earlier entries are cut off" in issue.text
    assert [f.rule for f in validate(conversation).findings] == [Rule.CHAIN]


def test_cycle_is_reported_and_does_not_hang(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant("one"), user("more")])
    lines[0]["parentUuid"] = lines[2]["uuid"]
    lines.append(usr("leaf", lines[2]["uuid"], 59, "x"))
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert [issue.kind for issue in conversation.issues] == [IssueKind.CYCLE]


def test_a_parent_written_after_its_child_is_still_followed(tmp_path: Path) -> None:
    """The walk trusts file order only to skip its loop guard, never for the answer."""
    lines = transcript_lines([user("go"), assistant("one"), user("more"), assistant("two")])
    lines[0], lines[1] = lines[1], lines[0]  # the first answer is written before its prompt
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert [m.role for m in conversation.messages] == ["user", "assistant", "user", "assistant"]
    assert [m.origins[0].line for m in conversation.messages] == [2, 1, 3, 4]
    assert conversation.issues == []


def test_no_leaf_at_all_resumes_from_the_last_line(tmp_path: Path) -> None:
    """Lines that only name each other leave no leaf: not an empty conversation."""
    lines = transcript_lines([user("go"), assistant("one"), user("more")])
    lines[0]["parentUuid"] = lines[2]["uuid"]
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert [message.origins[-1].line for message in conversation.messages] == [1, 2, 3]
    assert [issue.kind for issue in conversation.issues] == [IssueKind.CYCLE]


def test_a_line_written_twice_is_one_entry(tmp_path: Path) -> None:
    """Claude Code keeps one entry per uuid (the later line's): no duplicate call."""
    lines = transcript_lines(
        [user("go"), assistant(tool_use("toolu_A")), user(result("toolu_A")), assistant("ok")]
    )
    lines.insert(2, dict(lines[1]))
    lines.append(dict(lines[3]))
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert structure(tmp_path / "s.jsonl") == [
        ("user", ["text"]),
        ("assistant", ["tool_use:toolu_A"]),
        ("user", ["tool_result:toolu_A"]),
        ("assistant", ["text"]),
    ]
    assert [message.origins[0].line for message in conversation.messages] == [1, 3, 6, 5]
    assert validate(conversation).ok


def test_unknown_entry_types_and_fields_are_accepted(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant("hi")])
    lines.insert(0, {"type": "brand-new-metadata", "sessionId": "s-1", "whatever": [1]})
    lines[1]["futureField"] = {"x": 1}
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert len(conversation.messages) == 2


def test_bad_lines_become_issues_with_line_numbers(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", transcript_lines([user("go"), assistant("hi")]))
    with path.open("ab") as handle:
        handle.write(b"{oops\n")
    conversation = load(path)
    assert [(i.kind, i.line) for i in conversation.issues] == [(IssueKind.BADLINE, 3)]


def test_api_error_lines_are_not_sent(tmp_path: Path) -> None:
    lines = transcript_lines([user("go")])
    lines.append(
        asst("e", lines[0]["uuid"], 30, "err", {"type": "text", "text": "API Error"})
        | {"isApiErrorMessage": True}
    )
    conversation = load(write_lines(tmp_path / "s.jsonl", lines))
    assert len(conversation.messages) == 1
    assert [record.text for record in conversation.api_errors] == ["API Error"]


def test_local_command_is_sent_as_user_text(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant("hi")])
    lines.append(
        entry(
            "system",
            "lc",
            lines[-1]["uuid"],
            40,
            subtype="local_command",
            content="<command-name>/model</command-name>",
        )
    )
    lines.append(usr("p2", "lc", 41, "and now?"))
    assert structure(write_lines(tmp_path / "s.jsonl", lines))[-1] == ("user", ["text", "text"])


def test_subagent_in_the_2_1_layout_is_linked_to_its_task_call() -> None:
    path = DATA / "realworld" / "claude_p" / "29ccd257-68b1-427f-ae5f-6524b7cb6f20.jsonl"
    [link] = load(path).subagents
    assert link.agent_id == "a2271d1"
    assert link.path == path.parent / path.stem / "subagents" / "agent-a2271d1.jsonl"
    subagent = load_transcript(link.path)
    assert subagent.project().messages, "the subagent is a conversation of its own"


def test_metadata_only_file_is_an_empty_transcript(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "s.jsonl", [{"type": "summary", "summary": "x", "leafUuid": "y"}])
    transcript = load_transcript(path)
    require_transcript(transcript)  # it is one: no NotATranscript
    assert transcript.project().messages == []


def test_ids_from_the_file_never_steer_a_path(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / "subagents").mkdir(parents=True)
    (outside / "subagents" / "agent-x.jsonl").write_bytes(b"{}\n")
    folder = tmp_path / "project"
    folder.mkdir()
    lines = [
        usr("p", None, 0, "go", sessionId="../outside"),
        asst(
            "a",
            "p",
            1,
            "M",
            {"type": "tool_use", "id": "toolu_1", "name": "Task", "input": {"prompt": "x"}},
        ),
        usr("r", "a", 2, [result("toolu_1")], toolUseResult={"agentId": "../../outside/x"}),
    ]
    conversation = load(write_lines(folder / "s.jsonl", lines))
    assert [link.path for link in conversation.subagents] == [None]
    from inspector.agents.claude_code.layout import iter_subagent_files
    from inspector.core.fields import is_safe_id

    assert list(iter_subagent_files(folder / "s.jsonl", "../outside")) == []
    assert not is_safe_id("/etc")
    assert not is_safe_id("..")
    assert is_safe_id("a2271d1")

"""A followed transcript that lets go of its settled start reports exactly what the whole
file reports: the findings of the part let go of, kept, and those of the part held,
counted from the session's start."""

from __future__ import annotations

import random
import zlib
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import load_conversation
from inspector.agents.claude_code.follow import TailFollower
from inspector.check import report_dict
from inspector.live import LiveSession, Snapshot
from inspector.rules import validate
from inspector.rules.findings import Finding
from tests.agents.claude_code.test_claude_tail import (
    assistant,
    random_transcript,
    tool_answer,
    tool_call,
    transcript_lines,
    user,
)
from tests.conftest import SAMPLES, realworld_files


def finding_values(findings: list[Finding]) -> list[tuple[Any, ...]]:
    return sorted(
        (
            f.rule.value,
            f.severity.value,
            f.ids,
            f.line,
            f.message_index,
            f.content_index,
            f.cut_before,
            f.text,
            f.cause,
            f.note,
        )
        for f in findings
    )


def assert_whole(snapshot: Snapshot, path: Path, where: str) -> None:
    whole = validate(load_conversation(path, "claude-code"))
    assert finding_values(snapshot.findings) == finding_values(whole.findings), where
    assert snapshot.last_valid == whole.last_valid, where
    held = snapshot.conversation.messages
    before = snapshot.kept_from.messages_before if snapshot.kept_from else 0
    assert before + len(held) == len(whole.conversation.messages), where
    for index, message in enumerate(held):
        expected = whole.conversation.messages[before + index]
        assert [o.line for o in message.origins] == [o.line for o in expected.origins], where
    said, expected_dict = report_dict(snapshot.report, None, snapshot.earlier), report_dict(whole)
    for key in ("ok", "counts", "last_valid"):
        assert said[key] == expected_dict[key], where


def follow_letting_go(source: Path, target: Path, chunks: list[int]) -> tuple[int, int]:
    """Append ``source`` to ``target`` chunk by chunk, following it; after every chunk
    compare with a check of the whole file, let go of what is settled, compare again.
    Returns (times something was let go of, reads that went back to the whole file)."""
    lines = source.read_bytes().splitlines(keepends=True)
    target.write_bytes(b"")
    live = LiveSession(target, "claude-code")
    position = let_go = whole_again = 0
    sizes = iter(chunks)
    while position < len(lines):
        size = next(sizes, 1)
        with target.open("ab") as out:
            out.writelines(lines[position : position + size])
        position += size
        held_before = live.snapshot.kept_from if live.snapshot else None
        snapshot = live.refresh()
        if snapshot is None:
            continue
        whole_again += held_before is not None and snapshot.kept_from is None
        assert_whole(snapshot, target, f"{source.name} after line {position}")
        forgot = live.forget_settled()
        if forgot is not None:
            let_go += 1
            assert_whole(forgot, target, f"{source.name} let go after line {position}")
    return let_go, whole_again


def chunked(total: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < total:
        sizes.append(rng.choice([1, 1, 2, 3, 5, 8, 20]))
    return sizes


def samples() -> list[Path]:
    return sorted(SAMPLES.glob("*.jsonl"))


@pytest.mark.parametrize("path", samples(), ids=lambda p: p.name)
def test_samples_line_by_line(path: Path, tmp_path: Path) -> None:
    follow_letting_go(path, tmp_path / path.name, [])


@pytest.mark.parametrize("path", realworld_files(), ids=lambda p: p.name)
def test_real_transcripts_in_bursts(path: Path, tmp_path: Path) -> None:
    total = len(path.read_bytes().splitlines())
    let_go, _ = follow_letting_go(
        path, tmp_path / path.name, chunked(total, zlib.crc32(path.name.encode()))
    )
    if total > 150 and not path.name.startswith("agent-"):
        assert let_go > 0  # a long session has turns to let go of


@pytest.mark.parametrize("seed", range(6))
def test_random_shapes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    source = transcript_lines(tmp_path / "source.jsonl", random_transcript(rng, 160))
    follow_letting_go(source, tmp_path / "followed.jsonl", chunked(160, seed))


def turns(count: int, tag: str = "", parent: str | None = None) -> list[dict[str, Any]]:
    """``count`` finished turns (prompt, a call, its result, an answer), their ids tagged
    with ``tag``, the first hanging off ``parent``."""
    rows: list[dict[str, Any]] = []
    for turn in range(count):
        second = turn * 10
        name = f"{tag}{turn}"
        rows += [
            user(f"p{name}", parent, second, f"prompt {turn}"),
            tool_call(f"c{name}", f"p{name}", second + 1, f"toolu_{name}"),
            tool_answer(f"r{name}", f"c{name}", second + 2, f"toolu_{name}"),
            assistant(f"a{name}", f"r{name}", second + 3, f"answer {turn}"),
        ]
        parent = f"a{name}"
    return rows


def write_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("ab") as out:
        out.writelines(orjson.dumps(row) + b"\n" for row in rows)


def six_turns_let_go(path: Path) -> LiveSession:
    """Six finished turns written to ``path``, followed, all but the last let go of."""
    write_rows(path, turns(6))
    live = LiveSession(path, "claude-code")
    live.refresh()
    held = live.forget_settled()
    assert held is not None
    assert held.kept_from is not None
    assert held.kept_from.line == 21  # the last prompt
    assert len(held.conversation.messages) == 4
    return live


def test_a_duplicate_of_a_forgotten_id_is_found(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    live = six_turns_let_go(path)
    # a call that reuses the id of a call of the part let go of
    write_rows(
        path,
        [
            user("p9", "a5", 90, "again"),
            tool_call("c9", "p9", 91, "toolu_1"),
            tool_answer("r9", "c9", 92, "toolu_1"),
        ],
    )
    snapshot = live.refresh()
    assert snapshot is not None
    assert snapshot.kept_from is None  # read whole again: the id reaches back
    assert [f.rule.value for f in snapshot.report.errors] == ["R5", "R5b"]
    assert_whole(snapshot, path, "duplicate")


@pytest.mark.parametrize(
    "parent",
    [
        "a1",  # a rewind into the part let go of
        "nowhere",  # a parent in no line: the walk goes on with the line before, whole
    ],
)
def test_a_line_whose_parent_is_not_held_reads_the_whole_file(tmp_path: Path, parent: str) -> None:
    path = tmp_path / "s.jsonl"
    live = six_turns_let_go(path)
    write_rows(path, [user("p-new", parent, 95, "let us go back")])
    snapshot = live.refresh()
    assert snapshot is not None
    assert snapshot.kept_from is None
    assert_whole(snapshot, path, f"parent {parent}")


def test_a_broken_turn_is_kept_as_found(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rows = turns(3)
    # turn 3 calls a tool and never gets its result; turns go on after it
    rows += [
        user("p3", "a2", 30, "prompt 3"),
        tool_call("c3", "p3", 31, "toolu_lost"),
        user("p4", "c3", 40, "prompt 4"),
        assistant("a4", "p4", 43, "answer 4"),
    ]
    write_rows(path, rows + turns(3, "n", parent="a4"))
    live = LiveSession(path, "claude-code")
    live.refresh()
    held = live.forget_settled()
    assert held is not None
    assert held.kept_from is not None
    assert held.kept_from.line > 16
    assert [f.rule.value for f in held.findings if f.severity.value == "error"] == ["R1"]
    assert held.report.ok
    assert_whole(held, path, "kept")


def test_a_running_call_is_not_let_go_of(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    rows = turns(4)
    rows += [user("p4", "a3", 40, "go"), tool_call("c4", "p4", 41, "toolu_running")]
    write_rows(path, rows)
    live = LiveSession(path, "claude-code")
    live.refresh()
    assert live.forget_settled() is None


def test_a_file_replaced_before_the_part_held_is_read_reads_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    write_rows(path, turns(6))
    follower = TailFollower(path)
    follower.read(changed_only=False)
    assert follower.forget_settled(0) is not None
    path.write_bytes(b"")
    write_rows(path, turns(6, "other-"))  # as long, other lines
    followed = follower.read(changed_only=False)
    assert followed is not None
    assert followed.kept_from is None
    assert len(followed.conversation.messages) == 24
    assert followed.conversation.messages[0].origins[0].uuid == "pother-0"

"""Extending the previous rebuild gives exactly the full rebuild, line after line, and
validating it with the previous report gives exactly a validation from scratch."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents.claude_code import tail as claude_tail
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.jsonl import JsonlReader
from inspector.rules import Report, validate
from tests.conftest import REPO, SAMPLES, realworld_files
from tests.support.projections import projection_values, report_values


def follow(path: Path, chunk_sizes: list[int] | None = None) -> tuple[int, int]:
    """Feed ``path`` chunk by chunk (one line each by default) to a live transcript
    rebuilt by extension and to one rebuilt whole; compare after every chunk.
    Returns (rebuilds, extensions)."""
    rebuilds, extensions, _ = follow_counting(path, chunk_sizes)
    return rebuilds, extensions


def follow_counting(path: Path, chunk_sizes: list[int] | None = None) -> tuple[int, int, int]:
    """:func:`follow`, also counting the validations that started at the previous one's
    resume point (they take its memo over) rather than at the first message."""
    lines = list(JsonlReader(path).read(final=True).lines)
    live, whole = ClaudeCodeTranscript(path), ClaudeCodeTranscript(path)
    state: claude_tail.ProjectionState | None = None
    report: Report | None = None
    sizes = iter(chunk_sizes or [])
    position = rebuilds = extensions = resumed = 0
    earlier: list[tuple[Report, dict[str, Any], dict[str, Any]]] = []
    while position < len(lines):
        size = next(sizes, 1)
        chunk, position = lines[position : position + size], position + size
        live.feed(chunk)
        whole.feed(chunk)
        previous = state
        conversation, state = claude_tail.project(live, previous)
        rebuilds += 1
        extensions += previous is not None and state is previous
        expected = whole.project()
        assert projection_values(conversation) == projection_values(expected), position
        before = report.memo if report is not None else None
        report = validate(conversation, report, remember=True)
        assert report.memo is not None
        resumed += before is not None and report.memo.messages is before.messages
        assert report_values(report) == report_values(validate(expected)), position
        if rebuilds % 25 == 1 or position >= len(lines) - 25:
            earlier.append((report, projection_values(conversation), report_values(report)))
    # What later extensions share with earlier snapshots must not have changed them.
    for kept, projection, values in earlier:
        assert projection_values(kept.conversation) == projection
        assert report_values(kept) == values
    return rebuilds, extensions, resumed


def transcript_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def stamp(second: int) -> str:
    minutes, seconds = divmod(second, 60)
    return f"2026-01-01T00:{minutes:02d}:{seconds:02d}Z"


def line(kind: str, uuid: str, parent: str | None, second: int, **fields: Any) -> dict[str, Any]:
    """One transcript line of ``kind``, ``second`` seconds into the session."""
    base = {"type": kind, "uuid": uuid, "parentUuid": parent, "sessionId": "s"}
    return {**base, "timestamp": stamp(second), **fields}


def user(uuid: str, parent: str | None, second: int, text: str) -> dict[str, Any]:
    return line("user", uuid, parent, second, message={"role": "user", "content": text})


def assistant(uuid: str, parent: str, second: int, text: str) -> dict[str, Any]:
    content = [{"type": "text", "text": text}]
    message = {"role": "assistant", "id": f"msg_{uuid}", "model": "m", "content": content}
    return line("assistant", uuid, parent, second, message=message)


def test_a_parent_written_after_its_child(tmp_path: Path) -> None:
    """A line whose parent only arrives later changes the old part: rebuilt whole."""
    late_child = line("system", "X", "N", 9, subtype="informational", content="x")
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello"), late_child]
    rows.append(user("N", "u1", 3, "edited"))
    rebuilds, extensions = follow(transcript_lines(tmp_path / "late.jsonl", rows))
    # Only a1 extends: X hangs off a line not written yet, and N is the one X names.
    assert (rebuilds, extensions) == (4, 1)


def test_a_uuid_reused_by_a_later_line(tmp_path: Path) -> None:
    """No leaf left (every uuid is named as a parent): rebuilt from the last line."""
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello")]
    rows += [user("u2", "a1", 3, "more"), assistant("a2", "u2", 4, "ok")]
    rows += [user("u2", "a2", 5, "late")]
    path = transcript_lines(tmp_path / "reused.jsonl", rows)
    follow(path)
    full = ClaudeCodeTranscript(path)
    full.feed(JsonlReader(path).read(final=True).lines)
    assert full.project().messages


def test_a_new_branch_leaves_the_earlier_snapshot_alone(tmp_path: Path) -> None:
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello")]
    rows += [user("u2", "a1", 3, "first try"), user("u3", "a1", 4, "second try")]
    follow(transcript_lines(tmp_path / "branch.jsonl", rows), [2, 2])


def hook_line(uuid: str, parent: str, second: int) -> dict[str, Any]:
    attachment = {"type": "hook_success", "hookEvent": "UserPromptSubmit", "content": "ok"}
    return line("attachment", uuid, parent, second, attachment=attachment)


def test_the_reply_after_a_prompts_hook_lines_is_an_extension(tmp_path: Path) -> None:
    """A prompt's hook output (two attachment lines after it) was the end of the last
    read; the reply hangs off the last of them: that extends, it is not rebuilt whole."""
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello")]
    rows += [user("u2", "a1", 3, "more"), hook_line("h1", "u2", 3), hook_line("h2", "h1", 3)]
    rows += [assistant("a2", "h2", 4, "sure"), user("u3", "a2", 5, "thanks")]
    path = transcript_lines(tmp_path / "hooks.jsonl", rows)
    assert follow(path, [5, 2]) == (2, 1)  # 2 full rebuilds before


def test_lines_after_the_chain_with_another_child_are_rebuilt(tmp_path: Path) -> None:
    """The system line between the prompt and the newest leaf has another child (an
    abandoned reply): on the chain, it would be that branch's new fork. Rebuilt whole,
    and equal to the full rebuild."""
    rows = [user("u1", None, 1, "hi"), line("system", "s1", "u1", 2, subtype="informational")]
    rows += [assistant("x1", "s1", 3, "abandoned"), hook_line("h1", "s1", 4)]
    rows += [assistant("a1", "h1", 5, "the reply")]
    path = transcript_lines(tmp_path / "fork.jsonl", rows)
    assert follow(path, [4, 1]) == (2, 0)


def cases() -> list[Path]:
    return sorted(SAMPLES.glob("*.jsonl")) + realworld_files()


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.name)
def test_line_by_line_equals_the_full_rebuild(path: Path) -> None:
    follow(path)


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.name)
def test_bursts_of_lines_equal_the_full_rebuild(path: Path) -> None:
    rng = random.Random(path.name)
    follow(path, [rng.randint(1, 6) for _ in range(20_000)])


def test_a_streaming_session_is_extended_not_rebuilt(tmp_path: Path) -> None:
    """The generated layout (parallel calls streamed, hooks, compactions): nearly every
    line is an extension; a full rebuild only where the chain really changes."""
    path = tmp_path / "live.jsonl"
    generator = REPO / "benchmarks" / "generate_transcript.py"
    options = ["--size-mb", "1", "--seed", "5", "--compactions", "2"]
    subprocess.run([sys.executable, str(generator), str(path), *options], check=True)
    rebuilds, extensions = follow(path)
    # results hanging off their own tool_use line, written after the batch's last call,
    # are extensions too (12 full rebuilds before, 7 now: the compactions and rewinds)
    assert extensions >= 0.98 * rebuilds


def test_the_real_sessions_are_mostly_extended() -> None:
    if not realworld_files():
        pytest.skip("real transcripts not found")
    totals = [follow(path) for path in realworld_files()]
    rebuilds = sum(total for total, _ in totals)
    extensions = sum(extended for _, extended in totals)
    assert extensions >= 0.98 * rebuilds  # 7,120 of 7,258 lines (7,068 before)


def tool_call(uuid: str, parent: str, second: int, tool_id: str) -> dict[str, Any]:
    line = assistant(uuid, parent, second, "")
    line["message"]["content"] = [{"type": "tool_use", "id": tool_id, "name": "Read", "input": {}}]
    return line


def tool_answer(uuid: str, parent: str, second: int, tool_id: str) -> dict[str, Any]:
    line = user(uuid, parent, second, "")
    line["message"]["content"] = [{"type": "tool_result", "tool_use_id": tool_id, "content": "ok"}]
    return line


def test_the_chain_moves_through_a_recovered_result(tmp_path: Path) -> None:
    """A result recovered as a sibling (the newest leaf was a hook line after it) gets
    a child: it moves onto the chain, and must leave its place among the siblings."""
    hook = line("attachment", "X", "A", 4, attachment={"type": "hook_success"})
    rows = [
        user("u0", None, 1, "read it"),
        tool_call("A", "u0", 2, "toolu_1"),
        tool_answer("R1", "A", 3, "toolu_1"),
        hook,
        assistant("N", "R1", 5, "done"),
    ]
    follow(transcript_lines(tmp_path / "moved.jsonl", rows))


def random_transcript(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """Lines hanging off random earlier lines (mostly the last few), with fragments of
    the same message, parallel results, hook and system lines, progress lines, the odd
    late timestamp, missing parent and compaction: the shapes the extension must get
    right or refuse."""
    rows: list[dict[str, Any]] = [user("L0", None, 0, "start")]
    open_calls: list[tuple[str, str]] = []  # (tool id, uuid of its tool_use line)
    message = "M0"
    for number in range(1, count):
        uuid = f"L{number}"
        back = min(len(rows), 1 + int(rng.expovariate(0.7)))
        parent = rows[-back]["uuid"]
        second = number if rng.random() > 0.1 else max(0, number - rng.randint(1, 5))
        roll = rng.random()
        if roll < 0.3:
            if rng.random() < 0.5:
                message = f"M{number}"
            tool_id = f"toolu_{number}"
            row = tool_call(uuid, parent, second, tool_id)
            row["message"]["id"] = message
            open_calls.append((tool_id, uuid))
        elif roll < 0.55 and open_calls:
            tool_id, call_line = open_calls.pop(rng.randrange(len(open_calls)))
            row = tool_answer(uuid, call_line if rng.random() < 0.6 else parent, second, tool_id)
        elif roll < 0.65:
            row = assistant(uuid, parent, second, f"text {number}")
            row["message"]["id"] = message if rng.random() < 0.5 else f"M{number}"
        elif roll < 0.75:
            row = user(uuid, parent, second, f"prompt {number}")
        elif roll < 0.85:
            row = line("attachment", uuid, parent, second, attachment={"type": "hook_success"})
        elif roll < 0.92:
            row = line("system", uuid, parent, second, subtype="turn_duration")
        elif roll < 0.96:
            row = line("progress", uuid, parent, second)
        elif roll < 0.98:
            row = user(uuid, f"missing-{number}", second, "orphaned line")
        else:
            row = line("system", uuid, None, second, subtype="compact_boundary")
            row["logicalParentUuid"] = parent
        rows.append(row)
    return rows


def long_broken_transcript(rng: random.Random, turns: int) -> list[dict[str, Any]]:
    """One chain of prompts and parallel calls, with results missing, late (after the
    next prompt), without a call, and ids used again."""
    rows: list[dict[str, Any]] = []
    late: list[str] = []
    number = 0

    def add(row: dict[str, Any]) -> None:
        rows.append(row)

    for turn in range(turns):
        number += 1
        parent = rows[-1]["uuid"] if rows else None
        add(user(f"P{number}", parent, number, f"prompt {turn}"))
        for tool_id in late:  # results of earlier turns' calls: late, or without a call
            number += 1
            add(tool_answer(f"R{number}", rows[-1]["uuid"], number, tool_id))
        late = []
        calls = []
        for _ in range(rng.randint(1, 4)):
            number += 1
            reused = rng.random() < 0.04 and number > 20
            tool_id = f"toolu_{rng.randint(1, number - 1) if reused else number}"
            row = tool_call(f"C{number}", rows[-1]["uuid"], number, tool_id)
            row["message"]["id"] = f"msg_{turn}"
            add(row)
            calls.append(tool_id)
        for tool_id in calls:
            roll = rng.random()
            if roll < 0.06:
                late.append(tool_id)
            elif roll < 0.1:
                continue  # never answered
            else:
                number += 1
                add(tool_answer(f"R{number}", rows[-1]["uuid"], number, tool_id))
        if rng.random() < 0.04:
            late.append(f"toolu_nowhere_{turn}")
        number += 1
        add(assistant(f"A{number}", rows[-1]["uuid"], number, f"done {turn}"))
    return rows


@pytest.mark.parametrize("seed", range(8))
def test_long_sessions_validated_from_their_resume_point(tmp_path: Path, seed: int) -> None:
    """Long enough for validations to start at the previous one's resume point (32
    messages from the end), with results missing, late, without a call, and ids used
    again, on both sides of it: the same report as a validation from scratch, every
    time, and most validations resumed."""
    rng = random.Random(seed)
    rows = long_broken_transcript(rng, 70)
    path = transcript_lines(tmp_path / f"long-{seed}.jsonl", rows)
    rebuilds, _, resumed = follow_counting(path)
    assert resumed > rebuilds // 2
    follow_counting(path, [rng.randint(1, 5) for _ in range(len(rows))])


@pytest.mark.parametrize("seed", range(60))
def test_random_shapes_equal_the_full_rebuild(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    rows = random_transcript(rng, rng.randint(20, 90))
    path = transcript_lines(tmp_path / f"random-{seed}.jsonl", rows)
    follow(path)
    follow(path, [rng.randint(1, 5) for _ in range(len(rows))])

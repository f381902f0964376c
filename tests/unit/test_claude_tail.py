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

from inspector.formats import claude_tail
from inspector.formats.claude_code import ClaudeCodeTranscript
from inspector.reader import JsonlReader
from inspector.rules import Report, validate
from tests.conftest import REPO, SAMPLES, realworld_files
from tests.projections import projection_values, report_values


def follow(path: Path, chunk_sizes: list[int] | None = None) -> tuple[int, int]:
    """Feed ``path`` chunk by chunk (one line each by default) to a live transcript
    rebuilt by extension and to one rebuilt whole; compare after every chunk.
    Returns (rebuilds, extensions)."""
    lines = list(JsonlReader(path).read(final=True).lines)
    live, whole = ClaudeCodeTranscript(path), ClaudeCodeTranscript(path)
    state: claude_tail.ProjectionState | None = None
    report: Report | None = None
    sizes = iter(chunk_sizes or [])
    position = rebuilds = extensions = 0
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
        report = validate(conversation, report, remember=True)
        assert report_values(report) == report_values(validate(expected)), position
        if rebuilds % 25 == 1 or position >= len(lines) - 25:
            earlier.append((report, projection_values(conversation), report_values(report)))
    # What later extensions share with earlier snapshots must not have changed them.
    for kept, projection, values in earlier:
        assert projection_values(kept.conversation) == projection
        assert report_values(kept) == values
    return rebuilds, extensions


def transcript_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
    return path


def user(uuid: str, parent: str | None, second: int, text: str) -> dict[str, Any]:
    return {
        "type": "user",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s",
        "timestamp": f"2026-01-01T00:00:{second:02d}Z",
        "message": {"role": "user", "content": text},
    }


def assistant(uuid: str, parent: str, second: int, text: str) -> dict[str, Any]:
    return {
        "type": "assistant",
        "uuid": uuid,
        "parentUuid": parent,
        "sessionId": "s",
        "timestamp": f"2026-01-01T00:00:{second:02d}Z",
        "message": {
            "role": "assistant",
            "id": f"msg_{uuid}",
            "model": "m",
            "content": [{"type": "text", "text": text}],
        },
    }


def test_a_parent_written_after_its_child(tmp_path: Path) -> None:
    """A line whose parent only arrives later changes the old part: rebuilt whole."""
    late_child = {
        "type": "system",
        "subtype": "informational",
        "uuid": "X",
        "parentUuid": "N",
        "sessionId": "s",
        "timestamp": "2026-01-01T00:00:09Z",
        "content": "x",
    }
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello"), late_child]
    rows.append(user("N", "u1", 3, "edited"))
    rebuilds, extensions = follow(transcript_lines(tmp_path / "late.jsonl", rows))
    # Only a1 extends: X hangs off a line not written yet, and N is the one X names.
    assert (rebuilds, extensions) == (4, 1)


def test_a_new_branch_leaves_the_earlier_snapshot_alone(tmp_path: Path) -> None:
    rows = [user("u1", None, 1, "hi"), assistant("a1", "u1", 2, "hello")]
    rows += [user("u2", "a1", 3, "first try"), user("u3", "a1", 4, "second try")]
    follow(transcript_lines(tmp_path / "branch.jsonl", rows), [2, 2])


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
    assert extensions >= 0.9 * rebuilds


def test_the_real_sessions_are_mostly_extended() -> None:
    if not realworld_files():
        pytest.skip("real transcripts not found")
    totals = [follow(path) for path in realworld_files()]
    rebuilds = sum(total for total, _ in totals)
    extensions = sum(extended for _, extended in totals)
    assert extensions >= 0.9 * rebuilds

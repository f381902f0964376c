"""Extending the previous rebuild gives exactly the full rebuild, line after line, and
validating it with the previous report gives exactly a validation from scratch."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

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
    return rebuilds, extensions


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

"""Continuing from a checkpoint gives exactly what reading the whole grown file gives."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from inspector.agents.claude_code import checkpoints
from inspector.agents.claude_code.checkpoints import load_from
from inspector.agents.claude_code.read import load_transcript
from inspector.core.agent import Checkpoint
from inspector.core.verdict import NotATranscript
from inspector.rules import validate
from tests.agents.claude_code.test_split_read import cases
from tests.support.projections import projection_values, report_values
from tests.support.transcript_state import state


@pytest.fixture(autouse=True)
def keep_small_files(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "KEEP_MIN_BYTES", 0)


def cut_points(count: int) -> list[int]:
    """Up to seven line counts spread over ``count`` lines (the first and last included)."""
    return sorted({1, count - 1, *(count * share // 6 for share in range(1, 6))} - {0})


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.name)
def test_a_grown_file_continued_equals_the_file_read_whole(path: Path, tmp_path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    kept = 0
    copy = tmp_path / path.name
    copy.write_bytes(b"".join(lines))
    whole = load_transcript(copy)
    expected = load_from(copy, None)
    for cut in cut_points(len(lines)):
        copy.write_bytes(b"".join(lines[:cut]))
        try:
            first = load_from(copy, None)
        except NotATranscript:  # only metadata lines so far
            continue
        if first.checkpoint is None:
            assert not lines[cut - 1].strip() or not lines[cut - 1].endswith(b"\n"), cut
            continue
        copy.write_bytes(b"".join(lines))
        kept += 1
        continued = checkpoints._continue(copy, first.checkpoint)
        assert continued is not None
        assert state(continued) == state(whole), cut
        grown = load_from(copy, first.checkpoint)
        assert projection_values(grown.conversation) == projection_values(expected.conversation)
        assert report_values(validate(grown.conversation)) == report_values(
            validate(expected.conversation)
        )
    assert kept or len(lines) < 3


def test_small_files_are_read_whole_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checkpoints, "KEEP_MIN_BYTES", 512 * 1024)
    path = tmp_path / "small.jsonl"
    path.write_bytes((Path("sample_sessions") / "healthy-parallel.jsonl").read_bytes())
    assert load_from(path, None).checkpoint is None


def test_no_checkpoint_for_a_session_untouched_for_a_day(tmp_path: Path) -> None:
    path = tmp_path / "old.jsonl"
    path.write_bytes((Path("sample_sessions") / "healthy-parallel.jsonl").read_bytes())
    assert load_from(path, None).checkpoint is not None
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(path, (two_days_ago, two_days_ago))
    assert load_from(path, None).checkpoint is None


def test_no_checkpoint_without_a_finished_last_line(tmp_path: Path) -> None:
    source = Path("sample_sessions") / "healthy-parallel.jsonl"
    path = tmp_path / "cut.jsonl"
    path.write_bytes(source.read_bytes()[:-30])
    assert load_from(path, None).checkpoint is None
    path.write_bytes(source.read_bytes() + b"  \n")
    assert load_from(path, None).checkpoint is None  # a blank last line
    path.write_bytes(source.read_bytes())
    kept = load_from(path, None).checkpoint
    assert kept is not None
    assert kept.size == os.path.getsize(path)


@pytest.mark.parametrize("data", [b"", b"{}", b"not json\n{}", b'{"entries": 1}\n{}'])
def test_an_unreadable_checkpoint_means_a_whole_read(tmp_path: Path, data: bytes) -> None:
    source = Path("sample_sessions") / "duplicate-id.jsonl"
    path = tmp_path / source.name
    path.write_bytes(source.read_bytes())
    loaded = load_from(path, Checkpoint(10, data))
    assert report_values(validate(loaded.conversation)) == report_values(
        validate(load_from(source, None).conversation)
    )

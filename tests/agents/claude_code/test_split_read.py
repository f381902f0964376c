"""Reading on two cores gives exactly the transcript a single read gives."""

from __future__ import annotations

import errno
import os
import sys
import threading
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents.claude_code import frames, split_read
from inspector.agents.claude_code.entries import Entry, TranscriptEntries
from inspector.agents.claude_code.read import load_transcript
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.jsonl import JsonlReader
from inspector.core.model import Block
from inspector.rules import validate
from tests.conftest import REPO, SAMPLES, realworld_files
from tests.support.projections import projection_values
from tests.support.transcript_state import state

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")


def read_serially(path: Path) -> ClaudeCodeTranscript:
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(JsonlReader(path).read(final=True).lines)
    return transcript


CLIENT_WRITTEN = REPO / "tests" / "fixtures" / "claude_code" / "2.1.332"
"""What today's client writes: results it made up, stored API errors in its new words."""


def cases() -> list[Path]:
    return (
        sorted(SAMPLES.glob("*.jsonl")) + sorted(CLIENT_WRITTEN.glob("*.jsonl")) + realworld_files()
    )


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.name)
def test_split_read_equals_a_single_read(path: Path) -> None:
    serial = read_serially(path)
    split = split_read.read_split(path)
    assert state(split) == state(serial)
    assert projection_values(split.project()) == projection_values(serial.project())


def shared_strings(transcript: ClaudeCodeTranscript) -> list[tuple[bool, ...]]:
    """Per entry: which of its strings are the very objects a single read shares."""

    def interned(text: str | None) -> bool:
        return text is None or text is sys.intern(text)

    rows: list[tuple[bool, ...]] = []
    for entry in transcript.entries:
        parent = transcript.by_uuid.get(entry.parent or "")
        rows.append(
            (
                parent is not None and entry.parent is parent.uuid,
                interned(entry.kind),
                interned(entry.model),
                interned(entry.stop_reason),
                all(interned(block.type) for block in entry.blocks),
            )
        )
    return rows


@pytest.mark.parametrize("path", cases(), ids=lambda path: path.name)
def test_strings_are_shared_as_a_single_read_shares_them(path: Path) -> None:
    """The rebuild matches uuids by identity first: the child's part must share them."""
    assert shared_strings(split_read.read_split(path)) == shared_strings(read_serially(path))


def test_the_cut_falls_anywhere(tmp_path: Path) -> None:
    """Cut points from the first line to the last give the same transcript."""
    path = SAMPLES / "healthy-parallel.jsonl"
    serial = state(read_serially(path))
    for share in (0.02, 0.2, 0.35, 0.65, 0.9, 0.99):
        assert state(split_read.read_split(path, child_share=share)) == serial, share


def test_the_cut_is_the_line_start_nearest_to_the_share(tmp_path: Path) -> None:
    """A line of megabytes at the cut goes to the side that keeps the parts closest."""
    small = b'{"type": "summary", "summary": "x"}\n'
    path = tmp_path / "long-line.jsonl"
    path.write_bytes(small * 40 + b'{"big": "' + b"y" * 200_000 + b'"}\n' + small * 3000)
    data = path.read_bytes()
    starts = [0] + [at + 1 for at in range(len(data) - 1) if data[at] == ord("\n")]
    # 0.68: the big line's start is nearer, more than one look-back read away
    for share in (0.1, 0.4, 0.45, 0.5, 0.55, 0.6, 0.68, 0.75, 0.9, 0.99):
        target = int(len(data) * (1 - share))
        nearest = min(starts, key=lambda start: (abs(start - target), -start))
        assert split_read._line_start_near(path, share) == (nearest or None), share


def test_bad_lines_in_the_second_part_keep_their_numbers(tmp_path: Path) -> None:
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    lines.insert(len(lines) - 2, b"{not json\n")
    lines.insert(1, b"[1, 2]\n")
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"".join(lines) + b'{"type": "user", "cut')
    split = split_read.read_split(path, child_share=0.5)
    assert [bad.number for bad in split.bad_lines] == [2, len(lines) - 2, len(lines) + 1]
    assert state(split) == state(read_serially(path))


def test_a_uuid_repeated_after_the_cut_goes_to_the_later_line(tmp_path: Path) -> None:
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "repeated.jsonl"
    path.write_bytes(b"".join([*lines, lines[2], lines[3]]))
    serial = read_serially(path)
    last = serial.entries[-1]
    assert serial.by_uuid[last.uuid or ""] is last
    assert len(serial.superseded) == 2
    for share in (0.1, 0.5):
        split = split_read.read_split(path, child_share=share)
        assert state(split) == state(serial), share
        assert shared_strings(split) == shared_strings(serial), share


def test_blank_lines_before_the_cut_keep_the_numbering(tmp_path: Path) -> None:
    """Blank lines are counted but never fed: the child's lines are numbered after them."""
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    half = len(lines) // 2
    path = tmp_path / "blank.jsonl"
    path.write_bytes(b"".join([*lines[:half], b"\n" * 40, b"  \r\n", *lines[half:]]))
    for share in (0.3, 0.45, 0.55):
        split = split_read.read_split(path, child_share=share)
        assert state(split) == state(read_serially(path)), share


def test_the_child_part_comes_over_the_wire(monkeypatch: pytest.MonkeyPatch) -> None:
    """The equality above is not the parent quietly reading everything itself: the
    child's part arrives in frames, decoded as they come."""
    sizes: list[int] = []
    take_entries = frames.take_entries

    def spy(
        part: ClaudeCodeTranscript,
        frame: dict[str, Any],
        lines_before: int,
        earlier: dict[str, Entry],
    ) -> None:
        sizes.append(len(frame["block_counts"]))
        take_entries(part, frame, lines_before, earlier)

    monkeypatch.setattr(frames, "take_entries", spy)
    monkeypatch.setattr(split_read, "FRAME_LINES", 4)
    path = SAMPLES / "healthy-parallel.jsonl"
    assert state(split_read.read_split(path)) == state(read_serially(path))
    assert len(sizes) > 1
    assert sum(sizes) == len(read_serially(path).entries) - len(
        read_serially_until(path, split_read._line_start_near(path, split_read.CHILD_SHARE))
    )


def read_serially_until(path: Path, offset: int | None) -> list[Entry]:
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(JsonlReader(path).read(until=offset).lines)
    return transcript.entries


def test_the_wire_follows_the_model() -> None:
    """Entries and blocks are rebuilt positionally: blocks last, origin second."""
    assert [f.name for f in fields(Entry)] == [*frames._ENTRY_FIELDS, "blocks"]
    block_fields = [f.name for f in fields(Block)]
    assert block_fields == [block_fields[0], "origin", *frames._BLOCK_FIELDS[1:]]


def test_a_child_that_never_answers_is_given_up(monkeypatch: pytest.MonkeyPatch) -> None:
    def hang(path: Path, start: int, scratch: int, announce: int) -> None:
        time.sleep(60)

    monkeypatch.setattr(split_read, "_serve", hang)
    monkeypatch.setattr(split_read, "CHILD_PATIENCE", 0.5)
    path = SAMPLES / "healthy-parallel.jsonl"
    started = time.monotonic()
    assert state(split_read.read_split(path)) == state(read_serially(path))
    assert time.monotonic() - started < 10


def open_descriptors() -> int | None:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else None


def test_no_child_when_fork_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    path = SAMPLES / "healthy-parallel.jsonl"
    before = open_descriptors()
    assert state(split_read.read_split(path)) == state(read_serially(path))
    assert open_descriptors() == before


def test_no_child_without_a_scratch_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_scratch() -> int:
        raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr(split_read, "_scratch_file", no_scratch)
    path = SAMPLES / "healthy-parallel.jsonl"
    before = open_descriptors()
    assert state(split_read.read_split(path)) == state(read_serially(path))
    assert open_descriptors() == before


def test_the_scratch_file_without_memfd(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where ``memfd_create`` is missing (macOS), an unlinked temporary file serves."""
    monkeypatch.delattr(os, "memfd_create", raising=False)
    path = SAMPLES / "healthy-parallel.jsonl"
    before = open_descriptors()
    assert state(split_read.read_split(path)) == state(read_serially(path))
    assert open_descriptors() == before


def test_a_failing_child_leaves_the_work_to_the_parent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = SAMPLES / "orphan-tool-use.jsonl"

    def fail(path: Path, start: int, scratch: int, announce: int) -> None:
        raise RuntimeError("the child breaks down")

    monkeypatch.setattr(split_read, "_serve", fail)
    split = split_read.read_split(path)
    assert state(split) == state(read_serially(path))
    assert validate(split.project()).errors


def test_a_child_that_dies_between_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames already decoded are dropped with the rest: the part is read here whole."""
    send = split_read._send
    sent: list[bytes] = []

    def die_after_two(scratch: int, announce: int, kind: bytes, frame: bytes) -> None:
        if len(sent) == 2:
            os._exit(0)  # even a clean exit without the last frame
        sent.append(kind)
        send(scratch, announce, kind, frame)

    monkeypatch.setattr(split_read, "_send", die_after_two)
    monkeypatch.setattr(split_read, "FRAME_LINES", 3)
    path = SAMPLES / "healthy-parallel.jsonl"
    assert state(split_read.read_split(path, child_share=0.6)) == state(read_serially(path))


@pytest.mark.parametrize("columns", ["entries", "blocks"])
def test_a_short_column_is_not_taken_for_a_whole_frame(
    monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    """Columns are rebuilt with map(), which stops at the shortest: lengths are checked."""
    entries_frame = frames.entries_frame

    def cut(part: TranscriptEntries, sent_entries: int = 0, sent_calls: int = 0) -> bytes:
        frame = orjson.loads(entries_frame(part, sent_entries, sent_calls))
        if frame[columns][-1]:
            frame[columns][-1].pop()
        return orjson.dumps(frame)

    monkeypatch.setattr(frames, "entries_frame", cut)
    path = SAMPLES / "healthy-parallel.jsonl"
    assert state(split_read.read_split(path)) == state(read_serially(path))


def test_garbled_frames_leave_the_work_to_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    def garble(path: Path, start: int, scratch: int, announce: int) -> None:
        split_read._send(scratch, announce, split_read._ENTRIES, b'{"entries": 3}')

    monkeypatch.setattr(split_read, "_serve", garble)
    path = SAMPLES / "duplicate-id.jsonl"
    assert state(split_read.read_split(path)) == state(read_serially(path))


def test_only_big_files_from_a_single_thread(tmp_path: Path) -> None:
    small = SAMPLES / "healthy-parallel.jsonl"
    assert not split_read.can_split(small)
    big = tmp_path / "big.jsonl"
    with big.open("wb") as handle:
        handle.truncate(split_read.SPLIT_MIN_BYTES)
    assert split_read.can_split(big)
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        assert not split_read.can_split(big)
    finally:
        release.set()
        worker.join()


def test_load_transcript_splits_a_big_file(tmp_path: Path) -> None:
    """A file past the threshold goes through the split read and still reads right."""
    source = (SAMPLES / "healthy-parallel.jsonl").read_bytes()
    path = tmp_path / "big.jsonl"
    with path.open("wb") as handle:
        while handle.tell() < split_read.SPLIT_MIN_BYTES:
            handle.write(b'{"type": "file-history-snapshot", "messageId": "m"}\n' * 2000)
        handle.write(source)
    assert split_read.can_split(path)
    assert state(load_transcript(path)) == state(read_serially(path))

"""Lines re-read by number from the nearest known line, forward and backward."""

from __future__ import annotations

from pathlib import Path

from inspector.causes.lines import Anchor, LineReader


def _file(tmp_path: Path, lines: list[bytes], *, end: bytes = b"\n") -> tuple[Path, list[int]]:
    data = b"\n".join(lines) + end
    path = tmp_path / "f.jsonl"
    path.write_bytes(data)
    offsets, at = [], 0
    for line in lines:
        offsets.append(at)
        at += len(line) + 1
    return path, offsets


def test_forward_from_the_anchor_before(tmp_path: Path) -> None:
    lines = [f"line {n}".encode() for n in range(1, 101)]
    path, offsets = _file(tmp_path, lines)
    reader = LineReader(path, [Anchor(40, offsets[39])])
    assert reader.read(42, 44) == {42: b"line 42", 43: b"line 43", 44: b"line 44"}
    assert reader.last_line is None  # the end was not reached


def test_backward_from_the_anchor_after(tmp_path: Path) -> None:
    lines = [f"line {n}".encode() * (n % 7 + 1) for n in range(1, 5001)]
    path, offsets = _file(tmp_path, lines)
    reader = LineReader(path, [Anchor(4000, offsets[3999])])
    found = reader.read(3990, 4001)
    assert found == {n: lines[n - 1] for n in range(3990, 4002)}


def test_to_the_end_without_a_last_line_break_and_crlf(tmp_path: Path) -> None:
    path, _ = _file(tmp_path, [b"a\r", b"b\r", b"c"], end=b"")
    reader = LineReader(path, [])
    assert reader.read(2, None) == {2: b"b", 3: b"c"}
    assert reader.last_line == 3


def test_the_end_of_a_file_ending_in_a_line_break(tmp_path: Path) -> None:
    path, _ = _file(tmp_path, [b"a", b"b"])
    reader = LineReader(path, [])
    assert reader.read(1, None) == {1: b"a", 2: b"b"}
    assert reader.last_line == 2

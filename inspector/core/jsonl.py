"""Incremental JSONL reading over byte offsets.

A :class:`JsonlReader` remembers how far into a file it has read. Each call to
:meth:`JsonlReader.read` parses only the bytes appended since the last call and
yields complete lines; a trailing line without its newline is held back until the
newline arrives (the writer may be in the middle of it). A file that shrank or
was replaced (new inode, or different bytes just before the remembered offset: the
last 64 bytes read are kept to compare) is read again from the start, and the result
says so.

Lines are yielded one at a time and never collected, so a caller that keeps only
what it needs from each parsed object stays small on a 100 MB transcript; the
offset and length of every line let it re-read a line's full text later
(:func:`read_line`).
"""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from inspector.core.safe_read import open_regular

_CHUNK_SIZE = 1 << 20
_FINGERPRINT_SIZE = 64
_CR = 0x0D


@dataclass(slots=True)
class ParsedLine:
    """One complete line that held a JSON object."""

    number: int
    """1-based line number in the file."""
    offset: int
    """Byte offset of the line's first byte."""
    length: int
    """Length in bytes, without the line break."""
    value: dict[str, Any]


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be read as a JSON object."""

    number: int
    offset: int
    length: int
    reason: str


@dataclass(slots=True)
class ReadResult:
    """What one :meth:`JsonlReader.read` call found."""

    restarted: bool
    """True when the file shrank or was replaced and is being read from the start."""
    lines: Iterator[ParsedLine | BadLine]
    """The new lines, parsed lazily as the caller iterates."""


class JsonlReader:
    """Reads the new complete lines of a JSONL file, call after call."""

    def __init__(self, path: Path, start: int = 0) -> None:
        self.path = path
        self.offset = start
        """Bytes consumed so far: always the end of a complete line (or ``start``, which
        must be the start of a line; line numbers then count from there)."""
        self.line_count = 0
        """Physical lines consumed so far (blank lines included)."""
        self._identity: tuple[int, int] | None = None
        self._fingerprint = b""

    def read(self, *, final: bool = False, until: int | None = None) -> ReadResult:
        """Parse what was appended since the last call.

        With ``final`` the file is taken as complete: a last line without a newline
        is parsed too (and reported as bad if it is not whole JSON). ``until`` stops at
        that byte offset (the end of a line), for reading a file in parts. Raises
        ``OSError`` when the file cannot be opened or is not a regular file.
        """
        handle = open_regular(self.path)  # closed by the generator
        try:
            stat = os.fstat(handle.fileno())
            restarted = self._must_restart(handle, stat)
            if restarted:
                self.offset = 0
                self.line_count = 0
            self._identity = (stat.st_dev, stat.st_ino)
        except BaseException:
            handle.close()
            raise
        return ReadResult(restarted, self._iter_lines(handle, final, until))

    def _must_restart(self, handle: Any, stat: os.stat_result) -> bool:
        if self._identity is None:
            return False
        if (stat.st_dev, stat.st_ino) != self._identity or stat.st_size < self.offset:
            return True
        if not self._fingerprint:
            return False
        start = self.offset - len(self._fingerprint)
        return os.pread(handle.fileno(), len(self._fingerprint), start) != self._fingerprint

    def _iter_lines(
        self, handle: Any, final: bool, until: int | None
    ) -> Iterator[ParsedLine | BadLine]:
        # One buffer, reused: lines are parsed from views into it, never copied out, and
        # no chunk is allocated per read (each would be fresh memory to fault in: on
        # 100 MB that is a fifth of the reading time).
        with handle:
            position = handle.seek(self.offset)
            buffer = bytearray(_CHUNK_SIZE)
            view = memoryview(buffer)
            held = 0  # bytes at the start of the buffer: a line that is not complete yet
            try:
                while True:
                    if held == len(buffer):  # a line longer than the buffer: grow it
                        view.release()
                        buffer.extend(bytes(len(buffer)))
                        view = memoryview(buffer)
                    room = len(buffer) - held
                    if until is not None:
                        room = max(0, min(room, until - position))
                    got = handle.readinto(view[held : held + room]) if room else 0
                    if not got:
                        break
                    position += got
                    end = held + got
                    consumed = yield from self._parse_buffer(buffer, view, end)
                    if consumed:
                        fingerprint_start = max(0, consumed - _FINGERPRINT_SIZE)
                        self._fingerprint = bytes(view[fingerprint_start:consumed])
                    held = end - consumed
                    if consumed:  # move the unfinished line to the front, in place
                        view[:held] = view[consumed:end]
                tail = bytes(view[:held])
            finally:
                view.release()
            if final and tail.strip():
                yield from self._parse_last_line(tail)
                self._fingerprint = tail[-_FINGERPRINT_SIZE:]

    def _parse_buffer(
        self, buffer: bytearray, view: memoryview, end: int
    ) -> Generator[ParsedLine | BadLine, None, int]:
        """Parse the complete lines in ``buffer[:end]``; return where the last one ends
        (after its line break)."""
        offset = self.offset
        number = self.line_count
        loads = orjson.loads
        consumed = 0
        for start, newline in complete_lines(buffer, end):
            number += 1
            stop = newline - 1 if newline > start and buffer[newline - 1] == _CR else newline
            if stop > start:
                try:
                    value = loads(view[start:stop])
                except orjson.JSONDecodeError as error:
                    raw = bytes(view[start:stop])
                    value = _BLANK if raw.isspace() else _parse_lenient(raw, error)
                if type(value) is dict:
                    yield ParsedLine(number, offset, stop - start, value)
                elif isinstance(value, _Unreadable):
                    yield BadLine(number, offset, stop - start, value.reason)
                elif value is not _BLANK:  # white space only: skipped, like an empty line
                    yield BadLine(number, offset, stop - start, "not a JSON object")
            offset += newline + 1 - start
            consumed = newline + 1
            # Commit progress line by line so a caller that stops early resumes here.
            self.offset = offset
            self.line_count = number
        return consumed

    def _parse_last_line(self, raw: bytes) -> Iterator[ParsedLine | BadLine]:
        """Parse a last line that has no line break (not blank: the caller checks)."""
        number = self.line_count + 1
        offset = self.offset
        consumed = len(raw)
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        try:
            value = orjson.loads(raw)
        except orjson.JSONDecodeError as error:
            value = _parse_lenient(raw, error)
        if isinstance(value, dict):
            yield ParsedLine(number, offset, len(raw), value)
        elif isinstance(value, _Unreadable):
            yield BadLine(number, offset, len(raw), _UNTERMINATED)
        else:
            yield BadLine(number, offset, len(raw), "not a JSON object")
        self.offset = offset + consumed
        self.line_count = number


@dataclass(frozen=True, slots=True)
class _Unreadable:
    reason: str


_BLANK = object()
"""A line of white space (not a bad line)."""
_UNTERMINATED = "incomplete last line (no line break: cut off, or still being written)"


def _parse_lenient(raw: bytes, error: orjson.JSONDecodeError) -> Any:
    """Retry a line that is not valid UTF-8 the way Node reads it (bad bytes → U+FFFD).

    Returns the parsed value, or :class:`_Unreadable` saying why the line is unreadable.
    """
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return orjson.loads(raw.decode("utf-8", errors="replace"))
        except orjson.JSONDecodeError as retry_error:
            return _Unreadable(f"not valid JSON: {retry_error}")
    return _Unreadable(f"not valid JSON: {error}")


def complete_lines(data: bytes | bytearray, end: int | None = None) -> Iterator[tuple[int, int]]:
    """``(first byte, line break)`` of each complete line of ``data[:end]``: THE split of
    bytes into lines (the reader's, and the rewrite snapshot's). A ``\\r`` before the
    break belongs to the line; what follows the last break is not a complete line."""
    find = data.find
    stop = len(data) if end is None else end
    start = 0
    while (newline := find(b"\n", start, stop)) >= 0:
        yield start, newline
        start = newline + 1


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` without their ``\\n`` (a ``\\r`` before it is kept); a last
    line without a line break counts, an empty one after the last break does not."""
    lines: list[bytes] = []
    consumed = 0
    for start, newline in complete_lines(data):
        lines.append(data[start:newline])
        consumed = newline + 1
    if consumed < len(data):
        lines.append(data[consumed:])
    return lines


def parse_object(raw: bytes) -> dict[str, Any] | None:
    """One line as a JSON object, read as the reader reads it (None: unreadable or not
    an object). For code that holds raw lines, like the rewind snapshot."""
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        value = _parse_lenient(raw, error)
    return value if isinstance(value, dict) else None


def read_line(path: Path, offset: int, length: int) -> dict[str, Any]:
    """Re-read and parse one line whose position a reader reported."""
    with open_regular(path) as handle:
        raw = os.pread(handle.fileno(), length, offset)
    value = parse_object(raw)
    if value is None:
        raise ValueError(f"{path}: the line at byte {offset} is not a JSON object")
    return value

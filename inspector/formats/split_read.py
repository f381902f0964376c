"""Reading a big Claude Code transcript on two cores.

Decoding JSON is most of the time ``inspector check`` spends on a 100 MB transcript,
and lines decode independently. So the file is cut at a line break near its middle:
a forked child reads the second part into a :class:`ClaudeCodeTranscript` of its own
while this process reads the first, then the child sends what it kept (entries and
blocks, without any content text: a few MB) as compact JSON through a pipe, and the
first part absorbs it. The result is the transcript a single read gives (the tests
compare them field by field).

Only where ``fork`` exists, only for big files, and only from a single-threaded
process (forking a process with threads can deadlock the child). Whenever the child
fails or sends something unreadable, the second part is read here instead.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from dataclasses import fields
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from inspector.formats.claude_code import ClaudeCodeTranscript, Entry
from inspector.model import Block
from inspector.reader import BadLine, JsonlReader

SPLIT_MIN_BYTES = 24 * 1024 * 1024
"""Below this, forking costs more than it saves."""
CHILD_SHARE = 0.45
"""Part of the file the child reads: the parent also has to absorb the child's part."""
CHILD_PATIENCE = 10.0
"""Seconds the child may take beyond this process's own part (more if that was slow)."""

# The wire carries every field of an entry but its blocks (the last field), and every
# field of a block but its origin (the second): both are rebuilt positionally.
_ENTRY_FIELDS = [field.name for field in fields(Entry) if field.name != "blocks"]
_BLOCK_FIELDS = [field.name for field in fields(Block) if field.name != "origin"]
_entry_tuple = attrgetter(*_ENTRY_FIELDS)
_block_tuple = attrgetter(*_BLOCK_FIELDS)


def can_split(path: Path) -> bool:
    """Whether reading ``path`` in two processes is possible and worth it."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size >= SPLIT_MIN_BYTES and hasattr(os, "fork") and threading.active_count() == 1


def read_split(path: Path, child_share: float = CHILD_SHARE) -> ClaudeCodeTranscript:
    """Read a whole transcript (end taken as final) with a forked child doing the tail."""
    middle = _line_start_near(path, child_share)
    transcript = ClaudeCodeTranscript(path)
    if middle is None:
        transcript.feed(JsonlReader(path).read(final=True).lines)
        return transcript
    receive, send = os.pipe()
    try:
        pid = os.fork()
    except OSError:  # no memory or no process left for a child: read it all here
        os.close(receive)
        os.close(send)
        transcript.feed(JsonlReader(path).read(final=True).lines)
        return transcript
    if pid == 0:  # the child: read the tail, send it, and leave without cleanup
        status = 1
        try:
            os.close(receive)
            _send(send, _read_part(path, middle))
            status = 0
        finally:
            os._exit(status)
    os.close(send)
    data: bytes | None = None
    try:
        started = time.monotonic()
        reader = JsonlReader(path)
        transcript.feed(reader.read(until=middle).lines)
        # The child reads as much as this process did: allow it a lot longer, then stop
        # waiting for it (a stalled file system, say) and read its part here.
        patience = max(CHILD_PATIENCE, 4 * (time.monotonic() - started))
        data = _receive(receive, time.monotonic() + patience)
    finally:
        os.close(receive)
        if data is None:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    # Blank lines are counted but never fed: number the child's lines from the reader's count.
    lines_before = reader.line_count
    tail = _from_wire(path, data, lines_before) if status == 0 and data else None
    if tail is None:  # the child failed or took too long: read its part here
        tail = _read_part(path, middle)
        _shift(tail, lines_before)
    transcript.absorb(tail)
    return transcript


def _line_start_near(path: Path, share: float) -> int | None:
    """Offset of the first line that starts after ``1 - share`` of the file (None: none)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        handle.seek(int(size * (1 - share)))
        handle.readline()
        middle = handle.tell()
    return middle if 0 < middle < size else None


def _read_part(path: Path, start: int) -> ClaudeCodeTranscript:
    part = ClaudeCodeTranscript(path)
    part.feed(JsonlReader(path, start=start).read(final=True).lines)
    return part


def _shift(part: ClaudeCodeTranscript, lines_before: int) -> None:
    """Renumber a part's lines as lines of the whole file."""
    for entry in part.entries:
        entry.line += lines_before
    part.bad_lines = [
        BadLine(bad.number + lines_before, bad.offset, bad.length, bad.reason)
        for bad in part.bad_lines
    ]
    part.api_error_texts = {
        line + lines_before: text for line, text in part.api_error_texts.items()
    }
    part.line_count += lines_before


# ---------------------------------------------------------------------- the wire


def _send(fd: int, part: ClaudeCodeTranscript) -> None:
    position = {
        id(block): (e, b)
        for e, entry in enumerate(part.entries)
        for b, block in enumerate(entry.blocks)
        if block.name is not None
    }
    wire = {
        "entries": [
            (*_entry_tuple(entry), [_block_tuple(block) for block in entry.blocks])
            for entry in part.entries
        ],
        "agent_calls": [position[id(block)] for block in part.agent_calls],
        "bad_lines": [(b.number, b.offset, b.length, b.reason) for b in part.bad_lines],
        "session_id": part.session_id,
        "line_count": part.line_count,
        "object_lines": part.object_lines,
        "recognised_lines": part.recognised_lines,
        "thinking_enabled": part.thinking_enabled,
        "agent_ids": part.agent_ids,
        "agent_prompts": part.agent_prompts,
        "sidechain_prompts": part.sidechain_prompts,
        "api_error_texts": list(part.api_error_texts.items()),
    }
    view = memoryview(orjson.dumps(wire))
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _receive(fd: int, deadline: float) -> bytes | None:
    """Everything the child sends, or None if it has not finished by ``deadline``."""
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            return None
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _from_wire(path: Path, data: bytes, lines_before: int) -> ClaudeCodeTranscript | None:
    """The child's part, its lines numbered as lines of the whole file (None: unreadable)."""
    try:
        wire: dict[str, Any] = orjson.loads(data)
        part = ClaudeCodeTranscript(path)
        index = part.index
        for line, *rest, blocks in wire["entries"]:
            entry = Entry(line + lines_before, *rest)
            if blocks:
                entry.blocks = [Block(kind, entry, *more) for kind, *more in blocks]
            index(entry)
        part.agent_calls = [part.entries[e].blocks[b] for e, b in wire["agent_calls"]]
        part.bad_lines = [
            BadLine(number + lines_before, offset, length, reason)
            for number, offset, length, reason in wire["bad_lines"]
        ]
        part.session_id = wire["session_id"]
        part.line_count = wire["line_count"] + lines_before
        part.object_lines = wire["object_lines"]
        part.recognised_lines = wire["recognised_lines"]
        part.thinking_enabled = wire["thinking_enabled"]
        part.agent_ids = wire["agent_ids"]
        part.agent_prompts = wire["agent_prompts"]
        part.sidechain_prompts = wire["sidechain_prompts"]
        part.api_error_texts = {line + lines_before: text for line, text in wire["api_error_texts"]}
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        return None
    return part

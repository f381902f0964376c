"""Reading a big Claude Code transcript on two cores.

Decoding JSON is most of the time ``inspector check`` spends on a 100 MB transcript,
and lines decode independently. So the file is cut at a line break near its middle:
a forked child reads the second part into a :class:`ClaudeCodeTranscript` of its own
while this process reads the first. The child sends what it kept (entries and blocks,
without any content text) as frames of compact JSON, one every few thousand lines,
which this process decodes as they come and then absorbs. The result is the
transcript a single read gives (the tests compare them field by field).

Frames go through a scratch file in memory, announced on a pipe: a pipe alone holds
64 KB, and a child blocked on a full pipe would stop reading while this process is
still busy with its own part.

Only where ``fork`` exists, only for big files, and only from a single-threaded
process (forking a process with threads can deadlock the child). Whenever the child
fails or sends something unreadable, the second part is read here instead.
"""

from __future__ import annotations

import os
import select
import signal
import struct
import threading
import time
from dataclasses import fields
from itertools import chain, islice, repeat
from operator import add, attrgetter
from pathlib import Path
from sys import intern
from typing import Any

import orjson

from inspector.agents.claude_code.entries import Entry
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.jsonl import BadLine, JsonlReader
from inspector.core.model import Block
from inspector.core.safe_read import open_regular

SPLIT_MIN_BYTES = 24 * 1024 * 1024
"""Below this, forking costs more than it saves."""
CHILD_SHARE = 0.53
"""Part of the file the child reads: a little more than half, as decoding a frame
costs this process a quarter of what reading its lines would (and the child has to
encode them). Measured on generated transcripts with 0.45 to 0.6."""
CHILD_PATIENCE = 10.0
"""Seconds the child may take beyond this process's own part (more if that was slow)."""
FRAME_LINES = 2048
"""Lines the child reads before it sends what it kept from them."""
_LOOK_BACK = 1 << 16
"""Bytes read at a time looking back for a line break."""

# A frame carries the entries column by column (every field but their blocks), the
# number of blocks of each, and the blocks column by column (every field but their
# origin): columns are written and rebuilt with map(), not a Python loop per field.
_ENTRY_FIELDS = [field.name for field in fields(Entry) if field.name != "blocks"]
_BLOCK_FIELDS = [field.name for field in fields(Block) if field.name != "origin"]
_ENTRY_COLUMNS = [attrgetter(name) for name in _ENTRY_FIELDS]
_BLOCK_COLUMNS = [attrgetter(name) for name in _BLOCK_FIELDS]
_BLOCKS_OF = attrgetter("blocks")
_LINE, _KIND, _MODEL, _STOP_REASON = (
    _ENTRY_FIELDS.index(name) for name in ("line", "kind", "model", "stop_reason")
)

_ANNOUNCEMENT = struct.Struct("<cQ")
"""On the pipe, per frame: its kind and its length in the scratch file."""
_ENTRIES = b"E"
_LAST = b"L"
"""The last frame: what the child counted and collected over its whole part."""


def can_split(path: Path) -> bool:
    """Whether reading ``path`` in two processes is possible and worth it."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size >= SPLIT_MIN_BYTES and hasattr(os, "fork") and threading.active_count() == 1


def read_split(path: Path, child_share: float | None = None) -> ClaudeCodeTranscript:
    """Read a whole transcript (end taken as final) with a forked child doing the tail
    (``child_share`` of it, default :data:`CHILD_SHARE`)."""
    middle = _line_start_near(path, CHILD_SHARE if child_share is None else child_share)
    child = None if middle is None else _start_child(path, middle)
    if middle is None or child is None:
        return _read_part(path, 0)
    pid, receive, scratch = child
    transcript = ClaudeCodeTranscript(path)
    tail: ClaudeCodeTranscript | None = None
    try:
        started = time.monotonic()
        reader = JsonlReader(path)
        transcript.feed(reader.read(until=middle).lines)
        # The child reads as much as this process did: allow it a lot longer, then stop
        # waiting for it (a stalled file system, say) and read its part here.
        patience = max(CHILD_PATIENCE, 4 * (time.monotonic() - started))
        # Blank lines are counted but never fed: number the child's lines from the
        # reader's count.
        deadline = time.monotonic() + patience
        tail = _receive(receive, scratch, transcript, reader.line_count, deadline)
    finally:
        os.close(receive)
        os.close(scratch)
        if tail is None:
            os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
    if tail is None or status != 0:  # the child failed or took too long: read its part here
        tail = _read_part(path, middle)
        _shift(tail, reader.line_count)
    transcript.absorb(tail)
    return transcript


def _start_child(path: Path, middle: int) -> tuple[int, int, int] | None:
    """Fork the child that reads from ``middle`` on: its pid, the pipe it announces its
    frames on, and the scratch file it writes them to. None: no child (no memory, no
    process or no file descriptor left)."""
    opened: list[int] = []
    try:
        scratch = _scratch_file()
        opened.append(scratch)
        receive, send = os.pipe()
        opened += (receive, send)
        pid = os.fork()
    except OSError:
        for fd in opened:
            os.close(fd)
        return None
    if pid == 0:  # the child: read its part, send it, and leave without cleanup
        status = 1
        try:
            os.close(receive)
            _serve(path, middle, scratch, send)
            status = 0
        finally:
            os._exit(status)
    os.close(send)
    return pid, receive, scratch


def _scratch_file() -> int:
    """A file descriptor to an anonymous file, in memory where the system allows."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("inspector-split", os.MFD_CLOEXEC)
    import tempfile  # only here: importing it costs more than a small check takes

    fd, name = tempfile.mkstemp(prefix="inspector-split-")
    os.unlink(name)
    return fd


def _line_start_near(path: Path, share: float) -> int | None:
    """Offset of the line start nearest to ``1 - share`` of the file (None: none but the
    first). Nearest, not next: a line of megabytes at the cut would otherwise all go to
    this process."""
    with open_regular(path) as handle:
        size = os.fstat(handle.fileno()).st_size
        target = int(size * (1 - share))
        handle.seek(target)
        handle.readline()
        after = handle.tell()
        before = _line_start_before(handle.fileno(), target, limit=after - target)
    best = after if before is None or after - target <= target - before else before
    return best if 0 < best < size else None


def _line_start_before(fd: int, offset: int, limit: int) -> int | None:
    """The last line start after a line break at or before ``offset``, if it is less
    than ``limit`` bytes back (None: none so near)."""
    end = offset
    while end > 0 and offset - end < limit:
        start = max(0, end - _LOOK_BACK)
        newline = os.pread(fd, end - start, start).rfind(b"\n")
        if newline >= 0:
            return start + newline + 1
        end = start
    return None


def _read_part(path: Path, start: int) -> ClaudeCodeTranscript:
    part = ClaudeCodeTranscript(path)
    part.feed(JsonlReader(path, start=start).read(final=True).lines)
    return part


def _shift(part: ClaudeCodeTranscript, lines_before: int) -> None:
    """Renumber a part's lines as lines of the whole file."""
    for entry in part.entries:
        entry.line += lines_before
    _shift_line_records(part, lines_before)


def _shift_line_records(part: ClaudeCodeTranscript, lines_before: int) -> None:
    """Renumber what a part keeps by line number besides its entries."""
    part.bad_lines = [
        BadLine(bad.number + lines_before, bad.offset, bad.length, bad.reason)
        for bad in part.bad_lines
    ]
    part.api_error_texts = {
        line + lines_before: text for line, text in part.api_error_texts.items()
    }
    part.line_count += lines_before


# ---------------------------------------------------------------------- the wire


def _serve(path: Path, start: int, scratch: int, announce: int) -> None:
    """In the child: read the part from ``start`` on and send it, frame by frame."""
    part = ClaudeCodeTranscript(path)
    lines = JsonlReader(path, start=start).read(final=True).lines
    sent_entries = sent_calls = 0
    while True:
        before = part.line_count
        part.feed(islice(lines, FRAME_LINES))
        if part.line_count == before:
            break
        _send(scratch, announce, _ENTRIES, _entries_frame(part, sent_entries, sent_calls))
        sent_entries, sent_calls = len(part.entries), len(part.agent_calls)
    _send(scratch, announce, _LAST, _last_frame(part))


def _entries_frame(part: ClaudeCodeTranscript, sent_entries: int, sent_calls: int) -> bytes:
    """The entries read since the last frame, and the Task/Agent calls among them."""
    entries = part.entries[sent_entries:]
    blocks = list(chain.from_iterable(map(_BLOCKS_OF, entries)))
    calls = part.agent_calls[sent_calls:]
    position = (
        {id(entry): index for index, entry in enumerate(entries, sent_entries)} if calls else {}
    )
    return orjson.dumps(
        {
            "entries": [list(map(column, entries)) for column in _ENTRY_COLUMNS],
            "block_counts": list(map(len, map(_BLOCKS_OF, entries))),
            "blocks": [list(map(column, blocks)) for column in _BLOCK_COLUMNS],
            "agent_calls": [_call_position(call, position) for call in calls],
        }
    )


def _call_position(call: Block, position: dict[int, int]) -> tuple[int, int]:
    """Where a Task/Agent call is in the part: (entry number, block number)."""
    entry = call.origin
    assert isinstance(entry, Entry)  # calls are found on the entries being read
    return position[id(entry)], next(i for i, block in enumerate(entry.blocks) if block is call)


def _last_frame(part: ClaudeCodeTranscript) -> bytes:
    return orjson.dumps(
        {
            "bad_lines": [(b.number, b.offset, b.length, b.reason) for b in part.bad_lines],
            "session_id": part.session_id,
            "line_count": part.line_count,
            "object_lines": part.object_lines,
            "recognised_lines": part.recognised_lines,
            "thinking_blocks": part.thinking_blocks,
            "thinking_setting": part.thinking_setting,
            "agent_ids": part.agent_ids,
            "agent_prompts": part.agent_prompts,
            "sidechain_prompts": part.sidechain_prompts,
            "api_error_texts": list(part.api_error_texts.items()),
        }
    )


def _send(scratch: int, announce: int, kind: bytes, frame: bytes) -> None:
    """Append a frame to the scratch file, then announce it on the pipe."""
    view = memoryview(frame)
    while view:
        view = view[os.write(scratch, view) :]
    os.write(announce, _ANNOUNCEMENT.pack(kind, len(frame)))


def _receive(
    announcements: int,
    scratch: int,
    first_part: ClaudeCodeTranscript,
    lines_before: int,
    deadline: float,
) -> ClaudeCodeTranscript | None:
    """The child's part, its lines numbered as lines of the whole file (None: the child
    did not send all of it by ``deadline``, or sent something unreadable)."""
    part = ClaudeCodeTranscript(first_part.path)
    earlier = first_part.by_uuid
    pending = b""
    offset = 0
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([announcements], [], [], remaining)[0]:
                return None
            chunk = os.read(announcements, 1 << 16)
            if not chunk:  # the child is gone without its last frame
                return None
            pending += chunk
            while len(pending) >= _ANNOUNCEMENT.size:
                kind, length = _ANNOUNCEMENT.unpack_from(pending)
                pending = pending[_ANNOUNCEMENT.size :]
                frame = os.pread(scratch, length, offset)
                offset += length
                if len(frame) != length:
                    return None
                if kind != _ENTRIES:
                    _take_last(part, orjson.loads(frame), lines_before)
                    return part
                _take_entries(part, orjson.loads(frame), lines_before, earlier)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError):
        return None


def _take_entries(
    part: ClaudeCodeTranscript,
    frame: dict[str, Any],
    lines_before: int,
    earlier: dict[str, Entry],
) -> None:
    """Rebuild the entries of a frame into ``part`` (``earlier``: the first part's
    entries by uuid). Raises ValueError (or TypeError) on a frame that does not fit."""
    columns: list[list[Any]] = frame["entries"]
    counts: list[int] = frame["block_counts"]
    block_columns: list[list[Any]] = frame["blocks"]
    # map() stops at its shortest input: check the lengths, or a short column goes unseen
    if any(len(column) != len(counts) for column in columns) or any(
        len(column) != sum(counts) for column in block_columns
    ):
        raise ValueError("columns of different lengths")
    # The strings a read here shares (a parent's uuid, interned kinds, models and block
    # types) are shared here too: the rebuild's look-ups then match by identity instead
    # of comparing text, which makes it a sixth faster.
    columns[_LINE] = list(map(add, columns[_LINE], repeat(lines_before)))
    columns[_KIND] = list(map(intern, columns[_KIND]))
    for at in (_MODEL, _STOP_REASON):
        columns[at] = [None if text is None else intern(text) for text in columns[at]]
    entries = list(map(Entry, *columns))
    block_columns[0] = list(map(intern, block_columns[0]))
    origins = chain.from_iterable(map(repeat, entries, counts))
    blocks = list(map(Block, block_columns[0], origins, *block_columns[1:]))
    index, by_uuid = part.index, part.by_uuid
    taken = 0
    for entry, count in zip(entries, counts, strict=True):
        if count:
            entry.blocks = blocks[taken : taken + count]
            taken += count
        parent_uuid = entry.parent
        if parent_uuid is not None:
            parent = by_uuid.get(parent_uuid) or earlier.get(parent_uuid)
            if parent is not None:
                entry.parent = parent.uuid
        index(entry)
    part.agent_calls.extend(part.entries[e].blocks[b] for e, b in frame["agent_calls"])


def _take_last(part: ClaudeCodeTranscript, frame: dict[str, Any], lines_before: int) -> None:
    part.bad_lines = [BadLine(*bad) for bad in frame["bad_lines"]]
    part.session_id = frame["session_id"]
    part.line_count = frame["line_count"]
    part.object_lines = frame["object_lines"]
    part.recognised_lines = frame["recognised_lines"]
    part.thinking_blocks = frame["thinking_blocks"]
    part.thinking_setting = frame["thinking_setting"]
    part.agent_ids = frame["agent_ids"]
    part.agent_prompts = frame["agent_prompts"]
    part.sidechain_prompts = frame["sidechain_prompts"]
    part.api_error_texts = {line: text for line, text in frame["api_error_texts"]}
    _shift_line_records(part, lines_before)

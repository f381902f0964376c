"""Reading a big Claude Code transcript on two cores.

Decoding JSON is most of the time ``inspector check`` spends on a 100 MB transcript,
and lines decode independently. So the file is cut at a line break near its middle:
a forked child reads the second part into a :class:`ClaudeCodeTranscript` of its own
while this process reads the first. The child sends what it kept (entries and blocks,
without any content text) as frames of compact JSON (:mod:`.frames`), one every few thousand lines,
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
from itertools import islice
from pathlib import Path

import orjson

from inspector.agents.claude_code import frames
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core import cores
from inspector.core.jsonl import JsonlReader
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
    return (
        size >= SPLIT_MIN_BYTES
        and hasattr(os, "fork")
        and threading.active_count() == 1
        and cores.may_read_on_several()
    )


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
        frames.shift(tail, reader.line_count)
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
        _send(scratch, announce, _ENTRIES, frames.entries_frame(part, sent_entries, sent_calls))
        sent_entries, sent_calls = len(part.entries), len(part.agent_calls)
    _send(scratch, announce, _LAST, frames.last_frame(part))


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
                    frames.take_last(part, orjson.loads(frame), lines_before)
                    return part
                frames.take_entries(part, orjson.loads(frame), lines_before, earlier)
    except frames.FrameError:
        return None

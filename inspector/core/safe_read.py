"""The one way files are opened for reading: regular files only, whole reads bounded.

A path can name a FIFO (opening it waits for a writer), a device (``/dev/zero`` and
``/dev/urandom`` never end) or a folder. Every read of a session, a history, a sidecar
record or a written file goes through :func:`open_regular`: it opens without blocking,
checks the opened file (not the name: the name can change in between) and refuses
anything but a regular file with :class:`NotRegularFile`, an ``OSError`` whose message
says what the path is. Whole-file reads also have a size limit (:func:`read_whole`).
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

SMALL_RECORD_LIMIT = 1 << 20
"""A small JSON record: a live-session record, a subagent's ``.meta.json``."""
DOCUMENT_LIMIT = 1 << 30
"""A history document read and parsed whole (a Roo Code task of hundreds of MB fits)."""
TRANSCRIPT_LIMIT = 4 << 30
"""A transcript read whole to rewrite it."""

_CHUNK = 1 << 24
_FOLDER = "a folder"
_KINDS = (
    (stat.S_ISDIR, _FOLDER),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(OSError):
    """The path is a FIFO, a device, a socket or a folder: never read."""

    def __init__(self, kind: str) -> None:
        code = errno.EISDIR if kind == _FOLDER else errno.EINVAL
        super().__init__(code, f"not a regular file: {kind}")


class TooLarge(OSError):
    """A file to read whole is larger than its limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(
            errno.EFBIG, f"too large to read whole ({_mb(size)}; the limit is {_mb(limit)})"
        )


def file_kind(mode: int) -> str | None:
    """What a non-regular file is ("a named pipe (FIFO)", …); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), "not a regular file")


def open_regular(path: Path | str) -> BinaryIO:
    """Open ``path`` for reading in binary; raises NotRegularFile (or another OSError).

    ``O_NONBLOCK`` makes opening a FIFO return at once instead of waiting for a writer;
    the check is on the opened descriptor, so a name swapped meanwhile cannot slip by.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise NotRegularFile(kind)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_whole(path: Path | str, limit: int = DOCUMENT_LIMIT) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its status when opened; raises TooLarge beyond
    ``limit`` bytes (also when it grows past it while being read)."""
    with open_regular(path) as handle:
        info = os.fstat(handle.fileno())
        if info.st_size > limit:
            raise TooLarge(info.st_size, limit)
        data = read_at_most(handle, limit + 1)
    if len(data) > limit:
        raise TooLarge(len(data), limit)
    return data, info


def read_at_most(handle: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes of ``handle``, read in chunks: ``handle.read(size)`` would
    reserve all ``size`` bytes at once (4 GiB for a transcript's limit) whatever the file
    holds, which fails where memory is capped."""
    chunks: list[bytes] = []
    left = size
    while left > 0:
        chunk = handle.read(min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def regular_file_problem(path: Path) -> str | None:
    """Why ``path`` (following links) is not a regular file to read; None when it is."""
    try:
        kind = file_kind(os.stat(path).st_mode)
    except OSError as error:
        return error.strerror or str(error)
    return None if kind is None else f"not a regular file: {kind}"


def _mb(size: int) -> str:
    return f"{size / (1 << 20):.0f} MB" if size >= 1 << 20 else f"{size} bytes"

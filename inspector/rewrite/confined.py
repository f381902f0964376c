"""Files read into a new session come from the session's own folder tree, and only from it.

A session's sidecar files (``<id>/subagents/…``, ``<id>/tool-results/…``, 2.0.x
``agent-*.jsonl`` beside the transcript, a Roo Code / Cline task's other files) are
named by paths below ``base``, the folder that holds the transcript. Anyone who can
write that folder can put a symbolic link anywhere in such a path (``<id>`` itself,
``subagents``, the file), and a copy that follows it would read a file from elsewhere
(``~/.ssh``) into the new session.

How it is guaranteed: every sidecar byte written into a new session is read by
:func:`read_confined`, which opens ``base`` and then each component of the relative
path with ``O_NOFOLLOW`` *relative to the descriptor of the folder before it*
(``dir_fd``), so a symbolic link at any depth makes the open fail, and a folder swapped
for a link after it was checked cannot redirect the read (there is no second lookup by
name). The last component must be a regular file (checked with ``fstat`` on the open
descriptor: no FIFO or device is read), ``..``, ``.`` and absolute parts are refused.
Where ``dir_fd`` is not available (Windows) every component is ``lstat``-ed and the
opened file must be the one ``lstat`` saw (same device and inode).
:func:`confined_file` answers the same question without reading, to leave such files out
of a plan. A hard link is the file itself, not a link: one inside the tree is read.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from pathlib import Path, PurePath

from inspector.core.safe_read import read_at_most

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # a FIFO swapped in must not block the open
_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FDS = os.open in os.supports_dir_fd and bool(_NOFOLLOW and _DIRECTORY)


class NotConfined(OSError):
    """The path leaves ``base``, passes through a symbolic link, or is not a regular file."""


def parts_below(base: Path, path: Path) -> tuple[str, ...]:
    """The components of ``path`` below ``base`` (lexically); NotConfined when there are
    none, or one is ``..``, ``.`` or empty."""
    try:
        relative = PurePath(path).relative_to(base)
    except ValueError:
        raise NotConfined(errno.EXDEV, "not inside the session's folder", str(path)) from None
    parts = relative.parts
    if not parts or any(part in ("", ".", "..") for part in parts):
        raise NotConfined(errno.EINVAL, "not a file inside the session's folder", str(path))
    return parts


def confined_file(base: Path, path: Path) -> bool:
    """Whether ``path`` is a regular file below ``base`` with no symbolic link in any
    component between the two (``base`` itself may be reached through links)."""
    try:
        parts = parts_below(base, path)
        return stat.S_ISREG(_lstat_chain(base, parts).st_mode)
    except OSError:
        return False


def _lstat_chain(base: Path, parts: tuple[str, ...]) -> os.stat_result:
    """``lstat`` of the last component; NotConfined when a folder on the way is a link."""
    here = base
    for part in parts[:-1]:
        here = here / part
        if not stat.S_ISDIR(os.lstat(here).st_mode):
            raise NotConfined(errno.ELOOP, "a symbolic link or not a folder", str(here))
    return os.lstat(here / parts[-1])


def read_confined(base: Path, path: Path, *, limit: int | None = None) -> bytes:
    """The bytes of ``path``, a regular file below ``base`` reached without following any
    symbolic link (see the module doc). Raises NotConfined, or OSError; ``limit``: more
    bytes than this raise NotConfined (EFBIG) instead of filling memory."""
    parts = parts_below(base, path)
    fd = _open_confined(base, parts) if _DIR_FDS else _open_checked(base, parts)
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or (limit is not None and info.st_size > limit):
        os.close(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotConfined(errno.EINVAL, "not a regular file", str(path))
        raise NotConfined(errno.EFBIG, f"larger than {limit} bytes", str(path))
    with os.fdopen(fd, "rb") as handle:
        data = handle.read() if limit is None else read_at_most(handle, limit + 1)
    if limit is not None and len(data) > limit:
        raise NotConfined(errno.EFBIG, f"larger than {limit} bytes", str(path))
    return data


def _open_confined(base: Path, parts: tuple[str, ...]) -> int:
    folder = os.open(base, os.O_RDONLY | _DIRECTORY)
    try:
        for part in parts[:-1]:
            try:
                inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW, dir_fd=folder)
            except OSError as error:
                raise _refused(error, base.joinpath(*parts)) from error
            os.close(folder)
            folder = inner
        try:
            return os.open(parts[-1], os.O_RDONLY | _NOFOLLOW | _NONBLOCK, dir_fd=folder)
        except OSError as error:
            raise _refused(error, base.joinpath(*parts)) from error
    finally:
        os.close(folder)


def _refused(error: OSError, path: Path) -> OSError:
    """ELOOP / ENOTDIR from ``O_NOFOLLOW`` / ``O_DIRECTORY`` mean a link on the way."""
    if error.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        return NotConfined(errno.ELOOP, "a symbolic link on the way", str(path))
    return error


def _open_checked(base: Path, parts: tuple[str, ...]) -> int:
    seen = _lstat_chain(base, parts)
    if not stat.S_ISREG(seen.st_mode):
        raise NotConfined(errno.ELOOP, "a symbolic link or not a regular file", str(base))
    fd = os.open(base.joinpath(*parts), os.O_RDONLY | _BINARY | _NONBLOCK)
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (seen.st_dev, seen.st_ino):
        with contextlib.suppress(OSError):
            os.close(fd)
        raise NotConfined(errno.ELOOP, "changed while it was opened", str(base))
    return fd

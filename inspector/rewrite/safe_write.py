"""Writing session files so that no failure ever leaves a partial one behind.

* :class:`StagedFile`: bytes go to a hidden temporary file in the destination's folder,
  are flushed to disk (``fsync``), can be checked there, and only then take the final
  name: with one ``os.replace`` when the destination is replaced (atomic on POSIX and
  Windows), with ``os.link`` when it must not exist (the link fails when the name is
  taken, so a file that appears meanwhile is never overwritten). Until
  :meth:`StagedFile.commit` the destination does not exist or is untouched; on any error
  the temporary file is removed.
* :class:`StagedFolder`: the same for a folder of files (a session's ``subagents/``).
* :func:`write_backup`: a copy next to the file under a timestamped name that is never
  overwritten (committed the same no-clobber way); :func:`existing_backup` finds one
  that already holds the same bytes (left by a run killed before its replace).
* :func:`sweep_stale`: removes what a killed run of ours left in a folder.
* :func:`recently_written`: why a session must not be replaced now by its file's time
  (written a moment ago); each agent's plan adds what it knows (Claude Code: its pid
  records, :func:`inspector.agents.claude_code.plan.live_reason`).

Temporary names start with a dot and end in ``.inspector-tmp`` and backups end in
``.bak``, so Claude Code (which lists ``*.jsonl``) never takes either for a session.

**Killed runs.** A SIGKILL (or a power cut) can stop a write at any instruction. What it
can leave, and what happens to it:

* a temporary file or folder ``.<final name>.<pid>-<hex>[.with-folder].inspector-tmp``:
  never visible as a session. :func:`sweep_stale` (run by every rewrite before it writes
  to a folder) removes it when it is provably ours and abandoned: the name has our
  pattern, it belongs to this user, and the process that made it (the ``<pid>`` in its
  name) is no longer running and it is older than :data:`STALE_AFTER` (the age covers
  a writer on another machine or in another pid namespace sharing the folder), or it is
  older than :data:`ABANDONED_AFTER` whatever its pid (no run lasts that long). A
  concurrent run's files carry a live pid and are recent: they are never touched.
* a new session's folder ``<id>/`` without its ``<id>.jsonl``: the folder takes its name
  first and the file last, so the session Claude Code lists (its ``.jsonl``) appears in
  one step, complete with its folder. The staged file's name says ``.with-folder``: a
  stale one whose final name is still free means its folder is a leftover, and the
  sweep removes that folder with it (a fresh id nobody else knows).
* a backup beside the intact original (killed between the backup and the replace): a
  backup is user data and is never deleted. It holds the original's exact bytes, so the
  next in-place write of that file adopts it as its own backup
  (:func:`existing_backup`) instead of writing a second copy.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from inspector.core.process import may_be_running
from inspector.core.safe_read import open_regular

TEMP_SUFFIX = ".inspector-tmp"
BACKUP_SUFFIX = ".bak"
WITH_FOLDER = ".with-folder"
"""Marks a staged file whose folder (its final name less the suffix) is committed first."""
STALE_AFTER = 600.0
"""Seconds after which a temporary of a process that is not running is swept."""
ABANDONED_AFTER = 86400.0
"""Seconds after which a temporary of ours is swept whatever its pid says."""
LIVE_WRITE_WINDOW = 5.0
"""A transcript modified less than this many seconds ago may belong to a running session."""

_CHUNK = 1 << 20
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK, errno.ENOSYS})
"""Errors of ``os.link`` on a file system without hard links (FAT, some network shares)."""


class WriteFailed(Exception):
    """A write did not happen; whatever it had started was removed."""


_TEMP_NAME = re.compile(
    r"\.(?P<final>.+)\.(?P<pid>[0-9]{1,10})-[0-9a-f]{8}(?P<folder>"
    + re.escape(WITH_FOLDER)
    + ")?"
    + re.escape(TEMP_SUFFIX)
)


def _temp_name(final: Path, *, with_folder: bool = False) -> Path:
    """``.<name>.<pid>-<hex>[.with-folder].inspector-tmp`` beside ``final``: the pid tells
    :func:`sweep_stale` whether the run that made it is still going."""
    tag = WITH_FOLDER if with_folder else ""
    return final.with_name(f".{final.name}.{os.getpid()}-{secrets.token_hex(4)}{tag}{TEMP_SUFFIX}")


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def move_no_clobber(temp: Path, final: Path) -> None:
    """Give ``temp`` the name ``final``; FileExistsError when ``final`` exists, which is
    never replaced, not even by a file created a moment ago.

    ``os.link`` makes the name only if it is free; the temporary name is removed after.
    Where hard links are not supported, the name is reserved with ``O_EXCL`` (which fails
    when it exists) and the temporary file is renamed onto that empty placeholder.
    """
    try:
        os.link(temp, final)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:  # FileExistsError among them
            raise
        fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        try:
            os.replace(temp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(final)
            raise
        return
    with contextlib.suppress(OSError):  # a leftover is a hidden second name, not data loss
        os.unlink(temp)


def folder_mode(like: Path | None) -> int | None:
    """The permission bits of folder ``like`` (None: not given, or unreadable)."""
    if like is None:
        return None
    try:
        return stat.S_IMODE(os.stat(like).st_mode)
    except OSError:
        return None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view[:_CHUNK])
        view = view[written:]


class StagedFile:
    """A file written beside its destination and moved there only when complete.

    Use as a context manager: leaving the block without :meth:`commit` (an error, a
    failed check) removes the temporary file. ``mode`` and ownership are copied from
    ``like`` when given (the file being replaced or rewritten). ``with_folder``: the folder
    named like ``final`` less its suffix is committed just before this file, and is a
    leftover when a killed run left this temporary file and ``final`` is still free.
    """

    def __init__(self, final: Path, *, like: Path | None = None, with_folder: bool = False) -> None:
        self.final = final
        self.path = _temp_name(final, with_folder=with_folder)
        """The temporary file: complete and on disk once :meth:`finish` returned."""
        self._fd: int | None = None
        self.committed = False
        """The file has its final name (from then on nothing is removed)."""
        self._like = like

    def __enter__(self) -> StagedFile:
        self._fd = os.open(
            self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600
        )
        if self._like is not None:
            self._copy_mode(self._like)
        return self

    def _copy_mode(self, like: Path) -> None:
        assert self._fd is not None
        try:
            info = os.stat(like)
        except OSError:
            return
        with contextlib.suppress(OSError, AttributeError):
            os.fchmod(self._fd, stat.S_IMODE(info.st_mode))
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            with contextlib.suppress(OSError, AttributeError):
                os.fchown(self._fd, info.st_uid, info.st_gid)

    def write(self, data: bytes) -> None:
        assert self._fd is not None, "write() outside the with block"
        _write_all(self._fd, data)

    def write_lines(self, lines: Iterable[bytes]) -> int:
        """Write each line followed by a line break; return the bytes written."""
        total = 0
        batch: list[bytes] = []
        size = 0
        for line in lines:
            batch.append(line)
            batch.append(b"\n")
            size += len(line) + 1
            if size >= _CHUNK:
                self.write(b"".join(batch))
                total += size
                batch, size = [], 0
        if batch:
            self.write(b"".join(batch))
            total += size
        return total

    def finish(self) -> None:
        """Flush the bytes to disk and close the temporary file."""
        assert self._fd is not None
        fd, self._fd = self._fd, None
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def commit(self, *, replace: bool) -> None:
        """Give the temporary file its final name (``replace``: the destination may exist;
        otherwise FileExistsError when it does, and nothing is overwritten)."""
        if self._fd is not None:
            self.finish()
        if replace:
            os.replace(self.path, self.final)
        else:
            move_no_clobber(self.path, self.final)
        self.committed = True
        fsync_folder(self.final.parent)

    def discard(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if not self.committed:
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()


class StagedFolder:
    """A folder filled beside its destination and renamed there when complete.

    It is private (0o700) while it is filled; it then takes the mode of folder ``like``
    (the one it is a copy of) or, without one, the mode a new folder gets (0o777 less the
    umask).
    """

    def __init__(self, final: Path, *, like: Path | None = None) -> None:
        self.final = final
        self.path = _temp_name(final)
        self._committed = False
        self._mode = folder_mode(like)
        self.files: list[Path] = []
        """Final paths of the files written, relative names kept."""

    def __enter__(self) -> StagedFolder:
        os.mkdir(self.path, 0o777)  # the umask applies: the mode a new folder gets here
        if self._mode is None:
            self._mode = folder_mode(self.path)
        os.chmod(self.path, 0o700)
        return self

    def write(self, relative: Path, data: bytes, *, like: Path | None = None) -> None:
        if relative.is_absolute() or ".." in relative.parts:
            raise ValueError(f"{relative} is not a path inside the folder")
        destination = self.path / relative
        if not destination.parent.is_dir():
            destination.parent.mkdir(parents=True)
            mode = folder_mode(like.parent) if like is not None else None
            if mode is not None:
                with contextlib.suppress(OSError):
                    os.chmod(destination.parent, mode)
        fd = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            _write_all(fd, data)
            if like is not None:
                with contextlib.suppress(OSError, AttributeError):
                    os.fchmod(fd, stat.S_IMODE(os.stat(like).st_mode))
            os.fsync(fd)
        finally:
            os.close(fd)
        self.files.append(self.final / relative)

    def commit(self) -> None:
        if os.path.lexists(self.final):
            raise FileExistsError(errno.EEXIST, "the name is already taken", str(self.final))
        if self._mode is not None:
            with contextlib.suppress(OSError):
                os.chmod(self.path, self._mode)
        # A folder cannot be hard-linked. If one appears between the check and the rename,
        # the rename fails unless that folder is empty: no file is ever overwritten.
        os.replace(self.path, self.final)
        self._committed = True
        fsync_folder(self.final.parent)

    def remove_committed(self) -> None:
        """Undo :meth:`commit` (the main file could not be written after all)."""
        if self._committed:
            shutil.rmtree(self.final, ignore_errors=True)
            self._committed = False

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            shutil.rmtree(self.path, ignore_errors=True)


def backup_name(source: Path, when: datetime, attempt: int) -> Path:
    stamp = when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    extra = f"-{attempt}" if attempt else ""
    return source.with_name(f"{source.name}.{stamp}{extra}{BACKUP_SUFFIX}")


def write_backup(source: Path, data: bytes, *, when: datetime | None = None) -> Path:
    """Write ``data`` (the file's bytes) to a new timestamped backup next to ``source``.

    The backup is complete on disk before its name appears, and an existing file is
    never overwritten (a ``-1``, ``-2``… suffix is added instead).
    """
    moment = when or datetime.now(UTC)
    with StagedFile(backup_name(source, moment, 0), like=source) as staged:
        staged.write(data)
        staged.finish()
        for attempt in range(1000):
            staged.final = backup_name(source, moment, attempt)
            try:
                staged.commit(replace=False)
            except FileExistsError:
                continue
            return staged.final
    raise WriteFailed(f"no free backup name next to {source}")


def backups_of(source: Path) -> list[Path]:
    """The backups :func:`write_backup` made of ``source`` (by name), newest first."""
    pattern = re.compile(re.escape(source.name) + r"\.[0-9]{8}T[0-9]{6}Z(?:-[0-9]+)?\.bak")
    try:
        names = [name for name in os.listdir(source.parent) if pattern.fullmatch(name)]
    except OSError:
        return []
    # the stamp sorts by time; ``-N`` (a second backup in the same second) after it
    return [source.parent / name for name in sorted(names, key=_backup_order, reverse=True)]


def _backup_order(name: str) -> tuple[str, int]:
    stem = name.removesuffix(BACKUP_SUFFIX)
    stamp, _, attempt = stem.rpartition("Z")
    return stamp, int(attempt.lstrip("-") or 0)


def existing_backup(source: Path, data: bytes) -> Path | None:
    """The newest backup of ``source`` (our name pattern, a regular file of this user)
    that holds exactly ``data``, or None."""
    for path in backups_of(source):
        try:
            info = os.lstat(path)
            if not (stat.S_ISREG(info.st_mode) and _ours(info) and info.st_size == len(data)):
                continue
            with open_regular(path) as handle:
                if handle.read(len(data) + 1) == data:
                    return path
        except OSError:
            continue
    return None


def _ours(info: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or info.st_uid == os.geteuid()


def _running(pid: int) -> bool:
    """Whether the run that named a temporary ``pid`` may still be writing it (a pid no
    run of ours has, 0, counts as running: not ours to remove)."""
    return pid <= 0 or may_be_running(pid)


def sweep_stale(folder: Path, *, now: float | None = None) -> list[Path]:
    """Remove the temporaries a killed run of ours left in ``folder`` (see the module
    doc for what proves one ours and abandoned); return what was removed. Never raises."""
    removed: list[Path] = []
    moment = time.time() if now is None else now
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP_NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        age = moment - info.st_mtime
        abandoned = age > ABANDONED_AFTER or (age > STALE_AFTER and not _running(int(match["pid"])))
        if not (abandoned and _ours(info)):
            continue
        path = Path(entry.path)
        if stat.S_ISDIR(info.st_mode):
            shutil.rmtree(path, ignore_errors=True)
        elif stat.S_ISREG(info.st_mode):
            final = folder / match["final"]
            if match["folder"] and not os.path.lexists(final):
                _remove_folder(final.with_suffix(""), removed)
            with contextlib.suppress(OSError):
                os.unlink(path)
        else:
            continue
        if not os.path.lexists(path):
            removed.append(path)
    return removed


def _remove_folder(folder: Path, removed: list[Path]) -> None:
    """Remove a new session's folder whose file never took its name (ours: a real
    folder of this user; rmtree does not follow links inside it)."""
    try:
        info = os.lstat(folder)
    except OSError:
        return
    if stat.S_ISDIR(info.st_mode) and _ours(info):
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.lexists(folder):
            removed.append(folder)


def recently_written(path: Path, *, now: float | None = None) -> str | None:
    """Why ``path`` must not be replaced now by its modification time alone (written
    seconds ago, or in the future: it may be being written), or None. An agent adds what
    it knows of its own live sessions (Claude Code's pid records)."""
    try:
        modified = os.stat(path).st_mtime
    except OSError:
        return None
    age = (time.time() if now is None else now) - modified
    if age < 0:  # a clock that moved, or a forged time: it may be being written now
        return "the file's modification time is in the future: the session may still be running"
    if age < LIVE_WRITE_WINDOW:
        return f"the file was written {age:.1f} s ago: the session may still be running"
    return None

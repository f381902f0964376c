"""What ``check`` found in each file, kept between runs in the user's cache folder.

One entry per checked file, named by a hash of its absolute path, holds the file's stamp
(device, inode, size, modification and change times), fingerprints of its first bytes
and of the bytes before its end, the format it was read as, what the result depends on
besides the file (the inspector's code, the client release followed: the caller's
``context``), the result itself, and the agent's checkpoint when it kept one.

A look-up gives:

* **fresh**: the same stamp and first bytes: the stored result is the answer;
* **grown**: the same file (device, inode), longer, with the same first bytes and the
  same bytes where it used to end, and a checkpoint: only the new bytes need reading;
* nothing otherwise: the file is read whole.

The change time is in the stamp because nobody can set it: a file rewritten in place
with the same size and its modification time put back still has a new change time.

An entry is written to a temporary file and renamed over the old one, and read without
a lock: a reader sees the old entry or the new one, whole. Whatever cannot be read as a
whole entry of this layout (a crashed writer's leftovers, another version's layout, a
full disk) is a miss, never an error: the file is checked again and the entry rewritten.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Final

import orjson

from inspector.core.agent import Checkpoint
from inspector.core.safe_read import open_regular

LAYOUT: Final = b"inspector-check-cache 1\n"
"""The first line of every entry; a new layout gets a new line (and a new folder)."""
ENTRIES_FOLDER: Final = "checks-1"
FINGERPRINT_BYTES: Final = 4096
"""Bytes hashed at the start of a file, and before its end."""
_FIRST_READ = 16 * 1024
"""Bytes read at once to find an entry's header and result (most fit)."""
_TEMPORARY_SUFFIX = ".tmp"
_STALE_TEMPORARY_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class Stamp:
    """What identifies one state of a file without reading it."""

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int

    @classmethod
    def of(cls, found: os.stat_result) -> Stamp:
        return cls(found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)

    def same_file(self, other: Stamp) -> bool:
        return (self.device, self.inode) == (other.device, other.inode)


@dataclass(frozen=True, slots=True)
class Stored:
    """A usable entry: the stored result, or a checkpoint to continue from."""

    format: str
    context: str
    fresh: bool
    """The file did not change: :attr:`result` is the answer."""
    result: Any
    checkpoint: Checkpoint | None
    """Given when the file only grew (:attr:`fresh` is then False)."""


class ResultCache:
    """The entries in one cache folder."""

    def __init__(self, root: Path) -> None:
        self.folder = root / ENTRIES_FOLDER

    def entry_path(self, path: Path) -> Path:
        return self.folder / (path_key(path) + ".entry")

    def lookup(self, path: Path, now: Stamp, *, grown: bool = True) -> Stored | None:
        """What is stored for the file whose stamp is ``now`` (None: nothing usable).
        ``grown=False``: only a fresh result is wanted, not a checkpoint."""
        try:
            with open(self.entry_path(path), "rb") as entry:
                return self._read(entry, path, now, grown)
        except (OSError, ValueError, TypeError, KeyError, IndexError, orjson.JSONDecodeError):
            return None

    def _read(self, entry: BinaryIO, path: Path, now: Stamp, grown: bool) -> Stored | None:
        data = entry.read(_FIRST_READ)
        if not data.startswith(LAYOUT):
            return None
        header_end = data.index(b"\n", len(LAYOUT)) + 1
        header = orjson.loads(data[len(LAYOUT) : header_end])
        if header["path"] != os.fsdecode(os.path.abspath(path)):
            return None  # two paths with one hash: as good as never, but never a wrong answer
        then = Stamp(*header["stamp"])
        fresh = then == now
        if not fresh and not (grown and now.same_file(then) and now.size > then.size):
            return None
        checkpoint_size = header["checkpoint_size"]
        if not fresh and checkpoint_size is None:
            return None
        if not _fingerprints_hold(path, then.size, header["head"], header["end"], fresh):
            return None
        result_length: int = header["result_length"]
        data = data[header_end:]
        if len(data) < result_length:
            data += entry.read(result_length - len(data))
        result_bytes, rest = data[:result_length], data[result_length:]
        if len(result_bytes) != result_length:
            return None
        if fresh:
            return Stored(
                header["format"], header["context"], True, orjson.loads(result_bytes), None
            )
        checkpoint_length: int = header["checkpoint_length"]
        rest += entry.read(checkpoint_length - len(rest))
        if len(rest) != checkpoint_length:
            return None
        checkpoint = Checkpoint(checkpoint_size, rest)
        return Stored(header["format"], header["context"], False, None, checkpoint)

    def store(
        self,
        path: Path,
        read: Stamp,
        *,
        format_name: str,
        context: str,
        result: Any,
        checkpoint: Checkpoint | None,
    ) -> bool:
        """Keep what checking the file (as ``read`` stamps it) found. False when nothing was
        kept: the file changed since, or the cache cannot be written."""
        try:
            head, end = _fingerprints(path, read.size)
            if Stamp.of(os.stat(path)) != read:
                return False  # written to while it was checked: the next run reads it again
            result_bytes = orjson.dumps(result)
            header = {
                "path": os.fsdecode(os.path.abspath(path)),
                "stamp": [read.device, read.inode, read.size, read.modified_ns, read.changed_ns],
                "head": head,
                "end": end,
                "format": format_name,
                "context": context,
                "result_length": len(result_bytes),
                "checkpoint_size": None if checkpoint is None else checkpoint.size,
                "checkpoint_length": 0 if checkpoint is None else len(checkpoint.data),
            }
            parts = [LAYOUT, orjson.dumps(header), b"\n", result_bytes]
            if checkpoint is not None:
                parts.append(checkpoint.data)
            replace_atomically(self.entry_path(path), parts)
        except (OSError, TypeError, orjson.JSONEncodeError):
            return False
        return True

    def remove_leftovers(self, older_than: float = _STALE_TEMPORARY_SECONDS) -> int:
        """Remove temporary files writers that crashed left behind; how many went."""
        removed = 0
        cutoff = time.time() - older_than
        try:
            with os.scandir(self.folder) as found:
                for item in found:
                    if item.name.endswith(_TEMPORARY_SUFFIX) and item.stat().st_mtime < cutoff:
                        os.unlink(item.path)
                        removed += 1
        except OSError:
            pass
        return removed


def path_key(path: Path) -> str:
    """A file name for what is kept about ``path`` (a hash of its absolute path)."""
    key = os.fsencode(os.path.abspath(path))
    return hashlib.blake2b(key, digest_size=16).hexdigest()


def replace_atomically(target: Path, parts: list[bytes]) -> None:
    """Write ``parts`` as ``target``'s new content: to a temporary file beside it, renamed
    over it, so that a reader sees the old content or the new, whole (no fsync: what is
    kept here can always be found again). Raises OSError."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(
        f"{target.name}.{os.getpid()}.{time.monotonic_ns()}{_TEMPORARY_SUFFIX}"
    )
    try:
        with open(temporary, "xb") as out:
            out.writelines(parts)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _fingerprints(path: Path, size: int) -> tuple[str, str]:
    """Hashes of the first bytes of the file's first ``size`` bytes, and of their last."""
    with open_regular(path) as handle:
        return _hashes(handle, size)


def _hashes(handle: BinaryIO, size: int) -> tuple[str, str]:
    length = min(size, FINGERPRINT_BYTES)
    head = handle.read(length)
    if size > FINGERPRINT_BYTES:
        handle.seek(size - length)
        end = handle.read(length)
    else:
        end = head
    if len(head) != length or len(end) != length:
        raise ValueError("the file is shorter than its stamp says")
    return _digest(head), _digest(end)


def _fingerprints_hold(path: Path, size: int, head: str, end: str, fresh: bool) -> bool:
    """Whether the file's first ``size`` bytes still start and end as they did."""
    with open_regular(path) as handle:
        if fresh:  # same stamp: a look at the first bytes is enough
            return _digest(handle.read(min(size, FINGERPRINT_BYTES))) == head
        return _hashes(handle, size) == (head, end)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()

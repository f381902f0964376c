"""The file a rewrite starts from, read once: its complete lines, and how to tell later
whether the file still holds those bytes (:class:`Snapshot`).

A session that grows meanwhile keeps its new lines; the result of a rewrite says how many
bytes came after the snapshot, and an in-place rewrite is refused when the file changed.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspector.core.jsonl import parse_object, split_lines
from inspector.core.safe_read import TRANSCRIPT_LIMIT, read_whole


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One physical line of the snapshot."""

    number: int
    """1-based line number."""
    offset: int
    raw: bytes
    """The line's bytes without its line break."""
    value: dict[str, Any] | None
    """The parsed object; None for a blank or unreadable line."""

    @property
    def blank(self) -> bool:
        return not self.raw.strip()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The complete lines of a file, read once."""

    path: Path
    lines: list[SourceLine]
    size: int
    """Bytes the snapshot covers (from the start of the file)."""
    digest: bytes
    """blake2b of those bytes, to tell later whether the file still starts with them."""
    file_size: int
    """The file's size when it was read."""
    left_out: int
    """Bytes of an incomplete last line (no line break, not whole JSON) left out."""
    identity: tuple[int, int]
    """(device, inode) of the file read."""


def read_snapshot(path: Path) -> Snapshot:
    """Read the JSONL file ``path`` once and keep its complete lines. Raises OSError."""
    data, info = read_whole(path, TRANSCRIPT_LIMIT)
    end = data.rfind(b"\n") + 1
    tail = data[end:]
    left_out = 0
    if tail.strip():
        if parse_object(tail.rstrip(b"\r")) is not None:
            end = len(data)  # a whole last object without its line break: take it
        else:
            left_out = len(tail)
    return snapshot_of(path, data[:end], info, file_size=len(data), left_out=left_out)


def snapshot_of(
    path: Path,
    covered: bytes,
    info: os.stat_result,
    *,
    file_size: int,
    left_out: int = 0,
    parse: bool = True,
) -> Snapshot:
    """The snapshot of the first bytes of a file, ``covered``; its lines are parsed as
    JSON objects unless ``parse`` is off (a whole JSON document, not JSONL)."""
    lines: list[SourceLine] = []
    offset = 0
    for number, raw in enumerate(split_lines(covered), start=1):
        lines.append(SourceLine(number, offset, raw, parse_line(raw) if parse else None))
        offset += len(raw) + 1
    return Snapshot(
        path=path,
        lines=lines,
        size=len(covered),
        digest=hashlib.blake2b(covered).digest(),
        file_size=file_size,
        left_out=left_out,
        identity=(info.st_dev, info.st_ino),
    )


def parse_line(raw: bytes) -> dict[str, Any] | None:
    """A physical line (its ``\\r`` kept) as a JSON object; None: blank or unreadable."""
    body = raw[:-1] if raw.endswith(b"\r") else raw
    return parse_object(body) if body.strip() else None

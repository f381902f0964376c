"""Lines of a transcript re-read by number, near a defect only: from the nearest line
whose byte offset the conversation already knows, forward or backward, never the whole
file (a window is capped in bytes)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

from inspector.core.model import Conversation, Origin
from inspector.core.safe_read import open_regular

_CHUNK: Final = 1 << 16
MAX_BYTES: Final = 32 << 20
"""At most this much is read for one window (a window of huge tool outputs stops short)."""


@dataclass(frozen=True, slots=True)
class Anchor:
    """A line whose start the conversation knows."""

    line: int
    offset: int


def known_lines(conversation: Conversation) -> list[Origin]:
    """Every line whose start the conversation knows: the lines its rebuild walked, its
    abandoned branches' and its messages'."""
    origins = list(conversation.chain)
    origins += [origin for branch in conversation.abandoned for origin in branch.origins]
    origins += [origin for message in conversation.messages for origin in message.origins]
    return origins


class LineReader:
    """Reads lines ``first`` … ``last`` of one file, starting from the nearest anchor."""

    @classmethod
    def anchored(cls, path: Path, origins: Iterable[Origin]) -> LineReader:
        """A reader of ``path`` anchored at the starts of these lines."""
        return cls(path, [Anchor(origin.line, origin.offset) for origin in origins])

    def __init__(self, path: Path, anchors: list[Anchor]) -> None:
        self.path = path
        by_line = {anchor.line: anchor for anchor in anchors}
        by_line.setdefault(1, Anchor(1, 0))
        self.anchors = sorted(by_line.values(), key=lambda anchor: anchor.line)
        self._lines = [anchor.line for anchor in self.anchors]
        self.last_line: int | None = None
        """The file's last line, once a window reached the end of the file."""

    def read(self, first: int, last: int | None) -> dict[int, bytes]:
        """Lines ``first`` … ``last`` (None: to the end of the file) by number; fewer when
        the file is shorter or a window reaches its byte cap. Raises OSError."""
        first = max(1, first)
        at = bisect.bisect_right(self._lines, first) - 1
        start = self.anchors[at]
        found: dict[int, bytes] = {}
        with open_regular(self.path) as handle:
            following = self.anchors[at + 1] if at + 1 < len(self.anchors) else None
            if following is not None and following.line - first < first - start.line:
                # closer to the next anchor: read back from it, then on
                found.update(_backward(handle, following, first))
                start = following
            found.update(self._forward(handle, start, first, last))
        return found

    def _forward(
        self, handle: BinaryIO, start: Anchor, first: int, last: int | None
    ) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        handle.seek(start.offset)
        number, pending, spent = start.line, b"", 0
        while spent < MAX_BYTES:
            chunk = handle.read(_CHUNK)
            spent += len(chunk)
            if not chunk:
                if pending:  # a last line without its line break
                    if number >= first and (last is None or number <= last):
                        found[number] = pending.rstrip(b"\r")
                    self.last_line = number
                else:
                    self.last_line = number - 1
                return found
            pieces = (pending + chunk).split(b"\n")
            pending = pieces.pop()
            for piece in pieces:
                if number >= first:
                    found[number] = piece.rstrip(b"\r")
                number += 1
                if last is not None and number > last:
                    return found
        return found


def _backward(handle: BinaryIO, anchor: Anchor, first: int) -> dict[int, bytes]:
    """Lines ``first`` … ``anchor.line - 1``, read back from the anchor's offset."""
    wanted = anchor.line - first
    position = anchor.offset
    data = b""
    while position > 0 and anchor.offset - position < MAX_BYTES:
        step = min(_CHUNK, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
        if data.count(b"\n") > wanted:
            break
    if not data.endswith(b"\n"):
        return {}  # the anchor does not start a line: nothing certain to number
    pieces = data[:-1].split(b"\n")
    if position > 0:
        pieces = pieces[1:]  # the first piece may be the end of a longer line
    found: dict[int, bytes] = {}
    for back, piece in enumerate(reversed(pieces), 1):
        number = anchor.line - back
        if number < first:
            break
        found[number] = piece.rstrip(b"\r")
    return found

"""The one decision "this file is not a conversation", and what the file looked like.

``check``, ``messages``, ``rewind``, ``repair`` and the app all ask here, so a file gets
the same answer everywhere: :class:`NotATranscript`, whose message names the path once
and says what the file held ("empty file", "binary data", "a JSON array with no
messages", …). A Claude Code transcript is one in which some line reads as Claude
Code's (:func:`require_transcript`); a message array is one that holds at least one
message, an object with a ``role`` (:func:`require_messages`). An empty file is a
conversation not started yet only while it is followed live.
"""

from __future__ import annotations

from collections.abc import Sized
from pathlib import Path
from typing import Any, Protocol

import orjson

from inspector.core.safe_read import open_regular


class LineLog(Protocol):
    """What :func:`require_transcript` asks of a line log read so far (Claude Code's)."""

    @property
    def path(self) -> Path: ...
    @property
    def recognised_lines(self) -> int: ...
    @property
    def object_lines(self) -> int: ...
    @property
    def bad_lines(self) -> Sized: ...


_HEAD_BYTES = 1 << 16
BINARY = "binary data"


class NotATranscript(Exception):
    """The file is not a conversation in any format the inspector reads."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path}: not a conversation ({what})")
        self.path = path
        self.what = what
        """What the file looked like, without the path."""


def require_transcript(transcript: LineLog, *, complete: bool = True) -> None:
    """Raise NotATranscript unless some line of ``transcript`` reads as Claude Code's.

    A file with no line yet is accepted when it is not ``complete`` (followed live: the
    session has just started), unless what it holds so far is binary data.
    """
    if transcript.recognised_lines:
        return
    what = describe_file(transcript.path)
    nothing_yet = not transcript.object_lines and not transcript.bad_lines
    if not complete and nothing_yet and what != BINARY:
        return
    raise NotATranscript(transcript.path, what)


def require_messages(path: Path, messages: list[Any], document: Any) -> None:
    """Raise NotATranscript unless the message array holds a message (an object with a
    ``role``); ``document`` is what held the array, to say what the file was."""
    if not any(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages):
        raise NotATranscript(path, describe_value(document))


def require_lines_of(path: Path, lines_of_its_kind: int, kind: str) -> None:
    """Raise NotATranscript unless a line log read as ``kind`` (a format named by
    ``--format``, say) held a line of that kind: nothing of its kind is nothing read."""
    if not lines_of_its_kind:
        what = describe_file(path)
        raise NotATranscript(path, f"read as a {kind}, no line of one; the file holds {what}")


def describe_file(path: Path) -> str:
    """What the start of a file looks like, in a few words."""
    try:
        with open_regular(path) as handle:
            head = handle.read(_HEAD_BYTES + 1)
    except OSError:
        return "unreadable"
    return describe_head(head[:_HEAD_BYTES], whole=len(head) <= _HEAD_BYTES)


def describe_head(head: bytes, *, whole: bool) -> str:
    """What ``head``, the first bytes of a file (``whole``: all of them), looks like."""
    if not head:
        return "empty file"
    start = head.lstrip()
    if not start:
        return "only blank lines"
    if b"\0" in head or not _utf8(head, whole):
        return BINARY
    first_line = start.split(b"\n", 1)[0]
    for candidate in (first_line, start) if whole else (first_line,):
        try:
            value = orjson.loads(candidate)
        except orjson.JSONDecodeError:
            continue
        return describe_value(value, lines=candidate is first_line and b"\n" in start.strip())
    if start[:1] in (b"{", b"["):
        return "JSON that does not parse"
    return "text that is not JSON"


def describe_value(value: Any, *, lines: bool = False) -> str:
    """A parsed JSON value in a few words (``lines``: the first of several lines)."""
    if value is None:
        return "JSON null"
    if isinstance(value, bool):
        return "a JSON boolean"
    if isinstance(value, int | float):
        return "a JSON number"
    if isinstance(value, str):
        return "a JSON string"
    if isinstance(value, list):
        return "a JSON array with no messages"
    if isinstance(value, dict):
        if lines:
            return "JSON lines that are not session entries"
        if isinstance(value.get("messages"), list):
            return "a JSON object whose message array holds no messages"
        for key in ("request", "body"):
            holder = value.get(key)
            if isinstance(holder, dict) and isinstance(holder.get("messages"), list):
                return "a JSON object whose message array holds no messages"
        return "a JSON object that is neither a session entry nor a request"
    return "an unknown JSON value"


def _utf8(head: bytes, whole: bool) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # a character cut by the end of a partial head is not an error
        return not whole and error.start >= len(head) - 3
    return True

"""Claude Code's lines, patched byte for byte.

An unchanged line is copied as it is; a line whose ``parentUuid`` or ``sessionId`` changes
changes only the bytes of that key (checked by parsing it back); anything else is
serialised with orjson, whose output is compact like Claude Code's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson

from inspector.core.json_out import dumps
from inspector.core.jsonl import parse_object, split_lines
from inspector.rewrite.lines import OutLine
from inspector.rewrite.snapshot import parse_line


class _Keep:
    """Marker: keep the line's own ``parentUuid``."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


@dataclass(slots=True)
class EntryLine(OutLine):
    """A line of a Claude Code transcript to write, with the ``parentUuid`` it gets."""

    parent: str | _Keep | None = KEEP
    """The ``parentUuid`` to write, or :data:`KEEP`."""

    @property
    def current(self) -> dict[str, Any] | None:
        """The object this line will hold (before the session id is rewritten)."""
        base = self.replacement if self.replacement is not None else self.value
        if base is None or isinstance(self.parent, _Keep):
            return base
        return {**base, "parentUuid": self.parent}

    @property
    def uuid(self) -> str | None:
        current = self.current
        value = current.get("uuid") if current else None
        return value if isinstance(value, str) else None


def render(line: EntryLine, session_id: str | None) -> bytes:
    """The bytes of ``line``, its ``sessionId`` set to ``session_id`` when given."""
    if line.value is None and line.replacement is None:
        return line.raw
    if line.replacement is not None:
        obj = dict(line.replacement)
        if not isinstance(line.parent, _Keep):
            obj["parentUuid"] = line.parent
        if session_id is not None and isinstance(obj.get("sessionId"), str):
            obj["sessionId"] = session_id
        return dumps(obj)
    assert line.value is not None
    changes: dict[str, Any] = {}
    if not isinstance(line.parent, _Keep) and line.value.get("parentUuid") != line.parent:
        changes["parentUuid"] = line.parent
    old_session = line.value.get("sessionId")
    if session_id is not None and isinstance(old_session, str) and old_session != session_id:
        changes["sessionId"] = session_id
    if not changes:
        return line.raw
    return patch_line(line.raw, line.value, changes)


_MAX_TRIES = 8


def patch_line(raw: bytes, value: dict[str, Any], changes: dict[str, Any]) -> bytes:
    """``raw`` with the top-level ``changes`` applied to its bytes, nothing else touched.

    Each key's ``"key":old`` bytes are replaced by ``"key":new``; the result must parse to
    ``value`` with exactly those keys changed. A nested object holding the same key, or
    bytes written in another style, make that check fail for an occurrence, and the next
    is tried; when none fits, the line is serialised anew with orjson (compact).
    """
    expected = {**value, **changes}
    line_end = b"\r" if raw.endswith(b"\r") else b""
    body = raw[: len(raw) - len(line_end)]
    current_value = value
    for key, new in changes.items():
        if key not in current_value:
            return dumps(expected) + line_end
        old_fragment = orjson.dumps(key) + b":" + dumps(current_value[key])
        new_fragment = orjson.dumps(key) + b":" + dumps(new)
        target = {**current_value, key: new}
        patched = None
        for start in _occurrences(body, old_fragment, from_end=key != "parentUuid"):
            candidate = body[:start] + new_fragment + body[start + len(old_fragment) :]
            if parse_object(candidate) == target:
                patched = candidate
                break
        if patched is None:
            return dumps(expected) + line_end
        body, current_value = patched, target
    return body + line_end


def _occurrences(data: bytes, needle: bytes, *, from_end: bool) -> Iterator[int]:
    """Start offsets of ``needle`` in ``data`` (at most a few), from the end or the start."""
    found = 0
    if from_end:
        end = len(data)
        while found < _MAX_TRIES:
            start = data.rfind(needle, 0, end)
            if start < 0:
                return
            yield start
            found += 1
            end = start + len(needle) - 1
    else:
        begin = 0
        while found < _MAX_TRIES:
            start = data.find(needle, begin)
            if start < 0:
                return
            yield start
            found += 1
            begin = start + 1


def with_session_id(data: bytes, session_id: str) -> bytes:
    """A subagent transcript with every line's ``sessionId`` rewritten (line ends kept)."""
    out: list[bytes] = []
    for raw in split_lines(data):
        value = parse_line(raw)
        out.append(render(EntryLine(None, raw, value), session_id) if value is not None else raw)
    trailing = b"\n" if data.endswith(b"\n") else b""
    return b"\n".join(out) + trailing

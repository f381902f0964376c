"""Histories stored as one JSON document, or as a JSONL log of whole requests.

Roo Code, Cline, raw API request bodies and OpenAI Chat requests keep the conversation
as a message array. These helpers read that array and let a block's full JSON be found
again later (:class:`StoredMessage` remembers where its message was).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from inspector.core.jsonl import JsonlReader, ParsedLine
from inspector.core.model import Origin
from inspector.core.safe_read import read_whole
from inspector.core.verdict import (
    NotATranscript,
    describe_file,
    describe_value,
    require_messages,
)


@dataclass(slots=True, eq=False)
class StoredMessage(Origin):
    """Where one stored message is: its position in the array, on a line of the file.

    ``line`` is the message's 1-based position in the stored array for a JSON document,
    and the file line of the request for a JSONL request log.
    """

    position: int
    """Index of the message in the stored array."""


@dataclass(slots=True)
class StoredHistory:
    """A message array and where it was read from."""

    messages: list[Any]
    document: Any
    """The whole parsed document (or the chosen request line)."""
    request_line: ParsedLine | None = None
    """For a JSONL request log: the line whose request is checked (the last one)."""


def request_messages(value: Any) -> list[Any] | None:
    """The message array of a request body, a bare array, or a wrapped request."""
    keys = message_array_keys(value)
    if keys is None:
        return None
    array = array_at(value, keys)
    return list(array) if keys else array  # a bare array is returned as it is


def array_at(value: Any, keys: tuple[str, ...]) -> Any:
    """What ``keys`` (from :func:`message_array_keys`) lead to in ``value``."""
    for key in keys:
        value = value[key]
    return value


def message_array_keys(value: Any) -> tuple[str, ...] | None:
    """Where a request holds its message array: ``()`` for a bare array,
    ``("messages",)``, or ``("request" | "body", "messages")``; None: nowhere."""
    if isinstance(value, list):
        return ()
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("messages"), list):
        return ("messages",)
    for key in ("request", "body"):
        holder = value.get(key)
        if isinstance(holder, dict) and isinstance(holder.get("messages"), list):
            return (key, "messages")
    return None


RESPONSES_INPUT = ("input",)
"""Where an OpenAI Responses request holds its items: ``{model, input: [...]}``."""


def history_array_keys(value: Any) -> tuple[str, ...] | None:
    """Where a stored history holds its array: a message array (:func:`message_array_keys`)
    or a Responses request's ``input`` items. Recognition sees only message arrays as
    ``Sample.messages``: Responses items in a Chat- or Anthropic-shaped reader would read
    as what they are not."""
    keys = message_array_keys(value)
    if keys is None and isinstance(value, dict) and isinstance(value.get("input"), list):
        return RESPONSES_INPUT
    return keys


def read_history(path: Path) -> StoredHistory:
    """Read a JSON document, or the last request of a JSONL request log. Raises
    NotATranscript when it holds no message (and OSError)."""
    data, _ = read_whole(path)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _last_request(path)
    keys = history_array_keys(document)
    if keys is None:
        raise NotATranscript(path, describe_value(document))
    messages = list(array_at(document, keys))
    require_messages(path, messages, document)
    return StoredHistory(messages, document)


def _last_request(path: Path) -> StoredHistory:
    chosen: ParsedLine | None = None
    for line in JsonlReader(path).read(final=True).lines:
        if isinstance(line, ParsedLine) and history_array_keys(line.value) is not None:
            chosen = line
    if chosen is None:
        raise NotATranscript(path, describe_file(path))
    keys = history_array_keys(chosen.value)
    assert keys is not None
    messages = list(array_at(chosen.value, keys))
    require_messages(path, messages, chosen.value)
    return StoredHistory(messages, chosen.value, chosen)


def origin_for(history: StoredHistory, position: int, message: dict[str, Any]) -> StoredMessage:
    line = history.request_line
    return StoredMessage(
        line.number if line else position + 1,
        line.offset if line else -1,
        line.length if line else 0,
        None,
        _iso_time(message.get("ts", message.get("timestamp"))),
        position,
    )


def _iso_time(value: Any) -> str | None:
    """Roo Code and Cline keep ``ts`` in epoch milliseconds; others an ISO string."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC).isoformat().replace("+00:00", "Z")
        except (OverflowError, OSError, ValueError):
            return None
    return None


def stored_message(path: Path, origin: object, cache: dict[int, Any]) -> Any:
    """The stored message an origin points at (the document is parsed once per cache)."""
    if not isinstance(origin, StoredMessage):
        raise TypeError("not a stored-history origin")
    history = cache.get(-1)
    if history is None:
        history = read_history(path)
        cache[-1] = history
    return history.messages[origin.position]

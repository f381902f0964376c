"""Reading a Gemini CLI session file: the messages it holds, as Gemini CLI loads them.

Two shapes, both under ``~/.gemini/tmp/<project>/chats/``:

* ``session-*.json`` (releases up to early 2026): one document ``{sessionId, projectHash,
  startTime, lastUpdated, messages: [...]}`` rewritten whole;
* ``*.jsonl`` (later releases): a metadata line ``{sessionId, projectHash, …}``, then one
  line per message record (a record written again under the same ``id`` replaces it in
  place), ``{"$rewindTo": id}`` (drops that message and every later one), and
  ``{"$set": {...}}`` (metadata; with ``messages``: a checkpoint that replaces them all).
  Gemini CLI skips lines it cannot parse; so do we, and say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from inspector.core.jsonl import BadLine, JsonlReader
from inspector.core.model import IssueKind, TranscriptIssue
from inspector.core.safe_read import read_whole
from inspector.core.verdict import NotATranscript, describe_value


@dataclass(frozen=True, slots=True)
class Record:
    """One message record and where it was read."""

    value: dict[str, Any]
    line: int
    """The file line (JSONL), or the record's 1-based position in ``messages``."""
    offset: int
    """Byte offset of the line (JSONL), -1 in a whole document."""
    length: int


@dataclass(slots=True)
class GeminiSession:
    metadata: dict[str, Any]
    records: list[Record]
    issues: list[TranscriptIssue] = field(default_factory=list)


def looks_like_session(value: Any) -> bool:
    """A session's metadata: what Gemini CLI itself tests (string sessionId and projectHash)."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("sessionId"), str)
        and isinstance(value.get("projectHash"), str)
    )


def read_session(path: Path) -> GeminiSession:
    """Raises OSError, TooLarge, and NotATranscript when it is no Gemini CLI session."""
    data, _ = read_whole(path)
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return _fold_lines(path)
    if not looks_like_session(document):
        raise NotATranscript(path, describe_value(document))
    messages = document.get("messages")
    records = [
        Record(message, position + 1, -1, 0)
        for position, message in enumerate(messages if isinstance(messages, list) else [])
        if _is_message(message)
    ]
    return GeminiSession(document, records)


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("id"), str)


def _fold_lines(path: Path) -> GeminiSession:
    metadata: dict[str, Any] = {}
    records: dict[str, Record] = {}
    issues: list[TranscriptIssue] = []
    for line in JsonlReader(path).read(final=True).lines:
        if isinstance(line, BadLine):
            text = f"Gemini CLI skips this line: {line.reason}"
            issues.append(TranscriptIssue(IssueKind.BADLINE, line.number, text))
            continue
        value = line.value
        here = (line.number, line.offset, line.length)
        rewind = value.get("$rewindTo")
        update = value.get("$set")
        if isinstance(rewind, str):
            ids = list(records)
            kept = ids[: ids.index(rewind)] if rewind in ids else []
            records = {key: records[key] for key in kept}
        elif _is_message(value):
            records[value["id"]] = Record(value, *here)
        elif isinstance(update, dict):
            if isinstance(update.get("messages"), list):
                records = {m["id"]: Record(m, *here) for m in update["messages"] if _is_message(m)}
            metadata.update(update)
        elif looks_like_session(value):
            metadata.update(value)
            messages = value.get("messages")
            for message in messages if isinstance(messages, list) else []:
                if _is_message(message):
                    records[message["id"]] = Record(message, *here)
    if not looks_like_session(metadata):
        raise NotATranscript(path, "JSON lines without a Gemini CLI session's metadata line")
    return GeminiSession(metadata, list(records.values()), issues)

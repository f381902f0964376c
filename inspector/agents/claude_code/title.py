"""A Claude Code session's title for the picker, read cheaply.

Claude Code keeps titles in metadata lines that are not part of the conversation and may
sit anywhere in the file (appended when the user renames the session, or when a title or
summary is made): ``custom-title`` (``customTitle``, from ``/rename``), ``ai-title``
(``aiTitle``) and ``summary`` (``summary``). The last of each kind wins, a custom title
over a generated one over a summary; a session with none is named by its first prompt.

The file is never parsed whole: it is mapped, searched backwards for each kind's marker
bytes (only the lines holding one are parsed, a bounded number of them), and the first
prompt is looked for in the head only. Call it off the UI thread: a 100 MB file is still
read from disk once.
"""

from __future__ import annotations

import mmap
from pathlib import Path
from typing import Any, Final

import orjson

from inspector.core.safe_read import open_regular

# (the line's type, the key holding the title), most wanted first
_KINDS: Final = (("custom-title", "customTitle"), ("ai-title", "aiTitle"), ("summary", "summary"))
_HITS_PER_KIND: Final = 64
"""Lines holding a marker parsed per kind: a marker inside tool output is not a title
line, and a file full of them must not be parsed whole."""
_HEAD_BYTES: Final = 1 << 20
"""Where the first prompt is looked for (snapshots and hook lines may come first)."""
_LINE_BYTES: Final = 1 << 20
"""A longer line (a huge paste) is not parsed for its title."""
_NOT_PROMPTS: Final = (
    "<command-",
    "<local-command-",
    "<system-reminder>",
    "<bash-",
    "<user-prompt-submit-hook>",
    "Caveat: ",
    "[Request interrupted",
)
"""Openings of user text Claude Code writes itself (slash commands, local command
output, reminders, interrupt markers): not what the user asked."""


def session_title(path: Path) -> str:
    """The session's title as Claude Code shows it, else its first prompt; "" when there is
    neither (or the file cannot be read). Untrusted text: show it as plain text."""
    try:
        with open_regular(path) as handle:
            if not handle.seek(0, 2):
                return ""
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _stored_title(data) or _first_prompt(data)
    except (OSError, ValueError):
        return ""


def _stored_title(data: mmap.mmap) -> str:
    for kind, key in _KINDS:
        marker = b'"' + kind.encode() + b'"'
        end = len(data)
        for _ in range(_HITS_PER_KIND):
            at = data.rfind(marker, 0, end)
            if at < 0:
                break
            start = data.rfind(b"\n", 0, at) + 1
            stop = data.find(b"\n", at)
            stop = len(data) if stop < 0 else stop
            end = start
            entry = _parsed(data[start:stop]) if stop - start <= _LINE_BYTES else None
            if isinstance(entry, dict) and entry.get("type") == kind:
                title = entry.get(key)
                if isinstance(title, str) and title.strip():
                    return title
    return ""


def _first_prompt(data: mmap.mmap) -> str:
    start, limit = 0, min(len(data), _HEAD_BYTES)
    while start < limit:
        stop = data.find(b"\n", start)
        stop = len(data) if stop < 0 else stop
        if stop - start <= _LINE_BYTES:
            prompt = _prompt_of(_parsed(data[start:stop]))
            if prompt:
                return prompt
        start = stop + 1
    return ""


def _prompt_of(entry: Any) -> str:
    if not isinstance(entry, dict) or entry.get("type") != "user" or entry.get("isMeta"):
        return ""
    if entry.get("isSidechain") or entry.get("isCompactSummary"):
        return ""
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):  # text blocks; a line of tool results has none
        texts = [b.get("text") for b in content if isinstance(b, dict) and b.get("type") == "text"]
        content = "\n".join(t for t in texts if isinstance(t, str))
    if not isinstance(content, str):
        return ""
    text = content.strip()
    return "" if text.startswith(_NOT_PROMPTS) else text


def _parsed(line: bytes) -> Any:
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return None

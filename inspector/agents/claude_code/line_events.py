"""Claude Code's lines that explain a defect (:meth:`Agent.line_event`): how it writes a
user interrupt, hook output, a compaction boundary, a session start, a stored API error.

Summaries name only what Claude Code wrote about the line (its kind, a hook's event and
name, a compaction's trigger), never a prompt, file content or tool output.
"""

from __future__ import annotations

from typing import Any, Final

from inspector.agents.claude_code.entries import (
    AGENT_TOOLS,
    ASSISTANT,
    ATTACHMENT,
    COMPACT_BOUNDARY,
    PROGRESS,
    SYSTEM,
    USER,
)
from inspector.core.line_event import LineEvent, LineEventKind

INTERRUPTED: Final = "[Request interrupted by user"
"""How the text Claude Code writes when the user presses Esc begins (``…]`` or
``… for tool use]``)."""
SESSION_START_HOOK: Final = "SessionStart"
_NAME_CHARS: Final = 60


def line_event(entry: Any) -> LineEvent | None:
    """What a parsed Claude Code line is (None: not one of its lines)."""
    if not isinstance(entry, dict):
        return None
    kind_name = entry.get("type")
    if not isinstance(kind_name, str):
        return None
    kind, text = _describe(kind_name, entry)
    return LineEvent(
        kind,
        text,
        version=_str(entry.get("version")),
        timestamp=_str(entry.get("timestamp")),
        session_id=_str(entry.get("sessionId")),
        folder=_str(entry.get("cwd")),
    )


def _describe(kind_name: str, entry: dict[str, Any]) -> tuple[LineEventKind, str]:
    if kind_name in (USER, ASSISTANT):
        kind, text = _user(entry) if kind_name == USER else _assistant(entry)
        if kind is LineEventKind.OTHER and _starts_a_chain(entry):
            return LineEventKind.SESSION_START, f"{text} starting a new chain (no parent line)"
        return kind, text
    if kind_name == ATTACHMENT:
        return _attachment(entry.get("attachment"))
    if kind_name == SYSTEM:
        return _system(entry)
    if kind_name == PROGRESS:
        return LineEventKind.OTHER, "progress line"
    return LineEventKind.OTHER, f"{_short(kind_name)} line"


def _user(entry: dict[str, Any]) -> tuple[LineEventKind, str]:
    message = entry.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    texts = [content] if isinstance(content, str) else []
    if isinstance(content, list):
        texts = [
            b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)
        ]
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return LineEventKind.OTHER, "tool result"
    for text in texts:
        if text.startswith(INTERRUPTED):
            # Claude Code's own words, short: shown as they are (cut at the bracket)
            return LineEventKind.INTERRUPT, f"user interrupt: {_short(text.split(']')[0] + ']')}"
    if entry.get("isCompactSummary") is True:
        return LineEventKind.OTHER, "compaction summary"
    if entry.get("isMeta") is True:
        return LineEventKind.OTHER, "text the client added (meta)"
    return LineEventKind.OTHER, "user prompt"


def _assistant(entry: dict[str, Any]) -> tuple[LineEventKind, str]:
    if entry.get("isApiErrorMessage") is True:
        return LineEventKind.API_ERROR, "API error stored by the client"
    message = entry.get("message")
    if not isinstance(message, dict):
        return LineEventKind.OTHER, "assistant line"
    content = message.get("content")
    for block in content if isinstance(content, list) else ():
        if (
            isinstance(block, dict)
            and block.get("type") == "tool_use"
            and block.get("name") in AGENT_TOOLS
        ):
            return LineEventKind.SUBAGENT_CALL, f"subagent call ({block['name']})"
    if message.get("stop_reason") == "end_turn":
        return LineEventKind.TURN_END, "assistant answer (end of turn)"
    return LineEventKind.OTHER, "assistant line"


def _attachment(attachment: Any) -> tuple[LineEventKind, str]:
    if not isinstance(attachment, dict):
        return LineEventKind.OTHER, "attachment"
    kind = _str(attachment.get("type")) or "?"
    if not kind.startswith("hook_"):
        return LineEventKind.OTHER, f"attachment ({_short(kind)})"
    event = _str(attachment.get("hookEvent"))
    name = _str(attachment.get("hookName")) or event or "?"
    if event == SESSION_START_HOOK:
        return LineEventKind.SESSION_START, f"SessionStart hook output ({_short(kind)})"
    return LineEventKind.HOOK_OUTPUT, f"hook output: {_short(name)} ({_short(kind)})"


def _system(entry: dict[str, Any]) -> tuple[LineEventKind, str]:
    subtype = _str(entry.get("subtype")) or "?"
    if subtype == COMPACT_BOUNDARY:
        metadata = entry.get("compactMetadata")
        trigger = metadata.get("trigger") if isinstance(metadata, dict) else None
        tokens = metadata.get("preTokens") if isinstance(metadata, dict) else None
        said = [f"trigger {_short(trigger)}"] if isinstance(trigger, str) else []
        if type(tokens) is int:
            said.append(f"{tokens} tokens before")
        return LineEventKind.COMPACTION, "compaction boundary" + (
            f" ({', '.join(said)})" if said else ""
        )
    if subtype == "api_error":
        return LineEventKind.API_ERROR, "API error (system line)"
    if subtype == "turn_duration":
        return LineEventKind.TURN_END, "turn duration (the turn ended)"
    if "hook" in subtype:
        return LineEventKind.HOOK_OUTPUT, f"hook output: system line ({_short(subtype)})"
    return LineEventKind.OTHER, f"system line ({_short(subtype)})"


def _starts_a_chain(entry: dict[str, Any]) -> bool:
    """A message line with no parent: the first of a session (a compaction's summary hangs
    on its boundary); later in a file, another session's conversation appended."""
    return (
        "parentUuid" in entry
        and entry["parentUuid"] is None
        and entry.get("isSidechain") is not True
        and entry.get("isCompactSummary") is not True
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _short(text: str) -> str:
    return text if len(text) <= _NAME_CHARS else text[: _NAME_CHARS - 1] + "…"

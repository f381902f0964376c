"""One-line summaries of tool inputs, for lists and tree labels.

Pure and Textual-free: given a tool's name and the ``input`` of its ``tool_use``
block (any JSON value), say in one printable line what the call was about: the
command of a ``Bash`` call, the file of a ``Read``, the pattern of a ``Grep``…
Unknown tools fall back to their input as compact JSON. Every summary goes through
:func:`inspector.core.safe_text.one_line`, so it holds no control characters.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import orjson

from inspector.core.json_out import dumps
from inspector.core.safe_text import one_line
from inspector.core.wording import counted

DEFAULT_LIMIT = 120

_Summarizer = Callable[[Mapping[str, Any]], str | None]


def tool_input_summary(name: str | None, tool_input: object, limit: int = DEFAULT_LIMIT) -> str:
    """What a call with this input does, in at most ``limit`` printable characters."""
    text: str | None = None
    if isinstance(tool_input, Mapping):
        summarizer = _SUMMARIZERS.get(name or "")
        if summarizer is not None:
            text = summarizer(tool_input)
        elif name and name.startswith("mcp__"):
            text = _first_string(tool_input)
    if text is None:
        text = _compact_json(tool_input)
    return one_line(text, limit)


def _string(tool_input: Mapping[str, Any], key: str) -> str | None:
    value = tool_input.get(key)
    return value if isinstance(value, str) else None


def _field(*keys: str) -> _Summarizer:
    """The first of ``keys`` that holds a string."""

    def summarize(tool_input: Mapping[str, Any]) -> str | None:
        for key in keys:
            value = _string(tool_input, key)
            if value is not None:
                return value
        return None

    return summarize


def _pattern(tool_input: Mapping[str, Any]) -> str | None:
    pattern = _string(tool_input, "pattern")
    if pattern is None:
        return None
    path = _string(tool_input, "path")
    return f"{pattern}  in {path}" if path else pattern


def _todos(tool_input: Mapping[str, Any]) -> str | None:
    todos = tool_input.get("todos")
    if not isinstance(todos, list):
        return None
    return counted(len(todos), "item")


def _agent(tool_input: Mapping[str, Any]) -> str | None:
    description = _string(tool_input, "description")
    kind = _string(tool_input, "subagent_type")
    if description is None:
        return _string(tool_input, "prompt")
    return f"{description}  ({kind})" if kind else description


def _first_string(tool_input: Mapping[str, Any]) -> str | None:
    return next((value for value in tool_input.values() if isinstance(value, str)), None)


def _compact_json(value: object) -> str:
    try:
        return dumps(value, default=repr).decode()
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)


_SUMMARIZERS: dict[str, _Summarizer] = {
    "Bash": _field("command"),
    "BashOutput": _field("bash_id"),
    "KillShell": _field("shell_id"),
    "Read": _field("file_path"),
    "Edit": _field("file_path"),
    "MultiEdit": _field("file_path"),
    "Write": _field("file_path"),
    "NotebookEdit": _field("notebook_path"),
    "NotebookRead": _field("notebook_path"),
    "LS": _field("path"),
    "Grep": _pattern,
    "Glob": _pattern,
    "WebFetch": _field("url"),
    "WebSearch": _field("query"),
    "Task": _agent,
    "Agent": _agent,
    "TodoWrite": _todos,
    "ExitPlanMode": _field("plan"),
    "Skill": _field("skill", "command"),
    "SlashCommand": _field("command"),
}

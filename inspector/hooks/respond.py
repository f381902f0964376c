"""What ``inspector hook`` answers when Claude Code runs it as a hook.

Claude Code hands a hook one JSON object on stdin (``hook_event_name``,
``transcript_path``, ``session_id``, ``cwd``; ``source`` on ``SessionStart``). The answer
is one JSON object on stdout, read by Claude Code:

* ``SessionStart`` from ``resume``: when the client drops calls or fakes results as it
  resumes (the resume preview), ``hookSpecificOutput.additionalContext`` tells the model
  which calls lost their results and what they were, so it checks before it repeats them;
* ``Stop`` / ``SubagentStop``: when the transcript has just broken (an error the API
  rejects that was not there at the last answer) or the client made up a result, a
  ``systemMessage`` for the user with the way out;
* ``PreCompact``: a ``systemMessage`` when a call without its result is about to be
  summarised away.

The transcript is checked through the result cache (:mod:`inspector.batch`): a session
that only grew is read from where the last check left it. Plain, Textual-free domain
code: the command line only reads stdin and prints.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import orjson

from inspector.batch import FileChecker
from inspector.cache import path_key, replace_atomically
from inspector.core.safe_text import one_line

SESSION_START: Final = "SessionStart"
STOP: Final = "Stop"
SUBAGENT_STOP: Final = "SubagentStop"
PRE_COMPACT: Final = "PreCompact"
EVENTS: Final = (SESSION_START, STOP, SUBAGENT_STOP, PRE_COMPACT)
_LOST_STEPS = {"dropped_call", "dropped_repeat", "faked_result"}
"""Resume steps after which the model no longer has a call's real result."""
_MADE_UP = "MADEUP"
STATE_FOLDER: Final = "hooks-1"
"""In the cache folder: what each session's hook has told the user already."""
_LISTED = 8
"""Calls named one by one in a message; the rest are counted."""


@dataclass(frozen=True, slots=True)
class HookInput:
    event: str
    transcript: Path
    session_id: str | None
    source: str | None

    @classmethod
    def parse(cls, data: bytes) -> HookInput | None:
        """The hook input, or None when it is not one this command answers."""
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(value, dict):
            return None
        event, path = value.get("hook_event_name"), value.get("transcript_path")
        if event not in EVENTS or not isinstance(path, str) or not path:
            return None
        session = value.get("session_id")
        source = value.get("source")
        return cls(
            event,
            Path(path).expanduser(),
            session if isinstance(session, str) else None,
            source if isinstance(source, str) else None,
        )


@dataclass(frozen=True, slots=True)
class HookAnswer:
    context: str | None = None
    """Added to what the model reads (``SessionStart`` only)."""
    message: str | None = None
    """Shown to the user."""

    def wire(self, event: str) -> dict[str, Any]:
        answer: dict[str, Any] = {}
        if self.context is not None:
            answer["hookSpecificOutput"] = {
                "hookEventName": event,
                "additionalContext": self.context,
            }
        if self.message is not None:
            answer["systemMessage"] = self.message
        return answer


def answer(hook: HookInput, checker: FileChecker, state_folder: Path | None) -> HookAnswer | None:
    """What to tell Claude Code (None: nothing to say), the transcript checked through
    ``checker`` (the result cache)."""
    result = checker.check(hook.transcript).result
    return None if result is None else answer_from(hook, result, state_folder)


def answer_from(
    hook: HookInput, result: dict[str, Any], state_folder: Path | None
) -> HookAnswer | None:
    """What to tell Claude Code, from the transcript's ``check --json`` result (its
    ``resume`` is only read on a resume)."""
    if hook.event == SESSION_START:
        return _on_resume(result) if hook.source == "resume" else None
    if hook.event == PRE_COMPACT:
        return _before_compaction(result)
    return _on_stop(hook, result, state_folder)


def needs_resume_preview(hook: HookInput) -> bool:
    return hook.event == SESSION_START and hook.source == "resume"


def _on_resume(result: dict[str, Any]) -> HookAnswer | None:
    resume = result.get("resume") or {}
    lost = [step for step in resume.get("steps", []) if step["action"] in _LOST_STEPS]
    if not lost:
        return None
    client = result.get("client") or {}
    who = f"{client.get('label', 'The client')} {client.get('version', '')}".strip()
    lines = [
        f"Note from agent-session-inspector: as this session was resumed, {who} removed "
        f"the real results of {len(lost)} earlier tool call(s) from the history (their "
        "results were missing from the transcript). You did run them, but you do not "
        "know what they returned. Before you rely on their effect or run them again "
        "(they may not be safe to repeat), check their outcome:"
    ]
    for step in lost[:_LISTED]:
        lines.append(f"- {_call(step)} (transcript line {step['line']})")
    if len(lost) > _LISTED:
        lines.append(f"- and {len(lost) - _LISTED} more")
    return HookAnswer(context="\n".join(lines))


def _before_compaction(result: dict[str, Any]) -> HookAnswer | None:
    missing = [
        finding
        for finding in result["findings"]
        if finding["severity"] == "error" and finding["rule"] == "R1"
    ]
    if not missing:
        return None
    ids = [tool_id for finding in missing for tool_id in finding["ids"]]
    return HookAnswer(
        message=f"inspector: compaction will summarise {len(ids)} tool call(s) whose result "
        f"is missing ({_ids(ids)}): what they did will be lost for good. "
        f"`inspector check {shlex.quote(result['path'])}` shows them."
    )


def _on_stop(
    hook: HookInput, result: dict[str, Any], state_folder: Path | None
) -> HookAnswer | None:
    findings = result["findings"]
    keys = {_finding_key(f) for f in findings if f["severity"] == "error" or f["rule"] == _MADE_UP}
    told = _told(state_folder, hook.transcript)
    new = [f for f in findings if _finding_key(f) in keys - told]
    _remember(state_folder, hook.transcript, keys)
    if not new:
        return None
    path = shlex.quote(result["path"])
    parts: list[str] = []
    errors = [f for f in new if f["severity"] == "error"]
    if errors:
        first = errors[0]
        text = (
            f"this session just broke: {first['rule']} at line {first['line']}: "
            f"{one_line(first['text'], 160)}"
        )
        if len(errors) > 1:
            text += f" (and {len(errors) - 1} more)"
        text += f". The next request may fail with HTTP 400. Fix: `inspector repair {path}`"
        if hook.session_id:
            text += f" and resume the new session, or `claude --resume {hook.session_id}`"
            text += " (it heals some of this, silently)"
        parts.append(text + ".")
    made_up = [f for f in new if f["rule"] == _MADE_UP]
    if made_up:
        parts.append(
            f"Claude Code made up {len(made_up)} tool result(s) (first at line "
            f"{made_up[0]['line']}): the model was not given what the call returned. "
            f"`inspector check {path}` shows which."
        )
    return HookAnswer(message="inspector: " + " ".join(parts))


def _call(step: dict[str, Any]) -> str:
    tool = step.get("tool") or "a tool call"
    summary = step.get("input")
    return one_line(f"{tool} {summary}" if summary else tool, 160)


def _ids(ids: list[str]) -> str:
    shown = ", ".join(ids[:_LISTED])
    return shown + (f" and {len(ids) - _LISTED} more" if len(ids) > _LISTED else "")


def _finding_key(finding: dict[str, Any]) -> str:
    return f"{finding['rule']}:{','.join(finding['ids'])}:{finding['line']}"


def _state_path(folder: Path, transcript: Path) -> Path:
    return folder / (path_key(transcript) + ".json")


def _told(folder: Path | None, transcript: Path) -> set[str]:
    """The findings already reported for this transcript."""
    if folder is None:
        return set()
    try:
        told = orjson.loads(_state_path(folder, transcript).read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return set()
    return {key for key in told if isinstance(key, str)} if isinstance(told, list) else set()


def _remember(folder: Path | None, transcript: Path, keys: set[str]) -> None:
    if folder is None:
        return
    with contextlib.suppress(OSError):  # not remembered: said again next time
        replace_atomically(_state_path(folder, transcript), [orjson.dumps(sorted(keys))])

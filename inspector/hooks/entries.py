"""Our entries in Claude Code's ``hooks`` setting: what they are, how they are found.

Claude Code's format (its settings documentation): ``{"hooks": {EVENT: [GROUP, ...]}}``,
each group ``{"matcher": ..., "hooks": [{"type": "command", "command": ..., "timeout":
seconds}]}``; ``matcher`` is left out where it would match everything (``Stop`` and
``SubagentStop`` take none; ``PreCompact`` matches ``manual`` and ``auto``, and we want
both). Each event gets one group of its own, appended after the user's.

Ours are recognised by their command alone (no extra key, which Claude Code does not
document): ``<inspector> hook`` where ``<inspector>`` is a program named ``inspector``
(``inspector.exe``), or ``<python> -m inspector hook``. A user's hook that runs anything
else, even ``inspector check``, is never touched.
"""

from __future__ import annotations

import copy
import os
import re
import shlex
import sys
from pathlib import Path
from typing import Any, Final, Literal

from inspector.hooks.document import SettingsRefused, same

EVENTS: Final = (
    ("SessionStart", "resume"),
    ("Stop", None),
    ("SubagentStop", None),
    ("PreCompact", None),
)
"""Each event our hook answers, with the matcher it is installed under (None: every one)."""
TIMEOUT: Final = 60
"""Seconds Claude Code gives the hook (its own default); the hook itself takes milliseconds."""

State = Literal["installed", "outdated", "missing"]
"""Per event: our entry as this inspector writes it; ours but another command (an older
install, another environment) or shape; or none of ours."""


def hook_command(executable: str | None = None) -> str:
    """How Claude Code should start this inspector's ``hook``, shell-quoted: the
    ``inspector`` script beside the running interpreter (a venv's or pipx's ``bin``), else
    ``<interpreter> -m inspector``. Not an ``inspector`` found on ``PATH``: an unrelated
    package of that name exists."""
    python = Path(os.path.abspath(executable or sys.executable))
    script = python.parent / ("inspector.exe" if os.name == "nt" else "inspector")
    if script.is_file() and os.access(script, os.X_OK):
        return f"{shlex.quote(str(script))} hook"
    return f"{shlex.quote(str(python))} -m inspector hook"


def is_ours(command: object) -> bool:
    """Whether a hook command runs an inspector's ``hook``."""
    if not isinstance(command, str):
        return False
    try:
        words = shlex.split(command)
    except ValueError:
        return False
    if len(words) == 2 and words[1] == "hook":
        return re.split(r"[\\/]", words[0])[-1] in ("inspector", "inspector.exe")
    return len(words) == 4 and words[1:] == ["-m", "inspector", "hook"]


def our_group(matcher: str | None, command: str) -> dict[str, Any]:
    group: dict[str, Any] = {} if matcher is None else {"matcher": matcher}
    group["hooks"] = [{"type": "command", "command": command, "timeout": TIMEOUT}]
    return group


def states(settings: dict[str, Any], command: str) -> dict[str, State]:
    """What each of our events has (a ``hooks`` that is not an object has none)."""
    hooks = settings.get("hooks")
    found: dict[str, State] = {}
    for event, matcher in EVENTS:
        groups = hooks.get(event) if isinstance(hooks, dict) else None
        groups = groups if isinstance(groups, list) else []
        ours = [group for group in groups if _our_hooks(group)]
        if not ours:
            found[event] = "missing"
        elif len(ours) == 1 and same(ours[0], our_group(matcher, command)):
            found[event] = "installed"
        else:
            found[event] = "outdated"
    return found


def with_ours(
    settings: dict[str, Any], command: str, what: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """``settings`` with our entry for each event (a copy) and what changed per event
    (``added`` / ``updated``). An entry already there is updated where it stands; several,
    or ours inside a user's group, are removed and one group appended."""
    result = copy.deepcopy(settings)
    hooks = result.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise SettingsRefused(f'{what}: "hooks" is not an object; nothing was changed')
    changes: dict[str, str] = {}
    for event, matcher in EVENTS:
        wanted = our_group(matcher, command)
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise SettingsRefused(f'{what}: "hooks.{event}" is not an array; nothing was changed')
        places = [index for index, group in enumerate(groups) if _our_hooks(group)]
        if len(places) == 1 and _only_ours(groups[places[0]]):
            if not same(groups[places[0]], wanted):
                groups[places[0]] = wanted
                changes[event] = "updated"
            continue
        if places:
            groups[:] = _without_ours(groups)
        groups.append(wanted)
        changes[event] = "updated" if places else "added"
    return result, changes


def without_ours(settings: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``settings`` without any hook of ours (a copy), and the events that had one.
    A group, an event or ``hooks`` left empty by the removal goes too."""
    result = copy.deepcopy(settings)
    hooks = result.get("hooks")
    if not isinstance(hooks, dict):
        return result, []
    removed: list[str] = []
    for event in list(hooks):
        groups = hooks[event]
        if not isinstance(groups, list) or not any(_our_hooks(group) for group in groups):
            continue
        removed.append(event)
        kept = _without_ours(groups)
        if kept:
            hooks[event] = kept
        else:
            del hooks[event]
    if removed and not hooks:
        del result["hooks"]
    return result, removed


def pruned(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` without empty event arrays in ``hooks``, nor a ``hooks`` left empty:
    compared so, a file as it was before the install (an empty ``Stop`` of the user's)
    is found again after :func:`without_ours` removed the containers ours left empty."""
    hooks = settings.get("hooks")
    if not isinstance(hooks, dict):
        return settings
    kept = {event: groups for event, groups in hooks.items() if groups != []}
    result = {**settings, "hooks": kept}
    if not kept:
        del result["hooks"]
    return result


def _without_ours(groups: list[Any]) -> list[Any]:
    kept: list[Any] = []
    for group in groups:
        if not _our_hooks(group):
            kept.append(group)
            continue
        theirs = [hook for hook in _hooks_of(group) if not _is_our_hook(hook)]
        if theirs:
            kept.append({**group, "hooks": theirs})
    return kept


def _hooks_of(group: object) -> list[Any]:
    hooks = group.get("hooks") if isinstance(group, dict) else None
    return hooks if isinstance(hooks, list) else []


def _our_hooks(group: object) -> bool:
    return any(_is_our_hook(hook) for hook in _hooks_of(group))


def _only_ours(group: object) -> bool:
    hooks = _hooks_of(group)
    return bool(hooks) and all(_is_our_hook(hook) for hook in hooks)


def _is_our_hook(hook: object) -> bool:
    return isinstance(hook, dict) and is_ours(hook.get("command"))

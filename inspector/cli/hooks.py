"""``inspector hooks install | uninstall | status``: print what changed, or would.

Exit codes: install / uninstall 0 done (or nothing to do, or a dry run), 2 refused (one
line on stderr; nothing was changed); status 0 installed on every event, 1 not (or not
as this inspector writes it), 2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path
from typing import TextIO

import orjson

from inspector.core.json_out import path_text
from inspector.core.safe_text import escaped, printable
from inspector.hooks.document import SettingsRefused
from inspector.hooks.entries import EVENTS, hook_command
from inspector.hooks.settings import (
    Change,
    Scope,
    apply,
    plan_install,
    plan_uninstall,
    settings_path,
    status,
)

EXIT_OK = 0
EXIT_NOT_INSTALLED = 1
EXIT_ERROR = 2
_MATCHERS = dict(EVENTS)


def run_hooks(
    options: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    stream = out or sys.stdout
    errors = err or sys.stderr
    path = settings_path(Scope(options.scope))
    command = hook_command()
    try:
        if options.action == "status":
            return _status(stream, path, command, as_json=options.json)
        change = (
            plan_install(path, command) if options.action == "install" else plan_uninstall(path)
        )
        if options.dry_run:
            _report(stream, change, None, options.action, dry_run=True)
            _diff(stream, change)
            return EXIT_OK
        backup = apply(change)
    except SettingsRefused as error:
        reason = str(error)
    except Exception as error:  # never a traceback
        reason = f"{path}: internal error: {error!r}; nothing was changed"
    else:
        _report(stream, change, backup, options.action, dry_run=False)
        return EXIT_OK
    if getattr(options, "json", False):
        stream.write(orjson.dumps({"path": path_text(path), "error": reason}).decode() + "\n")
    print(f"inspector hooks: {escaped(reason)}", file=errors)
    return EXIT_ERROR


def _status(stream: TextIO, path: Path, command: str, *, as_json: bool) -> int:
    found = status(path, command)
    installed = all(state == "installed" for state in found.values())
    if as_json:
        record = {"path": path_text(path), "installed": installed, "events": found}
        stream.write(orjson.dumps({**record, "command": command}).decode() + "\n")
    else:
        verdict = "installed" if installed else "not installed"
        stream.write(f"{escaped(str(path))}: inspector hooks {verdict}\n")
        for event, state in found.items():
            stream.write(f"  {_event(event):<24}{state}\n")
        stream.write(f"  command: {escaped(command)}\n")
    return EXIT_OK if installed else EXIT_NOT_INSTALLED


def _report(
    stream: TextIO, change: Change, backup: Path | None, action: str, *, dry_run: bool
) -> None:
    where = escaped(str(change.file.path))
    if not change.changes:
        done = "already installed in" if action == "install" else "none in"
        stream.write(f"inspector hooks: {done} {where}; nothing to change\n")
        return
    events = ", ".join(f"{_event(event)} {what}" for event, what in change.events.items())
    prefix = "would change" if dry_run else "changed"
    stream.write(f"inspector hooks: {prefix} {where}: {events}\n")
    if change.file.data is None:
        stream.write("  the file is new\n")
    if change.after is None:
        stream.write("  the file held only our hooks and is removed\n")
    if change.restores is not None:
        stream.write(f"  its bytes become those of {escaped(str(change.restores))}\n")
    if backup is not None:
        stream.write(f"  backup of the file as it was: {escaped(str(backup))}\n")


def _diff(stream: TextIO, change: Change) -> None:
    before = (change.file.data or b"").decode("utf-8", "replace").splitlines()
    after = (change.after or b"").decode("utf-8", "replace").splitlines()
    name = str(change.file.path)
    for line in difflib.unified_diff(before, after, name, name, lineterm=""):
        stream.write(printable(line) + "\n")


def _event(event: str) -> str:
    matcher = _MATCHERS.get(event)
    return f"{event} ({matcher})" if matcher else event

"""Installing our hooks into a Claude Code ``settings.json``, and taking them out again.

:func:`plan_install` / :func:`plan_uninstall` read the file and say what would change
(nothing is written); :func:`apply` writes it, safely:

* refused with one line (:class:`SettingsRefused`), nothing changed: a file we cannot read
  whole and write back (:mod:`inspector.hooks.document`), a ``hooks`` that is not an
  object, a file or folder that is read-only (no write permission bit, or no access);
* a backup of the file's exact bytes first (``settings.json.<UTC stamp>.bak`` beside it;
  an existing backup holding the same bytes is used instead of a second copy);
* then a temporary file beside it, renamed over it (atomic), with the file's mode; the
  file is read again just before and the write refused if it changed meanwhile.

A link is followed: the file it points to is written, the link stays. A missing file is
created (with its folders). Uninstalling restores the exact bytes of the newest backup
that holds what is left once ours are gone (the file as it was before the install, when
the user did not change it since); with no such backup, what is left is written in the
file's style, and a file left as ``{}`` with no backup (we created it) is removed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from inspector.agents.claude_code.layout import config_root
from inspector.core.os_errors import describe_failure
from inspector.core.safe_read import read_whole
from inspector.hooks.document import (
    NEW_FILE_STYLE,
    SIZE_LIMIT,
    SettingsRefused,
    Style,
    parse,
    render,
    same,
)
from inspector.hooks.entries import State, pruned, states, with_ours, without_ours
from inspector.rewrite.safe_write import StagedFile, backups_of, existing_backup, write_backup

BACKUPS_COMPARED = 50
"""Backups read (newest first) when looking for the one an uninstall restores."""


class Scope(StrEnum):
    USER = "user"
    PROJECT = "project"


def settings_path(
    scope: Scope, *, cwd: Path | None = None, environ: dict[str, str] | None = None
) -> Path:
    """``$CLAUDE_CONFIG_DIR/settings.json`` (else ``~/.claude/``) for the user; the
    project's ``.claude/settings.json`` under ``cwd``."""
    if scope is Scope.USER:
        return config_root(environ=environ) / "settings.json"
    return (cwd or Path.cwd()) / ".claude" / "settings.json"


@dataclass(frozen=True, slots=True)
class SettingsFile:
    path: Path
    """As named (what messages show)."""
    target: Path
    """What is read and written: ``path`` with links followed."""
    data: bytes | None
    """The exact bytes; None: there is no file."""
    value: dict[str, Any]
    style: Style


@dataclass(frozen=True, slots=True)
class Change:
    file: SettingsFile
    after: bytes | None
    """The new bytes; None: the file is removed (or stays absent)."""
    events: dict[str, str] = field(default_factory=dict)
    """Per event: ``added``, ``updated`` or ``removed``."""
    restores: Path | None = None
    """The backup whose bytes ``after`` is."""

    @property
    def changes(self) -> bool:
        return self.after != self.file.data


def read_settings(path: Path) -> SettingsFile:
    target = Path(os.path.realpath(path))
    try:
        data, _ = read_whole(target, SIZE_LIMIT)
    except FileNotFoundError:
        if os.path.lexists(path) and not os.path.exists(path):
            raise SettingsRefused(f"{path}: a link to a file that does not exist") from None
        return SettingsFile(path, target, None, {}, NEW_FILE_STYLE)
    except OSError as error:
        raise SettingsRefused(describe_failure(error, path)) from None
    value, style = parse(data, str(path))
    return SettingsFile(path, target, data, value, style)


def status(path: Path, command: str) -> dict[str, State]:
    return states(read_settings(path).value, command)


def plan_install(path: Path, command: str) -> Change:
    file = read_settings(path)
    value, events = with_ours(file.value, command, str(path))
    after = render(value, file.style) if events else file.data
    return Change(file, after, events)


def plan_uninstall(path: Path) -> Change:
    file = read_settings(path)
    value, removed = without_ours(file.value)
    if not removed:
        return Change(file, file.data)
    events = dict.fromkeys(removed, "removed")
    backup = _backup_holding(file.target, value)
    if backup is not None:
        return Change(file, backup[1], events, restores=backup[0])
    after = None if same(value, {}) else render(value, file.style)
    return Change(file, after, events)


def apply(change: Change) -> Path | None:
    """Write ``change``; return the backup of the file as it was (None: no change, or a
    file that held only our entries and is removed). Raises SettingsRefused."""
    if not change.changes:
        return None
    file = change.file
    try:
        _refuse_read_only(file)
        if file.data is None:
            file.target.parent.mkdir(parents=True, exist_ok=True)
        backup = None
        if file.data is not None and change.after is not None:
            backup = existing_backup(file.target, file.data) or write_backup(file.target, file.data)
        _refuse_changed(file)
        if change.after is None:
            os.unlink(file.target)  # it held our entries and nothing else
            return None
        like = file.target if file.data is not None else None
        with StagedFile(file.target, like=like) as staged:
            staged.write(change.after)
            staged.commit(replace=file.data is not None)
    except FileExistsError:
        raise SettingsRefused(f"{file.path}: created meanwhile; nothing was changed") from None
    except OSError as error:
        raise SettingsRefused(describe_failure(error, file.path)) from None
    return backup


def _refuse_read_only(file: SettingsFile) -> None:
    if file.data is not None:
        _refuse_if_read_only(file.target, "the file", file.path)
    folder = file.target.parent
    while not os.path.exists(folder) and folder.parent != folder:
        folder = folder.parent
    _refuse_if_read_only(folder, "its folder", file.path)


def _refuse_if_read_only(path: Path, what: str, named: Path) -> None:
    """Write permission bits are the user's say, even for root (whom access() lets by)."""
    mode = os.stat(path).st_mode
    if not stat.S_IMODE(mode) & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(
        path, os.W_OK
    ):
        raise SettingsRefused(f"{named}: {what} is read-only; nothing was changed")


def _refuse_changed(file: SettingsFile) -> None:
    try:
        now: bytes | None = read_whole(file.target, SIZE_LIMIT)[0]
    except FileNotFoundError:
        now = None
    if now != file.data:
        raise SettingsRefused(f"{file.path}: changed while we were writing it; try again")


def _backup_holding(target: Path, value: dict[str, Any]) -> tuple[Path, bytes] | None:
    """The newest backup of ``target`` that holds ``value`` (key order included), empty
    hook containers aside (:func:`~inspector.hooks.entries.pruned`)."""
    for backup in backups_of(target)[:BACKUPS_COMPARED]:
        try:
            data, _ = read_whole(backup, SIZE_LIMIT)
            held, _ = parse(data, str(backup))
        except (OSError, SettingsRefused):
            continue
        if same(pruned(held), pruned(value)):
            return backup, data
    return None

"""Names and folders a rewrite touches: ids read from files become path parts only when
they are plain ids, and folders are walked without following symbolic links."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from inspector.core.fields import is_safe_id
from inspector.rewrite.safe_write import BACKUP_SUFFIX, TEMP_SUFFIX


def safe_path_part(value: object) -> str | None:
    """``value`` when it may name a file or folder (a plain id: letters, digits, ``_``,
    ``-``), else None. Ids read from a file (``sessionId``, ``agentId``) go through this
    before they become part of a path: ``/etc`` or ``../..`` must never steer one."""
    return value if is_safe_id(value) else None


def regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not a symbolic link to one)."""
    return _lstat_is(path, stat.S_ISREG)


def real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder itself (not a symbolic link to one)."""
    return _lstat_is(path, stat.S_ISDIR)


def _lstat_is(path: Path, kind: Callable[[int], bool]) -> bool:
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False


def _scratch(name: str) -> bool:
    """A backup or a temporary file or folder of ours: never copied."""
    return name.endswith((BACKUP_SUFFIX, TEMP_SUFFIX))


def _raise(error: OSError) -> None:
    raise error


def folder_files(folder: Path) -> list[tuple[Path, Path]]:
    """``(path, path relative to folder)`` of the regular files under ``folder``, sorted.

    Symbolic links (to files or folders) are neither copied nor followed, backups and
    temporary files are skipped, and a folder that cannot be read raises OSError (a
    copy that silently misses files would lose them). No files when ``folder`` is not a
    folder itself.
    """
    if not real_folder(folder):
        return []
    found: list[tuple[Path, Path]] = []
    for top, folders, names in os.walk(folder, onerror=_raise, followlinks=False):
        here = Path(top)
        # os.walk does not go into symbolic links to folders (followlinks=False)
        folders[:] = [name for name in folders if not _scratch(name)]
        for name in names:
            path = here / name
            if not _scratch(name) and regular_file(path):
                found.append((path, path.relative_to(folder)))
    return sorted(found, key=lambda pair: pair[1])

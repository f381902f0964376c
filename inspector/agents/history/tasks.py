"""Where a rewritten Roo Code / Cline history goes: a new task folder beside the
original task (its other files copied byte for byte), or, for a history that is not in a
task folder, ``<stem>.rewound.json`` / ``<stem>.repaired.json`` beside it."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Final

from inspector.rewrite.folders import folder_files, regular_file
from inspector.rewrite.plan import Action, RewriteFailed, SidecarFile, new_session_id

HISTORY_FILE: Final = "api_conversation_history.json"
TASK_MARKERS: Final = ("ui_messages.json", "task_metadata.json")
"""Files beside the history that make its folder a Roo Code / Cline task folder."""
TASK_FILE_LIMIT: Final = 256 << 20
"""The largest file of a task copied into a new task."""
CLINE_SESSION_SUFFIX: Final = ".messages.json"


def task_id(folder: Path) -> str:
    """A new task id in the style of ``folder``'s (Cline: milliseconds; else a uuid)."""
    if folder.name.isdigit():
        stamp = int(time.time() * 1000)
        while (folder.parent / str(stamp)).exists():
            stamp += 1
        return str(stamp)
    return new_session_id()


def task_folder(history: Path) -> bool:
    """Whether ``history`` sits in a Roo Code / Cline task folder, which a new task copies:
    ``tasks/<id>/api_conversation_history.json`` beside ``ui_messages.json`` or
    ``task_metadata.json``, or Cline's ``sessions/<id>/<id>.messages.json``. A file of
    that name anywhere else (a download, a bug report) is not a task: its folder holds
    whatever it holds, and only the history is rewritten."""
    folder = history.parent
    if history.name == HISTORY_FILE:
        return folder.parent.name == "tasks" and any(
            regular_file(folder / name) for name in TASK_MARKERS
        )
    return (
        history.name == f"{folder.name}{CLINE_SESSION_SUFFIX}" and folder.parent.name == "sessions"
    )


def task_files(
    folder: Path, notes: list[str], *, skip: set[str], rename: tuple[str, str] | None = None
) -> list[SidecarFile]:
    """The task's other files, to copy byte for byte: the regular files directly in its
    folder, each at most :data:`TASK_FILE_LIMIT` bytes (not symbolic links, backups or
    temporary files: :func:`inspector.rewrite.folders.folder_files`). Sub-folders (Roo Code's
    ``checkpoints/``, a shadow git repository of the workspace) and bigger files are left
    out, with a note."""
    files: list[SidecarFile] = []
    left_out: list[str] = []
    for path, relative in folder_files(folder):
        if len(relative.parts) > 1:
            if f"{relative.parts[0]}/" not in left_out:
                left_out.append(f"{relative.parts[0]}/")
            continue
        if relative.name in skip:
            continue
        try:
            too_big = os.lstat(path).st_size > TASK_FILE_LIMIT
        except OSError:
            too_big = True
        if too_big:
            left_out.append(relative.name)
            continue
        if rename is not None:
            old, new = rename
            if relative.name.startswith(f"{old}."):
                relative = Path(new + relative.name[len(old) :])
        files.append(SidecarFile(path, relative, False))
    if left_out:
        notes.append(
            f"not copied to the new task (a folder, or over {TASK_FILE_LIMIT >> 20} MiB): "
            + ", ".join(left_out)
        )
    return files


def free_sibling(path: Path, action: Action) -> Path:
    """``<stem>.rewound.json`` / ``<stem>.repaired.json`` beside ``path``, not yet taken."""
    word = "rewound" if action is Action.REWIND else "repaired"
    name = path.name
    if name.endswith(CLINE_SESSION_SUFFIX):
        stem, suffix = name[: -len(CLINE_SESSION_SUFFIX)], CLINE_SESSION_SUFFIX
    else:
        stem, suffix = path.stem, path.suffix
    for attempt in range(1, 1000):
        extra = f"-{attempt}" if attempt > 1 else ""
        candidate = path.with_name(f"{stem}.{word}{extra}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise RewriteFailed(f"no free name for the {word} copy next to {path}")

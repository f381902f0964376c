"""What ``inspector [TARGET] [--demo]`` opens: a session, a picker, or an explanation.

Pure (no Textual): the CLI target is resolved against the file system and the
Claude config root before the app starts, so a missing session becomes a helpful
screen rather than a traceback.
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import inspector
from inspector.agents.claude_code.layout import (
    all_sessions,
    find_session,
    newest_session,
    project_folder_name,
    sessions_in,
)
from inspector.core.agent import SessionFile, newest_first
from inspector.core.os_errors import describe_os_error
from inspector.core.safe_read import file_kind


@dataclass(frozen=True, slots=True)
class NoSession:
    """Why nothing could be opened, and what was looked for."""

    reason: str
    looked_for: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Launch:
    """What the app opens first."""

    session: Path | None = None
    """A transcript to open."""
    scope: Path | None = None
    """The folder the session picker lists (None: every project under the config root)."""
    picker: bool = False
    """Open the session picker first."""
    problem: NoSession | None = None
    demo: Path | None = None
    """The temporary copy of the bundled samples (removed when the app ends)."""


def resolve(target: str | None, *, cwd: Path, root: Path) -> Launch:
    """Decide what to open for a CLI target (see ``inspector --help``)."""
    if target is None:
        found = newest_session(str(cwd), root)
        if found is not None:
            return Launch(session=found.path)
        folder = root / "projects" / project_folder_name(str(cwd))
        return Launch(
            problem=NoSession(
                f"No Claude Code session was found for this directory ({cwd}).",
                [f"{folder}/*.jsonl  (the sessions `claude --continue` would pick from)"],
            )
        )
    path = Path(target).expanduser()
    try:
        mode: int | None = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as error:  # no permission on a folder on the way, a name too long
        return Launch(problem=NoSession(f"Cannot open {target}: {describe_os_error(error)}."))
    if mode is not None and stat.S_ISDIR(mode):
        return _folder(path)
    if mode is not None:
        kind = file_kind(mode)
        if kind is None:  # the picker (s) lists the file's own folder
            return Launch(session=path, scope=path.parent)
        return Launch(problem=NoSession(f"{target} is not a session file: it is {kind}."))
    if "/" not in target and not target.endswith(".jsonl"):
        found_path = find_session(target, root)
        if found_path is not None:
            return Launch(session=found_path)
        return Launch(
            problem=NoSession(
                f"No file or folder named {target!r}, and no session with that id.",
                [str(path.resolve()), f"{root / 'projects'}/*/{target}.jsonl"],
            )
        )
    return Launch(problem=NoSession(f"No such file or folder: {target}", [str(path.resolve())]))


def _folder(folder: Path) -> Launch:
    sessions = sessions_in(folder)
    if sessions:
        return Launch(session=sessions[0].path, scope=folder)
    if sessions_under(folder):
        return Launch(picker=True, scope=folder)
    return Launch(
        problem=NoSession(
            f"The folder {folder} holds no session transcripts.",
            [f"{folder}/*.jsonl", f"{folder}/projects/*/*.jsonl", f"{folder}/*/*.jsonl"],
        )
    )


def sessions_under(folder: Path | None, root: Path | None = None) -> list[SessionFile]:
    """The sessions a picker scoped to ``folder`` lists, newest first.

    ``folder`` may be a project folder, a ``projects`` folder, or a config root;
    None lists every project under ``root``.
    """
    if folder is None:
        return all_sessions(root)
    if (folder / "projects").is_dir():
        return all_sessions(folder)
    found = sessions_in(folder)
    if found:
        return found
    try:
        subfolders = [child for child in folder.iterdir() if child.is_dir()]
    except OSError:
        return []
    found = [session for child in subfolders for session in sessions_in(child)]
    return newest_first(found)


def bundled_samples() -> Path | None:
    """The sample transcripts: inside the package when installed, else in the repository."""
    package = Path(inspector.__file__).resolve().parent
    for candidate in (package / "sample_sessions", package.parent / "sample_sessions"):
        if candidate.is_dir() and any(candidate.glob("*.jsonl")):
            return candidate
    return None


def demo_launch() -> Launch:
    """Copy the bundled samples to a temporary folder and open the picker on the copy."""
    samples = bundled_samples()
    if samples is None:
        return Launch(
            problem=NoSession(
                "The bundled sample sessions are not installed with this copy of inspector.",
                [str(Path(inspector.__file__).resolve().parent / "sample_sessions")],
            )
        )
    temporary = Path(tempfile.mkdtemp(prefix="inspector-demo-"))
    copy = temporary / "sample_sessions"
    shutil.copytree(samples, copy)
    return Launch(picker=True, scope=copy, demo=temporary)

"""Where Claude Code keeps its sessions: config root, projects, sessions, live ones."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Final

import orjson

from inspector.core.agent import SessionFile, is_dir, newest_first
from inspector.core.fields import is_safe_id
from inspector.core.process import may_be_running
from inspector.core.safe_read import SMALL_RECORD_LIMIT, read_whole
from inspector.rewrite.confined import confined_file

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_MAX_FOLDER_LENGTH = 200


LABEL: Final = "Claude Code"
SUBAGENTS: Final = "subagents"
"""The folder of a session's subagent transcripts (2.1.x: ``<session>/subagents/``; 2.0.x
kept them as ``agent-<id>.jsonl`` beside the transcript)."""
SUBAGENT_PREFIX: Final = "agent-"
SUBAGENT_META: Final = ".meta.json"
"""The ending of the metadata file kept beside a subagent's transcript."""


def config_root(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    configured = (os.environ if environ is None else environ).get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else (home or Path.home()) / ".claude"


def project_folder_name(cwd: str) -> str:
    """The folder Claude Code files a cwd's sessions under (long names keep a prefix)."""
    return _NOT_ALNUM.sub("-", cwd)


def project_folder(cwd: str, root: Path | None = None) -> Path | None:
    """The existing project folder for ``cwd``, if Claude Code made one."""
    projects = (root or config_root()) / "projects"
    name = project_folder_name(cwd)
    exact = projects / name
    if is_dir(exact):
        return exact
    if len(name) > _MAX_FOLDER_LENGTH and is_dir(projects):
        prefix = name[:_MAX_FOLDER_LENGTH]
        return next((p for p in sorted(projects.iterdir()) if p.name.startswith(prefix)), None)
    return None


def is_subagent_file(path: Path) -> bool:
    return path.name.startswith(SUBAGENT_PREFIX) or path.parent.name == SUBAGENTS


def subagent_file(agent_id: str, suffix: str = ".jsonl") -> str:
    """The name of a subagent's transcript (``agent-<id>.jsonl``), or of its metadata."""
    return f"{SUBAGENT_PREFIX}{agent_id}{suffix}"


def subagent_meta(transcript: Path) -> Path:
    """The metadata file beside a subagent's transcript."""
    return transcript.with_name(transcript.name.removesuffix(".jsonl") + SUBAGENT_META)


def subagent_folders(transcript: Path, session_id: str | None) -> list[Path]:
    """Where a session's subagent transcripts are stored in the 2.1.x layout: below the
    folder named after the transcript, or after its session id (safe ids only)."""
    base = transcript.parent
    folders = [base / transcript.stem / SUBAGENTS]
    if is_safe_id(session_id) and session_id != transcript.stem:
        folders.insert(0, base / session_id / SUBAGENTS)
    return folders


def subagent_path(transcript: Path, session_id: str | None, agent_id: str) -> Path | None:
    """Find a subagent's transcript in the 2.1.x or 2.0.x layout (safe ids only; a regular
    file below the transcript's folder, reached through no symbolic link)."""
    if not is_safe_id(agent_id):
        return None
    folder = transcript.parent
    name = subagent_file(agent_id)
    candidates = [sub / name for sub in subagent_folders(transcript, session_id)]
    candidates.append(folder / name)
    return next((c for c in candidates if confined_file(folder, c)), None)


def watches(session: Path, session_id: str | None, changed: Path) -> bool:
    """Whether a change may change the session: the transcript, a 2.0.x subagent file
    beside it, or any transcript below the session's own folder."""
    if changed == session:
        return True
    if changed.suffix != ".jsonl":
        return False
    folder = session.parent
    if changed.parent == folder:
        return changed.name.startswith(SUBAGENT_PREFIX)
    names = {session.stem}
    if session_id:
        names.add(session_id)
    try:
        relative = changed.relative_to(folder)
    except ValueError:
        return False
    return relative.parts[0] in names


def sessions_in(folder: Path) -> list[SessionFile]:
    """The main session transcripts of one project folder, newest first."""
    found: list[SessionFile] = []
    try:
        candidates = list(folder.glob("*.jsonl"))
    except OSError:
        return found
    for path in candidates:
        if is_subagent_file(path):
            continue
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append(SessionFile(path, folder.name, path.stem, stat.st_size, stat.st_mtime, LABEL))
    return newest_first(found)


def all_sessions(root: Path | None = None) -> list[SessionFile]:
    """Every main session of every project under the config root, newest first."""
    projects = (root or config_root()) / "projects"
    if not is_dir(projects):
        return []
    found = [s for folder in projects.iterdir() if is_dir(folder) for s in sessions_in(folder)]
    return newest_first(found)


def newest_session(cwd: str, root: Path | None = None) -> SessionFile | None:
    """The session ``claude --continue`` would pick in ``cwd``: the newest by mtime."""
    folder = project_folder(cwd, root)
    if folder is None:
        return None
    sessions = sessions_in(folder)
    return sessions[0] if sessions else None


def find_session(session_id: str, root: Path | None = None) -> Path | None:
    """A session transcript by id, in any project."""
    projects = (root or config_root()) / "projects"
    if not is_dir(projects):
        return None
    return next(iter(sorted(projects.glob(f"*/{session_id}.jsonl"))), None)


def transcript_files(path: Path) -> tuple[list[Path], list[OSError]]:
    """The transcripts a path names: the file itself, or every ``.jsonl`` name below a
    folder that is not a folder (links to folders are not followed; the caller checks
    that each is a regular file) — and the folders that could not be listed."""
    if not is_dir(path):
        return [path], []
    found: list[Path] = []
    unreadable: list[OSError] = []
    for folder, _, names in os.walk(path, onerror=unreadable.append):
        found.extend(Path(folder, name) for name in names if name.endswith(".jsonl"))
    return sorted(found), unreadable


UNKNOWN_PID: Final = 0
"""In :func:`live_session_ids`: a record names the session but no pid we can read."""
_PID_MAX = 2**31 - 1


def live_session_ids(root: Path | None = None) -> dict[str, int]:
    """session id → pid, for sessions a running Claude Code process has open."""
    folder = (root or config_root()) / "sessions"
    live: dict[str, int] = {}
    try:
        records = list(folder.glob("*.json"))
    except OSError:
        return live
    for record in records:
        try:  # a FIFO or a device here is skipped, not waited on
            value = orjson.loads(read_whole(record, SMALL_RECORD_LIMIT)[0])
        except (OSError, orjson.JSONDecodeError):
            continue
        if not isinstance(value, dict):
            continue
        pid, session_id = record_pid(value.get("pid")), value.get("sessionId")
        if isinstance(session_id, str) and (pid == UNKNOWN_PID or may_be_running(pid)):
            live[session_id] = pid
    return live


def record_pid(value: object) -> int:
    """The pid a sessions record holds: an int, an integral float or a digit string (how
    another writer may store it). UNKNOWN_PID when it holds none we can read: the session
    then counts as live, since a guard that cannot tell must refuse."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        digits = value.strip()
        value = int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 12 else None
    if type(value) is int and 0 < value <= _PID_MAX:
        return value
    return UNKNOWN_PID


def describe_pid(pid: int) -> str:
    return "pid unknown" if pid == UNKNOWN_PID else f"pid {pid}"


def config_roots_for(path: Path) -> list[Path]:
    """Config roots that may list a transcript's session: the configured one, and the
    root the file sits under (``<root>/projects/<folder>/<id>.jsonl``)."""
    roots = [config_root()]
    parent = path.resolve().parent
    if parent.parent.name == "projects":
        inferred = parent.parent.parent
        if inferred not in roots:
            roots.append(inferred)
    return roots


def open_reason(session_ids: Iterable[str], roots: Iterable[Path]) -> str | None:
    """Why one of the sessions is open in Claude Code (a running process lists it under
    one of the config roots), or None."""
    wanted = {session_id for session_id in session_ids if session_id}
    for root in roots:
        live = live_session_ids(root)
        for session_id in sorted(wanted):
            if session_id in live:
                pid = describe_pid(live[session_id])
                return (
                    f"session {session_id} is open in Claude Code ({pid}, "
                    f"listed in {root / 'sessions'})"
                )
    return None


def iter_subagent_files(transcript: Path, session_id: str | None) -> Iterator[Path]:
    """Subagent transcripts stored beside a session (2.1.x and 2.0.x layouts): regular
    files below the transcript's folder, reached through no symbolic link."""
    base = transcript.parent
    for folder in sorted(subagent_folders(transcript, session_id)):
        if is_dir(folder):
            found = sorted(folder.glob(f"{SUBAGENT_PREFIX}*.jsonl"))
            yield from (p for p in found if confined_file(base, p))

"""Where Claude Code keeps its sessions: config root, projects, sessions, live ones."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeGuard

import orjson

from inspector.confined import confined_file

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")
_SAFE_PART = re.compile(r"[A-Za-z0-9_-]{1,128}")
_MAX_FOLDER_LENGTH = 200


@dataclass(frozen=True, slots=True)
class SessionFile:
    """A main session transcript under the config root."""

    path: Path
    project: str
    """The project folder's name (lossy: read ``cwd`` from entries for the real path)."""
    session_id: str
    size: int
    mtime: float
    agent: str = "Claude Code"
    """Who wrote it: Claude Code, Roo Code, Cline or Codex CLI."""


def is_safe_id(value: object) -> TypeGuard[str]:
    """Whether an id read from a file (a sessionId, an agentId) may name a file or folder.

    Ids come from untrusted content: one like ``../..`` or ``/etc`` must never steer a
    path. Claude Code's ids are uuids and short hex strings.
    """
    return isinstance(value, str) and _SAFE_PART.fullmatch(value) is not None


def config_root() -> Path:
    """``$CLAUDE_CONFIG_DIR``, else ``~/.claude``."""
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def project_folder_name(cwd: str) -> str:
    """The folder Claude Code files a cwd's sessions under (long names keep a prefix)."""
    return _NOT_ALNUM.sub("-", cwd)


def project_folder(cwd: str, root: Path | None = None) -> Path | None:
    """The existing project folder for ``cwd``, if Claude Code made one."""
    projects = (root or config_root()) / "projects"
    name = project_folder_name(cwd)
    exact = projects / name
    if exact.is_dir():
        return exact
    if len(name) > _MAX_FOLDER_LENGTH and projects.is_dir():
        prefix = name[:_MAX_FOLDER_LENGTH]
        return next((p for p in sorted(projects.iterdir()) if p.name.startswith(prefix)), None)
    return None


def is_subagent_file(path: Path) -> bool:
    return path.name.startswith("agent-") or path.parent.name == "subagents"


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
        found.append(SessionFile(path, folder.name, path.stem, stat.st_size, stat.st_mtime))
    found.sort(key=lambda session: session.mtime, reverse=True)
    return found


def all_sessions(root: Path | None = None) -> list[SessionFile]:
    """Every main session of every project under the config root, newest first."""
    projects = (root or config_root()) / "projects"
    if not projects.is_dir():
        return []
    found = [s for folder in projects.iterdir() if folder.is_dir() for s in sessions_in(folder)]
    found.sort(key=lambda session: session.mtime, reverse=True)
    return found


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
    if not projects.is_dir():
        return None
    return next(iter(sorted(projects.glob(f"*/{session_id}.jsonl"))), None)


def transcript_files(path: Path) -> list[Path]:
    """The transcripts a path names: the file itself, or every .jsonl below a folder."""
    if path.is_dir():
        return sorted(p for p in path.rglob("*.jsonl") if p.is_file())
    return [path]


def live_session_ids(root: Path | None = None) -> dict[str, int]:
    """session id → pid, for sessions a running Claude Code process has open."""
    folder = (root or config_root()) / "sessions"
    live: dict[str, int] = {}
    try:
        records = list(folder.glob("*.json"))
    except OSError:
        return live
    for record in records:
        try:
            value = orjson.loads(record.read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue
        if not isinstance(value, dict):
            continue
        pid, session_id = value.get("pid"), value.get("sessionId")
        if isinstance(pid, int) and isinstance(session_id, str) and pid_alive(pid):
            live[session_id] = pid
    return live


def pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def iter_subagent_files(transcript: Path, session_id: str | None) -> Iterator[Path]:
    """Subagent transcripts stored beside a session (2.1.x and 2.0.x layouts): regular
    files below the transcript's folder, reached through no symbolic link."""
    base = transcript.parent
    folders = {base / transcript.stem / "subagents"}
    if is_safe_id(session_id):
        folders.add(base / session_id / "subagents")
    for folder in sorted(folders):
        if folder.is_dir():
            yield from (p for p in sorted(folder.glob("agent-*.jsonl")) if confined_file(base, p))


# ---------------------------------------------------------------------- other agents

EDITORS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")
"""VS Code-family editors whose global storage may hold Roo Code or Cline tasks."""
EXTENSIONS = {"rooveterinaryinc.roo-cline": "Roo Code", "saoudrizwan.claude-dev": "Cline"}


def editor_storage_roots(
    home: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[Path]:
    """``…/<Editor>/User/globalStorage`` folders on Linux, macOS and Windows."""
    home = home or Path.home()
    env = os.environ if environ is None else environ
    bases = [
        Path(env.get("XDG_CONFIG_HOME") or home / ".config"),
        home / "Library" / "Application Support",
    ]
    if env.get("APPDATA"):
        bases.append(Path(env["APPDATA"]))
    return [base / editor / "User" / "globalStorage" for base in bases for editor in EDITORS]


def codex_sessions_root(home: Path | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """``$CODEX_HOME/sessions``, else ``~/.codex/sessions``."""
    env = os.environ if environ is None else environ
    codex_home = env.get("CODEX_HOME")
    return (Path(codex_home) if codex_home else (home or Path.home()) / ".codex") / "sessions"


def other_agent_sessions(
    home: Path | None = None, environ: Mapping[str, str] | None = None
) -> list[SessionFile]:
    """Roo Code and Cline tasks, Cline ≥ 4 sessions and Codex CLI rollouts, newest first."""
    home = home or Path.home()
    found: list[tuple[Path, str]] = []
    for storage in editor_storage_roots(home, environ):
        for extension, agent in EXTENSIONS.items():
            tasks = storage / extension / "tasks"
            if tasks.is_dir():
                found.extend((p, agent) for p in tasks.glob("*/api_conversation_history.json"))
    cline_sessions = home / ".cline" / "data" / "sessions"
    if cline_sessions.is_dir():
        found.extend((p, "Cline") for p in cline_sessions.glob("*/*.messages.json"))
    codex = codex_sessions_root(home, environ)
    if codex.is_dir():
        found.extend((p, "Codex CLI") for p in codex.rglob("rollout-*.jsonl"))
    sessions: list[SessionFile] = []
    for path, agent in found:
        try:
            stat = path.stat()
        except OSError:
            continue
        # Roo/Cline: the task folder names the task; Codex: the rollout file names it.
        name = path.stem if agent == "Codex CLI" else path.parent.name
        sessions.append(SessionFile(path, agent, name, stat.st_size, stat.st_mtime, agent))
    sessions.sort(key=lambda session: session.mtime, reverse=True)
    return sessions

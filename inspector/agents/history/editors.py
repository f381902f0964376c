"""Where VS Code-family editors keep an extension's data (Roo Code, Cline tasks)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from inspector.agents.history.tasks import HISTORY_FILE
from inspector.core.agent import SessionFile, is_dir, session_files

EDITORS = ("Code", "Code - Insiders", "VSCodium", "Cursor", "Windsurf")
"""VS Code-family editors whose global storage may hold Roo Code or Cline tasks."""


def editor_storage_roots(home: Path, environ: Mapping[str, str]) -> list[Path]:
    """``…/<Editor>/User/globalStorage`` folders on Linux, macOS and Windows."""
    bases = [
        Path(environ.get("XDG_CONFIG_HOME") or home / ".config"),
        home / "Library" / "Application Support",
    ]
    if environ.get("APPDATA"):
        bases.append(Path(environ["APPDATA"]))
    return [base / editor / "User" / "globalStorage" for base in bases for editor in EDITORS]


def extension_tasks(
    extension: str, label: str, home: Path, environ: Mapping[str, str]
) -> list[SessionFile]:
    """An extension's task histories in every editor: ``tasks/<id>/`` names the task."""
    found: list[Path] = []
    for storage in editor_storage_roots(home, environ):
        tasks = storage / extension / "tasks"
        if is_dir(tasks):
            found.extend(tasks.glob(f"*/{HISTORY_FILE}"))
    return session_files(found, label, lambda path: path.parent.name)

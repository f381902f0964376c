"""Where the inspector keeps what it may throw away: the result cache, hook state, the
resident watcher's socket. Standard library only: ``inspector hook`` reads it before
anything else is imported."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Final

APP_FOLDER: Final = "agent-session-inspector"


def cache_root(environ: Mapping[str, str] | None = None, platform: str = sys.platform) -> Path:
    """The inspector's cache folder: ``$INSPECTOR_CACHE_DIR``, else the platform's own
    (``$XDG_CACHE_HOME`` or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS,
    ``%LOCALAPPDATA%`` on Windows) with a folder of ours in it."""
    env = os.environ if environ is None else environ
    if env.get("INSPECTOR_CACHE_DIR"):
        return Path(env["INSPECTOR_CACHE_DIR"]).expanduser()
    if platform == "win32" and env.get("LOCALAPPDATA"):
        return Path(env["LOCALAPPDATA"], APP_FOLDER, "Cache")
    if platform == "darwin":
        return Path.home() / "Library" / "Caches" / APP_FOLDER
    base = env.get("XDG_CACHE_HOME")
    return (Path(base) if base and os.path.isabs(base) else Path.home() / ".cache") / APP_FOLDER

"""``inspector watch``: one JSON line per event of every live session, as it happens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import orjson

from inspector.agents import HOME_AGENT, stored_sessions
from inspector.agents.claude_code.layout import config_root
from inspector.core.safe_text import escaped
from inspector.watch import API_ERROR, BROKE, Watcher, WatchEvent

DISCOVER_EVERY = 5.0
"""Seconds between two looks for new session files."""


def run_watch(
    paths: list[Path],
    *,
    interval: float,
    recent: float,
    idle: float,
    stall: float,
    run_for: float | None,
    exec_command: str | None,
    bell: bool,
    out: TextIO | None = None,
) -> int:
    stream = out or sys.stdout
    watcher = Watcher(
        paths or _every_agents_storage(), recent_within=recent, idle_after=idle, stall_after=stall
    )
    started = time.monotonic()
    next_look = 0.0
    children: list[subprocess.Popen[bytes]] = []
    while run_for is None or time.monotonic() - started < run_for:
        if time.monotonic() >= next_look:
            watcher.discover()
            next_look = time.monotonic() + DISCOVER_EVERY
        for event in watcher.poll():
            _emit(event, stream, exec_command, bell, children)
        children = [child for child in children if child.poll() is None]
        time.sleep(interval)
    return 0


def _every_agents_storage() -> list[Path]:
    """Claude Code's projects folder and the folders other agents keep sessions in."""
    folders = {config_root() / "projects"}
    folders.update(session.path.parent for session in stored_sessions(besides=HOME_AGENT))
    return sorted(folder for folder in folders if folder.is_dir())


def _emit(
    event: WatchEvent,
    stream: TextIO,
    exec_command: str | None,
    bell: bool,
    children: list[subprocess.Popen[bytes]],
) -> None:
    line = orjson.dumps(event.as_dict())
    stream.write(line.decode() + "\n")
    stream.flush()
    if bell and event.kind in (BROKE, API_ERROR):
        sys.stderr.write("\a")
        sys.stderr.flush()
    if exec_command is None:
        return
    env = {**os.environ, "INSPECTOR_EVENT": line.decode(), "INSPECTOR_EVENT_KIND": event.kind}
    try:
        child = subprocess.Popen(exec_command, shell=True, stdin=subprocess.PIPE, env=env)
    except OSError as error:
        print(f"inspector watch: --exec failed: {escaped(str(error))}", file=sys.stderr)
        return
    assert child.stdin is not None
    try:
        child.stdin.write(line + b"\n")
        child.stdin.close()
    except OSError:
        pass  # the command does not read its input
    children.append(child)

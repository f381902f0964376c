"""``inspector watch``: one JSON line per event of every live session, as it happens."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import orjson

from inspector.agents import HOME_AGENT, stored_sessions
from inspector.agents.claude_code.layout import config_root
from inspector.core.safe_text import escaped
from inspector.otlp import OtlpSink, OtlpUnavailable
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
    otlp: OtlpSink | None = None,
) -> int:
    """Watch until ``run_for`` seconds passed (or forever); ``otlp`` gets every event too,
    and is closed (what it holds sent) on the way out, interrupted or not."""
    stream = out or sys.stdout
    watcher = Watcher(
        paths or _every_agents_storage(), recent_within=recent, idle_after=idle, stall_after=stall
    )
    started = time.monotonic()
    next_look = 0.0
    children: list[subprocess.Popen[bytes]] = []
    try:
        while run_for is None or time.monotonic() - started < run_for:
            if time.monotonic() >= next_look:
                watcher.discover()
                next_look = time.monotonic() + DISCOVER_EVERY
            for event in watcher.poll():
                _emit(event, stream, exec_command, bell, children)
                if otlp is not None:
                    otlp.send(event)
            children = [child for child in children if child.poll() is None]
            time.sleep(interval)
    finally:
        if otlp is not None:
            otlp.close()
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


def otlp_sink(url: str) -> OtlpSink | None:
    """The sink for ``--otlp URL``; None (said in one line) without the extra or a URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        print(
            f"inspector watch --otlp: not an http(s) URL: {escaped(url)} "
            "(the collector's OTLP/HTTP base, as http://127.0.0.1:4318)",
            file=sys.stderr,
        )
        return None
    try:
        return OtlpSink(url)
    except OtlpUnavailable as error:
        print(str(error), file=sys.stderr)
        return None

"""``inspector watch``: one JSON line per event of every live session, as it happens."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

import orjson

from inspector.agents import session_folders
from inspector.agents.claude_code.layout import config_root
from inspector.check import report_dict
from inspector.core.cache_folder import cache_root
from inspector.core.safe_text import escaped
from inspector.hooks.resident import HookServer
from inspector.hooks.respond import STATE_FOLDER, HookInput, answer_from, needs_resume_preview
from inspector.otlp import OtlpSink, OtlpUnavailable
from inspector.resume import preview_resume
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
    serve_hooks: bool = True,
    out: TextIO | None = None,
    otlp: OtlpSink | None = None,
) -> int:
    """Watch until ``run_for`` seconds passed (or forever); ``otlp`` gets every event too,
    and is closed (what it holds sent) on the way out, interrupted or not."""
    stream = out or sys.stdout
    watcher = Watcher(
        paths or session_folders(config_root() / "projects"),
        recent_within=recent,
        idle_after=idle,
        stall_after=stall,
    )
    server = HookServer.start() if serve_hooks else None
    started = time.monotonic()
    next_look = 0.0
    children: list[subprocess.Popen[bytes]] = []

    def emit(event: WatchEvent) -> None:
        _emit(event, stream, exec_command, bell, children)
        if otlp is not None:
            otlp.send(event)

    try:
        while run_for is None or time.monotonic() - started < run_for:
            looked = time.monotonic()
            if looked >= next_look:
                watcher.discover()
                next_look = time.monotonic() + DISCOVER_EVERY
            for event in watcher.poll():
                emit(event)
            children[:] = [child for child in children if child.poll() is None]
            rest = max(0.0, interval - (time.monotonic() - looked))  # a slow poll waits less
            if server is None:
                time.sleep(rest)
            elif select.select([server], [], [], rest)[0]:
                server.serve_waiting(partial(_answer_hook, watcher, emit))
    finally:
        if server is not None:
            server.close()
        if otlp is not None:
            otlp.close()
    return 0


def _answer_hook(watcher: Watcher, emit: Callable[[WatchEvent], None], request: bytes) -> bytes:
    """A hook's answer from the session as followed here (``{}``: nothing to say)."""
    try:
        hook = HookInput.parse(request)
        if hook is None:
            return b"{}"
        whole = needs_resume_preview(hook)  # a resume preview is of the whole session
        snapshot, events = watcher.query(hook.transcript, whole=whole)
        for event in events:
            emit(event)
        if snapshot is None:
            return b"{}"
        preview = preview_resume(snapshot.report) if whole else None
        result = report_dict(snapshot.report, preview, snapshot.earlier)
        reply = answer_from(hook, result, cache_root() / STATE_FOLDER)
        return orjson.dumps({} if reply is None else reply.wire(hook.event))
    except Exception as error:  # a hook's question never stops the watch
        print(f"inspector watch: answering a hook: {escaped(repr(error))}", file=sys.stderr)
        return b"{}"


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

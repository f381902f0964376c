"""A running ``inspector watch`` answers ``inspector hook`` (the hook's fast path)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from inspector.core.cache_folder import cache_root
from inspector.hooks import resident
from tests.conftest import REPO, SAMPLES

HEALTHY = (SAMPLES / "healthy-parallel.jsonl").read_bytes()
ORPHAN = (SAMPLES / "orphan-tool-use.jsonl").read_bytes()

pytestmark = pytest.mark.skipif(resident.socket_path() is None, reason="no Unix sockets")


@pytest.fixture
def watching(tmp_path: Path) -> Iterator[Path]:
    """``inspector watch`` on a folder, serving hooks; the folder."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    command = [sys.executable, "-m", "inspector", "watch", str(folder), "--interval", "0.05"]
    watch = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=REPO)
    try:
        socket = cache_root() / resident.SOCKET_NAME
        for _ in range(200):
            if socket.exists():
                break
            time.sleep(0.05)
        assert socket.exists()
        yield folder
    finally:
        watch.terminate()
        watch.wait(timeout=10)


def stop(path: Path, session: str = "s1") -> bytes:
    return orjson.dumps(
        {"hook_event_name": "Stop", "transcript_path": str(path), "session_id": session}
    )


def hook(request: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "hook"],
        input=request,
        capture_output=True,
        cwd=REPO,
        check=False,
    )


def test_the_watcher_answers_and_the_hook_prints_it(watching: Path) -> None:
    path = watching / "session.jsonl"
    path.write_bytes(HEALTHY)
    assert orjson.loads(resident.ask(stop(path)) or b"null") == {}
    path.write_bytes(HEALTHY + ORPHAN)
    done = hook(stop(path))
    assert done.returncode == 0
    answer = orjson.loads(done.stdout)
    assert answer["systemMessage"].startswith("inspector: this session just broke: R1")
    assert resident.ask(stop(path)) == b"{}"  # told once, by whoever answers


def test_a_session_outside_the_watched_folders_is_followed_on_demand(
    watching: Path, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere.jsonl"
    elsewhere.write_bytes(ORPHAN)
    resume = orjson.dumps(
        {"hook_event_name": "SessionStart", "source": "resume", "transcript_path": str(elsewhere)}
    )
    answer = orjson.loads(resident.ask(resume) or b"null")
    assert (
        "Read /home/dev/projects/shop-api/config/import.toml"
        in (answer["hookSpecificOutput"]["additionalContext"])
    )


def test_without_a_watcher_the_hook_answers_alone(tmp_path: Path) -> None:
    assert resident.ask(b"{}") is None
    path = tmp_path / "session.jsonl"
    path.write_bytes(ORPHAN)
    done = hook(stop(path))
    assert done.returncode == 0
    assert b"this session just broke" in done.stdout


def test_a_stale_socket_is_replaced(tmp_path: Path) -> None:
    stale = cache_root() / resident.SOCKET_NAME
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_bytes(b"")  # left by a watcher that died
    server = resident.HookServer.start()
    assert server is not None
    try:
        assert resident.HookServer.start() is None  # one watcher answers, not two
        assert oct(os.stat(stale).st_mode & 0o777) == "0o600"
    finally:
        server.close()
    assert not stale.exists()

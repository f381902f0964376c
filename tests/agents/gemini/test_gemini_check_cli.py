"""`inspector check` on the real Gemini CLI sessions and Gemini bodies: read, counted, green."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

FIXTURES = Path(__file__).parents[2] / "fixtures" / "gemini_cli"
RECORDINGS = REPO.parent / "shared" / "realworld-external" / "opencode-recordings" / "requests"
SESSIONS = {
    "entireio-513fab7adf0b.json": "1 tool call",
    "entireio-9c53780d06b7.json": "4 tool calls",
    "session-2026-01-16T11-01-file-ops-37b7abef.json": "14 tool calls",
}


def check(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "check", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


@pytest.mark.parametrize("name", sorted(SESSIONS))
def test_real_gemini_cli_session_checks_green(name: str) -> None:
    done = check(FIXTURES / name)
    assert done.returncode == 0, done.stderr
    assert f"· {SESSIONS[name]}" in done.stdout
    assert "✓ the API accepts this conversation" in done.stdout


def test_recorded_gemini_bodies_check_green() -> None:
    files = sorted(RECORDINGS.glob("gemini*/*.request.json")) if RECORDINGS.is_dir() else []
    if not files:
        pytest.skip(f"recorded Gemini bodies not found under {RECORDINGS}")
    for path in files:
        done = check(path)
        assert done.returncode == 0, (path, done.stderr)
        assert "· 0 tool calls" in done.stdout

"""Never green on what we cannot read: a format forced with ``--format`` that finds no
line of its kind is exit 2 with one line, and of the real files from outside, the
sidecars that are not conversations are refused while no conversation is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from inspector.check import check_file
from inspector.core.verdict import NotATranscript
from tests.conftest import REPO

SAMPLES = REPO / "sample_sessions"
EXTERNAL = REPO.parent / "shared" / "realworld-external"
SIDECARS = ("metadata.json", "session.json")
"""Entire's checkpoint metadata, Cline SDK's session record: beside a session, not one."""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "inspector", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


@pytest.mark.parametrize("command", ["check", "messages"])
def test_a_claude_code_transcript_forced_as_codex_is_exit_2(command: str) -> None:
    path = SAMPLES / "orphan-tool-use.jsonl"
    done = _run(command, "--format", "codex", str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"inspector: {path}: not a conversation (read as a Codex rollout, no line of one; "
        "the file holds JSON lines that are not session entries)\n"
    )


@pytest.mark.parametrize(
    ("data", "what"), [(b"", "empty file"), (b"[1,2,3]", "a JSON array with no messages")]
)
def test_nothing_forced_as_codex_is_exit_2(tmp_path: Path, data: bytes, what: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(data)
    done = _run("check", "--format", "codex", str(path))
    assert done.returncode == 2
    assert done.stderr.endswith(f"no line of one; the file holds {what})\n")


def _external() -> list[Path]:
    if not EXTERNAL.is_dir():
        return []
    return sorted(p for p in EXTERNAL.rglob("*.json*") if p.suffix in (".json", ".jsonl"))


@pytest.mark.parametrize("path", _external(), ids=lambda p: str(p.relative_to(EXTERNAL)))
def test_a_real_file_is_a_conversation_unless_it_is_a_sidecar(path: Path) -> None:
    if path.name in SIDECARS:
        with pytest.raises(NotATranscript, match="not a conversation"):
            check_file(path)
        return
    report = check_file(path)
    assert report.conversation.messages

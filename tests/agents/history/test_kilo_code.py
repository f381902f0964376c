"""Kilo Code, a fork of Roo Code: the same task files under ``kilocode.kilo-code``,
read as Roo Code's, found in every editor's storage and listed as Kilo Code's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson

from inspector.agents import stored_sessions
from inspector.check import check_file

KILO_TASK = ".config/Code/User/globalStorage/kilocode.kilo-code/tasks/t-kilo"
HISTORY = [
    {"role": "user", "content": [{"type": "text", "text": "<task>read a</task>"}]},
    {
        "role": "assistant",
        "content": [{"type": "tool_use", "id": "toolu_k1", "name": "read_file", "input": {}}],
    },
    {
        "role": "user",
        "content": [{"type": "tool_result", "tool_use_id": "toolu_k1", "content": "a"}],
    },
]


def _kilo_task(home: Path) -> Path:
    task = home / KILO_TASK
    task.mkdir(parents=True)
    path = task / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(HISTORY))
    return path


def test_a_kilo_code_task_is_listed_as_kilo_code(tmp_path: Path) -> None:
    path = _kilo_task(tmp_path)
    found = stored_sessions(tmp_path, {"HOME": str(tmp_path)})
    kilo = [session for session in found if session.path == path]
    assert [(s.agent, s.session_id) for s in kilo] == [("Kilo Code", "t-kilo")]


def test_a_kilo_code_task_is_read_as_roo_code_task_files(tmp_path: Path) -> None:
    report = check_file(_kilo_task(tmp_path))
    assert report.conversation.format == "roo-code"
    assert report.ok
    assert len(report.conversation.messages) == 3


def test_check_with_no_path_checks_kilo_code_tasks(tmp_path: Path) -> None:
    path = _kilo_task(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "check", "--json"],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "HOME": str(tmp_path),
            "CLAUDE_CONFIG_DIR": str(tmp_path / "none"),
            "CODEX_HOME": str(tmp_path / "none"),
            "XDG_CONFIG_HOME": str(tmp_path / ".config"),
        },
    )
    assert done.returncode == 0, done.stderr
    assert [orjson.loads(line)["path"] for line in done.stdout.splitlines()] == [str(path)]

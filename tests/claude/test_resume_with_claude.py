"""The real Claude Code resumes what rewind and repair write, offline.

Each planted-defect sample (and a real 2.1.x transcript with parallel calls and subagents)
is rewound and repaired into a new session; ``claude -p --resume <new id>`` then runs
against a loopback server (``tests/claude_capture.py``). Claude Code must find the session
(a re-serialised file is "No conversation found"), every ``tool_use`` it sends must be
answered by a ``tool_result`` in the next message, and the tool-call structure it sends
must be the one the inspector projects from the written file.

Every version of the matrix (``tests/support/claude_versions.py``) runs: the newest all
cases, the others ``SMALLER`` and the real rewind, each only on sessions written by its own
version or an older one. Skipped when Claude Code is not installed; run only these with
``pytest -m claude``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from inspector.agents.claude_code.payloads import message_payloads
from inspector.agents.claude_code.repair import plan_repair
from inspector.agents.claude_code.rewind import plan_rewind
from inspector.check import check_file
from inspector.core.client import ClientChoice
from inspector.rewrite.plan import RewritePlan, apply
from tests.conftest import REPO
from tests.support.claude_capture import capture_resume_request, tool_structure
from tests.support.claude_versions import Client, per_client, resumable

SAMPLES = REPO / "sample_sessions"
REALWORLD = REPO.parent / "shared" / "realworld"
DEFECTS = ["orphan-tool-use", "orphan-result", "duplicate-id", "compacted", "api-error"]
REAL = (
    REALWORLD
    / "claude-code-log"
    / "-experiments-worktrees"
    / "ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl"
)

pytestmark = pytest.mark.claude

Planner = Callable[[Path], RewritePlan]


def _rewind(path: Path) -> RewritePlan:
    return plan_rewind(path)


def _unanswered(messages: list[dict[str, Any]]) -> list[str]:
    missing: list[str] = []
    for index, message in enumerate(messages):
        content = message.get("content")
        if message.get("role") != "assistant" or not isinstance(content, list):
            continue
        uses = [b["id"] for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]
        following = messages[index + 1] if index + 1 < len(messages) else {}
        answer = following.get("content")
        answered = {
            b.get("tool_use_id")
            for b in (answer if isinstance(answer, list) else [])
            if isinstance(b, dict) and b.get("type") == "tool_result"
        }
        missing += [tool_id for tool_id in uses if tool_id not in answered]
    return missing


def _resume(client: Client, written: Path) -> None:
    captured = capture_resume_request(written, claude_bin=client.installed, timeout=90)
    assert not captured.run.no_conversation, captured.run.describe()
    assert captured.messages, captured.run.describe()
    assert _unanswered(captured.messages) == []
    ours = message_payloads(
        check_file(written, client=ClientChoice(named=client.version)).conversation
    )
    assert tool_structure(captured.messages) == tool_structure(ours)


WRITTEN = [
    pytest.param(SAMPLES / f"{name}.jsonl", planner, id=f"{name}-{label}")
    for name in DEFECTS
    for planner, label in [(_rewind, "rewind"), (plan_repair, "repair")]
]
#: What the older versions of the matrix resume.
SMALLER = frozenset({"orphan-tool-use-rewind", "orphan-tool-use-repair", "duplicate-id-repair"})


@pytest.mark.parametrize(
    ("client", "sample", "planner"), per_client(WRITTEN, SMALLER, applies=resumable)
)
def test_claude_resumes_written_session(
    tmp_path: Path, client: Client, sample: Path, planner: Planner
) -> None:
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    result = apply(planner(folder / sample.name))
    assert result.written is not None
    _resume(client, result.written)


@pytest.mark.parametrize(
    ("client", "source"), per_client([pytest.param(REAL, id="real-rewind")], applies=resumable)
)
def test_claude_resumes_real_rewind(tmp_path: Path, client: Client, source: Path) -> None:
    if not source.is_file():
        pytest.skip(f"{source} not found")
    folder = tmp_path / "project"
    shutil.copytree(source.parent, folder)
    copy = folder / source.name
    messages = check_file(copy).conversation.messages
    prompts = [
        m.last_origin.line
        for m in messages
        if m.role == "user" and m.blocks and m.blocks[0].type != "tool_result"
    ]
    result = apply(plan_rewind(copy, line=prompts[len(prompts) // 2]))
    assert result.written is not None
    assert result.subagents
    _resume(client, result.written)

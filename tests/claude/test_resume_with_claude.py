"""The real Claude Code resumes what rewind and repair write, offline.

Each planted-defect sample (and a real 2.1.x transcript with parallel calls and subagents)
is rewound and repaired into a new session; ``claude -p --resume <new id>`` then runs
against a loopback server (``tests/claude_capture.py``). Claude Code must find the session
(a re-serialised file is "No conversation found"), every ``tool_use`` it sends must be
answered by a ``tool_result`` in the next message, and the tool-call structure it sends
must be the one the inspector projects from the written file.

Skipped when Claude Code is not installed (set ``INSPECTOR_CLAUDE_BIN`` or put ``claude`` on
PATH); run only these with ``pytest -m claude``.
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
from inspector.rewrite.plan import RewritePlan, apply
from tests.conftest import REPO
from tests.support.claude_capture import capture_resume_request, find_claude, tool_structure

SAMPLES = REPO / "sample_sessions"
REALWORLD = REPO.parent / "shared" / "realworld"
CLAUDE = find_claude()
DEFECTS = ["orphan-tool-use", "orphan-result", "duplicate-id", "compacted", "api-error"]

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(
        CLAUDE is None,
        reason="Claude Code not installed: set INSPECTOR_CLAUDE_BIN or put `claude` on PATH "
        "(npm install @anthropic-ai/claude-code)",
    ),
]

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


def _resume(written: Path) -> None:
    assert CLAUDE is not None
    captured = capture_resume_request(written, claude_bin=CLAUDE, timeout=90)
    assert not captured.run.no_conversation, captured.run.describe()
    assert captured.messages, captured.run.describe()
    assert _unanswered(captured.messages) == []
    ours = message_payloads(check_file(written).conversation)
    assert tool_structure(captured.messages) == tool_structure(ours)


@pytest.mark.parametrize("planner", [_rewind, plan_repair], ids=["rewind", "repair"])
@pytest.mark.parametrize("name", DEFECTS)
def test_claude_resumes_written_session(tmp_path: Path, name: str, planner: Planner) -> None:
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    result = apply(planner(folder / f"{name}.jsonl"))
    assert result.written is not None
    _resume(result.written)


def test_claude_resumes_real_rewind(tmp_path: Path) -> None:
    source = (
        REALWORLD
        / "claude-code-log"
        / "-experiments-worktrees"
        / "ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl"
    )
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
    _resume(result.written)

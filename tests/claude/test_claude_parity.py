"""Parity with the real Claude Code: our reconstruction vs. what it sends when resuming.

For every main transcript of ``../shared/realworld`` (not ``agent-*.jsonl``) this resumes
it with the real Claude Code, offline (``tests/claude_capture.py``), and compares the
tool-call structure of the captured ``/v1/messages`` body with the conversation printed by
``python -m inspector messages <path>`` (``{"messages": [...]}``), message for message.
Where Claude Code finds no conversation, ours must be empty too.

Skipped when Claude Code is not installed (set ``INSPECTOR_CLAUDE_BIN`` or put ``claude``
on PATH); run only these with ``pytest -m claude``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, realworld_main_params
from tests.support.claude_capture import (
    CaptureError,
    capture_resume_request,
    find_claude,
    tool_structure,
)

CLAUDE = find_claude()
CONTEXT = 3  # structure entries shown on each side of the first difference

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(
        CLAUDE is None,
        reason="Claude Code not installed: set INSPECTOR_CLAUDE_BIN or put `claude` on PATH "
        "(npm install @anthropic-ai/claude-code)",
    ),
]


def _our_messages(transcript: Path) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "messages", str(transcript)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"`python -m inspector messages {transcript}` exited {proc.returncode}\n"
        f"stderr:\n{proc.stderr[-4000:]}"
    )
    document = json.loads(proc.stdout)
    assert isinstance(document, dict), "expected a JSON object {'messages': [...]}"
    messages = document.get("messages")
    assert isinstance(messages, list), "expected a 'messages' list"
    return messages


def _indexed_structure(messages: list[dict[str, Any]]) -> list[tuple[int, str, Any]]:
    """tool_structure entries with the index of the message each came from."""
    out: list[tuple[int, str, Any]] = []
    for index, message in enumerate(messages):
        for role, pairs in tool_structure([message]):
            out.append((index, role, pairs))
    return out


def _describe_mismatch(theirs: list[dict[str, Any]], ours: list[dict[str, Any]]) -> str:
    a, b = _indexed_structure(theirs), _indexed_structure(ours)
    first = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x[1:] != y[1:]),
        min(len(a), len(b)),
    )
    lo, hi = max(0, first - CONTEXT), first + CONTEXT + 1

    def show(entries: list[tuple[int, str, Any]]) -> str:
        rows = []
        for i in range(lo, min(hi, len(entries))):
            index, role, pairs = entries[i]
            mark = ">>" if i == first else "  "
            body = ", ".join(f"{kind} {tool_id}" for kind, tool_id in pairs)
            rows.append(f"{mark} [{i}] (messages[{index}]) {role}: {body}")
        if hi < len(entries):
            rows.append(f"   ... {len(entries) - hi} more")
        return "\n".join(rows) or "   (nothing)"

    return (
        f"tool structure differs at entry {first} "
        f"(Claude Code: {len(a)} entries from {len(theirs)} messages; "
        f"ours: {len(b)} entries from {len(ours)} messages)\n"
        f"--- Claude Code sent:\n{show(a)}\n"
        f"--- ours:\n{show(b)}"
    )


@pytest.mark.parametrize("transcript", realworld_main_params())
def test_tool_structure_matches_claude_code(transcript: Path) -> None:
    assert CLAUDE is not None
    try:
        captured = capture_resume_request(transcript, claude_bin=CLAUDE, timeout=120)
    except CaptureError as exc:
        if not exc.no_conversation:
            pytest.fail(str(exc), pytrace=False)
        ours = _our_messages(transcript)
        assert ours == [], (
            f"Claude Code finds no conversation in {transcript.name}, "
            f"but ours has {len(ours)} messages"
        )
        return

    theirs = captured.messages
    ours = _our_messages(transcript)
    if tool_structure(theirs) != tool_structure(ours):
        pytest.fail(_describe_mismatch(theirs, ours), pytrace=False)

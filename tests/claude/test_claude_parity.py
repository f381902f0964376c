"""Parity with the real Claude Code: our reconstruction vs. what it sends when resuming.

For every main transcript of ``../shared/realworld`` (not ``agent-*.jsonl``) this resumes
it with the real Claude Code, offline (``tests/support/claude_capture.py``), and compares
the tool-call structure of the captured ``/v1/messages`` body with the conversation printed
by ``python -m inspector messages --client-version VERSION <path>`` (``{"messages":
[...]}``), message for message. Where Claude Code finds no conversation, ours must be
empty too.

Every version of the matrix (``tests/claude_versions.txt``, ``tests/support/claude_versions.py``)
resumes every transcript it can: a client only resumes transcripts written by its own
version or an older one (``resumable``: 2.0.77 sends a fraction of a 2.1.x transcript).
Versions differ on one (``spotter/8463…``: 2.1.332 sends merged assistant ``tool_use``
blocks in file order, 2.1.197 in chain order), and the rebuild follows each. Ids read
``VERSION-TRANSCRIPT``.

Skipped when Claude Code is not installed; run only these with ``pytest -m claude``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, realworld_main_params
from tests.support.claude_capture import CaptureError, capture_resume_request, tool_structure
from tests.support.claude_versions import Client, per_client, resumable

CONTEXT = 3  # structure entries shown on each side of the first difference


pytestmark = pytest.mark.claude


def _our_messages(transcript: Path, version: str) -> list[dict[str, Any]]:
    argv = ["messages", "--client-version", version, str(transcript)]
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", *argv],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, (
        f"`python -m inspector {' '.join(argv)}` exited {proc.returncode}\n"
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


@pytest.mark.parametrize(
    ("client", "transcript"), per_client(realworld_main_params(), applies=resumable)
)
def test_tool_structure_matches_claude_code(client: Client, transcript: Path) -> None:
    try:
        captured = capture_resume_request(transcript, claude_bin=client.installed, timeout=120)
    except CaptureError as exc:
        if not exc.no_conversation:
            pytest.fail(str(exc), pytrace=False)
        ours = _our_messages(transcript, client.version)
        assert ours == [], (
            f"Claude Code {client.version} finds no conversation in {transcript.name}, "
            f"but ours has {len(ours)} messages"
        )
        return

    theirs = captured.messages
    ours = _our_messages(transcript, client.version)
    if tool_structure(theirs) != tool_structure(ours):
        pytest.fail(
            f"Claude Code {client.version}: {_describe_mismatch(theirs, ours)}", pytrace=False
        )

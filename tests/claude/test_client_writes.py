"""What the real Claude Code writes into its transcript when tool pairing goes wrong.

Re-runs the key scenarios of ``tests/support/claude_scenarios.py`` against the client we are
given (``INSPECTOR_CLAUDE_BIN`` or ``claude`` on PATH; the newest of the matrix in CI) and
checks the shapes observed with 2.1.332 (fixtures in ``tests/fixtures/claude_code/2.1.332``),
so a client that writes them differently fails here, not in a user's report.

Skipped when Claude Code is not installed.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.support.claude_capture import find_claude
from tests.support.claude_scenarios import (
    API_400_TEXTS,
    PLACEHOLDER,
    READ_ID,
    SCENARIOS,
    SLEEP_ID,
    Outcome,
)

CLAUDE = find_claude()
#: The client these shapes were observed with; older clients write differently (2.1.197: no
#: ``apiError`` tag, no written interrupt placeholder, no ``api-request`` lines).
OBSERVED = (2, 1, 332)


def _version(claude: str | None) -> tuple[int, ...] | None:
    if claude is None:
        return None
    out = subprocess.run([claude, "--version"], capture_output=True, text=True, timeout=60)
    found = re.match(r"(\d+)\.(\d+)\.(\d+)", out.stdout.strip())
    return tuple(int(part) for part in found.groups()) if found else None


VERSION = _version(CLAUDE)
MIDDLE_ORPHAN = "toolu_01rl2GAu77DnCyJeBIrzFL3C"  # sample_sessions/orphan-tool-use.jsonl
INTERRUPTED = "[Tool call interrupted: the session ended before this call's result was recorded"

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(CLAUDE is None, reason="Claude Code not installed (INSPECTOR_CLAUDE_BIN)"),
    pytest.mark.skipif(
        VERSION is not None and VERSION < OBSERVED,
        reason=f"Claude Code {VERSION} predates the shapes observed with 2.1.332",
    ),
]


def _run(name: str, tmp_path: Path) -> Outcome:
    assert CLAUDE is not None
    return SCENARIOS[name](CLAUDE, tmp_path / "w")


def _entries(data: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in data.splitlines()]


def _chain(data: bytes) -> list[dict[str, Any]]:
    return [e for e in _entries(data) if e.get("type") in ("user", "assistant", "system")]


def _results(entries: list[dict[str, Any]], tool_id: str) -> list[tuple[dict[str, Any], Any]]:
    """(line, tool_result block) for every result of ``tool_id`` in chain lines."""
    found = []
    for entry in entries:
        content = entry.get("message", {}).get("content") if entry.get("type") == "user" else None
        for block in content if isinstance(content, list) else []:
            if block.get("type") == "tool_result" and block.get("tool_use_id") == tool_id:
                found.append((entry, block))
    return found


def _text(entry: dict[str, Any]) -> str:
    content = entry["message"]["content"]
    return content if isinstance(content, str) else "".join(b.get("text", "") for b in content)


@pytest.mark.parametrize(
    ("wording", "shown"),
    [
        ("r1", "API Error: 400 due to tool use concurrency issues."),
        ("r2", "API Error: 400 orphaned tool_result in conversation history."),
        ("r5", "API Error: 400 duplicate tool_use ID in conversation history."),
    ],
)
def test_a_tool_pairing_400_is_an_api_error_line_tagged_tool_history_mismatch(
    tmp_path: Path, wording: str, shown: str
) -> None:
    outcome = _run(f"api-400-{wording}", tmp_path)
    last = _chain(outcome.stages["failed"])[-1]
    assert last["type"] == "assistant"
    assert last["isApiErrorMessage"] is True
    assert last["message"]["model"] == "<synthetic>"
    assert _text(last) == shown
    assert last["apiError"] == "tool_history_mismatch"
    assert last["error"] == "invalid_request"
    assert last["apiErrorStatus"] == 400
    assert last["apiErrorType"] == "invalid_request_error"
    if wording == "r1":  # the API's own text is not kept for this one
        assert "errorDetails" not in last
    else:
        assert API_400_TEXTS[wording] in last["errorDetails"]


def test_sigkill_mid_batch_leaves_an_orphan_that_resume_answers_with_a_written_placeholder(
    tmp_path: Path,
) -> None:
    outcome = _run("kill-sigkill", tmp_path)
    killed = _chain(outcome.stages["killed"])
    (call,) = [
        e
        for e in killed
        if e["type"] == "assistant" and f'"id":"{SLEEP_ID}"'.encode() in orjson.dumps(e)
    ]
    assert _results(killed, SLEEP_ID) == []
    assert len(_results(killed, READ_ID)) == 1

    resumed = _chain(outcome.stages["resumed"])
    assert outcome.stages["resumed"].startswith(outcome.stages["killed"])
    ((line, block),) = _results(resumed, SLEEP_ID)
    assert block["is_error"] is True
    assert block["content"].startswith(INTERRUPTED)
    assert line["toolUseResult"] == block["content"]
    assert line["toolDenialKind"] == "interrupted"
    assert line["sourceToolAssistantUUID"] == call["uuid"] == line["parentUuid"]
    after = resumed[resumed.index(line) + 1]
    assert after["message"]["model"] == "<synthetic>"
    assert _text(after) == "No response requested."
    assert after["isApiErrorMessage"] is False
    # ...and that written result is what the model is sent.
    sent = outcome.runs[-1].turn_messages()[0]
    sent_results = [
        b
        for m in sent
        if isinstance(m["content"], list)
        for b in m["content"]
        if b.get("type") == "tool_result" and b.get("tool_use_id") == SLEEP_ID
    ]
    assert [b["content"] for b in sent_results] == [block["content"]]


def test_sigint_mid_batch_writes_a_rejection_and_an_interrupt_marker(tmp_path: Path) -> None:
    killed = _chain(_run("kill-sigint", tmp_path).stages["killed"])
    ((line, block),) = _results(killed, SLEEP_ID)
    assert block["is_error"] is True
    assert block["content"].startswith("The user doesn't want to proceed with this tool use.")
    assert line["toolUseResult"] == "User rejected tool use"
    assert line["toolDenialKind"] == "user-rejected"
    assert _text(killed[-1]) == "[Request interrupted by user for tool use]"


def test_a_send_time_placeholder_is_recorded_only_in_an_api_request_blob(tmp_path: Path) -> None:
    outcome = _run("late-result-resumed", tmp_path)
    resumed = outcome.stages["resumed"]
    # Not a chain line: the transcript's own result for the call stays the late one.
    assert [b["content"] for _, b in _results(_chain(resumed), SLEEP_ID)] == ["a"]
    blobs = [e for e in _entries(resumed) if e.get("type") == "api-request-blob"]
    faked = [
        (blob, b)
        for blob in blobs
        for b in blob["message"]["content"]
        if isinstance(blob["message"]["content"], list) and b.get("content") == PLACEHOLDER
    ]
    ((blob, block),) = faked
    assert block == {
        "type": "tool_result",
        "tool_use_id": SLEEP_ID,
        "content": PLACEHOLDER,
        "is_error": True,
    }
    assert blob["message"]["content"][0] is block  # the placeholder goes first
    requests = [e for e in _entries(resumed) if e.get("type") == "api-request"]
    assert any(blob["hash"] in orjson.dumps(r["tail"]).decode() for r in requests)
    assert "ensureToolResultPairing: repaired missing tool_result blocks" in (
        outcome.runs[-1].debug_log
    )


def test_a_middle_orphan_is_dropped_at_resume_without_a_line(tmp_path: Path) -> None:
    outcome = _run("orphan-middle-resumed", tmp_path)
    sent = orjson.dumps(outcome.runs[-1].turn_messages()[0])
    assert MIDDLE_ORPHAN.encode() not in sent
    resumed = outcome.stages["resumed"]
    original = (
        Path(__file__).parents[2] / "sample_sessions" / "orphan-tool-use.jsonl"
    ).read_bytes()
    assert resumed.startswith(original)
    assert MIDDLE_ORPHAN.encode() not in resumed[len(original) :]

"""Hand-made transcripts beyond what ``../shared/realworld`` shows, against the real client.

Resumed with Claude Code 2.1.197 (the newest npm has here) like the parity tests do.
A uuid on two lines: Claude Code keeps one entry per uuid, the later line's, so a line
written twice is sent once; the rebuild does the same (these cases must match).

Where they still differ, the test is a strict expected failure (it fails once the
rebuild learns the behaviour, until the mark is removed): 2.1.197 resumes from the last
leaf in file order, or from the file's last line when that line reuses a uuid, while the
rebuild, as ``docs/transcript-format.md`` describes for 2.1.330 (which this machine
cannot run), takes the newest leaf by timestamp. They differ only when lines are
written out of time order, or a uuid is reused.

Skipped when Claude Code is not installed; run only these with ``pytest -m claude``.
"""

from __future__ import annotations

import copy
import uuid
from pathlib import Path
from typing import Any

import pytest

from inspector.agents.claude_code.payloads import message_payloads
from inspector.agents.claude_code.read import load
from tests.support.claude_capture import capture_resume_request, find_claude, tool_structure
from tests.support.conversations import (
    assistant,
    result,
    tool_use,
    transcript_lines,
    user,
    write_lines,
)

CLAUDE = find_claude()

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(CLAUDE is None, reason="Claude Code not installed"),
]

Line = dict[str, Any]


def _as_written_by_claude_code(lines: list[Line]) -> list[Line]:
    """Real uuids, one session id, and the fields Claude Code looks for on resume."""
    session = str(uuid.uuid4())
    names: dict[str, str] = {}

    def real(name: str | None) -> str | None:
        return None if name is None else names.setdefault(name, str(uuid.uuid4()))

    written = []
    for original in lines:
        line = copy.deepcopy(original)  # one by one: a line written twice is one object
        line.update(uuid=real(line["uuid"]), parentUuid=real(line["parentUuid"]))
        line.update(sessionId=session, cwd="/tmp/inspector-gaps", version="2.1.100")
        if line["type"] == "assistant":
            line["message"].update(model="claude-opus-4-6", type="message", stop_reason=None)
        written.append(line)
    return written


def _texts(messages: list[Any]) -> list[tuple[str, list[str]]]:
    """Role and texts of each message, without what Claude Code adds when it sends."""
    shown = []
    for message in messages:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        texts = [
            block["text"]
            for block in blocks
            if block.get("type") == "text" and not block["text"].startswith("<system-reminder>")
        ]
        if texts and texts != ["No response requested."]:
            shown.append((message["role"], texts))
    return shown


def _compare(tmp_path: Path, lines: list[Line]) -> None:
    assert CLAUDE is not None
    path = write_lines(tmp_path / "session.jsonl", _as_written_by_claude_code(lines))
    theirs = capture_resume_request(path, claude_bin=CLAUDE, timeout=120).messages
    sent = _texts(theirs)[:-1]  # without the prompt the capture adds ("ping")
    assert _texts(message_payloads(load(path))) == sent


CALL = transcript_lines(
    [user("go"), assistant(tool_use("toolu_A")), user(result("toolu_A")), assistant("ok")]
)


@pytest.mark.parametrize(
    "lines",
    [
        [*CALL[:2], CALL[1], *CALL[2:]],
        [*CALL[:3], CALL[2], CALL[3]],
        [*CALL, CALL[2]],
    ],
    ids=["tool_use-line-twice", "result-line-twice", "result-line-again-at-the-end"],
)
def test_a_line_written_twice_is_sent_once(tmp_path: Path, lines: list[Line]) -> None:
    assert CLAUDE is not None
    path = write_lines(tmp_path / "session.jsonl", _as_written_by_claude_code(lines))
    theirs = capture_resume_request(path, claude_bin=CLAUDE, timeout=120).messages
    ours = message_payloads(load(path))
    assert tool_structure(ours) == tool_structure(theirs) != []


BASE = transcript_lines(
    [user("go"), assistant("one"), user("more"), assistant("two"), user("again"), assistant("3")]
)
LAST_LINE = "2.1.197 resumes from the file's last line, not the newest leaf by timestamp"


@pytest.mark.xfail(strict=True, reason=LAST_LINE)
def test_an_earlier_line_written_again_at_the_end(tmp_path: Path) -> None:
    _compare(tmp_path, [*BASE, copy.deepcopy(BASE[1])])


@pytest.mark.xfail(strict=True, reason=LAST_LINE)
def test_a_uuid_reused_by_a_later_line(tmp_path: Path) -> None:
    late = copy.deepcopy(BASE[4]) | {"uuid": BASE[2]["uuid"], "parentUuid": BASE[5]["uuid"]}
    late["message"] = {"role": "user", "content": "late"}
    _compare(tmp_path, [*BASE, late])


@pytest.mark.xfail(strict=True, reason="2.1.197 takes the last leaf in file order")
def test_a_newer_branch_written_before_an_older_one(tmp_path: Path) -> None:
    newer = copy.deepcopy(BASE[2:4])
    newer[0].update(uuid="n0", timestamp="2026-01-01T10:00:00.000Z")
    newer[0]["message"] = {"role": "user", "content": "newer"}
    newer[1].update(uuid="n1", parentUuid="n0", timestamp="2026-01-01T10:00:01.000Z")
    newer[1]["message"] = newer[1]["message"] | {
        "id": "msg_newer",
        "content": [{"type": "text", "text": "newer answer"}],
    }
    _compare(tmp_path, [*BASE[:2], *newer, *BASE[2:4]])

"""Full content, not only tool structure: ours against what the newest Claude Code sends.

Each real main transcript is resumed with the real client (the newest of the matrix) and
its request compared block for block with ``inspector messages``, once what the client adds
on its own is taken out on its side (``tests/support/sent_content.py``; README.md names
each such transform). What the client changes in recorded content itself (``Task`` calls
renamed ``Agent``, merged user lines joined with newlines) the rebuild does too, so that is
compared, not normalised.

Skipped when Claude Code is not installed; run only these with ``pytest -m claude``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from inspector.agents.claude_code.payloads import message_payloads
from inspector.agents.claude_code.read import load
from tests.conftest import realworld_main_params
from tests.support.claude_capture import CaptureError, capture_resume_request, find_claude
from tests.support.sent_content import comparable, first_difference

CLAUDE = find_claude()

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(CLAUDE is None, reason="Claude Code not installed"),
]

CLIENT_REWRITES_INPUT = {
    "claude-code-log/-experiments-worktrees/ef958aa1-0e93-49f0-bb71-150f63befcd1.jsonl": (
        "Claude Code 2.1.332 drops the legacy `type`, `recipient` and `content` keys from "
        "the input of recorded SendMessage calls; the rebuild sends the input as recorded"
    ),
}


def _params() -> list[Any]:
    params: list[Any] = []
    for param in realworld_main_params():
        reason = CLIENT_REWRITES_INPUT.get(str(param.id))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(*param.values, id=param.id, marks=[*param.marks, *marks]))
    return params


@pytest.mark.parametrize("transcript", _params())
def test_full_content_matches_claude_code(transcript: Path) -> None:
    assert CLAUDE is not None
    ours = message_payloads(load(transcript))
    try:
        sent = capture_resume_request(transcript, claude_bin=CLAUDE, timeout=120).messages
    except CaptureError as error:
        if not error.no_conversation:
            pytest.fail(str(error), pytrace=False)
        assert ours == []
        return
    difference = first_difference(*comparable(sent, ours))
    assert difference is None, difference

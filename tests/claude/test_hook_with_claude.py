"""Our hook, run by the real Claude Code: what it adds reaches the model.

Our hooks are installed into the client's config folder with ``inspector hooks install``;
the client resumes a session with an orphan call (offline, against the loopback server of
``tests/support/claude_capture.py``);
the request it sends carries our note naming the call whose result it dropped. Checked with
Claude Code 2.1.332 (the newest in ``tests/claude_versions.txt``); skipped without a client.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from inspector.hooks.respond import SESSION_START
from tests.conftest import SAMPLES
from tests.support.claude_capture import capture_resume_request, find_claude

CLAUDE = find_claude()
ORPHAN_CALL_INPUT = "/home/dev/projects/shop-api/config/import.toml"

pytestmark = [
    pytest.mark.claude,
    pytest.mark.skipif(CLAUDE is None, reason="Claude Code not installed (INSPECTOR_CLAUDE_BIN)"),
]


def install_hooks(config: Path) -> None:
    """``inspector hooks install`` into the client's config folder, as a user would."""
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "hooks", "install", "--user"],
        env={**os.environ, "CLAUDE_CONFIG_DIR": str(config)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    settings = orjson.loads((config / "settings.json").read_bytes())
    assert [group["matcher"] for group in settings["hooks"][SESSION_START]] == ["resume"]


def test_the_resumed_request_names_the_call_that_lost_its_result() -> None:
    assert CLAUDE is not None
    captured = capture_resume_request(
        SAMPLES / "orphan-tool-use.jsonl", claude_bin=CLAUDE, configure=install_hooks
    )
    last = captured.messages[-1]
    texts = [block.get("text", "") for block in last["content"] if isinstance(block, dict)]
    [note] = [text for text in texts if "agent-session-inspector" in text]
    assert "SessionStart hook additional context" in note
    assert f"Read {ORPHAN_CALL_INPUT} (transcript line 6)" in note
    # and the client did drop the call, as the note says
    sent = orjson.dumps(captured.messages).decode()
    assert "toolu_01rl2GAu77DnCyJeBIrzFL3C" not in sent

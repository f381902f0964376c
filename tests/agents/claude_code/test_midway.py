"""A file that starts mid-session (a checkpoint that kept only the slice since the last
one): its first line answers a call that is not in it, and names a parent that is not in
it either. R2 stays (it is true if sent as is) and a CHAIN finding says why.

The real files are Entire checkpoints of Claude Code (entireio/cli, MIT, Copyright (c)
2026 Entire Inc.), read in place from ../shared/realworld-external.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from inspector.causes import CauseKind, explain
from inspector.check import check_file
from inspector.rules import Rule
from tests.conftest import REPO
from tests.support.conversations import result, text, tool_use, transcript_lines, write_lines

EXTERNAL = REPO.parent / "shared" / "realworld-external"
SLICES = [
    "entireio-cli/10/2b7007badc/0/full.jsonl",
    "entireio-cli/2d/aa6a636915/0/full.jsonl",
    "entireio-cli/5d/2a9aa7b90d/0/full.jsonl",
]
MIDWAY = "the file starts mid-session: line 1 answers a call that is not in it"


@pytest.mark.parametrize("relative", SLICES)
def test_a_real_slice_says_it_starts_mid_session(relative: str) -> None:
    path = EXTERNAL / relative
    if not path.is_file():
        pytest.skip(f"{path} not found")
    report = check_file(path)
    assert [f.rule for f in report.errors] == [Rule.R2]
    midway = [f for f in report.findings if f.rule is Rule.CHAIN and MIDWAY in f.text]
    assert len(midway) == 1
    assert midway[0].line == 1 == report.errors[0].line
    assert "is not in the file either" in midway[0].text
    # the cause of both is that the file starts mid-session, shown by line 1
    whys = [why for why in explain(report) if why is not None]
    assert [(why.kind, [e.line for e in why.evidence]) for why in whys] == [
        (CauseKind.PARTIAL_FILE, [1]),
        (CauseKind.PARTIAL_FILE, [1]),
    ]


def _slice(tmp_path: Path, first_parent: str | None, call_in_file: bool) -> Path:
    messages = [
        ("user", [result("toolu_gone")]),
        ("assistant", [text("read on"), tool_use("toolu_b")]),
        ("user", [result("toolu_b")]),
    ]
    if call_in_file:
        messages = [("assistant", [tool_use("toolu_gone")]), *messages]
    lines = transcript_lines(messages)  # type: ignore[arg-type]
    lines[0]["parentUuid"] = first_parent
    return write_lines(tmp_path / "slice.jsonl", lines)


def test_a_slice_is_said_to_start_mid_session_in_check_json(tmp_path: Path) -> None:
    path = _slice(tmp_path, "parent-saved-elsewhere", call_in_file=False)
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "check", "--json", str(path)],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1
    findings = orjson.loads(done.stdout)["findings"]
    rules = {(f["rule"], f["severity"], f["line"]) for f in findings}
    assert {("R2", "error", 1), ("CHAIN", "warning", 1)} <= rules
    assert {f["rule"]: f["why"]["cause"] for f in findings} == {
        "R2": "partial_file",
        "CHAIN": "partial_file",
    }
    chain = next(f for f in findings if f["rule"] == "CHAIN")
    assert chain["text"] == (
        "the file starts mid-session: line 1 answers a call that is not in it (toolu_gone), "
        "and its parent parent-saved-elsewhere is not in the file either"
    )


@pytest.mark.parametrize(
    ("parent", "call_in_file"), [(None, False), ("parent-saved-elsewhere", True)]
)
def test_a_root_result_or_a_known_call_is_not_mid_session(
    tmp_path: Path, parent: str | None, call_in_file: bool
) -> None:
    report = check_file(_slice(tmp_path, parent, call_in_file))
    assert not any("mid-session" in f.text for f in report.findings)
    assert not any(why and why.kind is CauseKind.PARTIAL_FILE for why in explain(report))

"""Calls of the batch a client is writing: running while it runs, missing once it ended."""

from __future__ import annotations

from pathlib import Path

from inspector.check import check_file
from inspector.rules import CallStatus, Rule
from inspector.rules.running import hold_running, running_calls
from tests.conftest import SAMPLES
from tests.support.synthetic import SessionWriter, batch_being_written


def test_the_calls_of_a_batch_being_written_are_running(tmp_path: Path) -> None:
    writer = SessionWriter(seed=3)
    tool_ids = batch_being_written(writer)
    writer.write(tmp_path / "s.jsonl")
    report = check_file(tmp_path / "s.jsonl")
    assert [f.rule for f in report.errors] == [Rule.R1]  # as it stands, if sent
    assert running_calls(report) == {tool_ids[1]}
    held = hold_running(report)
    assert held.ok
    assert [f.rule for f in held.findings] == [Rule.PENDING]
    assert held.findings[0].ids == (tool_ids[1],)
    assert held.findings[0].cut_before == report.errors[0].cut_before
    statuses = {call.tool_id: call.status for call in held.calls}
    assert statuses == {
        tool_ids[0]: CallStatus.ANSWERED,
        tool_ids[1]: CallStatus.PENDING,
    }
    assert held.last_valid == report.last_valid
    assert not report.ok  # the report itself is left as it was


def test_a_result_missing_before_the_last_response_is_no_running_call() -> None:
    report = check_file(SAMPLES / "orphan-tool-use.jsonl")
    assert hold_running(report) is report


def test_a_batch_the_api_already_rejected_is_not_running(tmp_path: Path) -> None:
    """Claude Code sent the broken batch and stored the API's 400: nothing is running."""
    writer = SessionWriter(seed=4)
    batch_being_written(writer)
    writer.api_error()
    writer.write(tmp_path / "s.jsonl")
    report = check_file(tmp_path / "s.jsonl")
    assert Rule.R1 in [f.rule for f in report.errors]
    assert running_calls(report) == frozenset()
    assert hold_running(report) is report

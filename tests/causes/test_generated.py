"""Each cause, planted in a generated Claude Code 2.1.x transcript, is the one found, with
the lines that show it."""

from __future__ import annotations

from pathlib import Path

import orjson

from inspector.causes import CauseKind, Why, explain, tools_and_batches
from inspector.check import check_file
from inspector.rules import Report, Rule
from tests.support.synthetic import (
    Entry,
    SessionWriter,
    Subagent,
    ToolCall,
    agent_tool,
    bash_call,
    grep_call,
    read_call,
)


def _calls() -> list[ToolCall]:
    return [
        read_call("/srv/app/orders.py", "def create_order(cart):\n    ...\n"),
        bash_call("pytest -q tests/test_orders.py", "3 passed"),
        grep_call("def create_order", ["app/orders.py:41:def create_order(cart):"]),
    ]


def _write(path: Path, entries: list[Entry]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(entry) + b"\n" for entry in entries))
    return path


def _line_of(entries: list[Entry], uuid: str) -> int:
    return next(n for n, entry in enumerate(entries, 1) if entry.get("uuid") == uuid)


def _why(report: Report, rule: Rule) -> Why:
    whys = explain(report)
    [why] = [w for f, w in zip(report.findings, whys, strict=True) if f.rule is rule]
    assert why is not None
    return why


def _lines(why: Why) -> list[int]:
    return [evidence.line for evidence in why.evidence]


def test_an_interrupt_after_the_batch_is_the_cause_with_its_timing(tmp_path: Path) -> None:
    w = SessionWriter(seed=1)
    w.prompt("Why does /orders return 500?")
    batch = w.tool_batch(_calls(), streaming=False, drop_results=[1, 2])
    interrupt = w.interrupt()
    w.prompt("Stop, look at the logs instead.")
    w.assistant_text("Looking at the logs.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.INTERRUPT
    at = _line_of(w.entries(), interrupt)
    assert at in _lines(why)
    assert _line_of(w.entries(), batch.tool_use_uuids[batch.tool_ids[1]]) in _lines(why)
    assert "2 of the batch's 3 calls had no result yet" in why.summary
    assert " s after the call" in why.summary
    assert why.client_version == "2.1.114"
    [interrupt_evidence] = [e for e in why.evidence if e.line == at]
    assert interrupt_evidence.text == "user interrupt: [Request interrupted by user]"
    assert interrupt_evidence.timestamp is not None


def _hook_between_the_results(late: bool) -> tuple[SessionWriter, str]:
    """A batch of two calls; the Read's result, then a PostToolUse hook's added context;
    then (``late``) the Bash result after the model's next answer, or none at all."""
    w = SessionWriter(seed=2)
    w.prompt("Run the tests and read the config.")
    batch = w.tool_batch(_calls()[:2], streaming=False, defer_results=[0, 1])
    w.late_result(batch.tool_ids[0])
    hook = w.attachment(
        {
            "type": "hook_additional_context",
            "content": ["remember: the CI runs on Python 3.12"],
            "hookName": "PostToolUse:Read",
            "toolUseID": batch.tool_ids[0],
            "hookEvent": "PostToolUse",
        }
    )
    w.assistant_text("Reading on.")
    if late:
        w.late_result(batch.tool_ids[1])
    w._deferred.clear()
    w.prompt("And?")
    w.assistant_text("The tests pass.")
    return w, hook


def test_hook_output_before_a_result_that_came_a_turn_late(tmp_path: Path) -> None:
    w, hook = _hook_between_the_results(late=True)
    path = _write(tmp_path / "s.jsonl", w.entries())
    report = check_file(path)
    why = _why(report, Rule.R1)
    cause = next(f for f in report.findings if f.rule is Rule.R1).cause
    assert cause is not None
    assert cause.startswith("late result")
    assert why.kind is CauseKind.HOOK_OUTPUT
    hook_line = _line_of(w.entries(), hook)
    assert hook_line in _lines(why)
    [said] = [e.text for e in why.evidence if e.line == hook_line]
    assert said == "hook output: PostToolUse:Read (hook_additional_context)"
    assert "CI runs" not in repr(why)  # the hook's text is not shown


def test_hook_output_is_not_blamed_for_a_result_that_never_came(tmp_path: Path) -> None:
    """A hook line between a call and its results is how every session with hooks looks:
    it does not explain a result that is nowhere in the file."""
    w, _ = _hook_between_the_results(late=False)
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.UNKNOWN
    assert "nothing in the transcript shows it" in why.summary


def test_a_compaction_between_call_and_result(tmp_path: Path) -> None:
    w = SessionWriter(seed=3)
    w.prompt("Run the suite.")
    batch = w.tool_batch([bash_call("pytest -q", "120 passed")], defer_results=[0])
    w.compact("The user asked to run the suite; it was started.")
    w.late_result(batch.tool_ids[0])
    w.assistant_text("All 120 pass.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R2)
    assert why.kind is CauseKind.COMPACTION
    boundary = next(
        n for n, e in enumerate(w.entries(), 1) if e.get("subtype") == "compact_boundary"
    )
    assert boundary in _lines(why)
    assert any(e.text.startswith("compaction boundary (trigger auto") for e in why.evidence)


def test_a_session_killed_mid_batch(tmp_path: Path) -> None:
    w = SessionWriter(seed=4)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, drop_results=[1, 2])
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.ENDED_MID_BATCH
    assert len(w.entries()) in _lines(why)  # the file's last line
    assert "2 of the batch's 3 calls unanswered" in why.summary


def test_calls_the_file_ends_on_get_no_cause(tmp_path: Path) -> None:
    """PENDING is no defect: the session may still be running, the file cannot tell."""
    w = SessionWriter(seed=5)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, drop_results=[0, 1, 2])
    path = _write(tmp_path / "s.jsonl", w.entries())
    report = check_file(path)
    assert [f.rule for f in report.findings] == [Rule.PENDING]
    assert explain(report) == [None]


def test_hooks_between_the_results_of_an_out_of_order_batch_are_no_cause(
    tmp_path: Path,
) -> None:
    w = SessionWriter(seed=12, hooks=True)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, result_order=[2, 1, 0])
    w.assistant_text("All fine.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R4)
    assert why.kind is CauseKind.UNKNOWN


def test_parallel_subagents_still_running(tmp_path: Path) -> None:
    w = SessionWriter(seed=6)
    w.prompt("Review the API and the schema in parallel.")
    review = Subagent("Review API", "Review app/api.py", "Two issues found.")
    schema = Subagent("Review schema", "Review db/schema.sql", "Schema is fine.")
    batch = w.tool_batch(
        [agent_tool(review), agent_tool(schema), read_call("/srv/README.md", "# Shop\n")],
        streaming=False,
        drop_results=[1],
    )
    w.prompt("What did they find?")
    w.assistant_text("The API review found two issues.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.SUBAGENTS
    schema_line = _line_of(w.entries(), batch.tool_use_uuids[batch.tool_ids[1]])
    assert schema_line in _lines(why)
    assert "Agent" in " ".join(e.text for e in why.evidence)


def test_a_result_the_client_made_up(tmp_path: Path) -> None:
    w = SessionWriter(seed=7, version="2.1.332")
    w.prompt("Sleep, then read.")
    batch = w.tool_batch(_calls()[:2], streaming=False, drop_results=[1])
    entries = w.entries()
    tool_id = batch.tool_ids[1]
    made_up = {
        **{k: v for k, v in entries[-1].items() if k not in ("toolUseResult",)},
        "uuid": "7d0c5bfb-0000-4000-8000-000000000001",
        "parentUuid": entries[-1]["uuid"],
        "message": {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "content": "[Tool call interrupted: the session ended]",
                    "is_error": True,
                    "tool_use_id": tool_id,
                }
            ],
        },
        "toolUseResult": "[Tool call interrupted: the session ended]",
        "toolDenialKind": "interrupted",
    }
    path = _write(tmp_path / "s.jsonl", [*entries, made_up])
    report = check_file(path)
    why = _why(report, Rule.MADEUP)
    assert why.kind is CauseKind.CLIENT_FAKED
    assert len(entries) + 1 in _lines(why)
    assert why.client_version == "2.1.332"


def test_a_damaged_line_next_to_the_call(tmp_path: Path) -> None:
    w = SessionWriter(seed=8)
    w.prompt("Check the three things.")
    batch = w.tool_batch(_calls(), streaming=False)
    w.prompt("Thanks.")
    w.assistant_text("You're welcome.")
    lines = w.lines()
    # the 2nd result line is glued to the 3rd (the line break between them lost)
    glued = _line_of(w.entries(), batch.result_uuids[batch.tool_ids[1]])
    damaged = [*lines[: glued - 1], lines[glued - 1] + lines[glued], *lines[glued + 1 :]]
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"".join(line + b"\n" for line in damaged))
    report = check_file(path)
    whys = dict(zip([f.rule for f in report.findings], explain(report), strict=False))
    why = whys[Rule.R1]
    assert why is not None
    assert why.kind is CauseKind.DAMAGED_FILE
    assert glued in _lines(why)
    badline = whys[Rule.BADLINE]
    assert badline is not None
    assert badline.kind is CauseKind.DAMAGED_FILE


def test_a_resumed_session_appended_onto_an_older_one(tmp_path: Path) -> None:
    w = SessionWriter(seed=9)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, drop_results=[2])
    kept = len(w.entries())
    w.prompt("Where were we?")
    w.assistant_text("Checking again.")
    entries = w.entries()
    for entry in entries[kept:]:  # the newer process writes its own id and version
        entry["sessionId"] = "0d1e5c6a-9f7b-4c51-8d1e-2f3a4b5c6d7e"
        entry["version"] = "2.1.120"
    path = _write(tmp_path / "s.jsonl", entries)
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.RESUMED_ONTO_OLDER
    assert kept + 1 in _lines(why)
    assert "session id changes" in why.summary
    assert why.client_version == "2.1.120"  # the version of the line that shows the cause


def test_no_evidence_is_unknown_and_says_where_it_looked(tmp_path: Path) -> None:
    w = SessionWriter(seed=10)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, drop_results=[1])
    w.prompt("Thanks.")
    w.assistant_text("Done.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    why = _why(check_file(path), Rule.R1)
    assert why.kind is CauseKind.UNKNOWN
    assert why.evidence  # the call it looked from
    assert why.client_version == "2.1.114"


def test_a_healthy_file_gets_no_cause_and_reads_nothing(tmp_path: Path) -> None:
    w = SessionWriter(seed=11, hooks=True)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False)
    w.assistant_text("All fine.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    report = check_file(path)
    path.unlink()  # a read now would fail: explain must not read
    assert explain(report) == [None] * len(report.findings)


def test_order_warnings_alone_are_read_no_further_when_asked(tmp_path: Path) -> None:
    """``check`` asks so: a healthy file's R4 (completion order) costs no reading."""
    w = SessionWriter(seed=13)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, result_order=[2, 1, 0])
    w.assistant_text("All fine.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    report = check_file(path)
    assert [f.rule for f in report.findings] == [Rule.R4]
    path.unlink()  # a read now would fail
    assert explain(report, order_alone=False) == [None]


def test_tools_and_batch_of_each_finding(tmp_path: Path) -> None:
    w = SessionWriter(seed=14)
    w.prompt("Check the three things.")
    w.tool_batch(_calls(), streaming=False, drop_results=[1, 2])
    w.prompt("Go on.")
    w.assistant_text("Done.")
    path = _write(tmp_path / "s.jsonl", w.entries())
    report = check_file(path)
    [(names, batch)] = tools_and_batches(report)
    assert names == ["Bash", "Grep"]
    assert batch == 3


def test_a_whole_json_document_is_not_read_as_lines(tmp_path: Path) -> None:
    """A request document's lines are no JSON each: no damage claimed, nothing shown."""
    request = {
        "model": "claude-opus-4-6",
        "messages": [
            {"role": "user", "content": "go"},
            {
                "role": "assistant",
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"p": "a"}}
                ],
            },
            {"role": "user", "content": "next"},
        ],
    }
    path = tmp_path / "request.json"
    path.write_bytes(orjson.dumps(request, option=orjson.OPT_INDENT_2))
    report = check_file(path)
    why = _why(report, Rule.R1)
    assert why.kind is CauseKind.UNKNOWN
    assert why.client_version is None

"""The timeline of a turn: bars from the real samples and from hand-written transcripts,
and its plain-text layout at every width."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from inspector.causes import CauseKind, Evidence, Why
from inspector.check import check_file
from inspector.core.durations import compact
from inspector.rules import CallStatus, Report
from inspector.timeline import (
    Mark,
    Timeline,
    build_timeline,
    marks_from_evidence,
    marks_from_why,
    render_text,
    tool_turns,
    turn_for,
    turn_marks,
)
from tests.conftest import SAMPLES
from tests.support.conversations import (
    assistant,
    result,
    tool_use,
    transcript_lines,
    user,
    write_lines,
)

WIDTHS = (40, 80, 160)


def sample(name: str) -> Report:
    return check_file(SAMPLES / f"{name}.jsonl")


def written(tmp_path: Path, lines: list[dict[str, Any]]) -> Report:
    return check_file(write_lines(tmp_path / "s.jsonl", lines))


def orphan_turn() -> Timeline:
    report = sample("orphan-tool-use")
    return build_timeline(report, tool_turns(report)[0])


def bar_rows(text: str, timeline: Timeline) -> list[str]:
    """The rows of the bars: the lines after the heading, one per call."""
    return text.splitlines()[1 : 1 + len(timeline.bars)]


# ---------------------------------------------------------------- the model


def test_parallel_batch_with_a_missing_result() -> None:
    """orphan-tool-use: Read, Read, Bash sent 1-2 s apart; the second Read never answered."""
    timeline = orphan_turn()
    assert timeline.timed
    assert timeline.line == 4
    assert [(bar.name, bar.sent_line, bar.result_line) for bar in timeline.bars] == [
        ("Read", 5, 8),
        ("Read", 6, None),
        ("Bash", 7, 9),
    ]
    first, missing, bash = timeline.bars
    assert [first.start, first.end] == [0.0, pytest.approx(5.361)]
    assert [bash.start, bash.end] == pytest.approx([2.639, 6.906])
    # No result: the bar runs to the model's next message (line 10, 09:15:00.113).
    assert missing.open_ended
    assert missing.status is CallStatus.MISSING
    assert missing.end == pytest.approx(14.862) == timeline.span
    assert timeline.end_line == 10
    assert missing.defect == "R1 missing result"
    assert first.defect is None
    assert bash.defect is None
    assert timeline.most_at_once == 3


def test_healthy_turns_overlap_only_when_they_ran_together() -> None:
    report = sample("healthy-parallel")
    timelines = {
        build_timeline(report, turn).line: build_timeline(report, turn)
        for turn in tool_turns(report)
    }
    assert timelines[13].most_at_once == 2  # two Reads, the second sent before the first ended
    assert timelines[5].most_at_once == 1  # Grep then Glob, one after the other
    assert all(bar.defect is None for t in timelines.values() for bar in t.bars)
    # A healthy turn's scale ends with its last result, not at the next message.
    assert timelines[13].span == max(bar.end for bar in timelines[13].bars)


def test_results_out_of_order_are_not_a_defect(tmp_path: Path) -> None:
    """R4 is a warning (the API takes parallel results in any order): no ✗ on the bars."""
    lines = transcript_lines(
        [
            user("go"),
            assistant(tool_use("t_a"), tool_use("t_b")),
            user(result("t_b"), result("t_a")),
        ]
    )
    report = written(tmp_path, lines)
    timeline = build_timeline(report, tool_turns(report)[0])
    assert [bar.status for bar in timeline.bars] == [CallStatus.OUT_OF_ORDER] * 2
    assert all(bar.defect is None for bar in timeline.bars)
    assert "✗" not in render_text(timeline, 80)


def test_without_times_the_bars_follow_file_order(tmp_path: Path) -> None:
    lines = transcript_lines(
        [
            user("go"),
            assistant(tool_use("t_a"), tool_use("t_b", "Bash")),
            user(result("t_a")),
            user(result("t_b")),
            assistant("done"),
        ]
    )
    for line in lines:
        del line["timestamp"]
    timeline = build_timeline(report := written(tmp_path, lines), tool_turns(report)[0])
    assert not timeline.timed
    assert timeline.started is None
    assert [(bar.start, bar.end) for bar in timeline.bars] == [(0.0, 2.0), (1.0, 3.0)]
    assert timeline.most_at_once == 2
    text = render_text(timeline, 80)
    assert "file order (no times)" in text.splitlines()[0]
    assert "not durations" in text
    assert [row.split()[-1] for row in bar_rows(text, timeline)] == ["—", "—"]
    axis = text.splitlines()[4]  # heading, 2 bars, ruler, then the labels: line numbers
    assert axis.split()[:3] == ["line", "2", "3"]


def test_one_missing_time_is_enough_to_fall_back_to_file_order(tmp_path: Path) -> None:
    lines = transcript_lines([user("go"), assistant(tool_use("t_a")), user(result("t_a"))])
    del lines[2]["timestamp"]
    report = written(tmp_path, lines)
    assert not build_timeline(report, tool_turns(report)[0]).timed


def test_an_unanswered_call_at_the_end_of_the_file_runs_to_the_last_line(tmp_path: Path) -> None:
    lines = transcript_lines(
        [user("go"), assistant(tool_use("t_a"), tool_use("t_b")), user(result("t_a"))]
    )
    report = written(tmp_path, lines)
    timeline = build_timeline(report, tool_turns(report)[0])
    answered, open_bar = timeline.bars
    assert open_bar.open_ended
    assert open_bar.result_line is None
    assert timeline.end_line == 4  # the last line of the file, the result of t_a
    assert open_bar.end == answered.end == 2.0  # lines written a second apart
    row = bar_rows(render_text(timeline, 80), timeline)[1]
    assert "░" in row
    assert "█" not in row
    assert row.split()[-1] == "≥1.0s"


def test_turn_for_a_selected_message(tmp_path: Path) -> None:
    report = written(
        tmp_path,
        transcript_lines(
            [
                user("go"),
                assistant("looking", tool_use("t_a")),
                user(result("t_a")),
                assistant("found it"),
                user("and now?"),
                assistant(tool_use("t_b")),
                user(result("t_b")),
            ]
        ),
    )
    assert tool_turns(report) == [1, 5]
    assert [turn_for(report, index) for index in range(7)] == [1, 1, 1, 1, 1, 5, 5]
    with pytest.raises(ValueError, match="no tool call"):
        build_timeline(report, 0)


def test_no_calls_no_turn(tmp_path: Path) -> None:
    report = written(tmp_path, transcript_lines([user("hi"), assistant("hello")]))
    assert tool_turns(report) == []
    assert turn_for(report, 1) is None


# ---------------------------------------------------------------- marks


def test_a_cause_becomes_marks_on_its_turn_only() -> None:
    report = sample("orphan-tool-use")
    evidence = (
        Evidence(9, "hook output between the results", "2026-03-02T09:14:52.200Z"),
        Evidence(9, "hook output between the results", "2026-03-02T09:14:52.200Z"),
        Evidence(10, "the model went on", None),
    )
    why = Why(CauseKind.HOOK_OUTPUT, "a hook wrote between the results", evidence)
    assert marks_from_evidence(evidence)[0] == Mark(evidence[0].timestamp, evidence[0].text, 9)
    assert marks_from_why(None) == []
    whys = [why if finding.ids else None for finding in report.findings]
    first, second = tool_turns(report)
    assert turn_marks(report, whys, second) == []  # the finding names a call of the first
    marks = turn_marks(report, whys, first)
    assert [mark.line for mark in marks] == [10]  # line 9 is a result: drawn as a bar
    unknown = [replace(why, kind=CauseKind.UNKNOWN) if why else None for why in whys]
    assert turn_marks(report, unknown, first) == []  # the lines it looked at are no events
    timeline = build_timeline(report, first, marks_from_evidence(evidence[1:]))
    hook, untimed = timeline.marks
    assert hook.at == pytest.approx(6.949)
    assert untimed.at == pytest.approx(14.862)  # no time: the time of its line (10)
    text = render_text(timeline, 80)
    assert "▲ line 9, +6.9s: hook output between the results" in text
    assert "▲ line 10, +15s: the model went on" in text
    assert "▲ event" in text
    # Each mark's column crosses the rows idle at that time: 1 at +6.9 s (the Read still
    # open, the Bash ending), 2 at the end (the open Read ends there).
    assert text.count("┊") == 3


def test_a_mark_before_the_turn_is_shown_at_its_start_with_a_negative_time() -> None:
    report = sample("orphan-tool-use")
    timeline = build_timeline(report, tool_turns(report)[0], [Mark("2026-03-02T09:14:40Z", "x", 3)])
    assert timeline.marks[0].at == pytest.approx(-5.251)
    assert "▲ line 3, -5.3s: x" in render_text(timeline, 80)


# ---------------------------------------------------------------- the text


@pytest.mark.parametrize("width", WIDTHS)
def test_every_width_fits_and_shows_every_call(width: int) -> None:
    timeline = orphan_turn()
    text = render_text(timeline, width)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines), [len(line) for line in lines]
    rows = bar_rows(text, timeline)
    assert [row.split()[0] for row in rows] == ["Read", "Read", "Bash"]
    assert [row.split()[1] for row in rows] == ["rG2t", "FL3C", "rfxI"]
    assert [row.split()[-1] for row in rows] == ["5.4s", "≥14s", "4.3s"]
    # The missing result: an open bar ending in the defect mark, said in the legend.
    assert rows[1].rstrip().removesuffix("≥14s").rstrip().endswith("░✗")
    assert text.count("✗") == 3  # the bar, the legend's key, the defect's line
    assert "✗ Read …FL3C: R1 missing result, line 6" in text
    # Parallel: some column is inside all three bars.
    columns = range(min(len(row) for row in rows))
    assert any(all(row[c] in "█░✗" for row in rows) for c in columns)
    # The axis: a ruler with ticks under the bars, 0s at its start.
    ruler = lines[1 + len(rows)]
    assert ruler.strip().startswith("┬")
    assert "─" in ruler
    assert lines[2 + len(rows)].split()[0] == "0s"


def test_wider_is_longer_bars() -> None:
    timeline = orphan_turn()
    lengths = [bar_rows(render_text(timeline, width), timeline)[0].count("█") for width in WIDTHS]
    assert lengths[0] < lengths[1] < lengths[2]
    assert render_text(timeline, 20) == render_text(timeline, 40)  # 40 is the least


def test_transcript_text_is_escaped(tmp_path: Path) -> None:
    lines = transcript_lines(
        [user("go"), assistant(tool_use("t_\x1b[31m", "Re\x1bad")), user(result("t_\x1b[31m"))]
    )
    report = written(tmp_path, lines)
    mark = Mark(None, "line\none \x1b[2J", 3)
    text = render_text(build_timeline(report, tool_turns(report)[0], [mark]), 80)
    assert "\x1b" not in text
    assert "Re\\x1bad" in text
    assert "line one \\x1b[2J" in text


def test_long_turns_are_labelled_in_minutes_and_hours() -> None:
    assert [compact(s) for s in (0.345, 4.21, 42.4, 125, 3720)] == [
        "0.34s",
        "4.2s",
        "42s",
        "2m05s",
        "1h02m",
    ]

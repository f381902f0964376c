"""The timeline screen: t opens the turn of the selected row, escape closes it, and what it
shows fits half a terminal and fills a whole one."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from inspector.timeline import Mark, tool_turns
from inspector.tui.app import InspectorApp
from inspector.tui.screens.timeline import TimelineScreen
from tests.app.helpers import copy_sample, cursor_label, loaded, open_app, screen_lines, wait_for


def timeline_screen(app: InspectorApp) -> TimelineScreen:
    screen = app.screen
    assert isinstance(screen, TimelineScreen), screen
    return screen


async def open_timeline(app: InspectorApp, pilot: Pilot[None]) -> TimelineScreen:
    await pilot.press("t")
    await wait_for(pilot, lambda: isinstance(app.screen, TimelineScreen), "the timeline")
    await pilot.pause()
    return timeline_screen(app)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_t_opens_the_turn_of_the_selected_call_and_escape_closes_it(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")  # the call without a result
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")
        screen = await open_timeline(app, pilot)
        assert screen.turn == tool_turns(screen.report)[0]
        lines = screen_lines(app)
        assert len(lines) == size[1]
        assert all(len(line) <= size[0] for line in lines)
        text = "\n".join(lines)
        assert "turn 1 of 2 with tool calls" in lines[0]
        assert "3 calls, 3 at once" in lines[1]
        rows = [line for line in lines if line.split()[:1] in (["Read"], ["Bash"])]
        assert [row.split()[:2] for row in rows] == [
            ["Read", "rG2t"],
            ["Read", "FL3C"],
            ["Bash", "rfxI"],
        ]
        assert "░✗" in rows[1]  # open-ended, the defect at its end
        assert "✗ Read …FL3C: R1 missing result, line 6" in text
        assert "esc Back" in lines[-1]
        ruler = next(line for line in lines if "┬" in line)
        # The bars take the width: most of 160 columns, what is left of 80.
        assert len(ruler.strip()) > (120 if size[0] == 160 else 60)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, TimelineScreen), "the session")
        assert "missing result (R1)" in cursor_label(app)  # where the person was


async def test_arrows_go_through_the_turns_of_a_parallel_session(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        screen = await open_timeline(app, pilot)  # the session row: the last turn
        turns = tool_turns(screen.report)
        assert len(turns) == 7
        assert screen.turn == turns[-1]
        assert "2 calls, 2 at once" in screen_lines(app)[1]  # two Bash runs at once
        await pilot.press("right")  # there is no later turn: it stays
        assert screen.turn == turns[-1]
        for _ in range(5):
            await pilot.press("left")
        await pilot.pause()
        assert screen.turn == turns[1]
        lines = screen_lines(app)
        assert "turn 2 of 7" in lines[0]
        assert "turn at line 13 · 2 calls, 2 at once" in lines[1]
        assert [line.split()[0] for line in lines[2:4]] == ["Read", "Read"]
        assert "✗" not in "\n".join(lines)  # healthy: no defect
        await pilot.press("t")  # t closes it too
        await wait_for(pilot, lambda: not isinstance(app.screen, TimelineScreen), "the session")


async def test_marks_are_drawn_and_listed(tmp_path: Path) -> None:
    """What a root cause's evidence gives: a ▲ under the bars and its line in the legend."""
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        assert app.main is not None
        assert app.main.view is not None
        report = app.main.view.snapshot.report
        turns = tool_turns(report)
        hook = Mark("2026-03-02T09:14:52.200Z", "PostToolUse hook output", 9)
        await app.push_screen(TimelineScreen(report, turns, turns[0], lambda _: [hook]))
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "▲ line 9, +6.9s: PostToolUse hook output" in text
        marks_row = next(line for line in text.splitlines() if line.split()[:1] == ["marks"])
        assert marks_row.count("▲") == 1


async def test_the_footer_and_help_name_the_key(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await loaded(pilot, app)
        assert "t Timeline" in screen_lines(app)[-1]
        await pilot.press("question_mark")
        await pilot.pause()
        assert any("t  timeline of the selected turn" in line for line in screen_lines(app))


def offered(screen: TimelineScreen) -> dict[str, bool]:
    """Footer key → whether it can be pressed now (greyed: False); hidden keys left out."""
    return {
        key: active.enabled
        for key, active in screen.active_bindings.items()
        if active.binding.show and key in ("left", "right")
    }


async def test_the_turn_keys_are_offered_only_where_they_lead(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))  # two turns with calls
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        screen = await open_timeline(app, pilot)
        assert offered(screen) == {"left": False, "right": True}
        await pilot.press("right")
        await wait_for(pilot, lambda: offered(screen) == {"left": True, "right": False}, "turn 2")
    app = open_app(copy_sample("compacted", tmp_path))  # one turn with calls
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        screen = await open_timeline(app, pilot)
        assert len(screen.turns) == 1
        assert offered(screen) == {}
        assert "Prev turn" not in screen_lines(app)[-1]


async def test_the_tree_cursor_goes_to_the_turn_the_timeline_closed_on(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")
        screen = await open_timeline(app, pilot)
        second = screen.turns[1]
        await pilot.press("escape")  # closed on the turn it opened on: the cursor stays
        await wait_for(pilot, lambda: not isinstance(app.screen, TimelineScreen), "the session")
        assert "missing result (R1)" in cursor_label(app)
        await open_timeline(app, pilot)
        await pilot.press("right", "escape")
        await wait_for(pilot, lambda: f"#{second} " in cursor_label(app), "the second turn")

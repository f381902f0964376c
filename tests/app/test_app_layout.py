"""The app in half a terminal: at 80x24 and 100x30 what matters is on screen.

Each check reads the composed screen (what a person sees), or compares widget regions
with the screen's.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Button

from inspector.tui.screens.confirm import RewriteScreen
from tests.app.helpers import (
    copy_sample,
    cursor_label,
    dialog,
    loaded,
    open_app,
    screen_lines,
    wait_for,
)

NARROW = [(80, 24), (100, 30)]
VERDICT = "✗ messages.2: `tool_use` ids were found without"
MAIN_KEYS = ("n Next problem", "/ Filter", "s Sessions", "r Rewind", "? Help", "q Quit")
SECONDARY_KEYS = ("p Prev problem", "f Follow", "e Show all", "t Timeline", "R Repair")


@pytest.mark.parametrize("size", NARROW, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_narrow_screen_shows_the_verdict_the_problem_and_the_keys(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "missing result (R1)" in cursor_label(app), "the R1 call")
        await pilot.pause()
        lines = screen_lines(app)
        assert len(lines) == size[1]
        assert lines[-2].strip().startswith(VERDICT), lines[-3:]
        assert lines[-2].rstrip().endswith("…")  # cut with an ellipsis, not wrapped
        text = "\n".join(lines)
        assert "problem 1/1: R1" in text
        assert "∅ missing result (R1)  Read" in text  # the badge before the text, not cut
        assert "✗ 1 error  orphan-tool-use.jsonl" in text
        for key in MAIN_KEYS:
            assert key in lines[-1], (key, lines[-1])
        for key in SECONDARY_KEYS:
            assert key not in lines[-1]
        # The detail is under the tree, both the screen's width.
        tree, detail = app.tool_tree.region, app.detail.region
        assert tree.width == detail.width == size[0]
        assert detail.y >= tree.bottom


async def test_wide_screen_puts_the_detail_beside_the_tree_and_shows_every_key(
    tmp_path: Path,
) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await loaded(pilot, app)
        await pilot.pause()
        tree, detail = app.tool_tree.region, app.detail.region
        assert detail.x >= tree.right
        assert detail.y == tree.y
        footer = screen_lines(app)[-1]
        for key in MAIN_KEYS + SECONDARY_KEYS:
            assert key in footer, (key, footer)


async def test_the_layout_follows_a_resize(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=(160, 48)) as pilot:
        await loaded(pilot, app)
        await pilot.resize_terminal(80, 24)
        await wait_for(pilot, lambda: app.detail.region.y >= app.tool_tree.region.bottom, "stack")
        await pilot.pause()
        assert "q Quit" in screen_lines(app)[-1]
        await pilot.resize_terminal(160, 48)
        await wait_for(pilot, lambda: app.detail.region.x >= app.tool_tree.region.right, "side")


@pytest.mark.parametrize(
    "size",
    [*NARROW, (80, 16), (160, 20)],  # the last two too short for the plan: it scrolls
    ids=lambda size: f"{size[0]}x{size[1]}",
)
async def test_every_rewind_button_is_on_screen(tmp_path: Path, size: tuple[int, int]) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await dialog(pilot, app, RewriteScreen)
        app.clear_notifications()  # the "Planning…" toast goes after 2 s
        await pilot.pause()
        buttons = list(app.screen.query(Button))
        assert [b.id for b in buttons] == ["fork", "switch", "in-place", "cancel"]
        screen = app.screen.region
        text = "\n".join(screen_lines(app))
        for button in buttons:
            assert button.region.area > 0, button.id
            assert screen.contains_region(button.region), (button.id, button.region, screen)
            assert str(button.label) in text, button.id
        # No two buttons overlap, and none covers the plan's first line.
        regions = [b.region for b in buttons]
        assert all(not a.overlaps(b) for i, a in enumerate(regions) for b in regions[i + 1 :])
        assert "Rewind orphan-tool-use.jsonl" in text

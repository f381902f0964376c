"""The picker on many sessions: every row and badge, filters, keys while badges fill."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

import inspector.tui.health
from inspector.batch import Checked
from inspector.tui.app import InspectorApp, make_app
from inspector.tui.health import Badge
from inspector.tui.screens.picker import SessionPicker
from tests.app.helpers import wait_for
from tests.app.many_sessions import Planted, project_folder, write_root
from tests.app.test_app_picker import no_other_agents, table_rows

__all__ = ["no_other_agents"]  # the fixture: a home without other agents' sessions

COUNT = 60
SIZE = (120, 30)


async def open_picker(app: InspectorApp, pilot: object) -> SessionPicker:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
    picker = app.screen
    assert isinstance(picker, SessionPicker)
    return picker


def badges(picker: SessionPicker) -> dict[Path, str]:
    return {
        Path(key): row["health"] for key, row in zip(keys(picker), table_rows(picker), strict=True)
    }


def keys(picker: SessionPicker) -> list[str]:
    return [str(key.value) for key in picker.query_one(DataTable).rows]


def heading(picker: SessionPicker) -> str:
    return str(picker.query_one("#picker-title", Static).render())


def expected(planted: Planted, path: Path) -> str:
    if path in planted.errors:
        return "✗ 1 error"
    if path in planted.warnings:
        return "⚠ 1 warning"
    return "✓ ok"


async def test_every_row_and_badge_newest_first(tmp_path: Path) -> None:
    root = tmp_path / "claude"
    planted = write_root(root, COUNT)
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await wait_for(pilot, lambda: len(keys(picker)) == COUNT, "every row")
        assert [Path(key) for key in keys(picker)] == planted.paths  # newest first
        done = lambda: "…" not in badges(picker).values()  # noqa: E731
        await wait_for(pilot, done, "every badge")
        assert badges(picker) == {path: expected(planted, path) for path in planted.paths}
        titles = [row["title"] for row in table_rows(picker)]
        assert titles[0] == "Session 0: why does the cache code fail?"
        assert "badges to come" not in heading(picker)


async def test_filters_narrow_the_rows_and_escape_clears_them(tmp_path: Path) -> None:
    root = tmp_path / "claude"
    planted = write_root(root, COUNT)
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        done = lambda: len(keys(picker)) == COUNT and "…" not in badges(picker).values()  # noqa: E731
        await wait_for(pilot, done, "every badge")
        billing = [p for p in planted.paths if p.parent.name == project_folder("billing")]
        await pilot.press("slash", *"BILLING")
        await wait_for(pilot, lambda: len(keys(picker)) == len(billing), "billing only")
        assert [Path(key) for key in keys(picker)] == billing
        assert "matching billing" in heading(picker)
        await pilot.press("enter")  # back to the table, the filter stays
        assert picker.query_one(DataTable).has_focus
        await pilot.press("h")  # rejected, in billing
        rejected = [p for p in billing if p in planted.errors]
        assert rejected
        await wait_for(pilot, lambda: len(keys(picker)) == len(rejected), "billing's rejected")
        assert set(badges(picker).values()) == {"✗ 1 error"}
        assert "health rejected" in heading(picker)
        await pilot.press("h")  # with warnings: none in billing
        await wait_for(pilot, lambda: "health warnings" in heading(picker), "warnings")
        assert keys(picker) == []
        await pilot.press("h")  # ok, then all again
        ok = [p for p in billing if p not in planted.errors | planted.warnings]
        await wait_for(pilot, lambda: [Path(k) for k in keys(picker)] == ok, "billing's ok")
        await pilot.press("h")
        await wait_for(pilot, lambda: len(keys(picker)) == len(billing), "billing again")
        await pilot.press("h")
        await pilot.press("escape")  # clears both filters, stays in the picker
        await wait_for(pilot, lambda: len(keys(picker)) == COUNT, "every row again")
        assert app.screen is picker
        assert "shown" not in heading(picker)
        await pilot.press("escape")  # nothing to clear: escape leaves (quits: top level)
        await wait_for(pilot, lambda: not app.is_running, "the app quits")


@pytest.fixture
def slow_badges(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Badges after the tenth wait until the returned event is set."""
    gate = threading.Event()
    real = inspector.tui.health.badge_of
    given = 0

    def gated(checked: Checked) -> Badge:
        nonlocal given
        given += 1
        if given > 10:
            gate.wait(timeout=30)
        return real(checked)

    monkeypatch.setattr(inspector.tui.health, "badge_of", gated)
    return gate


async def test_keys_answer_while_badges_fill(tmp_path: Path, slow_badges: threading.Event) -> None:
    root = tmp_path / "claude"
    planted = write_root(root, COUNT)
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await wait_for(pilot, lambda: len(keys(picker)) == COUNT, "every row")
        table = picker.query_one(DataTable)
        await pilot.press("down", "down", "down")
        assert table.cursor_row == 3
        await pilot.press("slash", *"ledger")
        ledger = [p for p in planted.paths if p.parent.name == project_folder("ledger")]
        await wait_for(pilot, lambda: len(keys(picker)) == len(ledger), "ledger only")
        assert "…" in badges(picker).values()  # still filling
        assert "badges to come" in heading(picker)
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(keys(picker)) == COUNT, "every row again")
        slow_badges.set()
        await wait_for(pilot, lambda: "…" not in badges(picker).values(), "every badge")
        assert badges(picker)[planted.paths[1]] == "✗ 1 error"


async def test_leaving_the_picker_stops_the_feed(
    tmp_path: Path, slow_badges: threading.Event
) -> None:
    root = tmp_path / "claude"
    write_root(root, COUNT)
    sessions = root / "projects" / project_folder("shop-api")
    opened = sorted(sessions.glob("*.jsonl"))[0]
    app = make_app(str(opened), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        picker = await open_picker(app, pilot)
        await wait_for(pilot, lambda: picker.feed is not None, "the feed")
        feed = picker.feed
        assert feed is not None
        await wait_for(pilot, lambda: feed.badges_left < COUNT, "the first badges")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is not picker, "back to the session")
        slow_badges.set()
        await wait_for(pilot, feed.done.is_set, "the feed's end")
        assert feed.badges_left > 0  # stopped before the rest was checked
        assert feed.failure is None


async def test_a_pool_ends_with_the_picker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Worker processes check the files when there is much to read; they end with it."""
    monkeypatch.setattr(inspector.tui.health, "INLINE_BYTES", 0)
    root = tmp_path / "claude"
    planted = write_root(root, 20)
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        await wait_for(pilot, lambda: picker.feed is not None, "the feed")
        feed = picker.feed
        assert feed is not None
        assert feed.in_pool
        done = lambda: len(keys(picker)) == 20 and "…" not in badges(picker).values()  # noqa: E731
        await wait_for(pilot, done, "every badge", within=60)
        assert badges(picker) == {path: expected(planted, path) for path in planted.paths}
        await wait_for(pilot, feed.done.is_set, "the feed's end")
    await_children = [p for p in multiprocessing.active_children() if p.is_alive()]
    assert not await_children


async def test_the_palette_and_the_footer_offer_the_filters(tmp_path: Path) -> None:
    root = tmp_path / "claude"
    write_root(root, 3)
    app = make_app(str(root), follow=False, root=root)
    async with app.run_test(size=SIZE) as pilot:
        picker = await open_picker(app, pilot)
        commands = {command.title: command for command in app.get_system_commands(app.screen)}
        assert {"Filter", "Health"} <= set(commands)
        assert "Clear filter" not in commands  # nothing to clear yet
        commands["Health"].callback()
        await pilot.pause()
        assert "health rejected" in heading(picker)
        assert "Clear filter" in {c.title for c in app.get_system_commands(app.screen)}

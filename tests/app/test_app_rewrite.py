"""Rewind and repair from the app: plan, confirm, write a new session, open it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from inspector.tui.screens.confirm import RewriteScreen, WrittenScreen
from tests.app.helpers import SIZE, copy_sample, loaded, open_app, status_text, wait_for


def jsonl_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.jsonl"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_rewind_forks_a_new_session_and_opens_it(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    before = sha(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RewriteScreen), "the plan")
        screen = app.screen
        assert isinstance(screen, RewriteScreen)
        assert screen.plan.cut is not None
        assert screen.plan.cut.message_index == 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), "the result")
        written = app.screen
        assert isinstance(written, WrittenScreen)
        new_file = written.result.written
        assert new_file is not None
        assert new_file.parent == tmp_path
        assert new_file != path
        assert written.result.resume == f"claude --resume {new_file.stem}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: new_file.name in status_text(app), "the new session")
        await loaded(pilot, app)
        assert "0 errors" in status_text(app)
    assert sha(path) == before


async def test_rewind_can_switch_to_repair_and_cancel(tmp_path: Path) -> None:
    path = copy_sample("duplicate-id", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RewriteScreen), "the rewind plan")
        await pilot.press("tab", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RewriteScreen) and app.screen.plan.action.value == "repair"
            ),
            "the repair plan",
        )
        screen = app.screen
        assert isinstance(screen, RewriteScreen)
        assert screen.plan.changes
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewriteScreen), "cancelled")
    assert jsonl_names(tmp_path) == ["duplicate-id.jsonl"]


async def test_nothing_to_rewind_in_a_healthy_session(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any("Nothing to rewind" in str(n.message) for n in app._notifications),
            "the notification",
        )
        assert not isinstance(app.screen, RewriteScreen)

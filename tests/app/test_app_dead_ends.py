"""No dead ends: every dialog visible while it holds the keys, escape goes back (and quits
only where the footer says so), a live session can be replaced from the app after saying
why, every action in the palette, and the footer lists only keys that work."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.binding import Binding
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from inspector.tui.app import InspectorApp
from inspector.tui.conversation_view import NodeKind
from inspector.tui.launch import Launch, NoSession
from inspector.tui.screens.confirm import LiveScreen, RewriteScreen, WrittenScreen, live_text
from inspector.tui.screens.help import HelpScreen
from inspector.tui.screens.no_session import NoSessionScreen
from inspector.tui.screens.picker import SessionPicker
from tests.app.helpers import (
    copy_sample,
    detail_text,
    dialog,
    loaded,
    nodes_of,
    open_app,
    wait_for,
)
from tests.app.test_app_rewrite import jsonl_names, sha
from tests.support.synthetic import SessionWriter, bash_call

NARROW = (80, 24)
RUNS = 50


class Frames:
    """The screen each frame sent to the terminal was drawn from (the last one is what a
    person sees)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.screens: list[Screen[object]] = []
        display = App._display

        def record(app: App[object], screen: Screen[object], renderable: object) -> None:
            if renderable is not None:
                self.screens.append(screen)
            display(app, screen, renderable)  # type: ignore[arg-type]

        monkeypatch.setattr(App, "_display", record)


async def shows_and_answers(
    pilot: Pilot[None],
    app: InspectorApp,
    frames: Frames,
    kind: type[Screen[Any]],
    *,
    keys: bool = True,
) -> None:
    """The top screen is a ``kind``, drawn last, its focus inside it, and (``keys``) keys
    answer: ``?`` opens help over it, escape closes it."""
    await wait_for(pilot, lambda: isinstance(app.screen, kind), kind.__name__)
    screen = app.screen
    await wait_for(pilot, lambda: frames.screens and frames.screens[-1] is screen, "its frame")
    focused = screen.focused
    assert focused is not None
    assert focused.screen is screen
    dialog = screen.query_one(".dialog")
    assert dialog.region.area > 0
    assert screen.region.contains_region(dialog.region)
    if not keys:
        return
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help over the dialog")
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen is screen, "the dialog again")
    assert screen.focused is focused


async def test_fork_fifty_times_never_leaves_a_hidden_focused_dialog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = Frames(monkeypatch)
    path = copy_sample("orphan-tool-use", tmp_path)
    app = open_app(path, follow=True)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        for run in range(RUNS):
            await pilot.press("r")
            await shows_and_answers(pilot, app, frames, RewriteScreen, keys=run % 10 == 0)
            await pilot.press("enter")  # Fork
            await shows_and_answers(pilot, app, frames, WrittenScreen)
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.screen.id == "_default", f"run {run}: closed")
            await wait_for(pilot, lambda: app.rewriting is None, f"run {run}: done")
            assert app.screen.focused is app.tool_tree
    assert len(jsonl_names(tmp_path)) == RUNS + 1


def footer_keys(screen: Screen[object]) -> dict[str, str]:
    return {
        key: active.binding.description
        for key, active in screen.active_bindings.items()
        if active.binding.show
    }


async def test_escape_quits_the_first_picker_and_its_footer_says_so(tmp_path: Path) -> None:
    copy_sample("orphan-tool-use", tmp_path)
    app = InspectorApp(Launch(picker=True, scope=tmp_path), follow=False, root=tmp_path / "r")
    async with app.run_test(size=NARROW) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        assert footer_keys(app.screen)["escape"] == "Quit"
        await pilot.press("escape")
    assert app.return_code == 0


async def test_escape_in_the_picker_of_a_session_goes_back(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        assert footer_keys(app.screen)["escape"] == "Back"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "_default", "the session again")
        assert app.is_running


async def test_footer_lists_only_the_keys_that_work(tmp_path: Path) -> None:
    session_keys = {"n", "p", "f", "slash", "e", "r", "R"}
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        assert session_keys <= set(footer_keys(app.screen))
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker_keys = footer_keys(app.screen)
        assert not (session_keys - {"slash"}) & set(picker_keys)
        assert picker_keys["slash"] == "Filter"  # the picker's own: it filters the sessions
        assert "s" not in picker_keys  # the picker is open already
        await pilot.press("n")  # and the hidden keys do nothing
        assert isinstance(app.screen, SessionPicker)
    app = InspectorApp(Launch(problem=NoSession("nothing here")), root=tmp_path / "r")
    async with app.run_test(size=NARROW) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, NoSessionScreen), "the empty state")
        keys = footer_keys(app.screen)
        assert not session_keys & set(keys)
        assert {"s", "d", "q"} <= set(keys)


async def test_in_place_on_a_live_session_says_why_and_can_go_ahead(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)  # just written: it looks live
    before = sha(path)
    app = open_app(path)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        plan = await dialog(pilot, app, RewriteScreen)
        plan.query_one("#in-place", Button).press()
        live = await dialog(pilot, app, LiveScreen)
        console = Console(width=200, color_system=None)
        with console.capture() as capture:
            console.print(live_text(live.plan, live.reason))
        text = capture.get()
        assert "was written" in text
        assert "s ago" in text
        assert "--force" not in text
        assert sha(path) == before
        live.query_one("#in-place", Button).press()  # Replace anyway
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), "the result")
        written = app.screen
        assert isinstance(written, WrittenScreen)
        assert written.result.in_place
        assert written.result.backup is not None
        assert sha(written.result.backup) == before
    assert sha(path) != before


async def test_live_session_confirm_can_fork_instead_or_cancel(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    before = sha(path)
    app = open_app(path)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        for answer in ("escape", "enter"):  # cancel, then Fork instead (the default)
            await pilot.press("r")
            plan = await dialog(pilot, app, RewriteScreen)
            plan.query_one("#in-place", Button).press()
            await dialog(pilot, app, LiveScreen)
            await pilot.press(answer)
            if answer == "escape":
                await wait_for(pilot, lambda: app.rewriting is None, "cancelled")
                assert app.screen.id == "_default"
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), "the fork")
        written = app.screen
        assert isinstance(written, WrittenScreen)
        assert not written.result.in_place
        assert written.result.written != path
    assert sha(path) == before


async def test_every_action_of_the_footer_is_in_the_palette(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        shown = {b.description for b in app.BINDINGS if isinstance(b, Binding) and b.show}
        assert "Show all" in shown
        assert shown - {"Quit"} <= titles  # Quit is Textual's own command
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Rewind" not in titles
        assert "Sessions" not in titles


async def test_fold_hint_is_above_the_folded_text(tmp_path: Path) -> None:
    writer = SessionWriter(seed=3)
    writer.prompt("Show the log")
    writer.tool_batch([bash_call("cat build.log", "\n".join(f"log {n}" for n in range(300)))])
    writer.assistant_text("Done.")
    path = tmp_path / "long.jsonl"
    writer.write(path)
    app = open_app(path)
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if n.allow_expand)
        app.tool_tree.reveal(message)
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the call")
        app.tool_tree.reveal(nodes_of(app, NodeKind.CALL)[0])
        await wait_for(pilot, lambda: "log 39" in detail_text(app), "the folded output")
        text = detail_text(app)
        assert text.index("press e to show all") < text.index("log 0\n")


async def test_planning_toast_is_gone_once_the_dialog_is_up(tmp_path: Path) -> None:
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RewriteScreen), "the plan")
        await pilot.pause()
        assert not [n for n in app._notifications if "Planning" in n.message]


async def test_sessions_after_opening_a_file_by_path_lists_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "somewhere"
    folder.mkdir()
    path = copy_sample("orphan-tool-use", folder)
    old = time.time() - 3600
    os.utime(path, (old, old))
    app = open_app(path, root=tmp_path / "empty-config-root")
    async with app.run_test(size=NARROW) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        table = picker.query_one(DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, "the file's own row")
        title = str(picker.query_one("#picker-title", Static).render())
        assert str(folder) in title
        assert "nothing else in this folder" in title

"""Snapshot tests (SVGs in __snapshots__/, looked at by a person before being kept).

Run ``pytest tests/app/test_app_snapshots.py --snapshot-update`` after an intended
change, then open the new SVGs to check them.
"""

from __future__ import annotations

import os
import shutil
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from inspector.tui.app import InspectorApp, make_app
from inspector.tui.screens.confirm import RewriteScreen
from tests.app.helpers import detail_text, dialog, loaded, screen_lines, wait_for
from tests.conftest import SAMPLES

SnapCompare = Callable[..., bool]
TERMINAL = (140, 36)
SIZES = [(80, 24), (100, 30), (160, 48)]
"""Half a laptop's terminal (two of them), and a whole one."""


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Times are shown in local time: pin it so the pictures do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def sample_app(name: str) -> InspectorApp:
    return make_app(str(SAMPLES / f"{name}.jsonl"), follow=False, root=SAMPLES / "no-root")


def then(app: InspectorApp, *keys: str, detail: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot, app)
        for key in keys:
            await pilot.press(key)
        await wait_for(pilot, lambda: detail in detail_text(app), f"detail with {detail!r}")
        await pilot.pause()

    return run_before


def test_missing_result_problem(snap_compare: SnapCompare) -> None:
    app = sample_app("orphan-tool-use")
    assert snap_compare(app, terminal_size=TERMINAL, run_before=then(app, "n", detail="Input"))


def test_duplicate_id_problem(snap_compare: SnapCompare) -> None:
    app = sample_app("duplicate-id")
    assert snap_compare(app, terminal_size=TERMINAL, run_before=then(app, "n", detail="R5b"))


def test_stored_api_errors(snap_compare: SnapCompare) -> None:
    app = sample_app("api-error")
    run_before = then(app, "p", detail="Stored API error")
    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


def test_help_screen(snap_compare: SnapCompare) -> None:
    app = sample_app("healthy-parallel")

    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.id != "_default", "the help screen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=TERMINAL, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_problem_selected_at_size(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = sample_app("orphan-tool-use")
    assert snap_compare(app, terminal_size=size, run_before=then(app, "n", detail="Input"))


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_rewind_dialog_at_size(
    snap_compare: SnapCompare, size: tuple[int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The plan names the new session's id: pin it so the picture does not change.
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0x5EED))
    app = sample_app("orphan-tool-use")

    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot, app)
        await pilot.press("n", "r")
        await dialog(pilot, app, RewriteScreen)
        # The "Planning…" toast leaves after a time of its own: wait until it is gone.
        app.clear_notifications()
        screens = app.screen_stack
        await wait_for(pilot, lambda: not any(s.query("Toast") for s in screens), "no toast")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_help_at_size(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    app = sample_app("orphan-tool-use")

    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot, app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen.id != "_default", "the help screen")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_picker_at_size(snap_compare: SnapCompare, size: tuple[int, int]) -> None:
    """The picker of the opened file's folder, its titles and health badges filled in.

    The picker's title names the folder: it is one fixed path per size, not a random one."""
    base = Path("/tmp") / f"inspector-picker-snapshot-{size[0]}x{size[1]}"
    shutil.rmtree(base, ignore_errors=True)
    folder = base / "sample_sessions"
    folder.mkdir(parents=True)
    start = 1_767_225_600  # 2026-01-01 00:00 UTC: the last-write column must not move
    for minute, sample in enumerate(sorted(SAMPLES.glob("*.jsonl"))):
        copy = folder / sample.name
        copy.write_bytes(sample.read_bytes())
        os.utime(copy, (start + 60 * minute, start + 60 * minute))
    app = make_app(str(folder / "orphan-tool-use.jsonl"), follow=False, root=base / "none")

    async def run_before(pilot: Pilot[None]) -> None:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: app.screen.id != "_default", "the picker")

        def filled() -> bool:
            badges = ("✓ ok", "✗ ", "⚠ ")
            rows = [line for line in screen_lines(app) if any(b in line for b in badges)]
            return len(rows) == len(list(folder.glob("*.jsonl")))

        await wait_for(pilot, filled, "titles and badges")
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=run_before)

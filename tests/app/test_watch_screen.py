"""The live screen: every session being written, its health updating as it breaks."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.coordinate import Coordinate
from textual.widgets import DataTable

from inspector.tui.app import make_app
from inspector.tui.screens.watching import WatchScreen
from tests.conftest import SAMPLES

HEALTHY = (SAMPLES / "healthy-parallel.jsonl").read_bytes()
ORPHAN = (SAMPLES / "orphan-tool-use.jsonl").read_bytes()


def cell(table: DataTable[object], row: int, column: str) -> str:
    return str(table.get_cell(table.coordinate_to_cell_key(Coordinate(row, 0)).row_key, column))


async def test_w_lists_live_sessions_and_their_health_updates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "claude"
    project = root / "projects" / "-home-dev-shop"
    project.mkdir(parents=True)
    session = project / "0b7c5c2e-0000-4000-8000-000000000001.jsonl"
    session.write_bytes(HEALTHY)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(root))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    app = make_app(str(session), cwd=tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("w")
        screen = app.screen
        assert isinstance(screen, WatchScreen)
        table = screen.query_one(DataTable)
        for _ in range(50):
            await pilot.pause(0.1)
            if table.row_count:
                break
        assert table.row_count == 1
        assert cell(table, 0, "health") == "✓ ok"
        session.write_bytes(HEALTHY + ORPHAN)
        for _ in range(50):
            await pilot.pause(0.1)
            if cell(table, 0, "health") != "✓ ok":
                break
        assert cell(table, 0, "health") == "✗ 1 error"
        assert cell(table, 0, "last event") == "broke"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, WatchScreen)
        assert app.main is not None
        assert app.main.path == session

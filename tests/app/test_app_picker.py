"""The session picker: every session under the config root, with live marks and badges."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import orjson
import pytest
from textual.widgets import DataTable

from inspector.tui.app import make_app
from inspector.tui.screens.picker import SessionPicker
from tests.app.helpers import SIZE, loaded, status_text, wait_for
from tests.conftest import SAMPLES

CWD = Path("/home/dev/projects/shop-api")
FOLDER = "-home-dev-projects-shop-api"
SESSIONS = {
    "orphan-tool-use": "780c4b16-a510-49fa-a2b2-bbd1c38dbe31",
    "healthy-parallel": "11111111-2222-4333-8444-555555555555",
    "out-of-order": "66666666-7777-4888-9999-000000000000",
}


SESSION_COLUMN = 3


@pytest.fixture(autouse=True)
def no_other_agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home of its own, so the picker sees only the sessions a test puts there."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.delenv("APPDATA", raising=False)
    monkeypatch.delenv("CODEX_HOME", raising=False)
    return home


def config_root(tmp_path: Path) -> Path:
    """A CLAUDE_CONFIG_DIR with three sessions in one project (orphan-tool-use newest)."""
    root = tmp_path / "claude"
    project = root / "projects" / FOLDER
    project.mkdir(parents=True)
    for age, (name, session_id) in enumerate(reversed(SESSIONS.items())):
        target = project / f"{session_id}.jsonl"
        shutil.copy(SAMPLES / f"{name}.jsonl", target)
        os.utime(target, (1_700_000_000 + age * 60, 1_700_000_000 + age * 60))
    (root / "sessions").mkdir()
    record = {"pid": os.getpid(), "sessionId": SESSIONS["healthy-parallel"], "cwd": str(CWD)}
    (root / "sessions" / f"{os.getpid()}.json").write_bytes(orjson.dumps(record))
    return root


def table_rows(picker: SessionPicker) -> list[list[str]]:
    table = picker.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(row)] for row in range(table.row_count)]


async def test_no_argument_opens_the_newest_session_of_the_directory(tmp_path: Path) -> None:
    root = config_root(tmp_path)
    app = make_app(None, follow=False, root=root, cwd=CWD)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert f"{SESSIONS['orphan-tool-use']}.jsonl" in status_text(app)


async def test_picker_lists_sessions_with_badges_and_opens_one(tmp_path: Path) -> None:
    root = config_root(tmp_path)
    app = make_app(None, follow=False, root=root, cwd=CWD)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        await wait_for(pilot, lambda: len(table_rows(picker)) == 3, "three sessions")
        await wait_for(
            pilot,
            lambda: all(row[-1] != "…" for row in table_rows(picker)),
            "every health badge",
        )
        rows = {row[SESSION_COLUMN]: row for row in table_rows(picker)}
        assert [row[SESSION_COLUMN] for row in table_rows(picker)] == list(SESSIONS.values())
        assert rows[SESSIONS["orphan-tool-use"]][-1] == "✗ 1 error"
        assert rows[SESSIONS["healthy-parallel"]][-1] == "✓ ok"
        assert rows[SESSIONS["out-of-order"]][-1] == "⚠ 1 warning"
        assert rows[SESSIONS["healthy-parallel"]][0] == "●"
        assert rows[SESSIONS["orphan-tool-use"]][0] == " "
        assert rows[SESSIONS["orphan-tool-use"]][1] == "Claude Code"
        assert rows[SESSIONS["orphan-tool-use"]][2] == FOLDER
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionPicker), "closed")
        await wait_for(
            pilot, lambda: SESSIONS["healthy-parallel"] in status_text(app), "the chosen session"
        )
        await wait_for(pilot, lambda: "LIVE (Claude Code pid" in status_text(app), "live mark")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker again")
        again = app.screen
        assert isinstance(again, SessionPicker)
        await wait_for(pilot, lambda: len(table_rows(again)) == 3, "the rows")
        assert all(row[-1] != "…" for row in table_rows(again)), "badges come from the cache"


async def test_folder_target_opens_its_newest_session_and_scopes_the_picker(
    tmp_path: Path,
) -> None:
    root = config_root(tmp_path)
    app = make_app(str(root / "projects" / FOLDER), follow=False, root=tmp_path / "elsewhere")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert SESSIONS["orphan-tool-use"] in status_text(app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        await wait_for(pilot, lambda: len(table_rows(picker)) == 3, "the folder's sessions")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, SessionPicker), "closed")


async def test_config_root_folder_opens_the_picker(tmp_path: Path) -> None:
    root = config_root(tmp_path)
    app = make_app(str(root), follow=False, root=tmp_path / "elsewhere")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        await wait_for(pilot, lambda: len(table_rows(picker)) == 3, "every session")
        await pilot.press("enter")
        await loaded(pilot, app)
        assert SESSIONS["orphan-tool-use"] in status_text(app)


async def test_picker_lists_other_agents_sessions_with_their_agent(
    tmp_path: Path, no_other_agents: Path
) -> None:
    task = no_other_agents / ".config/Code/User/globalStorage/rooveterinaryinc.roo-cline/tasks/t-42"
    task.mkdir(parents=True)
    history = [
        {"role": "user", "content": "fix it"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "A", "name": "x", "input": {}}],
        },
        {"role": "user", "content": [{"type": "text", "text": "no result"}]},
    ]
    (task / "api_conversation_history.json").write_bytes(orjson.dumps(history))
    root = config_root(tmp_path)
    app = make_app(None, follow=False, root=root, cwd=CWD)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        await wait_for(
            pilot,
            lambda: any(row[SESSION_COLUMN] == "t-42" for row in table_rows(picker)),
            "the Roo Code task",
        )
        [roo] = [row for row in table_rows(picker) if row[SESSION_COLUMN] == "t-42"]
        assert roo[1] == "Roo Code"
        await wait_for(pilot, lambda: table_rows(picker)[-1][-1] != "…", "the badges")
        [roo] = [row for row in table_rows(picker) if row[SESSION_COLUMN] == "t-42"]
        assert roo[-1] == "✗ 1 error"

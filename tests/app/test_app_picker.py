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


def table_rows(picker: SessionPicker) -> list[dict[str, str]]:
    """Each row by column key ("live", "title", "project", "health", …), and "id": the
    id of the session it opens."""
    table = picker.query_one(DataTable)
    rows: list[dict[str, str]] = []
    for row_key in list(table.rows):
        cells = table.get_row(row_key)
        row = {str(col.value): str(cell) for col, cell in zip(table.columns, cells, strict=True)}
        row["id"] = picker.sessions[str(row_key.value)].session_id
        rows.append(row)
    return rows


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
            lambda: all(row["health"] != "…" for row in table_rows(picker)),
            "every health badge",
        )
        rows = {row["id"]: row for row in table_rows(picker)}
        assert [row["id"] for row in table_rows(picker)] == list(SESSIONS.values())
        assert rows[SESSIONS["orphan-tool-use"]]["health"] == "✗ 1 error"
        assert rows[SESSIONS["healthy-parallel"]]["health"] == "✓ ok"
        assert rows[SESSIONS["out-of-order"]]["health"] == "⚠ 1 warning"
        assert rows[SESSIONS["healthy-parallel"]]["live"] == "●"
        assert rows[SESSIONS["orphan-tool-use"]]["live"] == " "
        assert rows[SESSIONS["orphan-tool-use"]]["agent"] == "Claude Code"
        assert rows[SESSIONS["orphan-tool-use"]]["project"] == "…projects-shop-api"
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
        assert all(row["health"] != "…" for row in table_rows(again)), "badges come from the cache"


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
            lambda: any(row["id"] == "t-42" for row in table_rows(picker)),
            "the Roo Code task",
        )
        [roo] = [row for row in table_rows(picker) if row["id"] == "t-42"]
        assert roo["agent"] == "Roo Code"
        await wait_for(pilot, lambda: table_rows(picker)[-1]["health"] != "…", "the badges")
        [roo] = [row for row in table_rows(picker) if row["id"] == "t-42"]
        assert roo["health"] == "✗ 1 error"


def rendered(picker: SessionPicker) -> list[str]:
    """The picker's table as drawn on screen, line by line."""
    table = picker.query_one(DataTable)
    return [table.render_line(y).text for y in range(table.size.height)]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (160, 48)])
async def test_picker_rows_have_titles_a_stable_order_and_whole_badges(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    root = config_root(tmp_path)
    project = root / "projects" / FOLDER
    renamed = project / f"{SESSIONS['healthy-parallel']}.jsonl"
    entry = {"type": "custom-title", "customTitle": "Upsert fix", "sessionId": "x"}
    with renamed.open("ab") as handle:
        handle.write(orjson.dumps(entry) + b"\n")
    same = 1_700_000_600  # two sessions written in the same second: ordered by path
    for name in ("orphan-tool-use", "out-of-order"):
        os.utime(project / f"{SESSIONS[name]}.jsonl", (same, same))
    os.utime(renamed, (same - 60, same - 60))
    app = make_app(None, follow=False, root=root, cwd=CWD)
    async with app.run_test(size=size) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
        picker = app.screen
        assert isinstance(picker, SessionPicker)
        await wait_for(
            pilot,
            lambda: (
                len(table_rows(picker)) == 3
                and all(row["health"] != "…" for row in table_rows(picker))
            ),
            "every badge",
        )
        rows = table_rows(picker)
        tied = sorted([SESSIONS["orphan-tool-use"], SESSIONS["out-of-order"]])
        assert [row["id"] for row in rows] == [*tied, SESSIONS["healthy-parallel"]]
        titles = {row["id"]: row["title"] for row in rows}
        assert titles[SESSIONS["healthy-parallel"]] == "Upsert fix"
        assert titles[SESSIONS["orphan-tool-use"]].startswith("The nightly import logs")
        await pilot.pause()
        screen = "\n".join(rendered(picker))
        assert "✗ 1 error" in screen
        assert "⚠ 1 warning" in screen
        assert "Upsert fix" in screen
        assert "The nightly" in screen
        assert all(len(line) <= size[0] for line in rendered(picker))

"""What `inspector [TARGET] [--demo]` opens, and the screen shown when nothing is found."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from rich.console import Console

from inspector.tui.app import EXIT_OK, make_app
from inspector.tui.launch import bundled_samples, demo_launch, resolve
from inspector.tui.screens.no_session import NoSessionScreen, explanation
from inspector.tui.screens.picker import SessionPicker
from tests.app.helpers import SIZE, loaded, status_text, wait_for
from tests.app.test_app_picker import table_rows
from tests.conftest import SAMPLES


def test_no_argument_without_a_project_explains_where_it_looked(tmp_path: Path) -> None:
    launch = resolve(None, cwd=Path("/home/dev/nothing here"), root=tmp_path)
    assert launch.session is None
    assert launch.problem is not None
    assert "/home/dev/nothing here" in launch.problem.reason
    assert str(tmp_path / "projects" / "-home-dev-nothing-here") in launch.problem.looked_for[0]


def test_file_folder_and_session_id(tmp_path: Path) -> None:
    project = tmp_path / "projects" / "-srv-app"
    project.mkdir(parents=True)
    session = project / "0f4c2a9e-1111-4222-8333-444455556666.jsonl"
    shutil.copy(SAMPLES / "orphan-tool-use.jsonl", session)
    assert resolve(str(session), cwd=tmp_path, root=tmp_path).session == session
    by_folder = resolve(str(project), cwd=tmp_path, root=tmp_path)
    assert by_folder.session == session
    assert by_folder.scope == project
    assert resolve(session.stem, cwd=tmp_path, root=tmp_path).session == session
    assert resolve(str(tmp_path), cwd=tmp_path, root=tmp_path).picker
    unknown = resolve("no-such-session", cwd=tmp_path, root=tmp_path)
    assert unknown.problem is not None
    assert "no session with that id" in unknown.problem.reason
    empty = tmp_path / "empty"
    empty.mkdir()
    assert resolve(str(empty), cwd=tmp_path, root=tmp_path).problem is not None


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_demo_works_on_a_temporary_copy() -> None:
    samples = bundled_samples()
    assert samples == SAMPLES
    before = digest(SAMPLES)
    launch = demo_launch()
    try:
        assert launch.demo is not None
        assert launch.scope is not None
        assert launch.picker
        assert launch.scope.is_relative_to(launch.demo)
        assert digest(launch.scope) == before
    finally:
        if launch.demo is not None:
            shutil.rmtree(launch.demo)
    assert digest(SAMPLES) == before


async def test_demo_app_opens_the_picker_on_the_copy() -> None:
    app = make_app(demo=True, follow=False)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, SessionPicker), "the picker")
            picker = app.screen
            assert isinstance(picker, SessionPicker)
            count = len(list(SAMPLES.glob("*.jsonl")))
            await wait_for(pilot, lambda: len(table_rows(picker)) == count, "every sample")
            await pilot.press("enter")
            await loaded(pilot, app)
            assert app.main is not None
            assert app.main.path.is_relative_to(app.temporary[0])
            assert ".jsonl" in status_text(app)
    finally:
        for folder in app.temporary:
            shutil.rmtree(folder, ignore_errors=True)


async def test_missing_target_shows_help_not_a_traceback(tmp_path: Path) -> None:
    app = make_app(str(tmp_path / "missing.jsonl"), root=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, NoSessionScreen), "the explanation")
        screen = app.screen
        assert isinstance(screen, NoSessionScreen)
        console = Console(width=200, color_system=None)
        with console.capture() as capture:
            console.print(explanation(screen.problem))
        text = capture.get()
        assert "No such file or folder" in text
        assert "inspector --demo" in text
        await pilot.press("q")
    assert app.return_code == EXIT_OK  # a person quitting is not an error

"""Helpers for the app tests: copies of samples, polling, reading what is on screen."""

from __future__ import annotations

import io
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button
from textual.widgets.tree import TreeNode

from inspector.tui.app import InspectorApp, make_app
from inspector.tui.conversation_view import NodeKind
from inspector.tui.widgets.status_bar import StatusBar
from inspector.tui.widgets.tool_tree import NodeRef
from tests.conftest import SAMPLES

SIZE = (150, 44)

ScreenT = TypeVar("ScreenT", bound=Screen[Any])


def copy_sample(name: str, folder: Path) -> Path:
    """A copy of ``sample_sessions/<name>.jsonl`` (and its subagent folder) in ``folder``."""
    target = folder / f"{name}.jsonl"
    shutil.copy(SAMPLES / f"{name}.jsonl", target)
    if (SAMPLES / name).is_dir():
        shutil.copytree(SAMPLES / name, folder / name)
    return target


def open_app(path: Path, *, follow: bool = False, root: Path | None = None) -> InspectorApp:
    return make_app(str(path), follow=follow, root=root or path.parent / "no-config-root")


async def wait_for(
    pilot: Pilot[None], condition: Callable[[], object], what: str, within: float = 10.0
) -> None:
    """Poll ``condition`` until it is true (never sleeps a fixed time)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await pilot.pause(0.02)


async def dialog(pilot: Pilot[None], app: InspectorApp, kind: type[ScreenT]) -> ScreenT:
    """Wait until a dialog of ``kind`` is on top with its buttons mounted and one focused.

    A screen is on the stack before the children of its containers are mounted, so
    waiting for the screen (or its first widget) alone races its buttons.
    """
    await wait_for(
        pilot,
        lambda: isinstance(app.screen, kind) and isinstance(app.screen.focused, Button),
        f"the {kind.__name__}",
    )
    screen = app.screen
    assert isinstance(screen, kind)
    return screen


async def loaded(pilot: Pilot[None], app: InspectorApp) -> None:
    """Wait until the session is read and shown."""
    await wait_for(pilot, lambda: app.main is not None and app.main.view is not None, "the session")
    await pilot.pause()


def labels(app: InspectorApp) -> list[str]:
    return [str(node.label) for node in app.tool_tree.iter_nodes()]


def tree_text(app: InspectorApp) -> str:
    return "\n".join(labels(app))


def nodes_of(app: InspectorApp, kind: NodeKind) -> list[TreeNode[NodeRef]]:
    return [n for n in app.tool_tree.iter_nodes() if n.data is not None and n.data.kind is kind]


def cursor_label(app: InspectorApp) -> str:
    node = app.tool_tree.cursor_node
    return str(node.label) if node is not None else ""


def detail_text(app: InspectorApp) -> str:
    return app.detail.plain_text()


def status_text(app: InspectorApp) -> str:
    return app.query_one("#status", StatusBar).text.plain


def append(path: Path, lines: list[bytes]) -> None:
    with path.open("ab") as handle:
        for line in lines:
            handle.write(line + b"\n")


def screen_lines(app: InspectorApp) -> list[str]:
    """What the terminal shows, one string a row: the screen and the screens under a modal,
    composed as :meth:`textual.app.App.export_screenshot` composes them."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True)
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text().splitlines()

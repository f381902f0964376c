"""Every live session at once, with its health, updating: ``inspector watch`` on a screen.

A :class:`~inspector.watch.Watcher` follows every session written in the last hour under
the config root (and the other agents' storage); once a second a worker thread polls it
(each session read by its tail) and the table is redrawn from its states: health, calls
still running, the last event. Enter opens a session; escape goes back.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from inspector.agents import FORMATS
from inspector.core.safe_text import escaped, one_line
from inspector.tui.labels import styled
from inspector.tui.threads import in_daemon_thread
from inspector.watch import BROKE, SessionState, Watcher

POLL_EVERY = 1.0
LOOK_FOR_NEW_EVERY = 5.0
_COLUMNS = (("session", 18), ("agent", 11), ("health", 13), ("written", 8), ("last event", 14))
"""74 cells with the table's padding: the whole row fits 80 columns."""


class WatchScreen(Screen[Path | None]):
    """The sessions being written, and what happens to them."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="watch.back"),
        Binding("q", "app.quit", "Quit", id="watch.quit"),
    ]

    def __init__(self, folders: list[Path]) -> None:
        super().__init__()
        self.folders = folders
        self.watcher = Watcher(folders)
        self._looked = 0.0
        self._shown: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="watch-title", markup=False)
        yield DataTable(id="watched", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in _COLUMNS:
            table.add_column(label, key=label, width=width)
        self._heading(None)
        self.poll()
        self.set_interval(POLL_EVERY, self.poll)

    @work(exclusive=True, group="watch", exit_on_error=False, description="watch the sessions")
    async def poll(self) -> None:
        states = await in_daemon_thread(self._look, name="inspector-watch")
        self._show(states)

    def _look(self) -> list[SessionState]:
        """In a worker thread (one at a time: the worker is exclusive)."""
        if time.monotonic() - self._looked >= LOOK_FOR_NEW_EVERY:
            self.watcher.discover()
            self._looked = time.monotonic()
        self.watcher.poll()
        return self.watcher.states()

    def _show(self, states: list[SessionState]) -> None:
        table = self.query_one(DataTable)
        keys = [str(state.path) for state in states]
        cursor = self._shown[table.cursor_row] if 0 <= table.cursor_row < len(self._shown) else None
        if keys != self._shown:
            table.clear()
            for state in states:
                table.add_row(*_cells(state), key=str(state.path))
            self._shown = keys
        else:
            for state in states:
                for (label, _), cell in zip(_COLUMNS, _cells(state), strict=True):
                    table.update_cell(str(state.path), label, cell)
        if cursor in keys:
            table.move_cursor(row=keys.index(cursor))
        self._heading(states)

    def _heading(self, states: list[SessionState] | None) -> None:
        title = styled("Live sessions ", "bold")
        if states is None:
            title.append("(looking…)", style="dim")
        else:
            broken = sum(1 for state in states if state.errors)
            title.append(f"({len(states)} written in the last hour", style="dim")
            title.append(f", {broken} broken)" if broken else ")", style="dim")
        where = ", ".join(escaped(str(folder)) for folder in self.folders) or "nothing to watch"
        title.append(f"  in {where}", style="dim")
        self.query_one("#watch-title", Static).update(title)

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        self.dismiss(Path(str(event.row_key.value)))

    def action_back(self) -> None:
        self.dismiss(None)


def _cells(state: SessionState) -> list[Text]:
    name = state.session_id or state.path.stem
    agent = FORMATS.get(state.agent or "")
    return [
        Text(one_line(name, 18)),
        Text(agent.label if agent is not None else (state.agent or ""), style="dim"),
        _health(state),
        Text(datetime.fromtimestamp(state.written_at).strftime("%H:%M:%S"), style="dim"),
        _event(state),
    ]


def _health(state: SessionState) -> Text:
    if state.unreadable:
        return Text("? unreadable", style="dim")
    if state.errors:
        return Text(f"✗ {state.errors} error{'s' if state.errors > 1 else ''}", style="bold red")
    if state.running:
        return Text(f"… {state.running} running", style="cyan")
    if state.warnings:
        return Text(
            f"⚠ {state.warnings} warning{'s' if state.warnings > 1 else ''}", style="yellow"
        )
    return Text("✓ ok", style="green")


def _event(state: SessionState) -> Text:
    if state.last_event is None:
        return Text("ended" if state.ended else "", style="dim")
    return Text(state.last_event, style="bold red" if state.last_event == BROKE else "")

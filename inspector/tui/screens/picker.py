"""The session picker: every session under the config root (or a folder), newest first.

Health badges are computed one file at a time in an async worker that awaits a
daemon thread per file, and cached by (path, size, mtime) on the app, so the
picker opens instantly the second time and unchanged files are never re-checked.
A failure of that worker is reported, never a reason to stop the app.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from inspector.agents import HOME_AGENT, stored_sessions
from inspector.agents.claude_code.layout import live_session_ids
from inspector.core.agent import SessionFile
from inspector.core.safe_text import escaped
from inspector.tui.health import PENDING, Badge, HealthCache, compute_badge
from inspector.tui.labels import byte_size, styled
from inspector.tui.launch import sessions_under
from inspector.tui.threads import failure_text, in_daemon_thread

COLUMNS = ("", "agent", "project", "session", "size", "last write", "health")
BADGE_WIDTH = 16


class SessionPicker(Screen[Path | None]):
    """Choose a session; dismissed with its path (or None)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="picker.back"),
        Binding("escape", "leave", "Quit", id="picker.leave"),
        Binding("a", "toggle_scope", "All projects", id="picker.all"),
        Binding("q", "app.quit", "Quit", id="picker.quit"),
    ]

    def __init__(
        self,
        *,
        root: Path,
        scope: Path | None,
        health: HealthCache,
        current: Path | None,
        top_level: bool = False,
    ) -> None:
        """``top_level``: nothing is behind the picker, so escape quits (and says so)."""
        super().__init__()
        self.top_level = top_level
        self.root = root
        self.scope = scope
        self.showing_scope = scope is not None
        self.health = health
        self.current = current
        self.sessions: dict[str, SessionFile] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="picker-title", markup=False)
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for name in COLUMNS:
            table.add_column(
                name, key=name or "live", width=BADGE_WIDTH if name == "health" else None
            )
        self.load_sessions()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        self.dismiss(None)  # the app quits: nothing is open behind the picker

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """One escape binding shows: Back, or Quit when nothing is behind the picker."""
        if action == "back":
            return not self.top_level
        if action == "leave":
            return self.top_level
        if action == "toggle_scope":
            return self.scope is not None  # nothing to toggle
        return True

    def action_toggle_scope(self) -> None:
        if self.scope is None:
            return
        self.showing_scope = not self.showing_scope
        self.load_sessions()

    @on(DataTable.RowSelected)
    def _open(self, event: DataTable.RowSelected) -> None:
        session = self.sessions.get(str(event.row_key.value))
        if session is not None:
            self.dismiss(session.path)

    @on(Worker.StateChanged)
    def _worker_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            text = failure_text(event.worker)
            self.app.notify(text, severity="error", timeout=8, markup=False)

    @work(exclusive=True, group="picker", exit_on_error=False, description="list the sessions")
    async def load_sessions(self) -> None:
        """List the sessions (off the UI thread), then compute the missing badges."""
        scope = self.scope if self.showing_scope else None
        sessions, live = await in_daemon_thread(
            partial(_list_sessions, scope, self.root), name="inspector-picker"
        )
        title = styled("Sessions ", "bold")
        where = str(scope) if scope is not None else str(self.root / "projects")
        title.append(f"in {escaped(where)}", style="dim")
        title.append(f"  ({len(sessions)}, newest first)", style="dim")
        if scope is not None and not any(s.path != self.current for s in sessions):
            title.append("  nothing else in this folder", style="yellow")
        if self.scope is not None:
            title.append("  a: " + ("all projects" if self.showing_scope else "this folder"))
        self.query_one("#picker-title", Static).update(title)
        table = self.query_one(DataTable)
        table.clear()
        self.sessions = {str(session.path): session for session in sessions}
        for session in sessions:
            badge = self.health.get(session) or PENDING
            table.add_row(
                *_cells(session, session.session_id in live, badge), key=str(session.path)
            )
        if self.current is not None and str(self.current) in self.sessions:
            table.move_cursor(row=table.get_row_index(str(self.current)))
        for session in sessions:
            if self.health.get(session) is not None:
                continue
            badge = await in_daemon_thread(
                partial(compute_badge, session.path), name="inspector-health"
            )
            self.health.put(session, badge)
            if str(session.path) in self.sessions:
                table.update_cell(str(session.path), "health", _badge_text(badge))


def _list_sessions(scope: Path | None, root: Path) -> tuple[list[SessionFile], dict[str, int]]:
    sessions = sessions_under(scope, root)
    if scope is None:  # everything: other agents' sessions too
        others = stored_sessions(besides=HOME_AGENT)
        sessions = sorted([*sessions, *others], key=lambda s: s.mtime, reverse=True)
    return sessions, live_session_ids(root)


def _cells(session: SessionFile, live: bool, badge: Badge) -> tuple[Text, ...]:
    try:
        when = datetime.fromtimestamp(session.mtime).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, ValueError, OSError):
        when = "?"
    return (
        Text("●", style="bold cyan") if live else Text(" "),
        Text(escaped(session.agent), style="dim"),
        Text(escaped(session.project)),
        Text(escaped(session.session_id)),
        Text(byte_size(session.size), justify="right"),
        Text(when),
        _badge_text(badge),
    )


def _badge_text(badge: Badge) -> Text:
    return Text(badge.text, style=badge.style)

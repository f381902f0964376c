"""The session picker: every session under the config root (or a folder), newest first.

Each row is a session's title (its client's own, else its first prompt), project, last
write and health. Titles, then health badges, are computed one file at a time in an async
worker that awaits a daemon thread per file, and cached by (path, size, mtime) on the
app, so the picker opens instantly the second time and unchanged files are never read
again. A failure of that worker is reported, never a reason to stop the app.

The columns follow the terminal's width: the title takes what is left, and on a narrow
terminal the agent, session id and size go first; the health badge is never cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker, WorkerState

from inspector.agents import HOME_AGENT, session_title, stored_sessions
from inspector.agents.claude_code.layout import live_session_ids
from inspector.core.agent import SessionFile, newest_first
from inspector.core.safe_text import escaped, one_line
from inspector.tui.health import PENDING, Badge, HealthCache, compute_badge
from inspector.tui.labels import byte_size, styled
from inspector.tui.launch import sessions_under
from inspector.tui.threads import failure_text, in_daemon_thread

BADGE_WIDTH = 18
"""The longest badge ("? not a transcript"; "✗ 12 errors" and the like are shorter)."""
PROJECT_WIDTH = 18
TITLE_MIN = 16
ID_WIDTH = 8


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int | None  # None: what is left (the title)


def columns_for(width: int) -> tuple[Column, ...]:
    """The columns that fit ``width`` cells: the title takes the rest; the agent, the
    session id and the size are dropped on a narrow terminal before the badge shrinks."""
    wide = width >= 150
    medium = width >= 110
    chosen = [Column("live", "", 1), Column("title", "session", None)]
    if medium:
        chosen.append(Column("agent", "agent", 11))
    chosen.append(Column("project", "project", PROJECT_WIDTH if medium else 14))
    if wide:
        chosen += [Column("session", "id", ID_WIDTH), Column("size", "size", 9)]
    chosen.append(Column("when", "last write", 16 if medium else 11))
    chosen.append(Column("health", "health", BADGE_WIDTH))
    fixed = sum(c.width or 0 for c in chosen) + 2 * len(chosen) + 2  # padding, scrollbar
    title = max(TITLE_MIN, width - fixed)
    return tuple(Column(c.key, c.label, title) if c.width is None else c for c in chosen)


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
        self.live: dict[str, int] = {}
        self.columns: tuple[Column, ...] = ()

    def compose(self) -> ComposeResult:
        yield Static("", id="picker-title", markup=False)
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._lay_out(self.app.size.width)
        self.load_sessions()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """Set the columns for ``width`` and fill the rows again (from the caches)."""
        columns = columns_for(width)
        if columns == self.columns:
            return
        self.columns = columns
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for column in columns:
            table.add_column(column.label, key=column.key, width=column.width)
        self._fill()

    def _fill(self) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for session in self.sessions.values():
            table.add_row(*self._cells(session), key=str(session.path))
        if cursor:
            table.move_cursor(row=cursor)

    def _cells(self, session: SessionFile) -> list[Text]:
        live = session.session_id in self.live
        badge = self.health.get(session) or PENDING
        return row_cells(session, self.columns, live, badge, self.health.title(session))

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
        self.sessions = {str(session.path): session for session in sessions}
        self.live = live
        self._fill()
        if self.current is not None and str(self.current) in self.sessions:
            table.move_cursor(row=table.get_row_index(str(self.current)))
        for session in sessions:  # titles first: cheap, and what tells sessions apart
            if self.health.title(session) is None:
                found = await in_daemon_thread(
                    partial(session_title, session), name="inspector-title"
                )
                self.health.put_title(session, found)
                text = title_text(session, found, _width(self.columns, "title"))
                self._update(session, "title", text)
        for session in sessions:
            if self.health.get(session) is None:
                badge = await in_daemon_thread(
                    partial(compute_badge, session.path), name="inspector-health"
                )
                self.health.put(session, badge)
                self._update(session, "health", _badge_text(badge))

    def _update(self, session: SessionFile, key: str, text: Text) -> None:
        if str(session.path) in self.sessions and any(c.key == key for c in self.columns):
            self.query_one(DataTable).update_cell(str(session.path), key, text)


def _list_sessions(scope: Path | None, root: Path) -> tuple[list[SessionFile], dict[str, int]]:
    sessions = sessions_under(scope, root)
    if scope is None:  # everything: other agents' sessions too
        others = stored_sessions(besides=HOME_AGENT)
        sessions = [*sessions, *others]
    return newest_first(sessions), live_session_ids(root)


def row_cells(
    session: SessionFile, columns: tuple[Column, ...], live: bool, badge: Badge, title: str | None
) -> list[Text]:
    """One session's row for ``columns``; every text from the file shown as plain text."""
    values = {
        "live": Text("●", style="bold cyan") if live else Text(" "),
        "title": title_text(session, title, _width(columns, "title")),
        "agent": Text(escaped(session.agent, 11), style="dim"),
        "project": _project_text(session.project, _width(columns, "project")),
        "session": Text(escaped(session.session_id, ID_WIDTH), style="dim"),
        "size": Text(byte_size(session.size), justify="right"),
        "when": Text(_when(session.mtime, long=_width(columns, "when") >= 16)),
        "health": _badge_text(badge),
    }
    return [values[column.key] for column in columns]


def title_text(session: SessionFile, title: str | None, width: int) -> Text:
    """The title on one line, cut to ``width``; without one (or not read yet), the id."""
    if title:
        return Text(one_line(title, width))
    return Text(escaped(session.session_id, width), style="dim")


def _width(columns: tuple[Column, ...], key: str) -> int:
    return next((c.width or 0 for c in columns if c.key == key), 0)


def _when(mtime: float, *, long: bool) -> str:
    try:
        return datetime.fromtimestamp(mtime).strftime("%Y-%m-%d %H:%M" if long else "%m-%d %H:%M")
    except (OverflowError, ValueError, OSError):
        return "?"


def _project_text(project: str, width: int) -> Text:
    """The project's name, its end kept when cut (Claude Code's folder names start with
    the path's first folders: ``-home-dev-projects-shop-api``)."""
    name = escaped(project)
    if len(name) > width:
        name = "…" + name[len(name) - width + 1 :]
    return Text(name)


def _badge_text(badge: Badge) -> Text:
    return Text(badge.text, style=badge.style)

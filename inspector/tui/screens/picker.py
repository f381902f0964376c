"""The session picker: every session under the config root (or a folder), newest first.

Each row is a session's title (its client's own, else its first prompt), project, last
write and health. The list is shown as soon as the folders are listed; the rows go into
the table a few hundred per tick, so thousands of sessions never hold the keys. Titles,
then health badges, come from a :class:`HealthFeed` thread (the result cache, then a
pool of worker processes, newest first) and are put in the table by a timer, many cells
per tick. They are kept by (path, size, mtime) on the app: the picker opens instantly the
second time. A failure of the listing or the feed is reported, never a reason to stop.

``/`` filters the rows by project, agent, title or session id (every word must match),
``h`` by health (all, rejected, with warnings, ok); escape clears the filters first.
A row is added once it is known to match, in the order of the list: under a health
filter the rows follow the badges as they arrive.

The columns follow the terminal's width: the title takes what is left, and on a narrow
terminal the agent, session id and size go first; the health badge is never cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import Worker, WorkerState

from inspector.agents import HOME_AGENT, stored_sessions
from inspector.agents.claude_code.layout import live_session_ids
from inspector.core.agent import SessionFile, newest_first
from inspector.core.safe_text import escaped, one_line
from inspector.tui.health import (
    HEALTH,
    PENDING,
    TITLE,
    Badge,
    Health,
    HealthCache,
    HealthFeed,
)
from inspector.tui.labels import byte_size, styled
from inspector.tui.launch import sessions_under
from inspector.tui.threads import failure_text, in_daemon_thread

BADGE_WIDTH = 18
"""The longest badge ("? not a transcript"; "✗ 12 errors" and the like are shorter)."""
PROJECT_WIDTH = 18
TITLE_MIN = 16
ID_WIDTH = 8
ROWS_PER_TICK = 250
"""Rows added to the table per tick (measuring a row's cells is what costs)."""
CELLS_PER_TICK = 1000
"""Titles and badges put in the table per tick, at most."""
TICK = 0.1
HEALTH_FILTERS = (None, Health.REJECTED, Health.WARNINGS, Health.OK)
"""What ``h`` cycles through (None: every session)."""
HEALTH_WORDS = {Health.REJECTED: "rejected", Health.WARNINGS: "warnings", Health.OK: "ok"}


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
        Binding("escape", "clear_filter", "Clear filter", id="picker.clear"),
        Binding("escape", "back", "Back", id="picker.back"),
        Binding("escape", "leave", "Quit", id="picker.leave"),
        Binding("slash", "filter", "Filter", id="picker.filter"),
        Binding("h", "cycle_health", "Health", id="picker.health"),
        Binding("a", "toggle_scope", "All projects", id="picker.all"),
        Binding("q", "app.quit", "Quit", id="picker.quit"),
    ]
    AUTO_FOCUS = "#sessions"  # not the filter field, hidden until /
    PALETTE: ClassVar[dict[str, str]] = {
        "filter": "Filter sessions by project, agent, title or id",
        "cycle_health": "Show all sessions, or only the rejected, with warnings, or ok",
        "toggle_scope": "List every project, or only this folder",
        "clear_filter": "Show every session again",
    }
    """The command palette's line for the picker's own actions (see the app's)."""

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
        self.listed: list[SessionFile] = []
        """Every session listed, newest first."""
        self.sessions: dict[str, SessionFile] = {}
        self.live: dict[str, int] = {}
        self.columns: tuple[Column, ...] = ()
        self.words: tuple[str, ...] = ()
        """The text filter's words, casefolded (empty: no text filter)."""
        self.health_filter: Health | None = None
        self.feed: HealthFeed | None = None
        self.frontier = 0
        """The rows of :attr:`listed` before this one are decided (in the table or not)."""
        self._cursor_to: str | None = None if current is None else str(current)
        """The row to put the cursor on once it is in the table."""
        self._heading: Text | None = None
        self._failure_said = False
        self._timer: Timer | None = None
        self.filter_field = Input(
            placeholder="filter: project, agent, title or id", id="picker-filter"
        )

    def palette_commands(self) -> Iterable[SystemCommand]:
        """The picker's own actions that work now, named as the footer names them."""
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)  # BINDINGS above holds Binding objects only
            help_text = self.PALETTE.get(binding.action)
            if help_text is not None and self.check_action(binding.action, ()):
                action = getattr(self, f"action_{binding.action}")
                yield SystemCommand(binding.description, help_text, action)

    def compose(self) -> ComposeResult:
        yield Static("", id="picker-title", markup=False)
        yield self.filter_field
        yield DataTable(id="sessions", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._lay_out(self.app.size.width)
        self._timer = self.set_interval(TICK, self._tick)
        self.load_sessions()

    def on_unmount(self) -> None:
        self._stop_feed()

    def on_resize(self, event: events.Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        """Set the columns for ``width`` and fill the rows again (from the caches)."""
        columns = columns_for(width)
        if columns == self.columns:
            return
        self.columns = columns
        table = self.query_one(DataTable)
        self._keep_cursor()
        table.clear(columns=True)
        for column in columns:
            table.add_column(column.label, key=column.key, width=column.width)
        self._refill()

    # ------------------------------------------------------------------ rows

    def _refill(self) -> None:
        """Empty the table and add the rows that match, from the first."""
        self.query_one(DataTable).clear()
        self.frontier = 0
        self._advance()

    def _advance(self) -> None:
        """Add the next rows known to match, in the order of the list; stop at a row that
        is not decided yet (its badge or title is still to come)."""
        table = self.query_one(DataTable)
        added = 0
        while self.frontier < len(self.listed) and added < ROWS_PER_TICK:
            session = self.listed[self.frontier]
            verdict = self._matches(session)
            if verdict is None:
                break
            self.frontier += 1
            if verdict:
                table.add_row(*self._cells(session), key=str(session.path))
                added += 1
        target = self._cursor_to
        if added and target is not None and target in table.rows:
            table.move_cursor(row=table.get_row_index(target))
            self._cursor_to = None

    def _matches(self, session: SessionFile) -> bool | None:
        """Whether the filters keep ``session`` (None: not known until its badge or
        title is there). A title or badge arriving only ever adds matches."""
        if self.health_filter is not None:
            badge = self.health.get(session)
            if badge is None:
                return None
            if badge.health is not self.health_filter:
                return False
        if not self.words:
            return True
        title = self.health.title(session)
        text = f"{session.project} {session.agent} {session.session_id} {title or ''}".casefold()
        if all(word in text for word in self.words):
            return True
        return None if title is None else False

    def _cells(self, session: SessionFile) -> list[Text]:
        live = session.session_id in self.live
        badge = self.health.get(session) or PENDING
        return row_cells(session, self.columns, live, badge, self.health.title(session))

    def _keep_cursor(self) -> None:
        """Put the cursor back on the row it is on once the rows are added again."""
        table = self.query_one(DataTable)
        if self._cursor_to is None and table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._cursor_to = str(row_key.value)

    def _tick(self) -> None:
        """Put what the feed found in the table, add the next rows, say where it is."""
        feed = self.feed
        if feed is not None:
            table = self.query_one(DataTable)
            for kind, session in feed.drain(CELLS_PER_TICK):
                key = str(session.path)
                if key not in table.rows or self.sessions.get(key) is not session:
                    continue
                if kind == TITLE:
                    found = self.health.title(session)
                    self._update(
                        key, TITLE, title_text(session, found, _width(self.columns, TITLE))
                    )
                elif kind == HEALTH:
                    self._update(key, HEALTH, _badge_text(self.health.get(session) or PENDING))
            if feed.failure is not None and not self._failure_said:
                self._failure_said = True
                self.app.notify(feed.failure, severity="error", timeout=8, markup=False)
        self._advance()
        self._show_heading()

    def _update(self, key: str, column: str, text: Text) -> None:
        if any(c.key == column for c in self.columns):
            self.query_one(DataTable).update_cell(key, column, text)

    # ------------------------------------------------------------------ filters

    def action_filter(self) -> None:
        self.filter_field.display = True  # now, not at the next style update: keys typed
        # right after the slash go to the field
        self.set_focus(self.filter_field)  # at once: focus() waits behind queued keys
        self.refresh_bindings()

    @on(Input.Changed, "#picker-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        words = tuple(event.value.casefold().split())
        if words != self.words:
            self.words = words
            self._keep_cursor()
            self._refill()
            self._show_heading()
            self.refresh_bindings()

    @on(Input.Submitted, "#picker-filter")
    def _filter_submitted(self) -> None:
        self.query_one(DataTable).focus()

    def action_cycle_health(self) -> None:
        at = HEALTH_FILTERS.index(self.health_filter)
        self.health_filter = HEALTH_FILTERS[(at + 1) % len(HEALTH_FILTERS)]
        self._keep_cursor()
        self._refill()
        self._show_heading()
        self.refresh_bindings()

    def _filtering(self) -> bool:
        return bool(self.words or self.health_filter) or self.filter_field.display

    def action_clear_filter(self) -> None:
        self.filter_field.value = ""
        self.filter_field.display = False
        self.words = ()
        self.health_filter = None
        self._keep_cursor()
        self._refill()
        self._show_heading()
        self.query_one(DataTable).focus()
        self.refresh_bindings()

    # ------------------------------------------------------------------ keys

    def action_back(self) -> None:
        self.dismiss(None)

    def action_leave(self) -> None:
        self.dismiss(None)  # the app quits: nothing is open behind the picker

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """One escape binding shows: Clear filter while one is on, else Back, or Quit
        when nothing is behind the picker."""
        if action == "clear_filter":
            return self._filtering()
        if action == "back":
            return not self.top_level and not self._filtering()
        if action == "leave":
            return self.top_level and not self._filtering()
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

    # ------------------------------------------------------------------ listing

    @work(exclusive=True, group="picker", exit_on_error=False, description="list the sessions")
    async def load_sessions(self) -> None:
        """List the sessions (off the UI thread), show them, and start the feed."""
        scope = self.scope if self.showing_scope else None
        sessions, live = await in_daemon_thread(
            partial(_list_sessions, scope, self.root), name="inspector-picker"
        )
        self._stop_feed()
        self.listed = sessions
        self.sessions = {str(session.path): session for session in sessions}
        self.live = live
        self._keep_cursor()
        self._refill()
        self.feed = HealthFeed(sessions, self.health)
        self._show_heading()
        # The feed's thread shares the interpreter: the first rows are drawn before it runs.
        self.call_after_refresh(self._start_feed, self.feed)

    def _start_feed(self, feed: HealthFeed) -> None:
        if feed is self.feed:
            feed.start()

    def _stop_feed(self) -> None:
        if self.feed is not None:
            self.feed.stop()
            self.feed = None

    def _show_heading(self) -> None:
        """The title line: where, how many, the filters, and the badges still to come."""
        scope = self.scope if self.showing_scope else None
        title = styled("Sessions", "bold")
        title.append(f" ({len(self.listed)}, newest first)", style="dim")
        if self.words or self.health_filter is not None:
            shown = self.query_one(DataTable).row_count
            title.append(f"  {shown} shown:", style="bold")
            if self.words:
                title.append(f" matching {escaped(' '.join(self.words), 40)}", style="bold")
            if self.health_filter is not None:
                title.append(f" health {HEALTH_WORDS[self.health_filter]}", style="bold")
        left = self.feed.badges_left if self.feed is not None else 0
        if left:
            title.append(f"  {left} badges to come", style="dim")
        where = str(scope) if scope is not None else str(self.root / "projects")
        title.append(f"  in {escaped(where)}", style="dim")
        if scope is not None and not any(s.path != self.current for s in self.listed):
            title.append("  nothing else in this folder", style="yellow")
        if self.scope is not None:
            title.append("  a: " + ("all projects" if self.showing_scope else "this folder"))
        if title != self._heading:
            self._heading = title
            self.query_one("#picker-title", Static).update(title)


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

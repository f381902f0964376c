"""The timeline of one turn: its tool calls as bars in time, on a screen of its own.

The layout is :mod:`inspector.timeline`'s, drawn again for the screen's width whenever it
changes; this module only colours it. ← / → go to the previous / next turn that has
calls; escape (or t) goes back to the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Static

from inspector.rules import Report
from inspector.timeline import MIN_WIDTH, Ink, Mark, Timeline, build_timeline, render_rows

INKS: Final[dict[Ink, str]] = {
    Ink.PLAIN: "",
    Ink.HEADING: "bold",
    Ink.DIM: "dim",
    Ink.BAR: "green",
    Ink.FAILED: "yellow",
    Ink.OPEN: "red",
    Ink.DEFECT: "bold red",
    Ink.MARK: "bold yellow",
}

MarksOf = Callable[[int], Sequence[Mark]]
"""The marks to put on the turn of a message index (an interrupt, a hook's output…)."""


def timeline_text(timeline: Timeline, width: int) -> Text:
    """The timeline laid out for ``width`` cells, in colour (every text a plain Text)."""
    text = Text(no_wrap=True, overflow="crop")
    for number, row in enumerate(render_rows(timeline, width)):
        if number:
            text.append("\n")
        for piece, ink in row:
            text.append(piece, style=INKS[ink])
    return text


class TimelineView(Static):
    """A timeline, laid out again whenever its width changes."""

    def __init__(self, timeline: Timeline, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.timeline = timeline

    def show(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self._lay_out(self.size.width)

    def on_resize(self, event: Resize) -> None:
        self._lay_out(event.size.width)

    def _lay_out(self, width: int) -> None:
        if width > 0:
            self.update(timeline_text(self.timeline, max(width, MIN_WIDTH)))

    def plain_text(self) -> str:
        return str(self.render())


class TimelineScreen(Screen[int]):
    """The tool calls of one turn, and ← / → through the others; closed, it gives the
    turn it showed last (the tree's cursor goes there)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,t", "back", "Back", id="timeline.back"),
        # priority: the scrolling box under them would take the arrows for itself
        Binding("left", "turn(-1)", "Prev turn", priority=True, id="timeline.previous"),
        Binding("right", "turn(1)", "Next turn", priority=True, id="timeline.next"),
        Binding("q", "app.quit", "Quit", id="timeline.quit"),
    ]

    def __init__(
        self, report: Report, turns: Sequence[int], turn: int, marks_of: MarksOf | None = None
    ) -> None:
        super().__init__()
        self.report = report
        self.turns = list(turns)
        """Message indexes that hold calls, in order; ``turn`` is one of them."""
        self.turn = turn
        self.marks_of = marks_of
        self.view = TimelineView(self._timeline(), id="timeline")

    def compose(self) -> ComposeResult:
        yield Static("", id="timeline-title", markup=False)
        with VerticalScroll(id="timeline-box"):
            yield self.view
        yield Footer()

    def on_mount(self) -> None:
        self._title()

    def _timeline(self) -> Timeline:
        marks = self.marks_of(self.turn) if self.marks_of is not None else ()
        return build_timeline(self.report, self.turn, marks)

    def _title(self) -> None:
        title = Text("Timeline ", style="bold")
        position = self.turns.index(self.turn) + 1
        title.append(f"turn {position} of {len(self.turns)} with tool calls", style="dim")
        if len(self.turns) > 1:
            title.append("  ← / → other turns", style="dim")
        self.query_one("#timeline-title", Static).update(title)

    def _turn_after(self, step: int) -> int | None:
        """The turn ``step`` turns from the one shown (None: there is none)."""
        position = self.turns.index(self.turn) + step
        return self.turns[position] if 0 <= position < len(self.turns) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """← / → are offered only with another turn to go to (greyed at either end)."""
        if action != "turn":
            return True
        if len(self.turns) < 2:
            return False
        step = parameters[0] if parameters and isinstance(parameters[0], int) else 0
        return True if self._turn_after(step) is not None else None

    def action_turn(self, step: int) -> None:
        turn = self._turn_after(step)
        if turn is None:
            self.app.bell()
            return
        self.turn = turn
        self.view.show(self._timeline())
        self.query_one("#timeline-box", VerticalScroll).scroll_home(animate=False)
        self._title()
        self.refresh_bindings()

    def action_back(self) -> None:
        self.dismiss(self.turn)

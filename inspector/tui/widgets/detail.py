"""The detail pane: what the selected row is, in full (folded when long)."""

from __future__ import annotations

from rich.console import Console, RenderableType
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static


class DetailPane(VerticalScroll, can_focus=True):
    """A scrollable pane holding one rendered description."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.border_title = "detail"
        self.shown_key: object = None
        """Identity of the row on show, so a live refresh of it keeps the scroll."""
        self.content: RenderableType = ""
        """What the pane shows (kept for :meth:`plain_text`)."""

    def compose(self) -> ComposeResult:
        yield Static("", id="detail-body", markup=False)

    def show(self, content: RenderableType, key: object) -> None:
        """Show ``content``; scroll to the top when it is about another row."""
        self.content = content
        self.query_one("#detail-body", Static).update(content)
        if key != self.shown_key:
            self.scroll_home(animate=False)
        self.shown_key = key

    def plain_text(self, width: int = 120) -> str:
        """The shown content as plain text (no styles, no escapes), for tests and copying."""
        console = Console(width=width, no_color=True, color_system=None, force_terminal=False)
        with console.capture() as capture:
            console.print(self.content)
        return capture.get()

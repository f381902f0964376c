"""Shown when the target names no session: what was looked for and how to go on."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Center, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from inspector.core.safe_text import escaped
from inspector.tui.labels import styled
from inspector.tui.launch import NoSession


class NoSessionScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "app.sessions", "All sessions", id="nosession.sessions"),
        Binding("d", "app.demo", "Demo", id="nosession.demo"),
        Binding("q,escape", "app.quit", "Quit", id="nosession.quit"),
    ]

    def __init__(self, problem: NoSession) -> None:
        super().__init__()
        self.problem = problem

    def compose(self) -> ComposeResult:
        with VerticalScroll(), Center():
            yield Static(explanation(self.problem), id="no-session", markup=False)
        yield Footer()


def explanation(problem: NoSession) -> Group:
    parts = [Text(escaped(problem.reason), style="bold"), Text("")]
    if problem.looked_for:
        parts.append(Text("Looked for:", style="underline"))
        parts.extend(Text(f"  {escaped(place)}", style="dim") for place in problem.looked_for)
        parts.append(Text(""))
    parts.append(Text("Open a session by passing it:", style="underline"))
    for example, what in (
        ("inspector PATH/TO/SESSION.jsonl", "a transcript file"),
        ("inspector ~/.claude/projects/FOLDER", "a project folder (its newest session)"),
        ("inspector SESSION_ID", "a session id, found under $CLAUDE_CONFIG_DIR or ~/.claude"),
        ("inspector --demo", "the bundled sample sessions, each with a planted defect"),
    ):
        line = styled(f"  {example:<40}", "bold cyan")
        line.append(what)
        parts.append(line)
    parts.append(Text(""))
    parts.append(Text("Keys: s all sessions · d demo · q quit", style="dim"))
    return Group(*parts)

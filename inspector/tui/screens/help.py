"""The help screen: keys, and what the status marks mean."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from inspector.rules import CallStatus
from inspector.tui.labels import RULES, status_mark, styled

KEYS = (
    ("n / p", "next / previous problem (loads, expands and scrolls to it)"),
    ("f", "follow the session: jump to the newest turn as lines arrive"),
    ("/", "filter by tool name, id or text (escape clears)"),
    ("e", "show a folded output in full (and fold it again)"),
    ("t", "timeline of the selected turn: its calls as bars in time (← / → other turns)"),
    ("s", "session picker (every project and session, with health badges)"),
    ("/ · h", "in the picker: filter by project, agent, title or id · by health"),
    ("w", "live sessions: their health and last event, updating"),
    ("r / R", "rewind to the last valid turn / repair what the API rejects"),
    ("→ / ←", "expand / collapse (or go to child / parent)"),
    ("enter", "expand a row, or load earlier messages on the ⋯ row"),
    ("tab", "move between the tree and the detail pane"),
    ("ctrl+p", "command palette"),
    ("?", "this help"),
    ("q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(), markup=False)

    def action_close(self) -> None:
        self.dismiss(None)


def help_text() -> Group:
    parts: list[Text] = [Text("inspector: tool_use / tool_result pairing", style="bold")]
    parts.append(Text(""))
    for key, what in KEYS:
        line = styled(f"{key:>8}  ", "bold cyan")
        line.append(what)
        parts.append(line)
    parts.append(Text(""))
    parts.append(Text("Call status", style="bold underline"))
    for status in CallStatus:
        line = Text("  ")
        line.append_text(status_mark(status, words=False))
        line.append(f"  {status.value}")
        rule = RULES.get(status)
        if rule:
            line.append(f"  ({rule})", style="dim")
        parts.append(line)
    line = styled("  ✗", "bold red")
    line.append("  (red, anywhere) the API rejects it; ")
    line.append_text(status_mark(CallStatus.ANSWERED_ERROR, words=False))
    line.append(" is a tool that ran and failed, which the API accepts")
    parts.append(line)
    parts.append(Text(""))
    parts.append(
        Text(
            "Rows marked 'not sent' are abandoned branches (after /rewind) and stored API "
            "errors: they stay in the file but Claude Code does not send them.",
            style="dim",
        )
    )
    parts.append(Text("Press escape to close.", style="dim"))
    return Group(*parts)

"""Confirming a rewind or repair, and what was written.

:class:`RewriteScreen` shows a plan (:class:`inspector.rewrite.plan.RewritePlan`): the first
error, the cut point, what is kept and dropped, each change, the notes; it is dismissed
with a :class:`Choice`. :class:`WrittenScreen` shows the result and offers to open the
new session. Planning and writing happen in the app's workers, never here.
"""

from __future__ import annotations

from enum import Enum
from typing import ClassVar

from rich.console import Group
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from inspector.core.safe_text import escaped, one_line
from inspector.rewrite.counts import describe_counts
from inspector.rewrite.plan import Action, RewritePlan, RewriteResult
from inspector.tui.labels import styled

HELP_KEY = Binding("question_mark", "app.help", "Help", id="dialog.help")
"""A dialog holds the keys (the app's are not reached): help must still answer."""


class Choice(Enum):
    FORK = "fork"
    """Write a new session beside the original (which stays as it is)."""
    IN_PLACE = "in place"
    """Replace the original, after a timestamped backup."""
    SWITCH = "switch"
    """Plan the other action instead (repair instead of rewind, or the reverse)."""


class RewriteScreen(ModalScreen[Choice | None]):
    """What a rewind or repair will do; Fork is the default.

    The plan scrolls; the buttons stay below it, always on screen (see inspector.tcss).
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="rewrite.cancel"),
        HELP_KEY,
    ]

    def __init__(self, plan: RewritePlan) -> None:
        super().__init__()
        self.plan = plan

    def compose(self) -> ComposeResult:
        plan = self.plan
        other = "Repair instead" if plan.action is Action.REWIND else "Rewind instead"
        with Vertical(classes="dialog"):
            with VerticalScroll(classes="dialog-text"):
                yield Static(plan_text(plan), markup=False, id="plan")
            with Horizontal(classes="buttons"):
                yield Button(
                    Text("Fork: write a new session"),
                    variant="primary",
                    id="fork",
                    disabled=not plan.applicable,
                )
                yield Button(Text(other), id="switch")
                yield Button(
                    Text("In place (after a backup)"),
                    variant="warning",
                    id="in-place",
                    disabled=not plan.applicable,
                )
                yield Button(Text("Cancel"), id="cancel")

    def on_mount(self) -> None:
        first = "fork" if self.plan.applicable else "switch"
        self.query_one(f"#{first}", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choices = {"fork": Choice.FORK, "in-place": Choice.IN_PLACE, "switch": Choice.SWITCH}
        self.dismiss(choices.get(event.button.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class LiveScreen(ModalScreen[Choice | None]):
    """In place was refused because the session looks live: say why, and let the person
    replace it anyway, fork instead, or cancel. Fork is the default."""

    DEFAULT_CSS = "LiveScreen { align: center middle; }"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="live.cancel"),
        HELP_KEY,
    ]

    def __init__(self, plan: RewritePlan, reason: str) -> None:
        super().__init__()
        self.plan = plan
        self.reason = reason

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(live_text(self.plan, self.reason), markup=False, id="live")
            with Horizontal(classes="buttons"):
                yield Button(Text("Fork instead"), variant="primary", id="fork")
                yield Button(Text("Replace anyway"), variant="warning", id="in-place")
                yield Button(Text("Cancel"), id="cancel")

    def on_mount(self) -> None:
        self.query_one("#fork", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        choices = {"fork": Choice.FORK, "in-place": Choice.IN_PLACE}
        self.dismiss(choices.get(event.button.id or ""))

    def action_cancel(self) -> None:
        self.dismiss(None)


class WrittenScreen(ModalScreen[bool]):
    """What was written; dismissed with True to open the new session."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="written.close"),
        HELP_KEY,
    ]

    def __init__(self, result: RewriteResult) -> None:
        super().__init__()
        self.result = result

    def compose(self) -> ComposeResult:
        result = self.result
        with Vertical(classes="dialog"):
            with VerticalScroll(classes="dialog-text"):
                yield Static(result_text(result), markup=False, id="written")
            with Horizontal(classes="buttons"):
                if not result.in_place and result.written is not None:
                    yield Button(Text("Open the new session"), variant="primary", id="open")
                if result.resume:
                    yield Button(Text("Copy the resume command"), id="copy")
                yield Button(Text("Close"), id="close")

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    @on(Button.Pressed, "#open")
    def _open(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#copy")
    def _copy(self) -> None:
        if self.result.resume:
            self.app.copy_to_clipboard(self.result.resume)
            self.notify("Copied.", timeout=2)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(False)


def plan_text(plan: RewritePlan) -> Group:
    """The plan, for a person deciding whether to write it."""
    verb = "Rewind" if plan.action is Action.REWIND else "Repair"
    parts = [Text(f"{verb} {escaped(plan.source.name)}", style="bold")]
    parts.append(Text(f"session {escaped(plan.session_id or '?')}", style="dim"))
    first = plan.first_error
    if first is not None:
        line = styled("first error  ", "dim")
        line.append(f"{first.rule.value} at line {first.line}: ", style="bold red")
        line.append(one_line(first.text, 200), style="red")
        parts.append(line)
    if plan.cut is not None:
        parts.append(
            Text(
                f"cut          after line {plan.cut.line} (uuid {escaped(plan.cut.uuid or '?')}):"
                f" keeps messages.0 to messages.{plan.cut.message_index}"
            )
        )
    for change in plan.changes[:30]:
        where = f"line {change.line}" if change.line is not None else "new line"
        text = styled(f"change       {where}  ", "dim")
        text.append(one_line(change.text, 160))
        parts.append(text)
    if len(plan.changes) > 30:
        parts.append(Text(f"… {len(plan.changes) - 30} more changes", style="dim"))
    kept = describe_counts(plan.kept)
    if kept:
        parts.append(Text(f"would keep   {kept}"))
    dropped = describe_counts(plan.dropped)
    if dropped:
        parts.append(Text(f"would drop   {dropped}", style="yellow"))
    for finding in plan.unfixable[:5]:
        text = styled("cannot fix   ", "bold red")
        text.append(f"{finding.rule.value} at line {finding.line}: {one_line(finding.text, 160)}")
        parts.append(text)
    parts.extend(Text(f"note         {one_line(note, 300)}", style="dim") for note in plan.notes)
    parts.append(Text(""))
    if plan.applicable:
        parts.append(Text(escaped(plan.choices_text()), style="italic"))
    else:
        parts.append(Text("This plan cannot be written as it is.", style="bold red"))
    return Group(*parts)


def live_text(plan: RewritePlan, reason: str) -> Group:
    """Why in place was refused, and what each way on does."""
    return Group(
        Text(f"{escaped(plan.source.name)} looks live", style="bold yellow"),
        Text(escaped(reason)),
        Text(""),
        Text(
            "Replacing it now loses whatever the agent writes to it next. Replace anyway "
            "writes a timestamped backup of the current file first; Fork writes a new "
            "session beside it and leaves the original untouched.",
        ),
    )


def result_text(result: RewriteResult) -> Group:
    parts = [Text("Written and checked: the API accepts it", style="bold green")]
    if result.written is not None:
        parts.append(Text(f"file         {escaped(str(result.written))}"))
    if result.backup is not None:
        parts.append(Text(f"backup       {escaped(str(result.backup))}"))
    for path in result.subagents:
        parts.append(Text(f"also         {escaped(str(path))}", style="dim"))
    if result.grew_by:
        parts.append(
            Text(
                f"note         the session grew by {result.grew_by} bytes meanwhile; those "
                "lines are not in the written session",
                style="yellow",
            )
        )
    if result.resume:
        command = styled("resume       ", "dim")
        command.append(escaped(result.resume), style="bold cyan")
        if result.plan.cwd:
            command.append(f"   (in {escaped(result.plan.cwd)})", style="dim")
        parts.append(command)
    elif result.resume_note:
        parts.append(Text(f"note         {escaped(result.resume_note)}", style="yellow"))
    return Group(*parts)

"""The status bar: which file, whether it is followed, counts, the verdict, the cut."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.widgets import Static

from inspector.agents.claude_code.layout import describe_pid
from inspector.core.safe_text import escaped, one_line
from inspector.core.wording import counted
from inspector.tui.conversation_view import ConversationView


class StatusBar(Static):
    """Two lines: file · live · counts · last valid turn, then the verdict."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.text = Text()
        """What the bar shows (plain text through ``.plain``)."""

    def show_status(
        self,
        path: Path | None,
        view: ConversationView | None,
        *,
        follow: bool,
        live_pid: int | None = None,
        error: str | None = None,
        filter_text: str = "",
    ) -> None:
        self.text = status_text(path, view, follow, live_pid, error, filter_text)
        self.update(self.text)


def status_text(
    path: Path | None,
    view: ConversationView | None,
    follow: bool,
    live_pid: int | None,
    error: str | None,
    filter_text: str,
) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    if path is None:
        line.append("no session open", style="dim")
        return line
    line.append(escaped(path.name), style="bold")
    line.append("  ")
    if follow:
        line.append("● following", style="bold green")
    else:
        line.append("○ not following", style="dim")
    if live_pid is not None:
        line.append(f"  LIVE (Claude Code {describe_pid(live_pid)})", style="bold cyan")
    if filter_text:
        line.append(f"  filter: {one_line(filter_text, 40)}", style="bold yellow")
    if error:
        line.append(f"  {escaped(error)}", style="bold red")
    if view is None:
        line.append("  reading…", style="dim")
        return line
    report = view.snapshot.report
    if not view.snapshot.conversation.has_content:
        line.append(
            "  no conversation in this file (yet): is it a Claude Code transcript?", "yellow"
        )
    errors, warnings = len(report.errors), len(report.warnings)
    turns, calls = view.message_count, report.tool_use_count
    line.append(f"  │ {counted(turns, 'turn')} · {counted(calls, 'call')} · ", style="dim")
    line.append(counted(errors, "error"), style="bold red" if errors else "dim")
    line.append(" · ", style="dim")
    line.append(counted(warnings, "warning"), style="yellow" if warnings else "dim")
    cut = report.last_valid
    line.append("  │ last valid turn: ", style="dim")
    line.append(f"#{cut.message_index} (line {cut.line})" if cut else "none")
    line.append("\n")
    if report.ok:
        line.append(f"✓ {report.verdict()}", style="bold green")
    else:
        line.append("✗ ", style="bold red")
        line.append(one_line(report.verdict(), 400), style="bold red")
    return line

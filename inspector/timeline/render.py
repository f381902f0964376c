"""A :class:`~inspector.timeline.model.Timeline` laid out in character cells.

One row per call (tool name, id tail, bar, duration), a row of marks, a time axis and a
legend, for any width from :data:`MIN_WIDTH` on. Each piece of text carries an
:class:`Ink` (what it is); :func:`render_text` drops the inks for plain text, the app
maps them to colours. Every text from the transcript is escaped here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from inspector.core.durations import compact
from inspector.core.safe_text import escaped, one_line
from inspector.rules.findings import CallStatus
from inspector.timeline.model import MIN_WIDTH, Bar, PlacedMark, Timeline

SENT: Final = "█"
OPEN: Final = "░"
DEFECT: Final = "✗"
MARK: Final = "▲"
MARK_LINE: Final = "┊"
ID_TAIL: Final = 4
DURATION: Final = 6
STEPS_SECONDS: Final = (
    0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200,
    86400,
)  # fmt: skip
STEPS_LINES: Final = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)


class Ink(StrEnum):
    """What a piece of the layout shows (the app picks a colour for each)."""

    PLAIN = "plain"
    HEADING = "heading"
    DIM = "dim"
    BAR = "bar"
    FAILED = "failed"
    """A call that ran and failed (is_error): accepted by the API, not a defect."""
    OPEN = "open"
    DEFECT = "defect"
    MARK = "mark"


Piece = tuple[str, Ink]
Row = list[Piece]


def render_text(timeline: Timeline, width: int = 80) -> str:
    """The timeline as plain text, no line longer than ``width`` (at least MIN_WIDTH)."""
    return "\n".join(
        "".join(text for text, _ in row).rstrip() for row in render_rows(timeline, width)
    )


def render_rows(timeline: Timeline, width: int = 80) -> list[Row]:
    """The timeline as rows of inked pieces, each row at most ``width`` cells."""
    return _Layout(timeline, max(width, MIN_WIDTH)).rows()


def _tick_label(seconds: float) -> str:
    if seconds == 0:
        return "0s"
    if seconds < 60:
        return f"{seconds:g}s"
    if seconds < 3600:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes}m" + (f"{rest}s" if rest else "")
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours}h" + (f"{rest // 60}m" if rest else "")


@dataclass(slots=True)
class _Layout:
    timeline: Timeline
    width: int

    @property
    def name_width(self) -> int:
        longest = max((len(bar.name) for bar in self.timeline.bars), default=4)
        return max(4, min(longest, 16, (self.width - 13) // 3))

    @property
    def bar_width(self) -> int:
        """Cells of the bars: the rest of the row after name, id tail and duration."""
        return self.width - self.name_width - ID_TAIL - DURATION - 3

    @property
    def left(self) -> int:
        """Cells before the bars."""
        return self.name_width + ID_TAIL + 2

    def x(self, position: float) -> int:
        span = self.timeline.span
        if span <= 0:
            return 0
        column = round(position / span * (self.bar_width - 1))
        return min(max(column, 0), self.bar_width - 1)

    def rows(self) -> list[Row]:
        timeline = self.timeline
        mark_columns = {self.x(m.at) for m in timeline.marks if m.at is not None}
        rows = [self._heading()]
        rows.extend(self._bar_row(bar, mark_columns) for bar in timeline.bars)
        if mark_columns:
            rows.append(self._marks_row(mark_columns))
        rows.extend(self._axis())
        rows.extend(self._legend())
        return [_cut(row, self.width) for row in rows]

    def _heading(self) -> Row:
        timeline = self.timeline
        count = len(timeline.bars)
        calls = f"{count} call{'s' if count != 1 else ''}"
        if count > 1:
            calls += f", {timeline.most_at_once} at once"
        narrow = self.width < 60
        words = [f"{'line' if narrow else 'turn at line'} {timeline.line}", calls]
        if timeline.started is not None:
            clock = "%H:%M:%S" if narrow else "%H:%M:%S UTC"
            date = "%Y-%m-%d " if self.width >= 80 else ""
            words.append(timeline.started.strftime(date + clock))
        else:
            words.append("file order (no times)")
        return [(" · ".join(words), Ink.HEADING)]

    def _bar_row(self, bar: Bar, mark_columns: set[int]) -> Row:
        cells: list[Piece] = [
            (MARK_LINE, Ink.DIM) if column in mark_columns else (" ", Ink.PLAIN)
            for column in range(self.bar_width)
        ]
        first, last = self.x(bar.start), self.x(bar.end)
        fill = (
            (OPEN, Ink.OPEN)
            if bar.open_ended
            else (SENT, Ink.FAILED if bar.status is CallStatus.ANSWERED_ERROR else Ink.BAR)
        )
        for column in range(first, last + 1):
            cells[column] = fill
        if bar.defect is not None:
            cells[last] = (DEFECT, Ink.DEFECT)
        tail = escaped(bar.tool_id[-ID_TAIL:]) if bar.tool_id else "?"
        row: Row = [
            (bar.name[: self.name_width].ljust(self.name_width) + " ", Ink.PLAIN),
            (tail.ljust(ID_TAIL) + " ", Ink.DIM),
        ]
        row.extend(_merge(cells))
        time = self._duration(bar).rjust(DURATION)
        row.append((" " + time, Ink.DEFECT if bar.defect else Ink.DIM))
        return row

    def _duration(self, bar: Bar) -> str:
        if not self.timeline.timed:
            return "open" if bar.open_ended else "—"
        length = compact(bar.end - bar.start)
        return f"≥{length}" if bar.open_ended else length

    def _marks_row(self, mark_columns: set[int]) -> Row:
        cells: list[Piece] = [
            (MARK, Ink.MARK) if column in mark_columns else (" ", Ink.PLAIN)
            for column in range(self.bar_width)
        ]
        return [("marks".ljust(self.left), Ink.DIM), *_merge(cells)]

    def _axis(self) -> list[Row]:
        """A ruler under the bars with a tick at each step, and the labels under it."""
        timeline = self.timeline
        ticks = self._ticks()
        ruler = ["─"] * self.bar_width
        labels = [" "] * self.bar_width
        free_from = 0
        for position, label in ticks:
            column = self.x(position)
            ruler[column] = "┬"
            start = min(column, self.bar_width - len(label))
            if start >= free_from:
                labels[start : start + len(label)] = list(label)
                free_from = start + len(label) + 1
        unit = "" if timeline.timed else "line"
        return [
            [(" " * self.left, Ink.PLAIN), ("".join(ruler), Ink.DIM)],
            [(unit.rjust(self.left - 1) + " ", Ink.DIM), ("".join(labels).rstrip(), Ink.DIM)],
        ]

    def _ticks(self) -> list[tuple[float, str]]:
        timeline = self.timeline
        span = timeline.span
        first_line = timeline.bars[0].sent_line

        def label(position: float) -> str:
            if timeline.timed:
                return _tick_label(position)
            return str(first_line + round(position))

        steps: tuple[float, ...] = STEPS_SECONDS if timeline.timed else STEPS_LINES
        if span <= 0:
            return [(0.0, label(0.0))]
        widest = max(len(label(span)), len(label(0.0))) + 1
        step = next((s for s in steps if s / span * (self.bar_width - 1) >= widest), steps[-1] * 10)
        ticks = []
        position = 0.0
        while position <= span + 1e-9:
            ticks.append((position, label(position)))
            position = round(position + step, 6)
        return ticks

    def _legend(self) -> list[Row]:
        timeline = self.timeline
        keys = [f"{SENT} call sent → result written", f"{OPEN} no result"]
        if any(bar.defect for bar in timeline.bars):
            keys.append(f"{DEFECT} defect")
        if timeline.marks:
            keys.append(f"{MARK} event")
        rows = [[(line, Ink.DIM)] for line in _wrap(keys, self.width)]
        for bar in timeline.bars:
            if bar.defect is not None:
                tail = escaped(bar.tool_id[-ID_TAIL:]) if bar.tool_id else "(no id)"
                lines = f"line {bar.sent_line}" + (
                    "" if bar.open_ended else f" → {bar.result_line}"
                )
                text = f" {bar.name} …{tail}: {bar.defect}, {lines}"
                rows.append([(DEFECT, Ink.DEFECT), (text, Ink.PLAIN)])
        for placed in sorted(timeline.marks, key=_mark_order):
            rows.append([(MARK, Ink.MARK), (self._mark_text(placed), Ink.PLAIN)])
        if not timeline.timed:
            note = "The lines have no times: bars show file order (line numbers), not durations."
            rows.append([(note, Ink.DIM)])
        return rows

    def _mark_text(self, placed: PlacedMark) -> str:
        mark = placed.mark
        if placed.at is None:
            when = "no time"
        elif self.timeline.timed:
            sign = "+" if placed.at >= 0 else "-"
            when = f"{sign}{compact(abs(placed.at))}"
        else:
            when = ""
        where = f"line {mark.line}" + (f", {when}" if when else "")
        return f" {where}: {one_line(mark.label, self.width)}"


def _mark_order(placed: PlacedMark) -> tuple[float, int]:
    return (placed.at if placed.at is not None else float("inf"), placed.mark.line)


def _merge(cells: list[Piece]) -> Row:
    """Runs of cells with the same ink as one piece."""
    row: Row = []
    for text, ink in cells:
        if row and row[-1][1] is ink:
            row[-1] = (row[-1][0] + text, ink)
        else:
            row.append((text, ink))
    return row


def _cut(row: Row, width: int) -> Row:
    """``row`` cut to ``width`` cells, an ellipsis in the last one when cut."""
    kept: Row = []
    room = width
    for text, ink in row:
        if len(text) > room:
            kept.append((text[: max(room - 1, 0)] + "…", ink))
            break
        kept.append((text, ink))
        room -= len(text)
    return kept


def _wrap(words: list[str], width: int) -> list[str]:
    """``words`` joined by two spaces into lines of at most ``width``."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 2 + len(word) <= width:
            lines[-1] += "  " + word
        else:
            lines.append(word)
    return lines

"""Horizontal bar charts in plain text, for a terminal of a given width.

Labels come from transcripts (tool names, client versions): they are escaped and cut,
never shown as markup or terminal escapes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inspector.core.safe_text import escaped

_FULL = "█"
_EIGHTHS = ("", "▏", "▎", "▍", "▌", "▋", "▊", "▉")
_INDENT = "  "
_MIN_BAR = 8
"""Below this many cells a bar says nothing: the labels give way first."""


@dataclass(frozen=True, slots=True)
class Row:
    label: str
    value: float
    """What the bar's length shows (a count, or a share of ``Chart.scale``)."""
    figure: str
    """What is written after the bar: "12", "3/40  7.5%"."""


def bar(fraction: float, cells: int) -> str:
    """A bar ``fraction`` of ``cells`` long, in eighths of a cell; at least an eighth for
    any fraction above zero (a rare value stays visible)."""
    fraction = min(max(fraction, 0.0), 1.0)
    eighths = round(fraction * cells * 8)
    if fraction > 0 and eighths == 0:
        eighths = 1
    full, part = divmod(eighths, 8)
    return _FULL * full + _EIGHTHS[part]


def chart(title: str, rows: Sequence[Row], *, width: int, scale: float | None = None) -> list[str]:
    """The title, then one line per row: label, bar, figure; no line longer than ``width``.

    ``scale``: the value of a full bar (default: the largest value, so that the longest
    bar fills the width)."""
    lines = [escaped(title, width)]
    if not rows:
        return lines
    top = scale if scale is not None else max(row.value for row in rows)
    figure_width = max(len(row.figure) for row in rows)
    labels = [escaped(row.label) for row in rows]
    room = width - len(_INDENT) - figure_width - 3  # two spaces before the bar, one after
    label_width = min(max(len(label) for label in labels), max(room - _MIN_BAR, 4))
    cells = max(room - label_width, 1)
    for label, row in zip(labels, rows, strict=True):
        shown = escaped(row.label, label_width) if len(label) > label_width else label
        drawn = bar(row.value / top if top > 0 else 0.0, cells)
        lines.append(
            f"{_INDENT}{shown:<{label_width}}  {drawn:<{cells}} {row.figure:>{figure_width}}"
        )
    return lines

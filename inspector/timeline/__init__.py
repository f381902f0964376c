"""The tool calls of a turn as bars in time (issue #17): the model and its text layout."""

from inspector.timeline.model import (
    MIN_WIDTH,
    Bar,
    Mark,
    PlacedMark,
    Timeline,
    build_timeline,
    marks_from_evidence,
    marks_from_why,
    tool_turns,
    turn_for,
    turn_marks,
)
from inspector.timeline.render import Ink, Row, render_rows, render_text

__all__ = [
    "MIN_WIDTH",
    "Bar",
    "Ink",
    "Mark",
    "PlacedMark",
    "Row",
    "Timeline",
    "build_timeline",
    "marks_from_evidence",
    "marks_from_why",
    "render_rows",
    "render_text",
    "tool_turns",
    "turn_for",
    "turn_marks",
]

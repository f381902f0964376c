"""Small pieces of English the front ends share (the CLI, the app)."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """``1 error``, ``3 errors``; ``plural`` where adding an ``s`` is wrong (entries)."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"

"""Untrusted text (tool output, file names, stored errors) made safe to show.

Terminal control sequences (ANSI colours, cursor moves, OSC 52 clipboard writes) start
with control characters. Every one except newline and tab is replaced by a visible
escape, so text from a transcript can never drive the terminal.
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters (but newline and tab) shown as ``\\xNN``."""
    return _CONTROL.sub(_escape, text)


def one_line(text: str, limit: int = 120) -> str:
    """A printable single-line summary of ``text``, cut to ``limit`` characters."""
    flat = " ".join(printable(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"

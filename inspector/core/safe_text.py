"""Untrusted text (tool output, ids, file names, stored errors) made safe to show.

Terminal control sequences (ANSI colours, cursor moves, OSC 52 clipboard writes) start
with control characters; bidi overrides and isolates reorder what is shown (U+202E makes
``txt.exe`` read ``exe.txt``); zero-width and other format characters hide text or make
two different ids look the same; a newline or a line separator starts a line that looks
like our own. Every such character is replaced by a visible escape (``\\n``, ``\\x1b``,
``\\u202e``), so text from a transcript or a path can neither drive the terminal nor
forge or disguise a line of a report. Lone surrogates (which JSON allows and no stream can
encode) are escaped too.

:func:`escaped` is for anything shown on one line (report lines, ids, paths, labels);
:func:`printable` keeps newline and tab, for a multi-line body; :func:`one_line` is a
summary that folds whitespace and cuts.
"""

from __future__ import annotations

import re

# Unicode category Cf (format characters, Unicode 15.1: bidi marks, embeddings, overrides
# and isolates, zero-width space/joiners, word joiner, invisible operators, BOM, tags...),
# listed here rather than computed at import; a test checks the list against unicodedata.
_FORMAT = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890-\u0891\u08e2\u180e\u200b-\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
)
# C0 and C1 controls, DEL, line and paragraph separators, lone surrogates.
_CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff"

_UNSAFE_IN_LINE = re.compile(f"[\t\n{_CONTROLS}{_FORMAT}]")
_UNSAFE_IN_BODY = re.compile(f"[{_CONTROLS}{_FORMAT}]")
_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def escaped(text: str, limit: int | None = None) -> str:
    """``text`` for one terminal line: newline, tab, controls, bidi, zero-width and other
    format characters shown as escapes (``\\n``, ``\\t``, ``\\x1b``, ``\\u202e``); cut
    to ``limit`` characters when given."""
    line = _UNSAFE_IN_LINE.sub(_escape, text)
    return _cut(line, limit) if limit is not None else line


def printable(text: str) -> str:
    """``text`` for a multi-line body: like :func:`escaped`, but newline and tab kept."""
    return _UNSAFE_IN_BODY.sub(_escape, text)


def one_line(text: str, limit: int = 120) -> str:
    """An escaped single-line summary of ``text``: whitespace runs folded to one space,
    cut to ``limit`` characters."""
    return _cut(" ".join(printable(text).split()), limit)


def _cut(line: str, limit: int) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"

"""JSON out at any depth a file can hold.

orjson reads values nested up to 1024 levels but writes at most 254, and Python's own
recursion limit (1000) stops comparing or copying such a value (``==`` recurses once
per level). :func:`dumps` is ``orjson.dumps``, byte for byte, at any depth: a value too
deep for one call is written in slices of :data:`_SLICE` levels, each slice's inner
values already written and embedded as ``orjson.Fragment``. :func:`allow_parsed_depth`
lifts Python's limit to what a parsed value can need (the command line does it first).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import orjson

_SLICE = 200
"""Levels written by one orjson call (its own limit is 254)."""
_DEPTH_ROOM = 8000
"""A recursion limit that a value orjson parsed (≤ 1024 levels), wrapped in a few
levels of our own, never reaches even at several frames per level."""


def dumps(
    value: Any,
    *,
    option: int | None = None,
    default: Callable[[Any], Any] | None = None,
) -> bytes:
    """``orjson.dumps(value, default=default, option=option)``, at any depth."""
    try:
        return orjson.dumps(value, default=default, option=option)
    except orjson.JSONEncodeError as error:
        if str(error) != "Recursion limit reached":
            raise
    allow_parsed_depth()
    sliced = _sliced(value, _SLICE, 0, option or 0, default)
    return orjson.dumps(sliced, default=default, option=option)


def allow_parsed_depth() -> None:
    """Raise Python's recursion limit (per process, never lowered: threads share it) so
    that comparing, copying or slicing a value as deep as orjson parses cannot fail."""
    if sys.getrecursionlimit() < _DEPTH_ROOM:
        sys.setrecursionlimit(_DEPTH_ROOM)


def _sliced(
    value: Any, left: int, level: int, option: int, default: Callable[[Any], Any] | None
) -> Any:
    """``value`` copied down to ``left`` levels, where each container is replaced by its
    JSON as a fragment (``level``: how deep ``value`` is in the document being written)."""
    if isinstance(value, dict):
        if not left:
            return _fragment(value, level, option, default)
        copy = {}
        for key, item in value.items():
            copy[key] = _sliced(item, left - 1, level + 1, option, default)
        return copy
    if isinstance(value, list | tuple):
        if not left:
            return _fragment(value, level, option, default)
        items = []
        for item in value:
            items.append(_sliced(item, left - 1, level + 1, option, default))
        return items
    return value


def _fragment(
    value: Any, level: int, option: int, default: Callable[[Any], Any] | None
) -> orjson.Fragment:
    # written as a document of its own (its inner slices indented from it), then
    # indented as it would be at its depth
    text = orjson.dumps(_sliced(value, _SLICE, 0, option, default), default=default, option=option)
    if option & orjson.OPT_INDENT_2:
        text = text.replace(b"\n", b"\n" + b"  " * level)
    return orjson.Fragment(text)


def path_text(path: os.PathLike[str] | str) -> str:
    """A path as JSON text. A file name need not be UTF-8: its undecodable bytes (held as
    lone surrogates, which no JSON encoder takes) are written as ``\\xNN``."""
    return os.fspath(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")

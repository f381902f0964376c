"""A JSON settings file read strictly and written back in its own style.

The user's ``settings.json`` is theirs: we rewrite it only when we can read all of it and
write it back as it was, our change aside. So a file is refused (:class:`SettingsRefused`,
one line) when it is not UTF-8, not strict JSON (comments, trailing commas, ``NaN``), has a
key twice (a rewrite would keep one), a number a float cannot hold, is nested deeper than
:data:`DEPTH_LIMIT`, larger than :data:`SIZE_LIMIT`, or not an object.

What is kept of the style (:class:`Style`): the indentation (spaces, tabs, or one compact
line with or without spaces after ``,`` and ``:``), CRLF or LF line breaks, a UTF-8 byte
order mark, the whitespace before and after the value (a trailing newline), and non-ASCII
characters written as they are or escaped. Key order is kept by the parser. A file written
by ``JSON.stringify(value, null, N)`` (as Claude Code writes it) or by hand in one regular
style comes back byte for byte; spacing that is irregular is made regular, which is why a
backup is always written first and why uninstalling restores the backup's exact bytes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

SIZE_LIMIT = 4 << 20
"""A settings file is a few KiB; 4 MiB is not one we will rewrite."""
DEPTH_LIMIT = 64
"""Settings nest a few levels; a value deeper than this is not settings."""

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")
_COMMENT = re.compile(r"//|/\*")
"""Outside strings, where JSON never has a ``/``."""
_WHITESPACE = " \t\r\n"
"""JSON's whitespace (str.strip's default takes more)."""
_BOM = "\ufeff"


class SettingsRefused(Exception):
    """A settings file we will not change (or cannot read): the reason, in one line."""


@dataclass(frozen=True, slots=True)
class Style:
    indent: str | None
    """Indentation unit; None: one compact line."""
    separators: tuple[str, str]
    newline: str = "\n"
    bom: bool = False
    before: str = ""
    after: str = "\n"
    ensure_ascii: bool = False


NEW_FILE_STYLE = Style(indent="  ", separators=(",", ": "))
"""A file we create: as ``JSON.stringify(value, null, 2)`` writes it, with a final newline."""


def parse(data: bytes, what: str) -> tuple[dict[str, Any], Style]:
    """The settings object in ``data`` and the style it is written in; raises
    :class:`SettingsRefused` naming ``what`` (the path) and the reason."""
    if len(data) > SIZE_LIMIT:
        raise SettingsRefused(f"{what}: larger than {SIZE_LIMIT >> 20} MiB, not a settings file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SettingsRefused(f"{what}: not UTF-8 text (byte {error.start})") from None
    bom = text.startswith(_BOM)
    text = text.removeprefix(_BOM)
    body = text.strip(_WHITESPACE)
    if not body:
        raise SettingsRefused(f"{what}: empty, not a JSON object")
    before = text[: len(text) - len(text.lstrip(_WHITESPACE))]
    after = text[len(text.rstrip(_WHITESPACE)) :]
    depth = _depth(body)
    if depth > DEPTH_LIMIT:
        raise SettingsRefused(f"{what}: nested {depth} levels deep, not a settings file")
    value = _loads(body, what)
    if not isinstance(value, dict):
        raise SettingsRefused(f"{what}: holds a JSON {_kind(value)}, not an object")
    style = _style(body, value, bom=bom, before=before, after=after)
    return value, style


def render(value: dict[str, Any], style: Style) -> bytes:
    """``value`` written in ``style`` (parsing the result gives ``value`` back)."""
    try:
        text = _dumps(value, style, ensure_ascii=style.ensure_ascii).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, which only an escape can write
        text = _dumps(value, style, ensure_ascii=True).encode("utf-8")
    return (_BOM.encode() if style.bom else b"") + text


def same(left: Any, right: Any) -> bool:
    """Equal as JSON values, key order included (``true`` is not ``1``)."""
    return bool(_ordered(left) == _ordered(right))


def _dumps(value: dict[str, Any], style: Style, *, ensure_ascii: bool) -> str:
    body = json.dumps(
        value,
        indent=style.indent,
        separators=style.separators,
        ensure_ascii=ensure_ascii,
        allow_nan=False,
    )
    # JSON strings never hold a raw line break: every "\n" is one json.dumps put there
    body = body.replace("\n", style.newline) if style.newline != "\n" else body
    return style.before + body + style.after


def _loads(body: str, what: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        result = dict(items)
        if len(result) != len(items):
            seen: set[str] = set()
            for key, _ in items:
                if key in seen:
                    raise SettingsRefused(f"{what}: the key {json.dumps(key)} appears twice")
                seen.add(key)
        return result

    def number(text: str) -> float:
        number = float(text)
        if not math.isfinite(number):
            raise SettingsRefused(f"{what}: the number {text[:40]} does not fit a float")
        return number

    def constant(name: str) -> Any:
        raise SettingsRefused(f"{what}: {name} is not JSON")

    try:
        return json.loads(
            body, object_pairs_hook=pairs, parse_float=number, parse_constant=constant
        )
    except json.JSONDecodeError as error:
        comment = _COMMENT.search(_STRING.sub('""', body))
        reason = "has comments (JSON with comments)" if comment else error.msg.lower()
        raise SettingsRefused(
            f"{what}: not strict JSON, {reason} at line {error.lineno} column {error.colno}; "
            "nothing was changed"
        ) from None


def _style(body: str, value: dict[str, Any], *, bom: bool, before: str, after: str) -> Style:
    newline = "\r\n" if "\r\n" in body or "\r\n" in after else "\n"
    ascii_only = body.isascii()
    if "\n" not in body:
        spaced = Style(None, (", ", ": "), newline, bom, before, after, ascii_only)
        tight = Style(None, (",", ":"), newline, bom, before, after, ascii_only)
        if _dumps(value, tight, ensure_ascii=ascii_only) == before + body + after:
            return tight
        return spaced if '": ' in body or not value else tight
    indent = "  "
    for line in body.split("\n")[1:]:
        stripped = line.lstrip(" \t")
        if stripped and stripped != line:
            indent = line[: len(line) - len(stripped)]
            break
    colon = ": " if '": ' in body or '":' not in body else ":"
    return Style(indent, (",", colon), newline, bom, before, after, ascii_only)


def _depth(body: str) -> int:
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', body)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        return ("object", tuple((key, _ordered(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("array", tuple(_ordered(item) for item in value))
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    return (type(value).__name__ if isinstance(value, str) else "number", value)


def _kind(value: Any) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return "number"

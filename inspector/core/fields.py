"""Typed reads of parsed JSON. A hostile line can hold any JSON value in any field (a list
as its ``type``, an object as its ``uuid``), and such a value must not reach a set or a
dict look-up, where it raises: read every field compared or looked up through here."""

from __future__ import annotations

from typing import Any


def str_field(value: Any, key: str) -> str | None:
    """``value[key]`` when ``value`` is an object and that field a string, else None."""
    if not isinstance(value, dict):
        return None
    found = value.get(key)
    return found if isinstance(found, str) else None

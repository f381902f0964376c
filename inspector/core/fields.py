"""Typed reads of parsed JSON. A hostile line can hold any JSON value in any field (a list
as its ``type``, an object as its ``uuid``), and such a value must not reach a set or a
dict look-up, where it raises: read every field compared or looked up through here."""

from __future__ import annotations

import re
from typing import Any, TypeGuard

_SAFE_PART = re.compile(r"[A-Za-z0-9_-]{1,128}")


def str_field(value: Any, key: str) -> str | None:
    """``value[key]`` when ``value`` is an object and that field a string, else None."""
    if not isinstance(value, dict):
        return None
    found = value.get(key)
    return found if isinstance(found, str) else None


def is_safe_id(value: object) -> TypeGuard[str]:
    """Whether an id read from a file (a sessionId, an agentId) may name a file or folder.

    Ids come from untrusted content: one like ``../..`` or ``/etc`` must never steer a
    path. Claude Code's ids are uuids and short hex strings.
    """
    return isinstance(value, str) and _SAFE_PART.fullmatch(value) is not None

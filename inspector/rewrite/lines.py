"""The lines of a JSONL file to write: each an original line copied byte for byte, or
an object written anew (compact, like the agents' own JSON)."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from inspector.core.json_out import dumps


@dataclass(slots=True)
class OutLine:
    """One line of the file to write."""

    source: int | None
    """Line number in the original; None for a line the rewrite adds."""
    raw: bytes
    value: dict[str, Any] | None
    """The original object; None for a line copied as is (unreadable)."""
    replacement: dict[str, Any] | None = None
    """A new object for the line (its content changed, or it is new)."""

    @property
    def current(self) -> dict[str, Any] | None:
        """The object this line will hold."""
        return self.replacement if self.replacement is not None else self.value

    def editable(self) -> dict[str, Any]:
        """The replacement object, created from a deep copy of the original on first use."""
        if self.replacement is None:
            assert self.value is not None
            self.replacement = copy.deepcopy(self.value)
        return self.replacement


def rendered(line: OutLine) -> bytes:
    """The bytes of ``line``: the original's when it was not replaced."""
    return line.raw if line.replacement is None else dumps(line.replacement)


def joined(lines: Iterable[bytes]) -> bytes:
    """JSONL: each line followed by its line break."""
    return b"".join(line + b"\n" for line in lines)

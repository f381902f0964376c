"""Which release of the client a rebuild follows, and how it was chosen.

Clients change what they send from one release to the next (Claude Code 2.1.197 and 2.1.332
order a merged message's tool calls differently), so an agent rebuilds the conversation the
way the release the user runs does. The front end says what it knows (:class:`ClientChoice`:
a version named on the command line, or the environment to find the installed client in);
the agent turns that into a :class:`ClientRelease` and the behaviour that goes with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


@dataclass(frozen=True, slots=True)
class ClientChoice:
    """What the user told us of their client; nothing at all: follow the newest known."""

    named: str | None = None
    """A version named by the user (``--client-version``); wins over the installed one."""
    environ: Mapping[str, str] | None = None
    """Where to look for the installed client (its ``PATH``…); None: do not look."""


NEWEST_KNOWN: Final = ClientChoice()


@dataclass(frozen=True, slots=True)
class ClientRelease:
    """The client release a rebuild followed."""

    label: str
    """Who: "Claude Code"."""
    version: str
    """Which release: "2.1.332"."""
    source: str
    """How it was chosen: "--client-version", "claude --version", "newest known"."""

    def describe(self) -> str:
        return f"{self.label} {self.version} ({self.source})"


def version_key(text: str) -> tuple[int, int, int] | None:
    """``(2, 1, 332)`` from "2.1.332" or "2.1.332 (Claude Code)"; None without a version."""
    found = _VERSION.search(text)
    if found is None:
        return None
    major, minor, patch = found.groups()
    return int(major), int(minor), int(patch)

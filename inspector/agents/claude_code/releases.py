"""Which Claude Code release the user runs, and what that release does with a transcript.

Checked against the real client, offline (``tests/claude``, versions in
``tests/claude_versions.txt``): where releases differ, the rebuild follows the one named
with ``--client-version``, else the one ``claude --version`` reports (``$INSPECTOR_CLAUDE_BIN``
or ``claude`` on ``PATH``), else the newest known.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from inspector.agents.claude_code.layout import LABEL
from inspector.core.client import ClientChoice, ClientRelease, version_key

NEWEST_KNOWN: Final = "2.1.332"
"""The newest release the tests check the rebuild against (``tests/claude_versions.txt``)."""

FILE_ORDER_SINCE: Final = (2, 1, 330)
"""From this release on, a merged message's tool calls are sent in the order their lines
are in the file; 2.1.197 and older sent an off-chain sibling after the last chain line of
its message (seen on ``realworld/spotter/8463c716-….jsonl``, message 122). Releases between
2.1.197 and 2.1.330 were not checked."""

_VERSION_TIMEOUT: Final = 10.0


@dataclass(frozen=True, slots=True)
class ClaudeCodeBehaviour:
    """What one Claude Code release does where releases differ."""

    release: ClientRelease
    tool_uses_in_file_order: bool
    """Tool calls of a merged assistant message go out in file order (else chain order)."""


def behaviour_for(choice: ClientChoice) -> ClaudeCodeBehaviour:
    """The behaviour of the release the user runs, as far as ``choice`` tells."""
    release = _release(choice)
    key = version_key(release.version) or (0, 0, 0)
    return ClaudeCodeBehaviour(release, tool_uses_in_file_order=key >= FILE_ORDER_SINCE)



def _release(choice: ClientChoice) -> ClientRelease:
    if choice.named is not None:
        return ClientRelease(LABEL, choice.named, "--client-version")
    if choice.environ is not None:
        installed = installed_version(choice.environ)
        if installed is not None:
            return ClientRelease(LABEL, installed, "claude --version")
    return ClientRelease(LABEL, NEWEST_KNOWN, "newest known")


def installed_version(environ: Mapping[str, str]) -> str | None:
    """The version ``claude --version`` reports (``$INSPECTOR_CLAUDE_BIN`` first), or None
    when there is no such program or it does not answer with a version."""
    binary = environ.get("INSPECTOR_CLAUDE_BIN") or shutil.which(
        "claude", path=environ.get("PATH", os.defpath)
    )
    if not binary:
        return None
    try:
        stat = os.stat(binary)
    except OSError:
        return None
    return _version_of(binary, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _version_of(binary: str, mtime_ns: int, size: int) -> str | None:
    """One run per binary as it is on disk (its mtime and size are part of the key)."""
    try:
        answer = subprocess.run(
            [binary, "--version"],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=_VERSION_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    key = version_key(answer.stdout.decode("utf-8", "replace"))
    return None if key is None or answer.returncode != 0 else ".".join(map(str, key))


NEWEST: Final = behaviour_for(ClientChoice())
"""The newest known release's behaviour: the default."""

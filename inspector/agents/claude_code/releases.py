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
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

import orjson

from inspector.agents.claude_code.layout import LABEL
from inspector.core.client import ClientChoice, ClientRelease, version_key

NEWEST_KNOWN: Final = "2.1.332"
"""The newest release the tests check the rebuild against (``tests/claude_versions.txt``)."""
HEALS: Final = "2.1.197 and 2.1.332 (checked)"
"""The releases of the matrix that heal a history at resume, for the notes (2.0.77 resumes
only what 2.0.x wrote, so the 2.1 samples do not tell)."""
EVERY_CHECKED: Final = "(checked: 2.0.77, 2.1.197, 2.1.332)"
"""Every release of the matrix, for notes that hold for all of them."""

FILE_ORDER_SINCE: Final = (2, 1, 330)
"""From this release on, a merged message's tool calls are sent in the order their lines
are in the file; 2.1.197 and older sent an off-chain sibling after the last chain line of
its message (seen on ``realworld/spotter/8463c716-….jsonl``, message 122). Releases between
2.1.197 and 2.1.330 were not checked."""

SENT_AS_TODAY_SINCE: Final = (2, 1, 197)
"""The oldest release seen to resume from the last leaf in the file (2.0.77 takes the newest
by timestamp), rename ``Task`` calls ``Agent`` and join merged user lines with newlines
(2.1.197 and 2.1.332 do; older ones were not compared in full)."""

HEALS_BY_ANSWERING_SINCE: Final = (2, 1, 332)
"""2.1.332 answers a call the session ended without, or answered late, with a placeholder;
2.1.197 drops both calls. Releases in between were not checked."""

_VERSION_TIMEOUT: Final = 10.0
NPM_PACKAGE: Final = "@anthropic-ai/claude-code"


@dataclass(frozen=True, slots=True)
class ClaudeCodeBehaviour:
    """What one Claude Code release does where releases differ."""

    release: ClientRelease
    leaf_in_file_order: bool
    """It resumes from the last leaf in the file (else the newest by timestamp)."""
    tool_uses_in_file_order: bool
    """Tool calls of a merged assistant message go out in file order (else chain order)."""
    renames_task_tool: bool
    """A legacy ``Task`` tool_use goes out named ``Agent``."""
    joins_user_lines_with_newline: bool
    """The texts of user lines merged into one message end with a newline but the last."""
    fakes_interrupted: bool
    """At resume, a call of the last turn left without a result gets a made-up is_error
    result (else it is dropped)."""
    fakes_missing: bool
    """A call answered only in a later turn gets a made-up result when the request is sent
    (else, at resume, the call is dropped and the result stripped)."""


def behaviour_for(choice: ClientChoice) -> ClaudeCodeBehaviour:
    """The behaviour of the release the user runs, as far as ``choice`` tells."""
    return behaviour_of(release_for(choice))


def behaviour_of(release: ClientRelease | None) -> ClaudeCodeBehaviour:
    """The behaviour of a release (None: the newest known)."""
    if release is None:
        return NEWEST
    key = version_key(release.version) or (0, 0, 0)
    return ClaudeCodeBehaviour(
        release,
        leaf_in_file_order=key >= SENT_AS_TODAY_SINCE,
        tool_uses_in_file_order=key >= FILE_ORDER_SINCE,
        renames_task_tool=key >= SENT_AS_TODAY_SINCE,
        joins_user_lines_with_newline=key >= SENT_AS_TODAY_SINCE,
        fakes_interrupted=key >= HEALS_BY_ANSWERING_SINCE,
        fakes_missing=key >= HEALS_BY_ANSWERING_SINCE,
    )


def release_for(choice: ClientChoice) -> ClientRelease:
    """The release a rebuild for ``choice`` follows: the one named, else the one installed,
    else the newest known."""
    if choice.named is not None:
        return ClientRelease(LABEL, choice.named, "--client-version")
    if choice.environ is not None:
        installed = installed_version(choice.environ)
        if installed is not None:
            return ClientRelease(LABEL, installed, "claude --version")
    return ClientRelease(LABEL, NEWEST_KNOWN, "newest known")


def installed_version(environ: Mapping[str, str]) -> str | None:
    """The version of the installed Claude Code (``$INSPECTOR_CLAUDE_BIN`` first, else
    ``claude`` on ``PATH``), or None when there is none or it does not say."""
    binary = environ.get("INSPECTOR_CLAUDE_BIN") or _which_claude(environ.get("PATH", os.defpath))
    if not binary:
        return None
    try:
        real = os.path.realpath(binary)
        stat = os.stat(real)
    except (OSError, ValueError):
        return None
    return _version_of(real, stat.st_mtime_ns, stat.st_size)


_FOUND_FOR_SECONDS = 2.0
_found: dict[str, tuple[float, str | None]] = {}


def _which_claude(path: str) -> str | None:
    """``claude`` on ``path``, looked for again after a couple of seconds: checking a few
    thousand files must not search ``PATH`` for each."""
    now = time.monotonic()
    known = _found.get(path)
    if known is None or now - known[0] > _FOUND_FOR_SECONDS:
        known = (now, shutil.which("claude", path=path))
        _found[path] = known
    return known[1]


@lru_cache(maxsize=8)
def _version_of(binary: str, mtime_ns: int, size: int) -> str | None:
    """Read where the install says it (its npm ``package.json``, or the versioned folder a
    native install keeps it in) and only else run ``claude --version``: a check must not
    start a Node process every time (its mtime and size key the memo)."""
    return _recorded_version(Path(binary)) or _reported_version(binary)


def _recorded_version(binary: Path) -> str | None:
    for folder in list(binary.parents)[:3]:
        manifest = folder / "package.json"
        try:
            package = orjson.loads(manifest.read_bytes()) if manifest.is_file() else None
        except (OSError, orjson.JSONDecodeError):
            continue
        if isinstance(package, dict) and package.get("name") == NPM_PACKAGE:
            version = package.get("version")
            return _normalised(version) if isinstance(version, str) else None
    if binary.parent.name == "versions":  # ~/.local/share/claude/versions/2.1.332
        return _normalised(binary.name)
    return None


def _reported_version(binary: str) -> str | None:
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
    if answer.returncode != 0:
        return None
    return _normalised(answer.stdout.decode("utf-8", "replace"))


def _normalised(text: str) -> str | None:
    key = version_key(text)
    return None if key is None else ".".join(map(str, key))


NEWEST: Final = behaviour_of(ClientRelease(LABEL, NEWEST_KNOWN, "newest known"))
"""The newest known release's behaviour: the default."""

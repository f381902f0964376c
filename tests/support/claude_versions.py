"""The Claude Code versions the real-client tests run against, and where their binaries are.

The list lives in ``tests/claude_versions.txt`` (one version a line, ``#`` comments). The
binaries come from the environment:

* ``INSPECTOR_CLAUDE_BINS``: ``VERSION=PATH`` pairs separated by commas, as ``.ci/run``
  exports them (``2.1.332=/tmp/x/2.1.332/node_modules/.bin/claude,2.1.197=...``). A version
  with an empty path (``2.0.77=``) could not be installed; it stays in the matrix and its
  tests are skipped with that reason, as are listed versions the variable does not name.
* otherwise ``INSPECTOR_CLAUDE_BIN`` or ``claude`` on ``PATH``: a one-version matrix, the
  version read from ``claude --version``.

The newest version of the matrix is the judge: the full parity and resume suites run on it,
a smaller set on the others (:func:`per_client`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from _pytest.mark.structures import ParameterSet

__all__ = [
    "VERSIONS_FILE",
    "Client",
    "binary_version",
    "clients",
    "listed_versions",
    "matrix",
    "parse_bins",
    "per_client",
    "resumable",
    "version_key",
    "written_by",
]

VERSIONS_FILE = Path(__file__).resolve().parents[1] / "claude_versions.txt"
BINS_VARIABLE = "INSPECTOR_CLAUDE_BINS"
NOT_INSTALLED = (
    "Claude Code not installed: set INSPECTOR_CLAUDE_BINS (VERSION=PATH,...), "
    "INSPECTOR_CLAUDE_BIN, or put `claude` on PATH (npm install @anthropic-ai/claude-code)"
)

_VERSION = re.compile(r"^\d+(?:\.\d+)*$")
_RECORDED_VERSION = re.compile(rb'"version":\s*"(\d+(?:\.\d+)*)"')


@dataclass(frozen=True)
class Client:
    """One Claude Code version of the matrix; ``binary`` is None when it is not installed."""

    version: str
    binary: str | None
    missing: str = ""
    judge: bool = False

    @property
    def installed(self) -> str:
        """The binary; only call it from a test that was not skipped for ``missing``."""
        assert self.binary is not None, self.missing
        return self.binary


def version_key(version: str) -> tuple[int, ...]:
    """``"2.1.197"`` -> ``(2, 1, 197)``; anything else sorts before every real version."""
    return tuple(int(part) for part in version.split(".")) if _VERSION.match(version) else ()


def listed_versions(path: Path = VERSIONS_FILE) -> list[str]:
    """The versions named in ``path``, in file order (comments and blank lines skipped)."""
    versions: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not _VERSION.match(line):
            raise ValueError(f"{path}: not a version: {line!r}")
        versions.append(line)
    return versions


def parse_bins(value: str) -> list[tuple[str, str]]:
    """``"2.1.332=/a/claude,2.0.77="`` -> ``[("2.1.332", "/a/claude"), ("2.0.77", "")]``."""
    pairs: list[tuple[str, str]] = []
    for item in value.split(","):
        item = item.strip()
        if not item:
            continue
        version, sep, binary = item.partition("=")
        if not sep or not _VERSION.match(version.strip()):
            raise ValueError(f"{BINS_VARIABLE}: expected VERSION=PATH, got {item!r}")
        pairs.append((version.strip(), binary.strip()))
    return pairs


def binary_version(binary: str) -> str | None:
    """The version ``binary --version`` prints (``2.1.332 (Claude Code)`` -> ``2.1.332``)."""
    try:
        proc = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    words = proc.stdout.split()
    return words[0] if proc.returncode == 0 and words and _VERSION.match(words[0]) else None


def matrix(
    env: Mapping[str, str] | None = None, versions_file: Path = VERSIONS_FILE
) -> list[Client]:
    """The clients to test, newest (the judge) first."""
    env = os.environ if env is None else env
    found: list[Client] = []
    bins = env.get(BINS_VARIABLE, "").strip()
    if bins:
        named = dict(parse_bins(bins))
        for version in dict.fromkeys([*listed_versions(versions_file), *named]):
            binary = named.get(version)
            if binary is None:
                why = f"Claude Code {version} is listed but {BINS_VARIABLE} does not name it"
                found.append(Client(version, None, why))
            elif not binary:
                why = f"Claude Code {version} could not be installed (see the .ci/run output)"
                found.append(Client(version, None, why))
            elif not os.access(binary, os.X_OK):
                why = f"Claude Code {version}: {binary} is not an executable file"
                found.append(Client(version, None, why))
            else:
                found.append(Client(version, binary))
    else:
        only = env.get("INSPECTOR_CLAUDE_BIN") or shutil.which("claude", path=env.get("PATH"))
        if only:
            seen = binary_version(only)
            if seen is None:
                found.append(Client("unknown", None, f"`{only} --version` failed"))
            else:
                found.append(Client(seen, only))
    found.sort(key=lambda client: version_key(client.version), reverse=True)
    if found:
        newest = found[0]
        found[0] = Client(newest.version, newest.binary, newest.missing, judge=True)
    return found


@cache
def clients() -> tuple[Client, ...]:
    """:func:`matrix` for this process's environment, computed once."""
    return tuple(matrix())


@cache
def written_by(transcript: Path) -> str | None:
    """The newest Claude Code ``version`` recorded in a transcript's lines, if any."""
    newest: str | None = None
    with transcript.open("rb") as fh:
        for raw in fh:
            for found in _RECORDED_VERSION.findall(raw):
                version = found.decode("ascii")
                if newest is None or version_key(version) > version_key(newest):
                    newest = version
    return newest


def resumable(client: Client, case: ParameterSet) -> bool:
    """A transcript case is for clients at least as new as the one that wrote it.

    An older client reads a newer layout partially (2.0.77 sends a fraction of a 2.1.39
    transcript): a user never meets that, so it is not a parity failure.
    """
    path = next((v for v in case.values if isinstance(v, Path)), None)
    writer = written_by(path) if path is not None and path.is_file() else None
    return writer is None or version_key(writer) <= version_key(client.version)


def per_client(
    cases: Sequence[ParameterSet],
    smaller: Collection[str] | None = None,
    marks: Callable[[Client, str], Sequence[pytest.MarkDecorator]] | None = None,
    applies: Callable[[Client, ParameterSet], bool] | None = None,
) -> list[ParameterSet]:
    """``(client, *case values)`` params: every case on the judge, ``smaller`` on the others.

    ``cases`` are ``pytest.param``s with ids; ``smaller`` names the ids the other versions
    run (None: all). Ids read ``VERSION-CASE`` (``2.1.332-spotter/8463…jsonl``). A client
    that is not installed gets its cases skipped with the reason; no client at all is one
    skipped param. ``marks(client, case id)`` adds marks, e.g. a per-version xfail;
    ``applies(client, case)`` False leaves the case out for that client (e.g. :func:`resumable`).
    """
    matrix_clients = clients()
    if not matrix_clients:
        return [
            pytest.param(
                None, *([None] * _width(cases)), marks=pytest.mark.skip(reason=NOT_INSTALLED)
            )
        ]
    params: list[ParameterSet] = []
    for client in matrix_clients:
        for case in cases:
            case_id = str(case.id or "case")
            if not client.judge and smaller is not None and case_id not in smaller:
                continue
            if applies is not None and not applies(client, case):
                continue
            case_marks: list[Any] = list(case.marks)
            if client.binary is None:
                case_marks.append(pytest.mark.skip(reason=client.missing))
            if marks is not None:
                case_marks += marks(client, case_id)
            params.append(
                pytest.param(
                    client, *case.values, marks=case_marks, id=f"{client.version}-{case_id}"
                )
            )
    return params


def _width(cases: Sequence[ParameterSet]) -> int:
    return len(cases[0].values) if cases else 1

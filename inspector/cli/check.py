"""``inspector check``: human and JSON reports, exit codes."""

from __future__ import annotations

import gc
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, TextIO

import orjson

from inspector.agents import HOME_AGENT, stored_sessions
from inspector.agents.claude_code.layout import config_root, transcript_files
from inspector.batch import Checked, Settings, check_many
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.os_errors import describe_failure
from inspector.core.safe_read import regular_file_problem
from inspector.core.safe_text import escaped
from inspector.core.wording import counted
from inspector.rules import Severity

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNCHECKABLE = 2

_COLORS = {
    Severity.ERROR: "\x1b[31m",
    Severity.WARNING: "\x1b[33m",
    Severity.INFO: "\x1b[2m",
}
_BOLD = "\x1b[1m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_MARKS = {Severity.ERROR: "✗", Severity.WARNING: "!", Severity.INFO: "·"}


def run_check(
    paths: list[Path],
    *,
    as_json: bool,
    color: bool,
    format_name: str | None = None,
    client: ClientChoice = NEWEST_KNOWN,
    errors_only: bool = False,
    cache_root: Path | None = None,
    stream: bool = False,
    jobs: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Check every transcript the paths name; return the exit code. ``errors_only``: print
    only the transcripts with an error the API rejects (and the closing summary).
    ``cache_root``: keep and reuse results there (None: check every file afresh).
    ``stream``: print each transcript as soon as it is checked, not in path order."""
    # A one-shot process that keeps every entry it reads: full collections would walk
    # them all again and again (a third of the time on a 50k-line transcript), and
    # nothing here builds cycles that need collecting before the process exits.
    gc.disable()
    stream_out = out or sys.stdout
    exit_code = EXIT_OK
    files, missing = expand_paths(paths)
    for problem in missing:
        print(f"inspector: {escaped(problem)}", file=sys.stderr)
        exit_code = EXIT_UNCHECKABLE
    tally = _Tally()
    settings = Settings(format_name, client, cache_root)
    outcomes: Iterator[Checked] = check_many(files, settings, jobs=jobs)
    if not stream:
        order = {path: position for position, path in enumerate(files)}
        outcomes = iter(sorted(outcomes, key=lambda checked: order[checked.path]))
    for checked in outcomes:
        result = checked.result
        if result is None:
            print(f"inspector: {escaped(checked.failure or '')}", file=sys.stderr)
            exit_code = EXIT_UNCHECKABLE
            tally.unchecked += 1
            continue
        tally.add(result)
        if errors_only and result["ok"]:
            continue
        if as_json:
            stream_out.write(orjson.dumps(result).decode())
            stream_out.write("\n")
        else:
            _print_report(result, stream_out, color)
        if not result["ok"] and exit_code == EXIT_OK:
            exit_code = EXIT_FINDINGS
    if not as_json and (len(files) > 1 or errors_only):
        stream_out.write(tally.summary() + "\n")
    return exit_code


@dataclass
class _Tally:
    """What a run over many transcripts found, for its closing line."""

    checked: int = 0
    broken: int = 0
    errors: int = 0
    warnings: int = 0
    unchecked: int = 0

    def add(self, result: dict[str, Any]) -> None:
        counts = result["counts"]
        self.checked += 1
        self.broken += 0 if result["ok"] else 1
        self.errors += counts["errors"]
        self.warnings += counts["warnings"]

    def summary(self) -> str:
        """ "41 transcripts · 2 rejected (3 errors) · 12 warnings · 1 not checked"."""
        parts = [counted(self.checked, "transcript")]
        if self.broken:
            parts.append(f"{self.broken} rejected ({counted(self.errors, 'error')})")
        else:
            parts.append("0 errors")
        parts.append(counted(self.warnings, "warning"))
        if self.unchecked:
            parts.append(f"{self.unchecked} not checked")
        return " · ".join(parts)


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The transcript files to check, and why any path could not be used.

    A file found in a folder (or under the config root) that is not a regular file is
    skipped with a line on stderr; a folder that cannot be listed is a path not checked.
    """
    if not paths:
        return _every_known_session()
    files: list[Path] = []
    problems: list[str] = []
    for path in paths:
        try:
            is_folder = stat.S_ISDIR(os.stat(path).st_mode)
        except OSError as error:  # missing, no permission on a folder on the way, too long
            problems.append(describe_failure(error, path))
            continue
        if not is_folder:
            files.append(path)  # named: anything but a regular file is refused when read
            continue
        found, unreadable = transcript_files(path)
        problems.extend(_not_searched(unreadable, path))
        if not found and not unreadable:
            problems.append(f"{path}: no .jsonl transcripts in this folder")
        files.extend(_regular_only(found))
    return files, problems


def _every_known_session() -> tuple[list[Path], list[str]]:
    """Claude Code sessions under the config root, then other agents' sessions."""
    projects = config_root() / "projects"
    files: list[Path] = []
    problems: list[str] = []
    try:
        if stat.S_ISDIR(os.stat(projects).st_mode):
            files, unreadable = transcript_files(projects)
            problems.extend(_not_searched(unreadable, projects))
    except FileNotFoundError:
        pass
    except OSError as error:
        problems.append(describe_failure(error, projects))
    files.extend(session.path for session in stored_sessions(besides=HOME_AGENT))
    if not files and not problems:
        return [], [
            f"no sessions found: nothing under {projects} (set CLAUDE_CONFIG_DIR?), "
            "no Roo Code, Cline or Codex sessions either"
        ]
    return _regular_only(files), problems


def _not_searched(errors: list[OSError], top: Path) -> list[str]:
    """One line per folder that could not be listed (its transcripts were not checked)."""
    return [
        f"{describe_failure(error, Path(error.filename or top))} (folder not searched)"
        for error in errors
    ]


def _regular_only(found: list[Path]) -> list[Path]:
    """The regular files among files found (not named); a line on stderr for each other."""
    regular: list[Path] = []
    for path in found:
        problem = regular_file_problem(path)
        if problem is None:
            regular.append(path)
        else:
            print(f"inspector: skipped {escaped(str(path))}: {problem}", file=sys.stderr)
    return regular


def _print_report(result: dict[str, Any], out: TextIO, color: bool) -> None:
    """One transcript's report for people, from its ``--json`` form."""
    paint = _Paint(color)
    counts = result["counts"]
    path = result["path"]
    session = escaped(result["session_id"] or "no session id")
    client = result["client"]
    sent_by = (
        f" · as {client['label']} {client['version']} ({client['source']}) sends it"
        if client is not None
        else ""
    )
    out.write(
        paint(_BOLD, escaped(path))
        + paint(
            _DIM,
            f"  session {session} · {counted(counts['messages'], 'message')} · "
            f"{counted(counts['tool_uses'], 'tool call')}{escaped(sent_by)}\n",
        )
    )
    file_name = PurePath(path).name
    for finding in result["findings"]:
        out.write("".join(_finding_lines(finding, file_name, paint)))
    errors, warnings = counts["errors"], counts["warnings"]
    if result["ok"]:
        summary = "✓ the API accepts this conversation"
        if warnings:
            summary += f" ({counted(warnings, 'warning')})"
        out.write("  " + paint("\x1b[32m", summary) + "\n")
    else:
        out.write(
            "  "
            + paint(_COLORS[Severity.ERROR], f"✗ {counted(errors, 'error')}")
            + f", {counted(warnings, 'warning')}"
            + "\n"
        )
    cut = result["last_valid"]
    if cut is not None and not result["ok"]:
        out.write(f"  last valid turn: messages.{cut['message_index']} (line {cut['line']})\n")
    resume = result["resume"]
    if resume is not None and resume["steps"]:
        out.write(f"  resume: {escaped(resume['text'])}\n")
    out.write("\n")


def _finding_lines(finding: dict[str, Any], file_name: str, paint: _Paint) -> Iterator[str]:
    severity = Severity(finding["severity"])
    line = finding["line"]
    location = f"{file_name}:{line}" if line else file_name
    head = paint(_COLORS[severity], f"{_MARKS[severity]} {severity.value} {finding['rule']}")
    yield f"  {head}  {escaped(location)}  {escaped(finding['text'])}\n"
    if finding["ids"]:
        yield f"      ids: {escaped(', '.join(finding['ids']))}\n"
    if finding["cause"]:
        yield f"      cause: {escaped(finding['cause'])}\n"
    why = finding.get("why")
    if why is not None:
        yield f"      why: {escaped(why_line(why))}\n"
    if finding["resume"] is not None:
        yield f"      resume: {escaped(finding['resume']['text'])}\n"
    if finding["note"]:
        yield paint(_DIM, f"      note: {escaped(finding['note'])}") + "\n"


def why_line(why: dict[str, Any]) -> str:
    """A finding's cause on one line: "interrupt: <summary> · Claude Code 2.1.114 ·
    evidence lines 6, 9"."""
    parts = [f"{why['cause']}: {why['summary']}"]
    if why["client_version"]:
        parts.append(f"client {why['client_version']}")
    lines = [str(evidence["line"]) for evidence in why["evidence"]]
    if lines:
        parts.append(f"evidence line{'s' if len(lines) > 1 else ''} {', '.join(lines)}")
    return " · ".join(parts)


class _Paint:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, style: str, text: str) -> str:
        return f"{style}{text}{_RESET}" if self.enabled else text

"""Following many live sessions at once and saying what happens to them, as events.

A :class:`Watcher` keeps one :class:`~inspector.live.LiveSession` per session file written
recently (a followed Claude Code transcript is read by its tail: an append costs what it
appends) and, on each :meth:`Watcher.poll`, refreshes the files whose stamp changed and
compares what they hold with what they held:

* ``broke``: an error the API rejects appeared (new errors of a session are one event);
* ``healed``: a session that had errors has none (a rewind or repair, say);
* ``client_patched``: the client recorded a result it made up (``MADEUP``);
* ``api_error``: the client stored an API error (``APIERROR``), with the cause it links to;
* ``stalled``: the last turn's calls have had no result for far longer than their tools
  took in this session so far (:data:`STALL_FACTOR` times the longest, at least
  :data:`STALL_FLOOR` seconds; ``stall_after`` for a tool not seen finishing yet) while
  nothing was written;
* ``ended``: nothing was written for ``idle_after`` seconds (it is watched again when it
  changes).

A session followed for hours is not held whole: every :data:`LET_GO_EVERY` lines read,
the settled start of it is let go of (:meth:`~inspector.live.LiveSession.forget_settled`:
its findings are kept as they were said), so the memory a watch takes stays in proportion
to the recent part of each session, not to how long it has run.

Plain domain code: ``inspector watch`` prints the events, the app may show them.
"""

from __future__ import annotations

import os
import shlex
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from inspector.agents import FORMATS, NotATranscript, agent_of
from inspector.core.agent import Kept
from inspector.core.client import ClientRelease
from inspector.core.json_out import path_text
from inspector.core.model import TOOL_USE, Conversation
from inspector.core.safe_text import one_line
from inspector.live import LiveSession, Snapshot
from inspector.rules import Finding, Report, Rule, Severity
from inspector.rules.running import only_running, running_calls

BROKE = "broke"
HEALED = "healed"
CLIENT_PATCHED = "client_patched"
API_ERROR = "api_error"
STALLED = "stalled"
ENDED = "ended"

SESSION_SUFFIXES = (".jsonl", ".json")
STALL_FACTOR = 10.0
STALL_FLOOR = 60.0
LET_GO_EVERY = 400
"""Lines read from a session between two tries to let go of its settled start."""


@dataclass(frozen=True, slots=True)
class WatchEvent:
    kind: str
    path: Path
    session_id: str | None
    agent: str | None
    at: float
    text: str
    findings: tuple[Finding, ...] = ()
    fix: str | None = None
    client: ClientRelease | None = None
    """The client release the rebuild followed, when its agent has releases."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "event": self.kind,
            "time": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds"),
            "path": path_text(self.path),
            "session_id": self.session_id,
            "agent": self.agent,
            "text": self.text,
            "findings": [
                {
                    "rule": finding.rule.value,
                    "severity": finding.severity.value,
                    "line": finding.line,
                    "ids": list(finding.ids),
                    "text": finding.text,
                    "cause": finding.cause,
                }
                for finding in self.findings
            ],
            "fix": self.fix,
            "client": self.client.describe() if self.client else None,
        }


@dataclass(frozen=True, slots=True)
class SessionState:
    """One followed session as of the last poll, for a screen that lists them."""

    path: Path
    session_id: str | None
    agent: str | None
    errors: int
    """Errors the API rejects (calls still running aside)."""
    warnings: int
    running: int
    """Calls of the last response still waiting for their results."""
    written_at: float
    """Last modification time of the file."""
    ended: bool
    unreadable: bool
    last_event: str | None


@dataclass(slots=True)
class _Followed:
    live: LiveSession
    stamp: tuple[int, int, int] | None = None
    changed_at: float = 0.0
    errors: frozenset[str] = frozenset()
    told: set[str] = field(default_factory=set)
    """Keys of made-up results and API errors already reported."""
    pending: frozenset[str] = frozenset()
    """Calls of the last response without a result yet (running, as far as we know)."""
    held: list[Finding] = field(default_factory=list)
    """Errors about those calls, said only if the session goes quiet without their results."""
    stalled: bool = False
    ended: bool = False
    unreadable: bool = False
    session_id: str | None = None
    agent: str | None = None
    warnings: int = 0
    last_event: str | None = None
    longest: dict[str, float] = field(default_factory=dict)
    """Tool name → the longest a call of it took here (call line → result line)."""
    timed: int = 0
    """Calls of the report already timed (the report's calls only grow while followed)."""
    timed_from: Kept | None = None
    """Where the session held started when the calls were timed."""
    pending_tools: frozenset[str] = frozenset()
    read_since_let_go: int = 0
    """Lines read since the session's settled start was last let go of (or tried)."""


class Watcher:
    """Sessions under some paths (files or folders), followed while they are written."""

    def __init__(
        self,
        paths: Iterable[Path],
        *,
        recent_within: float = 3600.0,
        idle_after: float = 600.0,
        stall_after: float = 300.0,
    ) -> None:
        self.paths = list(paths)
        self.recent_within = recent_within
        self.idle_after = idle_after
        self.stall_after = stall_after
        self._sessions: dict[Path, _Followed] = {}

    @property
    def followed(self) -> list[Path]:
        return list(self._sessions)

    def discover(self, now: float | None = None) -> None:
        """Follow every session file under the paths written within ``recent_within``
        seconds (a file named directly: whatever its age)."""
        now = time.time() if now is None else now
        for path in self.paths:
            if path.is_file():
                self._follow(path, now)
                continue
            for folder, _, names in os.walk(path):
                for name in names:
                    if not name.endswith(SESSION_SUFFIXES):
                        continue
                    found = Path(folder, name)
                    if found in self._sessions:
                        continue
                    try:
                        written = os.stat(found).st_mtime
                    except OSError:
                        continue
                    if now - written <= self.recent_within:
                        self._follow(found, now)

    def _follow(self, path: Path, now: float) -> None:
        if path not in self._sessions:
            self._sessions[path] = _Followed(LiveSession(path), changed_at=now)

    def query(
        self, path: Path, now: float | None = None, *, whole: bool = False
    ) -> tuple[Snapshot | None, list[WatchEvent]]:
        """The session as of now (followed from now on, if it was not), and the events
        its refresh gave. ``whole``: a snapshot of the whole session, not of its recent
        part (read again whole if its start was let go of)."""
        now = time.time() if now is None else now
        self._follow(path, now)
        followed = self._sessions[path]
        if whole and followed.live.snapshot is not None and followed.live.snapshot.earlier:
            followed.live, followed.stamp = LiveSession(path), None
        events = self._poll_one(path, followed, now, let_go=not whole)
        if events:
            followed.last_event = events[-1].kind
        return followed.live.snapshot, events

    def poll(self, now: float | None = None) -> list[WatchEvent]:
        """Refresh what changed; the events since the last poll."""
        now = time.time() if now is None else now
        events: list[WatchEvent] = []
        for path, followed in list(self._sessions.items()):
            found = self._poll_one(path, followed, now)
            if found:
                followed.last_event = found[-1].kind
            events.extend(found)
        return events

    def states(self) -> list[SessionState]:
        """Every followed session, the last written first."""
        states = [
            SessionState(
                path,
                followed.session_id,
                followed.agent,
                len(followed.errors),
                followed.warnings,
                len(followed.pending),
                (followed.stamp[2] / 1e9) if followed.stamp else 0.0,
                followed.ended,
                followed.unreadable,
                followed.last_event,
            )
            for path, followed in self._sessions.items()
        ]
        return sorted(states, key=lambda state: (-state.written_at, str(state.path)))

    def _poll_one(
        self, path: Path, followed: _Followed, now: float, *, let_go: bool = True
    ) -> list[WatchEvent]:
        try:
            found = os.stat(path)
        except OSError:
            del self._sessions[path]  # removed: nothing more to say of it
            return []
        stamp = (found.st_ino, found.st_size, found.st_mtime_ns)
        if stamp == followed.stamp:
            return self._quiet(path, followed, now)
        followed.stamp = stamp
        followed.changed_at = now
        followed.ended = False
        followed.stalled = False
        try:
            snapshot = followed.live.refresh()
        except (OSError, NotATranscript):
            followed.unreadable = True
            return []
        if snapshot is None:
            return []
        followed.unreadable = False
        events = self._compare(path, followed, snapshot, now)
        if let_go:
            self._let_go_when_due(followed, snapshot)
        return events

    def _let_go_when_due(self, followed: _Followed, snapshot: Snapshot) -> None:
        """Let go of the session's settled start once enough was read since last time."""
        followed.read_since_let_go += snapshot.lines_read
        if followed.read_since_let_go < LET_GO_EVERY or followed.pending:
            return
        followed.read_since_let_go = 0
        try:
            followed.live.forget_settled()
        except (OSError, NotATranscript):
            followed.unreadable = True  # said when it is read next

    def _compare(
        self, path: Path, followed: _Followed, snapshot: Snapshot, now: float
    ) -> list[WatchEvent]:
        report = snapshot.report
        conversation = report.conversation
        findings = snapshot.findings
        all_errors = [f for f in findings if f.severity is Severity.ERROR]
        followed.session_id, followed.agent = conversation.session_id, conversation.format
        followed.warnings = sum(1 for f in findings if f.severity is Severity.WARNING)

        events: list[WatchEvent] = []
        followed.pending = running_calls(report)
        followed.pending_tools = _tools_of(report, followed.pending)
        _time_calls(followed, snapshot)
        followed.held = [f for f in all_errors if only_running(f, followed.pending)]
        errors = [f for f in all_errors if f.rule is not Rule.APIERROR and f not in followed.held]
        keys = frozenset(_key(f) for f in errors)
        new = [f for f in errors if _key(f) not in followed.errors]
        if new:
            events.append(
                _event(BROKE, path, conversation, now, f"broke: {new[0].headline}", new, fix=True)
            )
        elif followed.errors and not keys:
            events.append(
                _event(
                    HEALED,
                    path,
                    conversation,
                    now,
                    "no error left: the API accepts this conversation",
                )
            )
        followed.errors = keys
        for finding in findings:
            if finding.rule not in (Rule.MADEUP, Rule.APIERROR):
                continue
            key = _key(finding)
            if key in followed.told:
                continue
            followed.told.add(key)
            if finding.rule is Rule.MADEUP:
                events.append(
                    _event(CLIENT_PATCHED, path, conversation, now, finding.text, [finding])
                )
            else:
                cause = f" (cause: {finding.cause})" if finding.cause else ""
                events.append(
                    _event(
                        API_ERROR,
                        path,
                        conversation,
                        now,
                        finding.text + cause,
                        [finding],
                        fix=True,
                    )
                )
        return events

    def _quiet(self, path: Path, followed: _Followed, now: float) -> list[WatchEvent]:
        """Nothing was written since the last poll: stalled, or ended."""
        snapshot = followed.live.snapshot
        if snapshot is None or followed.unreadable:
            return []
        conversation = snapshot.report.conversation
        quiet_for = now - followed.changed_at
        events: list[WatchEvent] = []

        if followed.pending and not followed.stalled and quiet_for >= self._patience(followed):
            followed.stalled = True
            running = ", ".join(sorted(followed.pending)[:5])
            text = f"{len(followed.pending)} call(s) without a result for {quiet_for:.0f} s: "
            events.append(_event(STALLED, path, conversation, now, text + running))
        if not followed.ended and quiet_for >= self.idle_after:
            followed.ended = True
            settled = [f for f in followed.held if _key(f) not in followed.errors]
            if settled:  # it ended with calls that never got their results
                followed.errors = followed.errors | {_key(f) for f in settled}
                events.append(
                    _event(
                        BROKE,
                        path,
                        conversation,
                        now,
                        f"broke: {settled[0].headline}",
                        settled,
                        fix=True,
                    )
                )
            events.append(
                _event(ENDED, path, conversation, now, f"nothing written for {quiet_for:.0f} s")
            )
            # What was read goes: an ended session costs a stamp and the findings said,
            # and is read again whole if it is written to again (resumed, say).
            followed.live = LiveSession(path)
            followed.pending, followed.held = frozenset(), []
        return events

    def _patience(self, followed: _Followed) -> float:
        """How long the running calls may take: far longer than their tools took here."""
        known = [followed.longest.get(tool) for tool in followed.pending_tools]
        if not known or any(took is None for took in known):
            return self.stall_after
        return max(STALL_FLOOR, STALL_FACTOR * max(took for took in known if took is not None))


def _event(
    kind: str,
    path: Path,
    conversation: Conversation,
    now: float,
    text: str,
    findings: Iterable[Finding] = (),
    *,
    fix: bool = False,
) -> WatchEvent:
    return WatchEvent(
        kind,
        path,
        conversation.session_id,
        conversation.format,
        now,
        one_line(text, 300),
        tuple(findings),
        _fix(path, conversation) if fix else None,
        conversation.client,
    )


def _time_calls(followed: _Followed, snapshot: Snapshot) -> None:
    """Add the calls answered since the last report to the longest time per tool."""
    report = snapshot.report
    if snapshot.kept_from != followed.timed_from:  # its start let go of, or read whole again
        followed.timed, followed.timed_from = 0, snapshot.kept_from
    elif len(report.calls) < followed.timed:  # read again from the start
        followed.longest, followed.timed = {}, 0
    for call in report.calls[followed.timed :]:
        took = call.seconds
        if took is None or call.use is None or not call.use.name:
            continue
        if took >= 0 and took > followed.longest.get(call.use.name, -1.0):
            followed.longest[call.use.name] = took
    followed.timed = len(report.calls)


def _tools_of(report: Report, ids: frozenset[str]) -> frozenset[str]:
    messages = report.conversation.messages
    tools = set()
    for message in messages[-2:]:
        for block in message.blocks:
            if block.type == TOOL_USE and block.tool_id in ids:
                tools.add(block.name or "")
    return frozenset(tools)


def _key(finding: Finding) -> str:
    return f"{finding.rule.value}:{','.join(finding.ids)}:{finding.line}"


def _fix(path: Path, conversation: Conversation) -> str:
    command = f"inspector repair {shlex.quote(str(path))}"
    resume = None
    if conversation.session_id and conversation.format in FORMATS:
        resume = agent_of(conversation).resume_command(conversation.session_id)
    return command + (f", or {resume} (the client heals some of it, silently)" if resume else "")

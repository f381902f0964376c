"""The Claude Code plan: the transcript's lines to write, and how the written session
must read back (:class:`Expectation`); a new session gets a fresh id that its file, its
lines and its subagent transcripts carry. Written by :func:`inspector.rewrite.plan.apply`.

The snapshot's lines are rebuilt with :class:`ClaudeCodeTranscript` as written (line
numbers = their positions), so a plan is checked in memory before anything is written.
A new session's folder takes its name first and its file last: Claude Code lists
sessions by their file, so the session appears whole in one step.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inspector.agents.claude_code.layout import config_roots_for, is_subagent_file, open_reason
from inspector.agents.claude_code.lines import EntryLine, render, with_session_id
from inspector.agents.claude_code.read import load_checked
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.agents.history.document import read_history
from inspector.core.jsonl import BadLine, ParsedLine
from inspector.core.model import TOOL_USE, Conversation, count_blocks
from inspector.core.os_errors import describe_failure
from inspector.core.verdict import NotATranscript, require_transcript
from inspector.rewrite.confined import read_confined
from inspector.rewrite.counts import ToolStructure, tool_structure
from inspector.rewrite.folders import real_folder, safe_path_part
from inspector.rewrite.plan import (
    Action,
    RewriteFailed,
    RewritePlan,
    RewriteResult,
    grown_by,
    is_uuid,
    new_session_id,
    read_back,
)
from inspector.rewrite.safe_write import StagedFile, StagedFolder, recently_written
from inspector.rewrite.snapshot import Snapshot, read_snapshot
from inspector.rules import Report, validate


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the written session must look like when it is read back."""

    chain: tuple[str, ...]
    """uuids of the entries Claude Code must walk; exact for a rewind, a subset for a repair."""
    exact_chain: bool
    structure: ToolStructure | None
    """The tool-call structure of the projected messages, when it must match exactly."""
    min_tool_uses: int = 0


@dataclass(slots=True)
class ClaudeCodePlan(RewritePlan):
    """What a rewind or repair of a Claude Code session will write. Build with
    ``plan_rewind`` / ``plan_repair``."""

    lines: list[EntryLine] = field(default_factory=list)
    expected: Expectation | None = None

    @property
    def target(self) -> Path:
        """Where the new session is written (unless applied in place)."""
        return self.source.with_name(f"{self.new_session_id}.jsonl")

    @property
    def has_output(self) -> bool:
        """The plan has something to write."""
        return bool(self.lines)

    def write_to(self, staged: StagedFile, session_id: str | None) -> None:
        """Write the planned file (``session_id``: the new session's id; None in place)."""
        staged.write_lines(render(line, session_id) for line in self.lines)

    def check_written(self, path: Path, session_id: str | None) -> Report:
        """Re-read and check the written file; raise RewriteFailed when it is not as planned."""
        return verify(self, path, session_id)

    def why_live(self, config_roots: Iterable[Path] | None) -> str | None:
        """Why the original must not be replaced now (None: it looks idle)."""
        roots = list(config_roots) if config_roots is not None else config_roots_for(self.source)
        return live_reason(self.source, _session_ids(self), roots=roots)

    def write_new(self) -> RewriteResult:
        """Write the planned session as a new one beside the original."""
        return _write_new(self)

    def staging_folders(self) -> list[Path]:
        """Where writing this plan stages files (swept of a killed run's leftovers)."""
        return list(dict.fromkeys((self.source.parent, self.target.parent)))

    def in_place_session_id(self) -> str | None:
        """The id to resume once the original was replaced."""
        return self.source.stem if is_uuid(self.source.stem) else self.session_id

    def resume_command(self, session_id: str) -> str | None:
        """How to resume the written session (None: the agent has no such command)."""
        return f"claude --resume {session_id}"

    def choices_text(self) -> str:
        """What writing a new session and writing in place each do, for a person choosing."""
        return (
            f"Fork writes {self.target.name} beside the original, which stays untouched. "
            "In place replaces the original after a timestamped backup (refused while "
            "Claude Code has the session open)."
        )


def live_reason(
    path: Path,
    session_ids: Iterable[str],
    *,
    roots: Iterable[Path] | None = None,
    now: float | None = None,
) -> str | None:
    """Why a transcript must not be replaced now, or None when it looks idle: Claude Code
    has the session open (its pid records under ``roots``, by default the config roots
    that may list it), or the file was written a moment ago."""
    roots = roots if roots is not None else config_roots_for(path)
    return open_reason(session_ids, roots) or recently_written(path, now=now)


# ---------------------------------------------------------------------- reading


def transcript_of(
    path: Path, lines: Iterable[tuple[int, dict[str, Any] | None, bytes]]
) -> ClaudeCodeTranscript:
    """A :class:`ClaudeCodeTranscript` fed ``(line number, object or None, raw)`` triples."""
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(_parsed(lines))
    return transcript


def _parsed(
    lines: Iterable[tuple[int, dict[str, Any] | None, bytes]],
) -> Iterator[ParsedLine | BadLine]:
    offset = 0
    for number, value, raw in lines:
        if value is not None:
            yield ParsedLine(number, offset, len(raw), value)
        elif raw.strip():
            yield BadLine(number, offset, len(raw), "not a JSON object")
        offset += len(raw) + 1


def read_source(path: Path) -> tuple[Snapshot, ClaudeCodeTranscript]:
    """Snapshot and parse a transcript; RewriteFailed says why it cannot be read.

    :func:`inspector.agents.plan_rewrite` picks the planner by the file's agent; called
    directly on another agent's message array, this says so instead of "not a conversation".
    """
    try:
        snapshot = read_snapshot(path)
        try:
            return snapshot, load_snapshot(snapshot)
        except NotATranscript:
            if _holds_messages(path):
                raise RewriteFailed(
                    f"{path.name} is another agent's history (a message array), not a Claude "
                    "Code transcript: plan it with inspector.agents.plan_rewrite"
                ) from None
            raise
    except OSError as error:
        raise RewriteFailed(describe_failure(error, path)) from error
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error


def _holds_messages(path: Path) -> bool:
    try:
        return bool(read_history(path).messages)
    except (OSError, NotATranscript):
        return False


def load_snapshot(snapshot: Snapshot) -> ClaudeCodeTranscript:
    """The snapshot's transcript. Raises NotATranscript."""
    transcript = transcript_of(
        snapshot.path, ((line.number, line.value, line.raw) for line in snapshot.lines)
    )
    require_transcript(transcript)
    return transcript


def refuse_subagent_file(path: Path, transcript: ClaudeCodeTranscript) -> None:
    main = [entry for entry in transcript.entries if not entry.sidechain]
    if transcript.entries and not main:
        raise RewriteFailed(
            f"{path.name} is a subagent transcript, which `claude --resume` does not load: "
            "rewind or repair its parent session"
        )
    if not transcript.entries and is_subagent_file(path):
        raise RewriteFailed(f"{path.name} is a subagent transcript with no conversation")


def has_conversation(transcript: ClaudeCodeTranscript) -> bool:
    return any(entry.is_message and not entry.sidechain for entry in transcript.entries)


@dataclass(slots=True)
class Start:
    """What every Claude Code plan starts from: the snapshot read once, and its check."""

    plan: ClaudeCodePlan
    transcript: ClaudeCodeTranscript
    conversation: Conversation


def start_plan(action: Action, path: Path) -> Start:
    """Read ``path`` once, rebuild and check it, and open a plan for ``action``.

    Raises RewriteFailed (unreadable, not a transcript, a subagent transcript).
    """
    snapshot, transcript = read_source(path)
    refuse_subagent_file(path, transcript)
    conversation = transcript.project()
    report = validate(conversation)
    plan = ClaudeCodePlan(
        action,
        path,
        snapshot,
        transcript.session_id,
        new_session_id(),
        report,
        cwd=first_cwd(snapshot),
    )
    return Start(plan, transcript, conversation)


def simulate(path: Path, lines: Iterable[EntryLine]) -> Report:
    """Check the lines as if they were written (line numbers = their positions)."""
    return validate(simulate_transcript(path, lines).project())


def simulate_transcript(path: Path, lines: Iterable[EntryLine]) -> ClaudeCodeTranscript:
    """The transcript the lines would make once written (line numbers = their positions)."""
    return transcript_of(
        path, ((number, line.current, line.raw) for number, line in enumerate(lines, start=1))
    )


def first_cwd(snapshot: Snapshot) -> str | None:
    for line in snapshot.lines:
        if line.value is not None and isinstance(line.value.get("cwd"), str):
            return str(line.value["cwd"])
    return None


def session_folders(source: Path, session_id: str | None) -> list[Path]:
    """The folders beside a transcript that belong to its session (``<file stem>/``, then
    ``<sessionId>/``): named only by plain ids, never a symbolic link."""
    names = dict.fromkeys(
        name for name in (safe_path_part(source.stem), safe_path_part(session_id)) if name
    )
    return [source.parent / name for name in names if real_folder(source.parent / name)]


def _session_ids(plan: ClaudeCodePlan) -> list[str]:
    ids = [plan.source.stem]
    if plan.session_id:
        ids.append(plan.session_id)
    return ids


# ---------------------------------------------------------------------- writing


def verify(plan: ClaudeCodePlan, path: Path, session_id: str | None) -> Report:
    """Re-read and check a written session; raise RewriteFailed when it is not as planned."""
    report = read_back(path, "session", load_checked)
    conversation = report.conversation
    if session_id is not None and conversation.session_id not in (None, session_id):
        raise RewriteFailed("the written session does not carry its new session id")
    expected = plan.expected
    if expected is None:
        return report
    walked = tuple(origin.uuid or "" for origin in conversation.chain)
    if expected.exact_chain and walked != expected.chain:
        raise RewriteFailed(
            "read back, the written session does not resume where planned "
            f"({len(walked)} entries walked, {len(expected.chain)} expected)"
        )
    if not expected.exact_chain and not set(expected.chain) <= set(walked):
        missing = len(set(expected.chain) - set(walked))
        raise RewriteFailed(f"read back, {missing} entries of the conversation are missing")
    if expected.structure is not None and tool_structure(conversation) != expected.structure:
        raise RewriteFailed("read back, the written session's tool calls differ from the plan")
    if count_blocks(conversation, TOOL_USE) < expected.min_tool_uses:
        raise RewriteFailed("read back, the written session has lost tool calls")
    return report


def _write_new(plan: ClaudeCodePlan) -> RewriteResult:
    session_id = plan.new_session_id
    target = plan.target
    if os.path.lexists(target):
        raise RewriteFailed(f"{target} already exists")
    written: list[Path] = []
    with contextlib.ExitStack() as stack:
        sidecar: StagedFolder | None = None
        if plan.sidecar:
            like = next(iter(session_folders(plan.source, plan.session_id)), None)
            sidecar = stack.enter_context(StagedFolder(target.with_suffix(""), like=like))
            for item in plan.sidecar:
                data = read_confined(plan.source.parent, item.source)
                if item.patch_session:
                    data = with_session_id(data, session_id)
                sidecar.write(item.relative, data, like=item.source)
        staged = stack.enter_context(
            StagedFile(target, like=plan.source, with_folder=sidecar is not None)
        )
        plan.write_to(staged, session_id)
        staged.finish()
        report = plan.check_written(staged.path, session_id)
        # The folder first, the file last: Claude Code lists sessions by their file, so
        # the session appears whole in one step. A kill between the two leaves a folder
        # with no file, which the staged file's ``.with-folder`` name lets the next
        # rewrite sweep (see inspector.rewrite.safe_write).
        if sidecar is not None:
            sidecar.commit()
            written = list(sidecar.files)
        try:
            staged.commit(replace=False)
        except BaseException:
            if sidecar is not None:
                sidecar.remove_committed()
            raise
    report.conversation.path = target  # it was checked under its temporary name
    return RewriteResult(
        plan, target, session_id, None, False, tuple(written), report, grown_by(plan)
    )

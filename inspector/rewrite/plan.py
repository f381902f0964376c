"""Rewriting a session safely: what rewind and repair share.

A rewrite is planned first (:func:`inspector.agents.claude_code.rewind.plan_rewind`,
:func:`inspector.agents.claude_code.repair.plan_repair`) and applied after (:func:`apply`):

* **Snapshot.** The transcript is read once; only its complete lines are used
  (:class:`Snapshot`). A session that grows meanwhile keeps its new lines, and the result
  says how many bytes came after the snapshot.
* **Plan.** A :class:`RewritePlan` lists the lines of the file to write
  (:class:`OutLine`: an original line copied as is or with ``parentUuid``/``sessionId``
  patched, or a new object), what is kept and dropped, and what the written session must
  look like when it is read back (:class:`Expectation`). Planning writes nothing.
* **Apply.** The file goes to a temporary name in the same folder, is flushed to disk,
  re-read and re-checked with :func:`inspector.check.check_file`; only a file that passes
  takes its final name. A new session gets a fresh id (its file and subagent transcripts
  carry it); ``in_place`` replaces the original after a timestamped backup and is refused
  while the session is live, and for a symbolic link or a file with other hard links.
  The original's bytes are never changed otherwise.
* **Untrusted ids.** A ``sessionId`` or ``agentId`` read from a file names a folder or a
  file only when it is a plain id (:func:`safe_path_part`), and a resume command is
  offered only for one. Sidecar folders are walked without following symbolic links
  (:func:`session_folders`, :func:`folder_files`), and every sidecar byte copied into a
  new session is read with :func:`inspector.rewrite.confined.read_confined`: no file outside
  the folder that holds the transcript, and no file reached through a symbolic link
  below it, is ever read into a new session.
* **Killed runs.** A new session's folder takes its name first and its file last, so
  the session appears in one step; what a killed run leaves is swept by the next
  rewrite of that folder (:func:`inspector.rewrite.safe_write.sweep_stale`, which documents
  what counts as ours).

Lines keep Claude Code's compact JSON: an unchanged line is copied byte for byte, a patched
line changes only the bytes of the patched key (checked by parsing it back), and anything
else is serialised with orjson, whose output is compact like Claude Code's.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import os
import stat
import uuid as uuidlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

import orjson

from inspector.agents import FORMATS, NotATranscript, detect_format
from inspector.agents.claude_code.layout import is_subagent_file
from inspector.agents.claude_code.transcript import FORMAT as CLAUDE_CODE
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.check import check_file
from inspector.core.fields import is_safe_id
from inspector.core.json_out import dumps
from inspector.core.jsonl import BadLine, ParsedLine, parse_object
from inspector.core.model import TOOL_RESULT, TOOL_USE, Conversation, count_blocks
from inspector.core.os_errors import describe_failure, describe_os_error
from inspector.core.safe_read import TRANSCRIPT_LIMIT, read_whole
from inspector.core.safe_text import one_line
from inspector.core.verdict import require_transcript
from inspector.core.wording import counted
from inspector.rewrite.confined import NotConfined, read_confined
from inspector.rewrite.safe_write import (
    BACKUP_SUFFIX,
    TEMP_SUFFIX,
    StagedFile,
    StagedFolder,
    WriteFailed,
    config_roots_for,
    existing_backup,
    live_reason,
    sweep_stale,
    write_backup,
)
from inspector.rules import Cut, Finding, Report, validate

ToolStructure = list[tuple[str, tuple[tuple[str, str], ...]]]


def is_uuid(name: str) -> bool:
    try:
        return str(uuidlib.UUID(name)) == name.lower()
    except ValueError:
        return False


class Action(StrEnum):
    REWIND = "rewind"
    REPAIR = "repair"


class RewriteFailed(Exception):
    """The rewrite cannot be done or did not pass its check; nothing was left behind."""


class RewriteRefused(Exception):
    """The rewrite was refused to protect the session (it is live, or changed meanwhile)."""


class _Keep:
    """Marker: keep the line's own ``parentUuid``."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = _Keep()


# ---------------------------------------------------------------------- values from files


def safe_path_part(value: object) -> str | None:
    """``value`` when it may name a file or folder (a plain id: letters, digits, ``_``,
    ``-``), else None. Ids read from a file (``sessionId``, ``agentId``) go through this
    before they become part of a path: ``/etc`` or ``../..`` must never steer one."""
    return value if is_safe_id(value) else None


def usable(result: Report) -> bool:
    """Whether a cut's conversation can be written: accepted, not empty, no call waiting."""
    return result.ok and bool(result.conversation.messages) and not result.pending


def explain_rejection(result: Report, where: str, last_valid_line: int | None) -> RewriteFailed:
    """Why the conversation up to ``where`` cannot be kept (``result`` is not usable)."""
    hint = (
        f"; its last valid turn ends at line {last_valid_line}"
        if last_valid_line is not None
        else ""
    )
    if not result.ok:
        return RewriteFailed(
            f"the conversation up to {where} is still rejected ({result.errors[0].headline}){hint}"
        )
    pending = result.pending
    if pending:
        return RewriteFailed(
            f"the conversation up to {where} ends on tool calls whose results come after it "
            f"({', '.join(pending[0].ids)}){hint}"
        )
    return RewriteFailed(f"nothing would be left of the conversation up to {where}")


def no_cut(report: Report) -> RewriteFailed:
    """No turn before the first error can end a rewind."""
    first = report.errors[0]
    return RewriteFailed(
        f"no valid turn to rewind to: the conversation is rejected from its start "
        f"({first.rule.value} at line {first.line}); try `inspector repair`"
    )


# ---------------------------------------------------------------------- session folders


def regular_file(path: Path) -> bool:
    """Whether ``path`` is a regular file itself (not a symbolic link to one)."""
    return _lstat_is(path, stat.S_ISREG)


def _real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder itself (not a symbolic link to one)."""
    return _lstat_is(path, stat.S_ISDIR)


def _lstat_is(path: Path, kind: Callable[[int], bool]) -> bool:
    try:
        return kind(os.lstat(path).st_mode)
    except OSError:
        return False


def session_folders(source: Path, session_id: str | None) -> list[Path]:
    """The folders beside a transcript that belong to its session (``<file stem>/``, then
    ``<sessionId>/``): named only by plain ids, never a symbolic link."""
    names = dict.fromkeys(
        name for name in (safe_path_part(source.stem), safe_path_part(session_id)) if name
    )
    return [source.parent / name for name in names if _real_folder(source.parent / name)]


def _scratch(name: str) -> bool:
    """A backup or a temporary file or folder of ours: never copied."""
    return name.endswith((BACKUP_SUFFIX, TEMP_SUFFIX))


def _raise(error: OSError) -> None:
    raise error


def folder_files(folder: Path) -> list[tuple[Path, Path]]:
    """``(path, path relative to folder)`` of the regular files under ``folder``, sorted.

    Symbolic links (to files or folders) are neither copied nor followed, backups and
    temporary files are skipped, and a folder that cannot be read raises OSError (a
    copy that silently misses files would lose them). No files when ``folder`` is not a
    folder itself.
    """
    if not _real_folder(folder):
        return []
    found: list[tuple[Path, Path]] = []
    for top, folders, names in os.walk(folder, onerror=_raise, followlinks=False):
        here = Path(top)
        # os.walk does not go into symbolic links to folders (followlinks=False)
        folders[:] = [name for name in folders if not _scratch(name)]
        for name in names:
            path = here / name
            if not _scratch(name) and regular_file(path):
                found.append((path, path.relative_to(folder)))
    return sorted(found, key=lambda pair: pair[1])


# ---------------------------------------------------------------------- snapshot


@dataclass(frozen=True, slots=True)
class SourceLine:
    """One physical line of the snapshot."""

    number: int
    """1-based line number."""
    offset: int
    raw: bytes
    """The line's bytes without its line break."""
    value: dict[str, Any] | None
    """The parsed object; None for a blank or unreadable line."""

    @property
    def blank(self) -> bool:
        return not self.raw.strip()


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The complete lines of a transcript, read once."""

    path: Path
    lines: list[SourceLine]
    size: int
    """Bytes the snapshot covers (from the start of the file)."""
    digest: bytes
    """blake2b of those bytes, to tell later whether the file still starts with them."""
    file_size: int
    """The file's size when it was read."""
    left_out: int
    """Bytes of an incomplete last line (no line break, not whole JSON) left out."""
    identity: tuple[int, int]
    """(device, inode) of the file read."""


def read_snapshot(path: Path) -> Snapshot:
    """Read ``path`` once and keep its complete lines. Raises OSError."""
    data, info = read_whole(path, TRANSCRIPT_LIMIT)
    end = data.rfind(b"\n") + 1
    tail = data[end:]
    left_out = 0
    if tail.strip():
        if parse_object(tail.rstrip(b"\r")) is not None:
            end = len(data)  # a whole last object without its line break: take it
        else:
            left_out = len(tail)
    return snapshot_of(path, data[:end], info, file_size=len(data), left_out=left_out)


def snapshot_of(
    path: Path,
    covered: bytes,
    info: os.stat_result,
    *,
    file_size: int,
    left_out: int = 0,
    parse: bool = True,
) -> Snapshot:
    """The snapshot of the first bytes of a file, ``covered``; its lines are parsed as
    JSON objects unless ``parse`` is off (a whole JSON document, not JSONL)."""
    lines: list[SourceLine] = []
    offset = 0
    for number, raw in enumerate(split_lines(covered), start=1):
        lines.append(SourceLine(number, offset, raw, _parse_line(raw) if parse else None))
        offset += len(raw) + 1
    return Snapshot(
        path=path,
        lines=lines,
        size=len(covered),
        digest=hashlib.blake2b(covered).digest(),
        file_size=file_size,
        left_out=left_out,
        identity=(info.st_dev, info.st_ino),
    )


def split_lines(data: bytes) -> list[bytes]:
    """The lines of ``data`` without their ``\\n`` (a ``\\r`` before it is kept); a last
    line without a line break counts, an empty one after the last break does not."""
    pieces = data.split(b"\n")
    if pieces and not pieces[-1]:
        pieces.pop()
    return pieces


def _parse_line(raw: bytes) -> dict[str, Any] | None:
    body = raw[:-1] if raw.endswith(b"\r") else raw
    return parse_object(body) if body.strip() else None


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

    Another agent's history is refused here (it would read as an empty transcript):
    :func:`inspector.agents.plan_rewrite` picks the right planner by the file's agent.
    """
    try:
        name = detect_format(path)
        if name != CLAUDE_CODE:
            raise RewriteFailed(
                f"{path.name} is a {FORMATS[name].label} history ({name}), not a Claude Code "
                "transcript: plan it with inspector.agents.plan_rewrite"
            )
        snapshot = read_snapshot(path)
        return snapshot, load_snapshot(snapshot)
    except OSError as error:
        raise RewriteFailed(describe_failure(error, path)) from error
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error


def load_snapshot(snapshot: Snapshot) -> ClaudeCodeTranscript:
    """The snapshot's transcript. Raises NotATranscript."""
    transcript = transcript_of(
        snapshot.path, ((line.number, line.value, line.raw) for line in snapshot.lines)
    )
    require_transcript(transcript)
    return transcript


# ---------------------------------------------------------------------- lines to write


@dataclass(slots=True)
class OutLine:
    """One line of the file to write."""

    source: int | None
    """Line number in the original; None for a line the rewrite adds."""
    raw: bytes
    value: dict[str, Any] | None
    """The original object; None for a line copied as is (unreadable)."""
    parent: str | _Keep | None = KEEP
    """The ``parentUuid`` to write, or :data:`KEEP`."""
    replacement: dict[str, Any] | None = None
    """A new object for the line (its content changed, or it is new)."""

    @property
    def current(self) -> dict[str, Any] | None:
        """The object this line will hold (before the session id is rewritten)."""
        base = self.replacement if self.replacement is not None else self.value
        if base is None or isinstance(self.parent, _Keep):
            return base
        return {**base, "parentUuid": self.parent}

    def editable(self) -> dict[str, Any]:
        """The replacement object, created from a deep copy of the original on first use."""
        if self.replacement is None:
            assert self.value is not None
            self.replacement = copy.deepcopy(self.value)
        return self.replacement

    @property
    def uuid(self) -> str | None:
        current = self.current
        value = current.get("uuid") if current else None
        return value if isinstance(value, str) else None


def render(line: OutLine, session_id: str | None) -> bytes:
    """The bytes of ``line``, its ``sessionId`` set to ``session_id`` when given."""
    if line.value is None and line.replacement is None:
        return line.raw
    if line.replacement is not None:
        obj = dict(line.replacement)
        if not isinstance(line.parent, _Keep):
            obj["parentUuid"] = line.parent
        if session_id is not None and isinstance(obj.get("sessionId"), str):
            obj["sessionId"] = session_id
        return dumps(obj)
    assert line.value is not None
    changes: dict[str, Any] = {}
    if not isinstance(line.parent, _Keep) and line.value.get("parentUuid") != line.parent:
        changes["parentUuid"] = line.parent
    old_session = line.value.get("sessionId")
    if session_id is not None and isinstance(old_session, str) and old_session != session_id:
        changes["sessionId"] = session_id
    if not changes:
        return line.raw
    return patch_line(line.raw, line.value, changes)


_MAX_TRIES = 8


def patch_line(raw: bytes, value: dict[str, Any], changes: dict[str, Any]) -> bytes:
    """``raw`` with the top-level ``changes`` applied to its bytes, nothing else touched.

    Each key's ``"key":old`` bytes are replaced by ``"key":new``; the result must parse to
    ``value`` with exactly those keys changed. A nested object holding the same key, or
    bytes written in another style, make that check fail for an occurrence, and the next
    is tried; when none fits, the line is serialised anew with orjson (compact).
    """
    expected = {**value, **changes}
    line_end = b"\r" if raw.endswith(b"\r") else b""
    body = raw[: len(raw) - len(line_end)]
    current_value = value
    for key, new in changes.items():
        if key not in current_value:
            return dumps(expected) + line_end
        old_fragment = orjson.dumps(key) + b":" + dumps(current_value[key])
        new_fragment = orjson.dumps(key) + b":" + dumps(new)
        target = {**current_value, key: new}
        patched = None
        for start in _occurrences(body, old_fragment, from_end=key != "parentUuid"):
            candidate = body[:start] + new_fragment + body[start + len(old_fragment) :]
            if parse_object(candidate) == target:
                patched = candidate
                break
        if patched is None:
            return dumps(expected) + line_end
        body, current_value = patched, target
    return body + line_end


def _occurrences(data: bytes, needle: bytes, *, from_end: bool) -> Iterator[int]:
    """Start offsets of ``needle`` in ``data`` (at most a few), from the end or the start."""
    found = 0
    if from_end:
        end = len(data)
        while found < _MAX_TRIES:
            start = data.rfind(needle, 0, end)
            if start < 0:
                return
            yield start
            found += 1
            end = start + len(needle) - 1
    else:
        begin = 0
        while found < _MAX_TRIES:
            start = data.find(needle, begin)
            if start < 0:
                return
            yield start
            found += 1
            begin = start + 1


# ---------------------------------------------------------------------- plan and result


@dataclass(frozen=True, slots=True)
class Change:
    """One thing a repair changed."""

    kind: str
    """``synthetic_result``, ``result_to_text``, ``results_first``, ``text_before_tool_use``,
    ``renamed_id`` or ``relinked``."""
    line: int | None
    """The original line it concerns (for an added line: the tool_use's line)."""
    tool_id: str | None
    text: str


@dataclass(frozen=True, slots=True)
class SidecarFile:
    """A file of the session's folder (``<id>/subagents/…``) to copy with a new session."""

    source: Path
    relative: Path
    """Path under the new session's folder."""
    patch_session: bool
    """A transcript whose lines' ``sessionId`` is rewritten."""


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
class RewritePlan:
    """What a rewind or repair will write. Build with ``plan_rewind`` / ``plan_repair``."""

    action: Action
    source: Path
    snapshot: Snapshot
    session_id: str | None
    """The original's session id."""
    new_session_id: str
    """The id a new session gets (its file is :attr:`target`)."""
    report: Report
    """The original's check."""
    lines: list[OutLine] = field(default_factory=list)
    cut: Cut | None = None
    """Rewind: the kept conversation ends after ``message_index`` of the *written*
    conversation, at this line and uuid of the original."""
    kept: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfixable: list[Finding] = field(default_factory=list)
    """Repair: errors it cannot fix (the plan cannot be applied)."""
    sidecar: list[SidecarFile] = field(default_factory=list)
    expected: Expectation | None = None
    result: Report | None = None
    """The check of the planned session, simulated in memory."""
    nothing_to_fix: bool = False
    cwd: str | None = None
    """The session's working directory (where ``claude --resume`` must run)."""

    @property
    def target(self) -> Path:
        """Where the new session is written (unless applied in place)."""
        return self.source.with_name(f"{self.new_session_id}.jsonl")

    @property
    def first_error(self) -> Finding | None:
        errors = self.report.errors
        return errors[0] if errors else None

    @property
    def applicable(self) -> bool:
        return not self.nothing_to_fix and not self.unfixable and self.has_output

    # What :func:`apply` asks of a plan. These write Claude Code transcripts; another
    # agent's plan (:class:`inspector.agents.history.rewrite.HistoryPlan`) overrides them, and
    # the safety path around them stays the same.

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
        return _apply_new(self)

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


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """What :func:`apply` did."""

    plan: RewritePlan
    written: Path | None
    """The session file written (None: nothing to fix)."""
    session_id: str | None
    """The id to resume."""
    backup: Path | None
    in_place: bool
    subagents: tuple[Path, ...]
    """Files written into the new session's folder."""
    check: Report | None
    """The check of the written file."""
    grew_by: int
    """Bytes the original gained after the snapshot (not in the written session)."""

    @property
    def resume(self) -> str | None:
        """The command that resumes the written session (only for a plain id: it is shown
        and copied to the clipboard, where any other text could do harm)."""
        session_id = safe_path_part(self.session_id)
        if session_id is None or self.written is None:
            return None
        return self.plan.resume_command(session_id)

    @property
    def resume_note(self) -> str | None:
        """Why no resume command is offered although the agent has one (None: it is)."""
        session_id = self.session_id
        if self.written is None or not session_id or self.resume is not None:
            return None
        if self.plan.resume_command(session_id) is None:
            return None
        return (
            f"no resume command: the session id {one_line(session_id, 60)!r} is not a plain "
            "id (letters, digits, - and _), so it is not put in a command to run; pick the "
            "session from the agent's own list"
        )


# ---------------------------------------------------------------------- helpers for plans


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

    plan: RewritePlan
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
    plan = RewritePlan(
        action,
        path,
        snapshot,
        transcript.session_id,
        new_session_id(),
        report,
        cwd=first_cwd(snapshot),
    )
    return Start(plan, transcript, conversation)


def new_session_id() -> str:
    return str(uuidlib.uuid4())


def simulate(path: Path, lines: Iterable[OutLine]) -> Report:
    """Check the lines as if they were written (line numbers = their positions)."""
    return validate(simulate_transcript(path, lines).project())


def simulate_transcript(path: Path, lines: Iterable[OutLine]) -> ClaudeCodeTranscript:
    """The transcript the lines would make once written (line numbers = their positions)."""
    return transcript_of(
        path, ((number, line.current, line.raw) for number, line in enumerate(lines, start=1))
    )


def tool_structure(conversation: Conversation) -> ToolStructure:
    """Role and (block type, tool id) of the tool blocks of each message that has any."""
    structure: ToolStructure = []
    for message in conversation.messages:
        pairs = tuple(
            (block.type, block.tool_id or "")
            for block in message.blocks
            if block.type in (TOOL_USE, "server_tool_use") or block.type.endswith("tool_result")
        )
        if pairs:
            structure.append((message.role, pairs))
    return structure


def conversation_counts(conversation: Conversation) -> dict[str, int]:
    """Messages, tool calls and results: the counts every plan reports kept and dropped."""
    return {
        "messages": len(conversation.messages),
        "tool_uses": count_blocks(conversation, TOOL_USE),
        "tool_results": count_blocks(conversation, TOOL_RESULT),
    }


def first_cwd(snapshot: Snapshot) -> str | None:
    for line in snapshot.lines:
        if line.value is not None and isinstance(line.value.get("cwd"), str):
            return str(line.value["cwd"])
    return None


def read_back(path: Path, what: str, format_name: str | None = None) -> Report:
    """Check the ``what`` (session, file) just written to ``path``; RewriteFailed when it
    cannot be read or is still rejected."""
    try:
        report = check_file(path, format_name)
    except (OSError, NotATranscript) as error:
        raise RewriteFailed(f"the written {what} could not be read back: {error}") from error
    if not report.ok:
        raise RewriteFailed(
            f"the written {what} still fails the check ({report.errors[0].headline})"
        )
    return report


def verify(plan: RewritePlan, path: Path, session_id: str | None) -> Report:
    """Re-read and check a written session; raise RewriteFailed when it is not as planned."""
    report = read_back(path, "session", CLAUDE_CODE)  # as written, not as re-detected
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


# ---------------------------------------------------------------------- apply


def apply(
    plan: RewritePlan,
    *,
    in_place: bool = False,
    force: bool = False,
    config_roots: Iterable[Path] | None = None,
) -> RewriteResult:
    """Write the planned session (new, or in place after a backup). See the module doc.

    Raises RewriteRefused (live session without ``force``; the file changed since the
    plan) and RewriteFailed (cannot write, or the written file did not pass its check;
    nothing is left behind either way).
    """
    for folder in plan.staging_folders():
        sweep_stale(folder)
    if plan.nothing_to_fix:
        return RewriteResult(plan, None, None, None, in_place, (), None, 0)
    if plan.unfixable:
        raise RewriteFailed(f"cannot {plan.action.value} {plan.unfixable[0].headline}")
    if not plan.has_output:
        raise RewriteFailed("the plan has nothing to write")
    try:
        if in_place:
            return _apply_in_place(plan, force=force, config_roots=config_roots)
        return plan.write_new()
    except NotConfined as error:
        raise RewriteFailed(
            f"{error.filename} is not a file of the session's own folder ({error.strerror}): "
            "it is not copied; nothing was written and the original is untouched"
        ) from error
    except OSError as error:
        where = error.filename or plan.source.parent
        raise RewriteFailed(
            f"cannot write in {plan.source.parent}: {describe_os_error(error)} ({where}); "
            "nothing was written and the original is untouched"
        ) from error
    except WriteFailed as error:
        raise RewriteFailed(str(error)) from error


def grown_by(plan: RewritePlan) -> int:
    """Bytes the original gained after it was read (an incomplete last line left out of
    the snapshot was already there: it is not growth)."""
    try:
        return max(0, os.stat(plan.source).st_size - plan.snapshot.file_size)
    except OSError:
        return 0


def _apply_new(plan: RewritePlan) -> RewriteResult:
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
                    data = _with_session_id(data, session_id)
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


def _with_session_id(data: bytes, session_id: str) -> bytes:
    """A subagent transcript with every line's ``sessionId`` rewritten (line ends kept)."""
    out: list[bytes] = []
    for raw in split_lines(data):
        value = _parse_line(raw)
        out.append(render(OutLine(None, raw, value), session_id) if value is not None else raw)
    trailing = b"\n" if data.endswith(b"\n") else b""
    return b"\n".join(out) + trailing


def _session_ids(plan: RewritePlan) -> list[str]:
    ids = [plan.source.stem]
    if plan.session_id:
        ids.append(plan.session_id)
    return ids


def _refuse_links(path: Path) -> None:
    """Refuse to replace a symbolic link or a file with other hard links in place: the
    rename would replace the link (or detach this name), not the file the agent uses."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise RewriteRefused(
            f"{path} is a symbolic link: replacing it in place would replace the link, not "
            f"the session it points to; nothing was changed (write a new session, or run "
            f"on {os.path.realpath(path)} itself)"
        )
    if info.st_nlink > 1:
        raise RewriteRefused(
            f"{path} has {info.st_nlink} hard links: replacing it in place would leave the "
            "other names with the old file; nothing was changed (write a new session instead)"
        )


def _unchanged_since_snapshot(plan: RewritePlan) -> tuple[bytes, os.stat_result]:
    """The file's current bytes and status, checked to be the snapshot's; else refuse."""
    snapshot = plan.snapshot
    data, info = read_whole(plan.source, TRANSCRIPT_LIMIT)
    if (info.st_dev, info.st_ino) != snapshot.identity or len(data) < snapshot.size:
        raise RewriteRefused(
            f"{plan.source} was replaced or shortened since it was read; nothing was changed "
            "(plan again)"
        )
    if hashlib.blake2b(data[: snapshot.size]).digest() != snapshot.digest:
        raise RewriteRefused(
            f"{plan.source} was rewritten since it was read; nothing was changed (plan again)"
        )
    if len(data) > snapshot.file_size:
        raise RewriteRefused(
            f"the session grew by {len(data) - snapshot.file_size} bytes since it was read; "
            "replacing it would drop them; nothing was changed (plan again)"
        )
    return data, info


def _apply_in_place(
    plan: RewritePlan, *, force: bool, config_roots: Iterable[Path] | None
) -> RewriteResult:
    reason = plan.why_live(config_roots)
    if reason is not None and not force:
        raise RewriteRefused(
            f"{reason}; replacing a live session loses what it writes next. Close it, or "
            "pass --force to replace it anyway (a backup is written first)"
        )
    _refuse_links(plan.source)
    # Stage and check first: a write that fails or does not pass leaves no backup behind.
    with StagedFile(plan.source, like=plan.source) as staged:
        plan.write_to(staged, None)
        staged.finish()
        report = plan.check_written(staged.path, None)
        current, read = _unchanged_since_snapshot(plan)
        # A backup of these very bytes left by a run killed before its replace is
        # adopted (backups are never deleted); only a backup made here is removed again.
        adopted = existing_backup(plan.source, current)
        backup = adopted or write_backup(plan.source, current)
        # Why check again: the backup holds the bytes read just above. A writer that
        # appended to the session (or replaced it) after that read would lose what it
        # wrote when the rename below replaces the file; same inode, size and mtime as the
        # bytes backed up is the cheap proof that nothing happened in between.
        if not _same_file(plan.source, read):
            if adopted is None:
                _remove(backup)
            raise RewriteRefused(
                f"{plan.source} changed while it was rewritten; nothing was changed (plan again)"
            )
        try:
            staged.commit(replace=True)
        except BaseException:
            if not staged.committed and adopted is None:
                _remove(backup)  # the original is untouched: the backup is not needed
            raise
    report.conversation.path = plan.source  # it was checked under its temporary name
    return RewriteResult(plan, plan.source, plan.in_place_session_id(), backup, True, (), report, 0)


def _same_file(path: Path, before: os.stat_result) -> bool:
    try:
        now = os.lstat(path)
    except OSError:
        return False
    return (
        stat.S_ISREG(now.st_mode)
        and now.st_nlink == 1
        and (now.st_dev, now.st_ino, now.st_size, now.st_mtime_ns)
        == (before.st_dev, before.st_ino, before.st_size, before.st_mtime_ns)
    )


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


COUNT_NAMES: dict[str, tuple[str, str]] = {
    "lines": ("line", "lines"),
    "messages": ("message", "messages"),
    "tool_uses": ("tool call", "tool calls"),
    "tool_results": ("tool result", "tool results"),
    "chain_entries": ("chain entry", "chain entries"),
    "history_lines": ("line of history before the compaction", "lines of history"),
    "metadata_lines": ("metadata line", "metadata lines"),
    "progress_lines": ("progress line", "progress lines"),
    "sidechain_lines": ("subagent line", "subagent lines"),
    "subagents": ("subagent transcript", "subagent transcripts"),
    "unreadable_lines": ("unreadable line", "unreadable lines"),
    "added_lines": ("added line", "added lines"),
    "changed_lines": ("changed line", "changed lines"),
    "tool_results_as_text": ("orphan result kept as text", "orphan results kept as text"),
    "duplicate_ids_renamed": ("duplicate id renamed", "duplicate ids renamed"),
    "stored_messages": ("stored message", "stored messages"),
    "changed_messages": ("changed message", "changed messages"),
    "added_messages": ("added message", "added messages"),
    "emptied_messages": (
        "message left empty by moving its results (removed)",
        "messages left empty by moving their results (removed)",
    ),
    "files": ("other file of the task", "other files of the task"),
}
"""How the ``kept``/``dropped`` counts of a plan are named for people (singular, plural)."""


def describe_counts(counts: dict[str, int]) -> str:
    """``{"lines": 3, "tool_uses": 1}`` → ``"3 lines, 1 tool call"`` (zeros left out)."""
    parts = []
    for key, value in counts.items():
        if value:
            singular, plural = COUNT_NAMES.get(key, (key.replace("_", " "),) * 2)
            parts.append(counted(value, singular, plural))
    return ", ".join(parts)

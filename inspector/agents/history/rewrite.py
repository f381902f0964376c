"""Rewind and repair for the other agents: Roo Code, Cline, Codex CLI, raw requests.

:func:`plan_rewrite` is the one entry point: it recognises the format and hands a Claude
Code transcript to :mod:`inspector.agents.claude_code.rewind` /
:mod:`inspector.agents.claude_code.repair`, anything else to
:func:`plan_history_rewind` / :func:`plan_history_repair` here. Every plan is applied by
:func:`inspector.rewrite.plan.apply` (staged write, fsync, read back and re-checked with
:func:`inspector.check.check_file`, atomic rename; ``in_place`` after a backup); a
:class:`HistoryPlan` only says which bytes to write, where, and how to check them.

**Rewind** keeps the stored history up to the last valid turn (or ``--line N``: the
message's 1-based position in the stored array, the file line for Codex) and drops the
rest. Roo Code keeps everything stored before its effective history (condensed and
truncated messages stay as they were). **Repair** changes only what the API rejects:

* a missing result (R1) gets a synthetic one in the client's own shape and words (Roo:
  :data:`ROO_MISSING`; Cline: :data:`CLINE_MISSING`; Codex: output ``aborted`` right after
  the call; raw Anthropic: an ``is_error`` result, OpenAI Chat: a ``tool`` message, both
  saying the result was lost);
* a result that answers no call (R2) or answers one twice (R5b) becomes plain text that
  quotes it (Roo's own shape ``Tool result:\\n…``);
* results after other content (R3): the answering results move to the start of the user
  turn, into its first stored message (a message they leave empty is removed);
* a tool_use id used again later (R5): the later call and its result get
  ``<id>-dup<n>``, as the Claude Code repair does; text after a tool_use in one message
  (R6) moves before it. Thinking blocks are never edited or moved.

**Where it is written.** Roo Code / Cline: a new task folder beside the original
(``tasks/<new id>/``) with the repaired ``api_conversation_history.json`` and the task's
other files copied byte for byte, only when the folder is a task folder
(:func:`task_folder`), and only the files a task holds (:func:`_task_files`); a history
anywhere else (``~/Downloads``) is written alone, as ``<stem>.rewound.json`` beside it.
Codex: a new rollout ``rollout-<time>-<new uuid>.jsonl`` in the same folder, its
``session_meta`` id rewritten and kept lines copied byte for byte.
A request file: ``<stem>.rewound.json`` / ``<stem>.repaired.json`` (a request log keeps
its other lines and gets the fixed last request). JSON is written compact like
``JSON.stringify`` (indented by two spaces when the original was indented).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import orjson

from inspector.agents import FORMATS, NotATranscript, detect_format
from inspector.agents.claude_code.repair import (
    LATE_RESULT,
    LOST_RESULT,
    answer_of,
    finding_block,
    fresh_id,
    quoted_result,
    result_as_text,
    tool_uses_last,
)
from inspector.agents.claude_code.transcript import FORMAT as CLAUDE_CODE
from inspector.agents.history.anthropic import ANTHROPIC_MESSAGES, CLINE, ROO_CODE
from inspector.agents.history.document import (
    StoredHistory,
    StoredMessage,
    array_at,
    message_array_keys,
)
from inspector.agents.openai import (
    CALL_ITEMS,
    CHAT,
    CODEX,
    codex_conversation,
    looks_like_chat,
)
from inspector.core.fields import str_field
from inspector.core.json_out import dumps
from inspector.core.jsonl import ParsedLine, parse_object
from inspector.core.model import (
    ASSISTANT_ROLE,
    SERVER_TOOL_USE,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
    Origin,
    count_blocks,
)
from inspector.core.os_errors import describe_failure
from inspector.core.safe_read import TRANSCRIPT_LIMIT, read_whole
from inspector.core.verdict import describe_file, describe_value, require_messages
from inspector.rewrite.confined import read_confined
from inspector.rewrite.plan import (
    Action,
    Change,
    OutLine,
    RewriteFailed,
    RewritePlan,
    RewriteResult,
    SidecarFile,
    Snapshot,
    SourceLine,
    conversation_counts,
    explain_rejection,
    folder_files,
    grown_by,
    is_uuid,
    new_session_id,
    no_cut,
    read_back,
    read_snapshot,
    regular_file,
    render,
    snapshot_of,
    tool_structure,
    usable,
)
from inspector.rewrite.safe_write import (
    StagedFile,
    StagedFolder,
    live_reason,
)
from inspector.rules import CallStatus, Cut, Report, Rule, validate
from inspector.rules.turns import merge_turns

ROO_MISSING: Final = "Tool execution was interrupted before completion."
"""Roo Code's words for a result it adds itself (``validateAndFixToolResultIds``)."""
CLINE_MISSING: Final = "[migration] Tool result missing in legacy conversation history."
"""Cline's placeholder for a missing result (``sanitizeInitialMessagesForSessionStart``)."""
ROO_RESULT_PREFIX: Final = "Tool result:\n"
"""How Roo Code keeps a result that answers no call, as text."""
CODEX_ABORTED: Final = "aborted"
"""Codex CLI's output for a call whose output is missing."""

HISTORY_FILE: Final = "api_conversation_history.json"
TASK_MARKERS: Final = ("ui_messages.json", "task_metadata.json")
"""Files beside the history that make its folder a Roo Code / Cline task folder."""
TASK_FILE_LIMIT: Final = 256 << 20
"""The largest file of a task copied into a new task."""
CLINE_SESSION_SUFFIX: Final = ".messages.json"
MAX_ROUNDS: Final = 8
_MAX_SEARCH: Final = 40
_CODEX_OUTPUT_FOR: Final = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "local_shell_call": "function_call_output",
}


# ---------------------------------------------------------------------- entry points


def plan_rewrite(
    action: Action, path: Path, *, to: str | None = None, line: int | None = None
) -> RewritePlan:
    """Plan a rewind or repair of any supported history, picked by its format.

    Writes nothing. Raises RewriteFailed (unreadable, not a history, no usable cut) and
    OSError (the file cannot be opened).
    """
    try:
        name = detect_format(path)
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error
    if name == CLAUDE_CODE:
        from inspector.agents.claude_code.repair import plan_repair
        from inspector.agents.claude_code.rewind import plan_rewind

        if action is Action.REWIND:
            return plan_rewind(path, to=to, line=line)
        return plan_repair(path)
    if action is Action.REWIND:
        return plan_history_rewind(path, to=to, line=line, format_name=name)
    return plan_history_repair(path, format_name=name)


def plan_history_rewind(
    path: Path,
    *,
    to: str | None = None,
    line: int | None = None,
    format_name: str | None = None,
) -> HistoryPlan:
    """Plan a rewind of a Roo Code, Cline, Codex or raw-request history. Writes nothing."""
    source = _read(path, format_name)
    plan = source.new_plan(Action.REWIND)
    if to is not None:
        raise RewriteFailed(
            f"--to names a Claude Code entry uuid; a {FORMATS[source.fmt].agent} history has "
            f"none: use --line N ({source.line_meaning})"
        )
    if not plan.report.conversation.has_content and line is None:
        plan.nothing_to_fix = True
        plan.notes.append("the file holds no conversation: nothing to rewind")
        return plan
    if plan.report.ok and line is None:
        plan.nothing_to_fix = True
        plan.notes.append("the API accepts this conversation: nothing to rewind")
        return plan
    source.rewind(plan, line)
    source.finish(plan)
    return plan


def plan_history_repair(path: Path, format_name: str | None = None) -> HistoryPlan:
    """Plan a repair of a Roo Code, Cline, Codex or raw-request history. Writes nothing."""
    source = _read(path, format_name)
    plan = source.new_plan(Action.REPAIR)
    if not plan.report.conversation.has_content:
        plan.nothing_to_fix = True
        plan.notes.append("the file holds no conversation: nothing to repair")
        return plan
    if plan.report.ok:
        plan.nothing_to_fix = True
        plan.notes.append("the API accepts this conversation: nothing to repair")
        return plan
    source.repair(plan)
    if not plan.unfixable:
        source.finish(plan)
    return plan


# ---------------------------------------------------------------------- the plan


@dataclass(slots=True)
class HistoryPlan(RewritePlan):
    """A rewind or repair of another agent's history: the bytes to write and where."""

    format: str = ""
    data: bytes = b""
    """The file to write in place (and as a new copy, unless :attr:`data_new` is set)."""
    data_new: bytes | None = None
    """The new copy, when it differs (a Codex rollout carries its new id)."""
    new_path: Path | None = None
    """Where a new copy goes."""
    folder: Path | None = None
    """The new task folder that holds :attr:`new_path` (Roo Code / Cline)."""

    @property
    def new_id(self) -> str | None:
        """The new copy's session or task id (None: a request file has none)."""
        return self.new_session_id or None

    @property
    def target(self) -> Path:
        return self.new_path or self.source

    @property
    def has_output(self) -> bool:
        return bool(self.data)

    def _bytes(self, new: bool) -> bytes:
        return self.data_new if new and self.data_new is not None else self.data

    def write_to(self, staged: StagedFile, session_id: str | None) -> None:
        staged.write(self._bytes(session_id is not None))

    def check_written(self, path: Path, session_id: str | None) -> Report:
        return self._check(path, new=session_id is not None, session_id=session_id)

    def _check(self, path: Path, *, new: bool, session_id: str | None) -> Report:
        """The written bytes are the planned ones, and ``check_file`` accepts them."""
        try:
            written = read_whole(path, TRANSCRIPT_LIMIT)[0]
        except OSError as error:
            raise RewriteFailed(f"the written file could not be read back: {error}") from error
        if written != self._bytes(new):
            raise RewriteFailed("read back, the written file differs from the plan")
        report = read_back(path, "file", self.format)
        planned = self.result.conversation if self.result is not None else None
        conversation = report.conversation
        if planned is not None and (
            len(conversation.messages) != len(planned.messages)
            or tool_structure(conversation) != tool_structure(planned)
        ):
            raise RewriteFailed("read back, the written file's tool calls differ from the plan")
        if (
            self.format == CODEX
            and session_id is not None
            and conversation.session_id != session_id
        ):
            raise RewriteFailed("the written rollout does not carry its new session id")
        return report

    def why_live(self, config_roots: Iterable[Path] | None) -> str | None:
        return live_reason(self.source, (), roots=())

    def write_new(self) -> RewriteResult:
        target = self.target
        if self.new_path is None:
            raise RewriteFailed("the plan names no file to write")
        session_id = self.new_id if self.new_id and self.format == CODEX else None
        copied: tuple[Path, ...] = ()
        if self.folder is not None:
            if os.path.lexists(self.folder):
                raise RewriteFailed(f"{self.folder} already exists")
            relative = target.relative_to(self.folder)
            with StagedFolder(self.folder, like=self.source.parent) as staged_folder:
                for item in self.sidecar:
                    data = read_confined(self.source.parent, item.source, limit=TASK_FILE_LIMIT)
                    staged_folder.write(item.relative, data, like=item.source)
                copied = tuple(staged_folder.files)
                staged_folder.write(relative, self._bytes(True), like=self.source)
                report = self._check(staged_folder.path / relative, new=True, session_id=session_id)
                staged_folder.commit()
        else:
            if os.path.lexists(target):
                raise RewriteFailed(f"{target} already exists")
            with StagedFile(target, like=self.source) as staged:
                staged.write(self._bytes(True))
                staged.finish()
                report = self._check(staged.path, new=True, session_id=session_id)
                staged.commit(replace=False)
        report.conversation.path = target  # it was checked under its temporary name
        return RewriteResult(self, target, self.new_id, None, False, copied, report, grown_by(self))

    def staging_folders(self) -> list[Path]:
        folders = [self.source.parent]
        if self.folder is not None:
            folders.append(self.folder.parent)
        return list(dict.fromkeys(folders))

    def in_place_session_id(self) -> str | None:
        return self.session_id

    def resume_command(self, session_id: str) -> str | None:
        return f"codex resume {session_id}" if self.format == CODEX else None

    def choices_text(self) -> str:
        agent = FORMATS[self.format].agent if self.format in FORMATS else "the agent"
        if self.folder is not None:
            return (
                f"Fork writes a new task folder {self.folder.name} (its {self.target.name} "
                "and a copy of the task's other files) beside the original task, which stays "
                f"untouched. In place replaces {self.source.name} after a timestamped backup: "
                f"close the task in {agent} first, which writes an open task's history back "
                "whole (refused only when the file was written seconds ago)."
            )
        if self.format == CODEX:
            return (
                f"Fork writes a new rollout {self.target.name} beside the original, which "
                "stays untouched. In place replaces the rollout after a timestamped backup: "
                "close the Codex session first, which appends to its rollout (refused only "
                "when the file was written seconds ago)."
            )
        return (
            f"Fork writes {self.target.name} beside the original, which stays untouched. "
            "In place replaces the original after a timestamped backup."
        )


# ---------------------------------------------------------------------- reading


def _read(path: Path, format_name: str | None) -> _Source:
    try:
        name = format_name or detect_format(path)
        if name == CLAUDE_CODE or name not in FORMATS:
            raise RewriteFailed(f"{path.name} is not a Roo Code, Cline, Codex or request history")
        if name == CODEX:
            return _Rollout.read(path)
        return _Array.read(path, name)
    except OSError as error:
        raise RewriteFailed(describe_failure(error, path)) from error
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error


class _Source:
    """One history read once, and what planning it needs."""

    path: Path
    fmt: str
    snapshot: Snapshot
    line_meaning: ClassVar[str] = "the message's position in the stored array, from 1"

    def conversation(self) -> Conversation:
        raise NotImplementedError

    def new_plan(self, action: Action) -> HistoryPlan:
        conversation = self.conversation()
        report = validate(conversation)
        plan = HistoryPlan(
            action,
            self.path,
            self.snapshot,
            conversation.session_id,
            "",
            report,
            format=self.fmt,
        )
        if self.snapshot.left_out:
            plan.notes.append(
                f"an incomplete last line ({self.snapshot.left_out} bytes, still being "
                "written?) is not part of the snapshot"
            )
        return plan

    def rewind(self, plan: HistoryPlan, line: int | None) -> None:
        raise NotImplementedError

    def repair(self, plan: HistoryPlan) -> None:
        raise NotImplementedError

    def finish(self, plan: HistoryPlan) -> None:
        """Name the new copy and list what goes with it."""
        raise NotImplementedError


def _cut_candidates(conversation: Conversation, report: Report) -> Iterator[int]:
    """Message indices to try as the end of a rewind, newest first."""
    cut = report.last_valid
    if cut is None:
        return
    tried = 0
    for index in range(cut.message_index, -1, -1):
        message = conversation.messages[index]
        if message.role == ASSISTANT_ROLE and any(
            block.type in (TOOL_USE, SERVER_TOOL_USE) for block in message.blocks
        ):
            continue
        tried += 1
        if tried > _MAX_SEARCH:
            return
        yield index


# ---------------------------------------------------------------------- message arrays


@dataclass(slots=True)
class _Array(_Source):
    """A message array: a JSON document (Roo Code, Cline, a request body), or the last
    request of a JSONL request log."""

    path: Path
    fmt: str
    snapshot: Snapshot
    messages: list[Any]
    container: Any
    """The parsed document, or the object of the request line."""
    holder: tuple[str, ...]
    """The keys that lead from the container to the array (none: it is the array)."""
    request_line: SourceLine | None = None
    indent: bool = False
    newline: bool = False

    @classmethod
    def read(cls, path: Path, fmt: str) -> _Array:
        data, info = read_whole(path)
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            return cls._read_log(path, fmt)
        holder = message_array_keys(document)
        if holder is None:
            raise NotATranscript(path, describe_value(document))
        require_messages(path, array_at(document, holder), document)
        return cls(
            path,
            fmt,
            snapshot_of(path, data, info, file_size=len(data), parse=False),
            list(array_at(document, holder)),
            document,
            holder,
            indent=b"\n" in data.strip(),
            newline=data.endswith(b"\n"),
        )

    @classmethod
    def _read_log(cls, path: Path, fmt: str) -> _Array:
        snapshot = read_snapshot(path)
        chosen: SourceLine | None = None
        for source in snapshot.lines:
            if source.value is not None and message_array_keys(source.value) is not None:
                chosen = source
        if chosen is None or chosen.value is None:
            raise NotATranscript(path, describe_file(path))
        holder = message_array_keys(chosen.value)
        assert holder is not None
        messages = list(array_at(chosen.value, holder))
        require_messages(path, messages, chosen.value)
        return cls(path, fmt, snapshot, messages, chosen.value, holder, chosen)

    # ------------------------------------------------------------------ projection

    def conversation(self) -> Conversation:
        line = self.request_line
        parsed = ParsedLine(line.number, line.offset, len(line.raw), {}) if line else None
        return self.project(self.messages, parsed)

    def project(self, messages: list[Any], line: ParsedLine | None = None) -> Conversation:
        """The conversation the client sends from ``messages`` (positions = their indices)."""
        from_history = FORMATS[self.fmt].from_history
        assert from_history is not None  # an array format: read whole
        return from_history(self.path, StoredHistory(messages, None, line))

    def render(self, messages: list[Any]) -> bytes:
        """The file holding ``messages`` in place of the stored array."""
        container = _with(self.container, self.holder, messages)
        if self.request_line is None:
            option = orjson.OPT_INDENT_2 if self.indent else 0
            return dumps(container, option=option) + (b"\n" if self.newline else b"")
        out: list[bytes] = []
        for source in self.snapshot.lines:
            if source is self.request_line:
                line_end = b"\r" if source.raw.endswith(b"\r") else b""
                out.append(dumps(container) + line_end)
            else:
                out.append(source.raw)
        return b"".join(line + b"\n" for line in out)

    # ------------------------------------------------------------------ rewind

    def rewind(self, plan: HistoryPlan, line: int | None) -> None:
        conversation = plan.report.conversation
        by_position = {_position(m): i for i, m in enumerate(conversation.messages)}
        if line is not None:
            if not 1 <= line <= len(self.messages):
                raise RewriteFailed(
                    f"line {line} is out of range: the history holds {len(self.messages)} messages"
                )
            index = by_position.get(line - 1)
            if index is None:
                raise RewriteFailed(f"line {line} is {self._describe(line - 1)}")
            kept, result = self._cut(conversation, index)
            if not usable(result):
                last = plan.report.last_valid
                raise explain_rejection(
                    result,
                    f"line {line}",
                    _line_at(conversation, last.message_index) if last else None,
                )
        else:
            for index in _cut_candidates(conversation, plan.report):
                kept, result = self._cut(conversation, index)
                if usable(result):
                    break
            else:
                raise no_cut(plan.report)
        position = _position(conversation.messages[index])
        plan.result = result
        plan.cut = Cut(len(result.conversation.messages) - 1, position + 1, None)
        plan.data = self.render(kept)
        plan.kept = _counts(result.conversation, stored_messages=len(kept))
        plan.dropped = _dropped(
            conversation, result.conversation, stored_messages=len(self.messages) - len(kept)
        )
        if conversation.messages and _position(conversation.messages[0]) > 0:
            plan.notes.append(
                f"the {_position(conversation.messages[0])} stored messages before the "
                "effective history (condensed or summarised) are kept as they were"
            )
        self._note_markers(plan, kept)
        if self.fmt == CHAT and not looks_like_chat(kept):
            plan.notes.append(self._read_as_anthropic(kept))
        if result.conversation.messages[-1].role == USER_ROLE and not any(
            block.is_result for block in result.conversation.messages[-1].blocks
        ):
            plan.notes.append(
                "the kept conversation ends on a user message: the agent starts by answering it"
            )

    def _read_as_anthropic(self, kept: list[Any]) -> str:
        """What ``inspector check`` says of a kept Chat request nothing marks as one."""
        read = FORMATS[ANTHROPIC_MESSAGES].from_history
        assert read is not None
        anthropic = validate(read(self.path, StoredHistory(kept, None, None)))
        said = "no OpenAI-only field is left in the kept request: `inspector check` reads it "
        if anthropic.ok:
            return (
                said + "as an Anthropic request unless given --format openai-chat (both accept it)"
            )
        return (
            said + "as an Anthropic request, which the Anthropic API rejects "
            f"({anthropic.errors[0].headline}): check it with --format openai-chat"
        )

    def _cut(self, conversation: Conversation, index: int) -> tuple[list[Any], Report]:
        kept = self.messages[: _position(conversation.messages[index]) + 1]
        return kept, validate(self.project(kept))

    def _describe(self, position: int) -> str:
        stored = self.messages[position]
        if not isinstance(stored, dict):
            return "not a message object"
        if self.fmt == ROO_CODE:
            return (
                "a message Roo Code does not send (before the last condensation, or hidden "
                "by a truncation or condensation)"
            )
        return f"a {stored.get('role')!s} message, which is not part of the conversation sent"

    def _note_markers(self, plan: HistoryPlan, kept: list[Any]) -> None:
        """Roo Code: a dropped summary or truncation marker un-hides what it hid."""
        if self.fmt != ROO_CODE:
            return
        dropped_ids = {
            str(m.get(key))
            for m in self.messages[len(kept) :]
            if isinstance(m, dict)
            for key in ("condenseId", "truncationId")
            if m.get(key)
        }
        hidden = [
            m
            for m in kept
            if isinstance(m, dict)
            and any(str(m.get(k)) in dropped_ids for k in ("condenseParent", "truncationParent"))
        ]
        if hidden:
            plan.notes.append(
                f"{len(hidden)} kept messages were hidden by a condensation or truncation the "
                "cut drops: Roo Code may send them again"
            )

    # ------------------------------------------------------------------ repair

    def repair(self, plan: HistoryPlan) -> None:
        fixer: _ArrayFixer = (
            _ChatFixer(self, plan.changes) if self.fmt == CHAT else _AnthropicFixer(self, plan)
        )
        work, result = fixer.run()
        plan.result = result
        plan.unfixable = list(result.errors)
        if plan.unfixable:
            return
        plan.data = self.render(work)
        original = plan.report.conversation
        kinds = [change.kind for change in plan.changes]
        kept_ids = {id(message) for message in work}
        plan.kept = {
            **_counts(result.conversation, stored_messages=len(work)),
            "changed_messages": sum(1 for message in self.messages if id(message) not in kept_ids)
            - fixer.removed,
            "added_messages": fixer.added,
        }
        plan.dropped = {
            "emptied_messages": fixer.removed,
            "tool_results_as_text": kinds.count("result_to_text"),
            "duplicate_ids_renamed": kinds.count("renamed_id"),
        }
        if count_blocks(result.conversation, TOOL_USE) < count_blocks(original, TOOL_USE):
            plan.notes.append("some tool calls are no longer sent (this should not happen)")
        pending = result.pending
        if pending:
            plan.notes.append(
                "the history ends on tool calls with no result yet (still running, or "
                f"interrupted): left as they are ({', '.join(pending[0].ids)})"
            )

    # ------------------------------------------------------------------ output

    def finish(self, plan: HistoryPlan) -> None:
        name, parent = self.path.name, self.path.parent
        task = self.fmt in (ROO_CODE, CLINE) and task_folder(self.path)
        if task and name == HISTORY_FILE:
            new_id = _task_id(parent)
            plan.folder = parent.parent / new_id
            plan.new_path = plan.folder / name
            plan.sidecar = _task_files(parent, plan, skip={name})
        elif task:
            new_id = _task_id(parent)
            plan.folder = parent.parent / new_id
            plan.new_path = plan.folder / f"{new_id}{CLINE_SESSION_SUFFIX}"
            plan.sidecar = _task_files(parent, plan, skip={name}, rename=(parent.name, new_id))
        else:
            new_id = None
            plan.new_path = _free_sibling(self.path, plan.action)
        plan.new_session_id = new_id or ""
        if plan.sidecar or plan.folder is not None:
            plan.kept["files"] = len(plan.sidecar)
        agent = FORMATS[self.fmt].agent
        if plan.folder is not None:
            plan.notes.append(
                f"the new task's UI history (ui_messages.json and the other files) is a copy "
                f"of the original's: {agent} shows the original conversation, and sends the "
                + ("rewound" if plan.action is Action.REWIND else "repaired")
                + " history"
            )
            plan.notes.append(
                f"{agent} lists tasks from its own task history, which is not edited: the new "
                "task folder may not be listed; --in-place fixes the task it shows (after a "
                "backup)"
            )
        if self.fmt in (ROO_CODE, CLINE):
            plan.notes.append(
                f"{agent} keeps an open task's history in memory and writes it back whole: "
                "close the task before replacing it with --in-place"
            )
        if self.request_line is not None:
            plan.notes.append(
                f"a request log: only the last request (line {self.request_line.number}) "
                "is changed; line numbers are message positions in it"
            )


def _with(value: Any, keys: tuple[str, ...], messages: list[Any]) -> Any:
    """``value`` with the array at ``keys`` replaced (copies along the path only)."""
    if not keys:
        return messages
    copy = dict(value)
    copy[keys[0]] = _with(value[keys[0]], keys[1:], messages)
    return copy


def _position(message: Message) -> int:
    origin = message.origins[0]
    assert isinstance(origin, StoredMessage)
    return origin.position


def _line_at(conversation: Conversation, index: int) -> int:
    return _position(conversation.messages[index]) + 1


def _counts(conversation: Conversation, **extra: int) -> dict[str, int]:
    return {**conversation_counts(conversation), **extra}


def _dropped(before: Conversation, after: Conversation, **extra: int) -> dict[str, int]:
    """What a cut left out of ``before`` to give ``after``, and the ``extra`` counts."""
    kept = conversation_counts(after)
    return {key: count - kept[key] for key, count in conversation_counts(before).items()} | extra


def _task_id(folder: Path) -> str:
    """A new task id in the style of ``folder``'s (Cline: milliseconds; else a uuid)."""
    if folder.name.isdigit():
        stamp = int(time.time() * 1000)
        while (folder.parent / str(stamp)).exists():
            stamp += 1
        return str(stamp)
    return new_session_id()


def task_folder(history: Path) -> bool:
    """Whether ``history`` sits in a Roo Code / Cline task folder, which a new task copies:
    ``tasks/<id>/api_conversation_history.json`` beside ``ui_messages.json`` or
    ``task_metadata.json``, or Cline's ``sessions/<id>/<id>.messages.json``. A file of
    that name anywhere else (a download, a bug report) is not a task: its folder holds
    whatever it holds, and only the history is rewritten."""
    folder = history.parent
    if history.name == HISTORY_FILE:
        return folder.parent.name == "tasks" and any(
            regular_file(folder / name) for name in TASK_MARKERS
        )
    return (
        history.name == f"{folder.name}{CLINE_SESSION_SUFFIX}" and folder.parent.name == "sessions"
    )


def _task_files(
    folder: Path, plan: HistoryPlan, *, skip: set[str], rename: tuple[str, str] | None = None
) -> list[SidecarFile]:
    """The task's other files, to copy byte for byte: the regular files directly in its
    folder, each at most :data:`TASK_FILE_LIMIT` bytes (not symbolic links, backups or
    temporary files: :func:`inspector.rewrite.plan.folder_files`). Sub-folders (Roo Code's
    ``checkpoints/``, a shadow git repository of the workspace) and bigger files are left
    out, with a note."""
    files: list[SidecarFile] = []
    left_out: list[str] = []
    for path, relative in folder_files(folder):
        if len(relative.parts) > 1:
            if f"{relative.parts[0]}/" not in left_out:
                left_out.append(f"{relative.parts[0]}/")
            continue
        if relative.name in skip:
            continue
        try:
            too_big = os.lstat(path).st_size > TASK_FILE_LIMIT
        except OSError:
            too_big = True
        if too_big:
            left_out.append(relative.name)
            continue
        if rename is not None:
            old, new = rename
            if relative.name.startswith(f"{old}."):
                relative = Path(new + relative.name[len(old) :])
        files.append(SidecarFile(path, relative, False))
    if left_out:
        plan.notes.append(
            f"not copied to the new task (a folder, or over {TASK_FILE_LIMIT >> 20} MiB): "
            + ", ".join(left_out)
        )
    return files


def _free_sibling(path: Path, action: Action) -> Path:
    """``<stem>.rewound.json`` / ``<stem>.repaired.json`` beside ``path``, not yet taken."""
    word = "rewound" if action is Action.REWIND else "repaired"
    name = path.name
    if name.endswith(CLINE_SESSION_SUFFIX):
        stem, suffix = name[: -len(CLINE_SESSION_SUFFIX)], CLINE_SESSION_SUFFIX
    else:
        stem, suffix = path.stem, path.suffix
    for attempt in range(1, 1000):
        extra = f"-{attempt}" if attempt > 1 else ""
        candidate = path.with_name(f"{stem}.{word}{extra}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
    raise RewriteFailed(f"no free name for the {word} copy next to {path}")


# ---------------------------------------------------------------------- array repairs


class _ArrayFixer:
    """Fix, check and fix again until the API accepts the array (or nothing helps)."""

    def __init__(self, source: _Array, changes: list[Change]) -> None:
        self.source = source
        self.changes = changes
        self.work: list[Any] = list(source.messages)
        self.removed = 0
        self.added = 0
        self.late: set[str] = set()
        """ids whose result came too late (kept as text where it was)."""

    def run(self) -> tuple[list[Any], Report]:
        for _ in range(MAX_ROUNDS):
            conversation = self.source.project(self.work)
            report = validate(conversation)
            if report.ok or not self.fix(conversation, report):
                return self.work, report
        return self.work, validate(self.source.project(self.work))

    def fix(self, conversation: Conversation, report: Report) -> bool:
        """One kind of fix per round (positions move): ids, stray results, order."""
        return (
            self.rename(conversation, report)
            or self.to_text(conversation, report)
            or self.text_first(conversation, report)
            or self.restructure(conversation, report)
        )

    def rename(self, conversation: Conversation, report: Report) -> bool:
        return False

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        raise NotImplementedError

    def text_first(self, conversation: Conversation, report: Report) -> bool:
        return False

    def restructure(self, conversation: Conversation, report: Report) -> bool:
        """Move the results of each broken turn to its start and add the missing ones."""
        broken = {
            call.use_message
            for call in report.calls
            if call.use is not None
            and call.use_message is not None
            and call.status in (CallStatus.MISSING, CallStatus.LATE, CallStatus.MISPLACED)
        }
        applied = False
        drops: set[int] = set()
        for turn in reversed(merge_turns(conversation.messages)):
            first, last, role = turn.first_message, turn.last_message, turn.role
            if role != ASSISTANT_ROLE or not any(first <= i <= last for i in broken):
                continue
            following = last + 1
            if following >= len(conversation.messages):
                continue  # still running: nothing to answer yet
            end = following
            while (
                end + 1 < len(conversation.messages)
                and conversation.messages[end + 1].role == USER_ROLE
            ):
                end += 1
            uses = [b for m in conversation.messages[first : last + 1] for b in m.tool_uses()]
            applied |= self.answer_turn(conversation, uses, following, end, drops)
        for position in sorted(drops, reverse=True):
            del self.work[position]
            self.removed += 1
        return applied

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        raise NotImplementedError

    def missing_text(self, tool_id: str) -> str:
        return LATE_RESULT if tool_id in self.late else LOST_RESULT


def _block_position(block: Block) -> int:
    origin = block.origin
    assert isinstance(origin, StoredMessage)
    return origin.position


class _AnthropicFixer(_ArrayFixer):
    """Roo Code, Cline and raw Messages API requests: content blocks in stored messages."""

    def __init__(self, source: _Array, plan: HistoryPlan) -> None:
        super().__init__(source, plan.changes)
        self.used_ids = {
            str(block.get("id") or block.get("tool_use_id"))
            for message in source.messages
            if isinstance(message, dict) and isinstance(message.get("content"), list)
            for block in message["content"]
            if isinstance(block, dict) and (block.get("id") or block.get("tool_use_id"))
        }

    def _content(self, position: int) -> list[Any]:
        """A fresh copy of the stored message's content list (the original is not touched)."""
        content = self.work[position].get("content")
        if isinstance(content, list):
            return list(content)
        if isinstance(content, str) and content:
            return [{"type": "text", "text": content}]
        return []

    def _set(self, position: int, content: list[Any]) -> None:
        self.work[position] = {**self.work[position], "content": content}

    # ------------------------------------------------------------------ R5

    def rename(self, conversation: Conversation, report: Report) -> bool:
        renames: dict[tuple[int, int], str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R5 or block is None or block.type != TOOL_USE:
                continue
            if not block.tool_id or block.index < 0:
                continue
            new_id = fresh_id(block.tool_id, self.used_ids)
            renames[(_block_position(block), block.index)] = new_id
            answer = answer_of(conversation, finding.message_index or 0, block)
            if answer is not None and answer.index >= 0:
                renames[(_block_position(answer), answer.index)] = new_id
            self.changes.append(
                Change(
                    "renamed_id",
                    _block_position(block) + 1,
                    block.tool_id,
                    f"a later tool_use reused this id: it is now {new_id}"
                    + (", and so is its result" if answer is not None else ""),
                )
            )
        for (position, index), new_id in renames.items():
            content = self._content(position)
            renamed = dict(content[index])
            renamed["id" if renamed.get("type") == TOOL_USE else "tool_use_id"] = new_id
            content[index] = renamed
            self._set(position, content)
        return bool(renames)

    # ------------------------------------------------------------------ R2 / R5b

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        targets: dict[tuple[int, int], str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule not in (Rule.R2, Rule.R5B) or block is None:
                continue
            if block.type != TOOL_RESULT or block.index < 0:
                continue
            targets[(_block_position(block), block.index)] = (
                finding.cause or "its call is not in the previous turn"
            )
            if finding.cause and finding.cause.startswith("late result") and block.tool_id:
                self.late.add(block.tool_id)
        for (position, index), cause in sorted(targets.items(), reverse=True):
            content = self._content(position)
            block = content[index]
            content[index : index + 1] = self._as_text(block, cause)
            self._set(position, content)
            self.changes.append(
                Change(
                    "result_to_text",
                    position + 1,
                    str(block.get("tool_use_id")),
                    f"a tool_result that answers no call ({cause}) is kept as text",
                )
            )
        return bool(targets)

    def _as_text(self, block: dict[str, Any], cause: str) -> list[dict[str, Any]]:
        if self.source.fmt != ROO_CODE:
            return result_as_text(block, cause)
        body, media = quoted_result(block.get("content"))
        return [{"type": "text", "text": ROO_RESULT_PREFIX + (body or "(empty)")}, *media]

    # ------------------------------------------------------------------ R6

    def text_first(self, conversation: Conversation, report: Report) -> bool:
        flagged = {tool_id for f in report.errors if f.rule is Rule.R6 for tool_id in f.ids}
        positions = {
            _block_position(call.use)
            for call in report.calls
            if call.use is not None and call.tool_id in flagged and call.use.index >= 0
        }
        applied = False
        for position in sorted(positions):
            reordered = tool_uses_last(self._content(position))
            if reordered is None:
                continue  # nothing to move, or thinking would move (left for the user)
            self._set(position, reordered)
            applied = True
            self.changes.append(
                Change(
                    "text_before_tool_use",
                    position + 1,
                    None,
                    "text moved before the tool_use blocks of the message",
                )
            )
        return applied

    # ------------------------------------------------------------------ R1 / R3

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        wanted = list(dict.fromkeys(b.tool_id for b in uses if b.tool_id))
        taken: dict[str, Block] = {}
        for message in conversation.messages[first : last + 1]:
            for block in message.blocks:
                if (
                    block.is_result
                    and block.tool_id in wanted
                    and block.tool_id not in taken
                    and block.index >= 0
                ):
                    taken[block.tool_id] = block
        head = _position(conversation.messages[first])
        moved: dict[int, set[int]] = {}
        for block in taken.values():
            moved.setdefault(_block_position(block), set()).add(block.index)
        results = [
            self.work[_block_position(b)]["content"][b.index]
            for b in sorted(taken.values(), key=lambda b: (_block_position(b), b.index))
        ]
        missing = [tool_id for tool_id in wanted if tool_id not in taken]
        synthetic = [self._synthetic(tool_id) for tool_id in missing]
        old_head = self._content(head)
        at_head = moved.get(head, set())
        rest = [b for i, b in enumerate(old_head) if i not in at_head]
        new_head = results + synthetic + rest
        changed = new_head != old_head
        edits: dict[int, list[Any]] = {}
        for position, indices in moved.items():
            if position == head:
                continue
            content = [b for i, b in enumerate(self._content(position)) if i not in indices]
            edits[position] = content
        if not changed and not edits:
            return False
        self._set(head, new_head)
        for position, content in edits.items():
            if content:
                self._set(position, content)
            else:
                drops.add(position)
        by_id = {b.tool_id: b for b in uses}
        words = {ROO_CODE: "Roo Code's", CLINE: "Cline's"}.get(self.source.fmt)
        for tool_id in missing:
            use = by_id[tool_id]
            said = (
                f"in {words} words"
                if words
                else "an is_error result saying the result was "
                + ("recorded too late" if tool_id in self.late else "lost")
            )
            self.changes.append(
                Change(
                    "synthetic_result",
                    _block_position(use) + 1,
                    tool_id,
                    f"added a result for the call ({said})",
                )
            )
        sources_moved = any(position != head for position in moved)
        if sources_moved or sorted(at_head) != list(range(len(at_head))):
            sources = sorted(position + 1 for position in moved if position != head)
            self.changes.append(
                Change(
                    "results_first",
                    head + 1,
                    None,
                    "tool_result blocks moved to the start of the turn's first message"
                    + (f" (from lines {', '.join(map(str, sources))})" if sources else ""),
                )
            )
        for position in sorted(p for p, content in edits.items() if not content):
            self.changes.append(
                Change(
                    "results_first",
                    position + 1,
                    None,
                    "this message held only results, all moved: it is removed",
                )
            )
        return True

    def _synthetic(self, tool_id: str) -> dict[str, Any]:
        if self.source.fmt == ROO_CODE:
            return {"type": TOOL_RESULT, "tool_use_id": tool_id, "content": ROO_MISSING}
        if self.source.fmt == CLINE:
            return {"type": TOOL_RESULT, "tool_use_id": tool_id, "content": CLINE_MISSING}
        return {
            "type": TOOL_RESULT,
            "tool_use_id": tool_id,
            "content": self.missing_text(tool_id),
            "is_error": True,
        }


def _kept_as_text(what: str, id_key: str, tool_id: Any, content: Any, cause: str) -> str:
    body, media = quoted_result(content)
    if media:
        body = "\n".join([body, *(dumps(item).decode() for item in media)])
    return (
        f"[inspector] This {what} ({id_key} {tool_id}) answers no tool call in the "
        f"conversation ({cause}), so it is kept here as text.\n\n"
        + (body or "(the result was empty)")
    )


class _ChatFixer(_ArrayFixer):
    """OpenAI Chat requests: one ``tool`` message per result."""

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        targets: dict[int, str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R2 or block is None or block.type != TOOL_RESULT:
                continue
            targets[_block_position(block)] = finding.cause or "no call before it"
            if finding.cause and finding.cause.startswith("late result") and block.tool_id:
                self.late.add(block.tool_id)
        for position, cause in targets.items():
            stored = self.work[position]
            tool_id = stored.get("tool_call_id")
            text = _kept_as_text(
                "tool message", "tool_call_id", tool_id, stored.get("content"), cause
            )
            self.work[position] = {"role": USER_ROLE, "content": text}
            self.changes.append(
                Change(
                    "result_to_text",
                    position + 1,
                    str(tool_id),
                    f"a tool message that answers no call ({cause}) is kept as a user message",
                )
            )
        return bool(targets)

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        wanted = list(dict.fromkeys(b.tool_id for b in uses if b.tool_id))
        start = _position(conversation.messages[first])
        end = _position(conversation.messages[last])
        taken: dict[str, int] = {}
        for message in conversation.messages[first : last + 1]:
            for block in message.blocks:
                if block.is_result and block.tool_id in wanted and block.tool_id not in taken:
                    taken[block.tool_id] = _block_position(block)
        missing = [tool_id for tool_id in wanted if tool_id not in taken]
        answers = sorted(taken.values())
        others = [p for p in range(start, end + 1) if p not in set(answers)]
        synthetic = [
            {"role": "tool", "tool_call_id": tool_id, "content": self.missing_text(tool_id)}
            for tool_id in missing
        ]
        span = self.work[start : end + 1]
        new_span = [self.work[p] for p in answers] + synthetic + [self.work[p] for p in others]
        if len(new_span) == len(span) and all(a is b for a, b in zip(new_span, span, strict=True)):
            return False
        self.work[start : end + 1] = new_span
        self.added += len(synthetic)
        by_id = {b.tool_id: b for b in uses}
        for tool_id in missing:
            self.changes.append(
                Change(
                    "synthetic_result",
                    _block_position(by_id[tool_id]) + 1,
                    tool_id,
                    "added a tool message saying the result was "
                    + ("recorded too late" if tool_id in self.late else "lost"),
                )
            )
        if answers and answers != list(range(start, start + len(answers))):
            self.changes.append(
                Change(
                    "results_first",
                    start + 1,
                    None,
                    "tool messages moved right after the assistant message that called them",
                )
            )
        return True


# ---------------------------------------------------------------------- Codex rollouts


@dataclass(slots=True)
class _Rollout(_Source):
    """A Codex CLI rollout: JSONL lines ``{timestamp, type, payload}``."""

    path: Path
    fmt: str
    snapshot: Snapshot
    items: list[OutLine] = field(default_factory=list)
    line_meaning: ClassVar[str] = "the file line"

    @classmethod
    def read(cls, path: Path) -> _Rollout:
        snapshot = read_snapshot(path)
        items = [OutLine(line.number, line.raw, line.value) for line in snapshot.lines]
        return cls(path, CODEX, snapshot, items)

    def conversation(self) -> Conversation:
        return _codex_conversation(self.path, [(i.source or 0, i.current) for i in self.items])

    def project(self, items: Sequence[OutLine]) -> Conversation:
        """The conversation of ``items`` (line numbers = their positions, from 1)."""
        return _codex_conversation(
            self.path, [(number, item.current) for number, item in enumerate(items, start=1)]
        )

    def rewind(self, plan: HistoryPlan, line: int | None) -> None:
        conversation = plan.report.conversation
        if line is not None:
            if not 1 <= line <= len(self.items):
                raise RewriteFailed(
                    f"line {line} is out of range: {self.path.name} has {len(self.items)}"
                )
            end = line
            kept = self.items[:end]
            result = validate(self.project(kept))
            if not usable(result):
                last = plan.report.last_valid
                raise explain_rejection(result, f"line {line}", last.line if last else None)
        else:
            for index in _cut_candidates(conversation, plan.report):
                end = conversation.messages[index].last_origin.line
                kept = self.items[:end]
                result = validate(self.project(kept))
                if usable(result):
                    break
            else:
                raise no_cut(plan.report)
        plan.result = result
        plan.cut = Cut(len(result.conversation.messages) - 1, end, None)
        self._set_data(plan, kept)
        plan.kept = _counts(result.conversation, lines=len(kept))
        plan.dropped = _dropped(
            conversation, result.conversation, lines=len(self.items) - len(kept)
        )

    def repair(self, plan: HistoryPlan) -> None:
        items = list(self.items)
        result = validate(self.project(items))
        for _ in range(MAX_ROUNDS):
            if result.ok or not self._fix(items, result, plan):
                break
            result = validate(self.project(items))
        plan.result = result
        plan.unfixable = list(result.errors)
        if plan.unfixable:
            return
        self._set_data(plan, items)
        kinds = [change.kind for change in plan.changes]
        plan.kept = {
            **_counts(result.conversation, lines=sum(1 for i in items if i.source is not None)),
            "added_lines": sum(1 for item in items if item.source is None),
            "changed_lines": sum(
                1 for item in items if item.source is not None and item.replacement is not None
            ),
        }
        plan.dropped = {"lines": 0, "tool_results_as_text": kinds.count("result_to_text")}
        pending = result.pending
        if pending:
            plan.notes.append(
                "the rollout ends on calls with no output yet (still running, or "
                f"interrupted): left as they are ({', '.join(pending[0].ids)})"
            )

    def _fix(self, items: list[OutLine], report: Report, plan: HistoryPlan) -> bool:
        conversation = report.conversation
        converted = False
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R2 or block is None:
                continue
            item = items[block.origin.line - 1]
            value = item.current or {}
            payload = value.get("payload")
            if value.get("type") != "response_item" or not isinstance(payload, dict):
                continue  # inside a compaction's history: left (reported as unfixable)
            cause = finding.cause or "no call before it"
            text = _kept_as_text(
                "tool output", "call_id", payload.get("call_id"), payload.get("output"), cause
            )
            replacement = dict(value)
            replacement["payload"] = {
                "type": "message",
                "role": USER_ROLE,
                "content": [{"type": "input_text", "text": text}],
            }
            item.replacement = replacement
            converted = True
            plan.changes.append(
                Change(
                    "result_to_text",
                    item.source,
                    str(payload.get("call_id")),
                    f"an output that answers no call ({cause}) is kept as a user message",
                )
            )
        inserts: dict[int, list[OutLine]] = {}
        for call in report.calls:
            use = call.use
            if call.status is not CallStatus.MISSING or use is None or not use.tool_id:
                continue
            position = use.origin.line - 1
            call_value = items[position].current or {}
            kind = _call_kind(call_value, use.tool_id)
            output = {
                "type": _CODEX_OUTPUT_FOR.get(kind, "function_call_output"),
                "call_id": use.tool_id,
                "output": CODEX_ABORTED,
            }
            line = {
                "timestamp": call_value.get("timestamp"),
                "type": "response_item",
                "payload": output,
            }
            if line["timestamp"] is None:
                del line["timestamp"]
            inserts.setdefault(position, []).append(OutLine(None, b"", None, replacement=line))
            plan.changes.append(
                Change(
                    "synthetic_result",
                    items[position].source,
                    use.tool_id,
                    f"added an output {CODEX_ABORTED!r} right after the call, as Codex does",
                )
            )
        for position in sorted(inserts, reverse=True):
            items[position + 1 : position + 1] = inserts[position]
        return converted or bool(inserts)

    def _set_data(self, plan: HistoryPlan, items: list[OutLine]) -> None:
        plan.data = _lines(render(item, None) for item in items)
        meta = next(
            (
                (index, item)
                for index, item in enumerate(items)
                if (item.current or {}).get("type") == "session_meta"
            ),
            None,
        )
        old_id = plan.session_id
        if meta is None or old_id is None:
            return
        new_id = new_session_id()
        index, item = meta
        patched = _with_meta_id(item, old_id, new_id)
        plan.data_new = _lines(
            patched if i == index else render(other, None) for i, other in enumerate(items)
        )
        plan.new_session_id = new_id
        payload = (item.current or {}).get("payload")
        cwd = payload.get("cwd") if isinstance(payload, dict) else None
        plan.cwd = cwd if isinstance(cwd, str) else None

    def finish(self, plan: HistoryPlan) -> None:
        plan.new_path = self.path.with_name(
            _rollout_name(self.path, plan.session_id, plan.new_id or new_session_id())
        )
        plan.notes.append(
            "Codex CLI appends to a running session's rollout: close it before replacing "
            "it with --in-place"
        )


def _lines(lines: Iterable[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def _call_kind(value: dict[str, Any], call_id: str) -> str:
    payload = value.get("payload")
    if not isinstance(payload, dict):
        return "function_call"
    if value.get("type") == "compacted":
        history = payload.get("replacement_history")
        for item in history if isinstance(history, list) else []:
            if (
                isinstance(item, dict)
                and item.get("call_id") == call_id
                and str_field(item, "type") in CALL_ITEMS
            ):
                return str(item["type"])
        return "function_call"
    return str_field(payload, "type") or "function_call"


def _with_meta_id(item: OutLine, old_id: str, new_id: str) -> bytes:
    """The ``session_meta`` line with ``payload.id`` set to ``new_id``, other bytes kept."""
    value = item.current or {}
    payload = value.get("payload")
    payload = dict(payload) if isinstance(payload, dict) else {}
    payload["id"] = new_id
    expected = {**value, "payload": payload}
    raw = item.raw if item.replacement is None else b""
    old = b'"id":' + orjson.dumps(old_id)
    start = raw.find(old)
    while start >= 0:
        candidate = raw[:start] + b'"id":' + orjson.dumps(new_id) + raw[start + len(old) :]
        if parse_object(candidate.rstrip(b"\r")) == expected:
            return candidate
        start = raw.find(old, start + 1)
    return dumps(expected)


def _rollout_name(source: Path, old_id: str | None, new_id: str) -> str:
    """``rollout-<same time part>-<new id>.jsonl``."""
    stem = source.name.removesuffix(".jsonl")
    if old_id and stem.endswith(f"-{old_id}"):
        return f"{stem[: -len(old_id)]}{new_id}.jsonl"
    if len(stem) > 37 and stem[-37] == "-" and is_uuid(stem[-36:].lower()):
        return f"{stem[:-36]}{new_id}.jsonl"
    return f"{stem}-{new_id}.jsonl"


def _codex_conversation(
    path: Path, lines: Sequence[tuple[int, dict[str, Any] | None]]
) -> Conversation:
    """What :func:`inspector.agents.openai.load_codex` builds, from lines in memory."""
    return codex_conversation(
        path,
        ((Origin(n, 0, 0, None, v.get("timestamp")), v) for n, v in lines if v is not None),
    )


__all__ = [
    "CLINE_MISSING",
    "CODEX_ABORTED",
    "ROO_MISSING",
    "ROO_RESULT_PREFIX",
    "HistoryPlan",
    "plan_history_repair",
    "plan_history_rewind",
    "plan_rewrite",
]

"""Rewind and repair of a stored message array: a JSON document (Roo Code, Cline, a
request body) or the last request of a JSONL request log.

**Rewind** keeps the stored history up to the last valid turn (or ``--line N``: the
message's 1-based position in the stored array) and drops the rest; Roo Code keeps
everything stored before its effective history (condensed and truncated messages stay as
they were). **Repair**: :mod:`inspector.agents.history.fixers`. JSON is written compact
like ``JSON.stringify`` (indented by two spaces when the original was indented).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from inspector.agents.history.anthropic import CLINE, ROO_CODE
from inspector.agents.history.anthropic_fixer import AnthropicFixer
from inspector.agents.history.chat_fixer import ChatFixer
from inspector.agents.history.document import StoredHistory, array_at, history_array_keys
from inspector.agents.history.fixers import ArrayFixer, stored_position
from inspector.agents.history.plan import HistoryPlan, HistorySource, cut_candidates
from inspector.agents.history.tasks import (
    CLINE_SESSION_SUFFIX,
    HISTORY_FILE,
    free_sibling,
    task_files,
    task_folder,
    task_id,
)
from inspector.core.json_out import dumps
from inspector.core.jsonl import ParsedLine
from inspector.core.model import OPENAI_CHAT, TOOL_USE, USER_ROLE, Conversation, count_blocks
from inspector.core.safe_read import read_whole
from inspector.core.verdict import (
    NotATranscript,
    describe_file,
    describe_value,
    require_messages,
)
from inspector.rewrite.counts import dropped_counts, kept_counts
from inspector.rewrite.cuts import explain_rejection, search_cut, usable
from inspector.rewrite.plan import Action, RewriteFailed
from inspector.rewrite.snapshot import Snapshot, SourceLine, read_snapshot, snapshot_of
from inspector.rules import Cut, Report, validate

if TYPE_CHECKING:
    from inspector.agents.history.agent import DocumentAgent


@dataclass(slots=True)
class ArraySource(HistorySource):
    """A message array: a JSON document (Roo Code, Cline, a request body), or the last
    request of a JSONL request log."""

    path: Path
    agent: DocumentAgent
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
    def read(cls, path: Path, agent: DocumentAgent) -> ArraySource:
        data, info = read_whole(path)
        try:
            document = orjson.loads(data)
        except orjson.JSONDecodeError:
            return cls._read_log(path, agent)
        holder = history_array_keys(document)
        if holder is None:
            raise NotATranscript(path, describe_value(document))
        require_messages(path, array_at(document, holder), document)
        return cls(
            path,
            agent,
            snapshot_of(path, data, info, file_size=len(data), parse=False),
            list(array_at(document, holder)),
            document,
            holder,
            indent=b"\n" in data.strip(),
            newline=data.endswith(b"\n"),
        )

    @classmethod
    def _read_log(cls, path: Path, agent: DocumentAgent) -> ArraySource:
        snapshot = read_snapshot(path)
        chosen: SourceLine | None = None
        for source in snapshot.lines:
            if source.value is not None and history_array_keys(source.value) is not None:
                chosen = source
        if chosen is None or chosen.value is None:
            raise NotATranscript(path, describe_file(path))
        holder = history_array_keys(chosen.value)
        assert holder is not None
        messages = list(array_at(chosen.value, holder))
        require_messages(path, messages, chosen.value)
        return cls(path, agent, snapshot, messages, chosen.value, holder, chosen)

    # ------------------------------------------------------------------ projection

    def conversation(self) -> Conversation:
        line = self.request_line
        parsed = ParsedLine(line.number, line.offset, len(line.raw), {}) if line else None
        return self.project(self.messages, parsed)

    def project(self, messages: list[Any], line: ParsedLine | None = None) -> Conversation:
        """The conversation the client sends from ``messages`` (positions = their indices)."""
        return self.agent.from_history(self.path, StoredHistory(messages, None, line))

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
        by_position = {stored_position(m): i for i, m in enumerate(conversation.messages)}
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

            def attempt(index: int) -> tuple[list[Any], Report] | None:
                kept, result = self._cut(conversation, index)
                return (kept, result) if usable(result) else None

            candidates = cut_candidates(conversation, plan.report)
            found, (kept, result) = search_cut(candidates, attempt, plan.report)
            index = found
        position = stored_position(conversation.messages[index])
        plan.result = result
        plan.cut = Cut(len(result.conversation.messages) - 1, position + 1, None)
        plan.data = self.render(kept)
        plan.kept = kept_counts(result.conversation, stored_messages=len(kept))
        plan.dropped = dropped_counts(
            conversation, result.conversation, stored_messages=len(self.messages) - len(kept)
        )
        if conversation.messages and stored_position(conversation.messages[0]) > 0:
            plan.notes.append(
                f"the {stored_position(conversation.messages[0])} stored messages before the "
                "effective history (condensed or summarised) are kept as they were"
            )
        self._note_markers(plan, kept)
        note = self.agent.kept_note(self.path, kept)
        if note is not None:
            plan.notes.append(note)
        if result.conversation.messages[-1].role == USER_ROLE and not any(
            block.is_result for block in result.conversation.messages[-1].blocks
        ):
            plan.notes.append(
                "the kept conversation ends on a user message: the agent starts by answering it"
            )

    def _cut(self, conversation: Conversation, index: int) -> tuple[list[Any], Report]:
        kept = self.messages[: stored_position(conversation.messages[index]) + 1]
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
        fixer: ArrayFixer = (
            ChatFixer(self, plan.changes)
            if self.agent.api == OPENAI_CHAT
            else AnthropicFixer(self, plan.changes)
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
            **kept_counts(result.conversation, stored_messages=len(work)),
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
            new_id = task_id(parent)
            plan.folder = parent.parent / new_id
            plan.new_path = plan.folder / name
            plan.sidecar = task_files(parent, plan.notes, skip={name})
        elif task:
            new_id = task_id(parent)
            plan.folder = parent.parent / new_id
            plan.new_path = plan.folder / f"{new_id}{CLINE_SESSION_SUFFIX}"
            plan.sidecar = task_files(parent, plan.notes, skip={name}, rename=(parent.name, new_id))
        else:
            new_id = None
            plan.new_path = free_sibling(self.path, plan.action)
        plan.new_session_id = new_id or ""
        if plan.sidecar or plan.folder is not None:
            plan.kept["files"] = len(plan.sidecar)
        agent = self.agent.label
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


def _line_at(conversation: Conversation, index: int) -> int:
    return stored_position(conversation.messages[index]) + 1

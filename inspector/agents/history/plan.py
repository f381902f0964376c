"""The plan of a rewind or repair of another agent's history (Roo Code, Cline, Codex CLI,
raw requests): the bytes to write, where, and how to check them. Written by
:func:`inspector.rewrite.plan.apply` like every plan.

Roo Code / Cline: a new task folder beside the original (:mod:`inspector.agents.history.tasks`)
or ``<stem>.rewound.json`` beside a history that is not in a task folder; a request file:
``<stem>.rewound.json`` / ``<stem>.repaired.json``. An agent whose new copy carries a new
session id (Codex rollouts) subclasses :class:`HistoryPlan`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from inspector.agents.history import tasks
from inspector.core.agent import Agent
from inspector.core.model import ASSISTANT_ROLE, SERVER_TOOL_USE, TOOL_USE, Conversation
from inspector.core.safe_read import TRANSCRIPT_LIMIT, read_whole
from inspector.rewrite.confined import read_confined
from inspector.rewrite.counts import tool_structure
from inspector.rewrite.plan import (
    Action,
    RewriteFailed,
    RewritePlan,
    RewriteResult,
    grown_by,
    read_back,
)
from inspector.rewrite.safe_write import StagedFile, StagedFolder, recently_written
from inspector.rewrite.snapshot import Snapshot
from inspector.rules import Report, validate


@dataclass(slots=True)
class HistoryPlan(RewritePlan):
    """A rewind or repair of another agent's history: the bytes to write and where."""

    agent: Agent | None = None
    """Whose history it is (its label, its resume command, its reader to check the result)."""
    data: bytes = b""
    """The file to write in place (and as a new copy, unless :attr:`data_new` is set)."""
    data_new: bytes | None = None
    """The new copy, when it differs (a Codex rollout carries its new id)."""
    new_path: Path | None = None
    """Where a new copy goes."""
    folder: Path | None = None
    """The new task folder that holds :attr:`new_path` (Roo Code / Cline)."""

    carries_id: ClassVar[bool] = False
    """The new copy carries :attr:`new_id` as its session id (checked when read back)."""

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
        """The written bytes are the planned ones, and the check accepts them."""
        try:
            written = read_whole(path, TRANSCRIPT_LIMIT)[0]
        except OSError as error:
            raise RewriteFailed(f"the written file could not be read back: {error}") from error
        if written != self._bytes(new):
            raise RewriteFailed("read back, the written file differs from the plan")
        assert self.agent is not None, "a history plan is made by its agent"
        report = read_back(path, "file", self.agent.load)
        planned = self.result.conversation if self.result is not None else None
        conversation = report.conversation
        if planned is not None and (
            len(conversation.messages) != len(planned.messages)
            or tool_structure(conversation) != tool_structure(planned)
        ):
            raise RewriteFailed("read back, the written file's tool calls differ from the plan")
        if self.carries_id and session_id is not None and conversation.session_id != session_id:
            raise RewriteFailed("the written rollout does not carry its new session id")
        return report

    def why_live(self, config_roots: Iterable[Path] | None) -> str | None:
        return recently_written(self.source)

    def write_new(self) -> RewriteResult:
        target = self.target
        if self.new_path is None:
            raise RewriteFailed("the plan names no file to write")
        session_id = self.new_id if self.new_id and self.carries_id else None
        copied: tuple[Path, ...] = ()
        if self.folder is not None:
            if os.path.lexists(self.folder):
                raise RewriteFailed(f"{self.folder} already exists")
            relative = target.relative_to(self.folder)
            with StagedFolder(self.folder, like=self.source.parent) as staged_folder:
                for item in self.sidecar:
                    limit = tasks.TASK_FILE_LIMIT
                    data = read_confined(self.source.parent, item.source, limit=limit)
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

    @property
    def format(self) -> str | None:
        """The format name the written file is read back as (None: recognised again)."""
        return self.agent.name if self.agent is not None else None

    def resume_command(self, session_id: str) -> str | None:
        return self.agent.resume_command(session_id) if self.agent is not None else None

    def choices_text(self) -> str:
        agent = self.agent.label if self.agent is not None else "the agent"
        if self.folder is not None:
            return (
                f"Fork writes a new task folder {self.folder.name} (its {self.target.name} "
                "and a copy of the task's other files) beside the original task, which stays "
                f"untouched. In place replaces {self.source.name} after a timestamped backup: "
                f"close the task in {agent} first, which writes an open task's history back "
                "whole (refused only when the file was written seconds ago)."
            )
        return (
            f"Fork writes {self.target.name} beside the original, which stays untouched. "
            "In place replaces the original after a timestamped backup."
        )


# ---------------------------------------------------------------------- reading


class HistorySource:
    """One history read once, and what planning it needs."""

    path: Path
    agent: Agent
    snapshot: Snapshot
    line_meaning: ClassVar[str] = "the message's position in the stored array, from 1"
    plan_type: ClassVar[type[HistoryPlan]] = HistoryPlan

    @property
    def fmt(self) -> str:
        """The agent's format name."""
        return self.agent.name

    def conversation(self) -> Conversation:
        raise NotImplementedError

    def new_plan(self, action: Action) -> HistoryPlan:
        conversation = self.conversation()
        report = validate(conversation)
        plan = self.plan_type(
            action,
            self.path,
            self.snapshot,
            conversation.session_id,
            "",
            report,
            agent=self.agent,
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


def cut_candidates(conversation: Conversation, report: Report) -> Iterator[int]:
    """Message indices to try as the end of a rewind, newest first: from the last valid
    turn back, never an assistant message that calls tools."""
    cut = report.last_valid
    if cut is None:
        return
    for index in range(cut.message_index, -1, -1):
        message = conversation.messages[index]
        if message.role == ASSISTANT_ROLE and any(
            block.type in (TOOL_USE, SERVER_TOOL_USE) for block in message.blocks
        ):
            continue
        yield index

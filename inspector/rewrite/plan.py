"""Rewriting a session safely: the plan every agent's rewind and repair fills in, and
:func:`apply`, which writes it the same way for all of them.

* **Plan.** A :class:`RewritePlan` (one subclass per agent: Claude Code's
  :class:`inspector.agents.claude_code.plan.ClaudeCodePlan`, the message arrays'
  :class:`inspector.agents.history.plan.HistoryPlan`) starts from a
  :class:`~inspector.rewrite.snapshot.Snapshot` of the file read once, says what is kept
  and dropped and what changed, and knows how to write and check its file. Planning
  writes nothing.
* **Apply.** The file goes to a temporary name in the same folder, is flushed to disk,
  re-read by its agent and re-checked; only a file that passes
  takes its final name. A new session gets a fresh id; ``in_place`` replaces the original
  after a timestamped backup and is refused while the session is live, when the file
  changed since the snapshot, and for a symbolic link or a file with other hard links.
  The original's bytes are never changed otherwise.
* **Untrusted ids.** An id read from a file names a folder or a file only when it is a
  plain id (:func:`inspector.rewrite.folders.safe_path_part`), and a resume command is
  offered only for one. Every sidecar byte copied into a new session is read with
  :func:`inspector.rewrite.confined.read_confined`.
* **Killed runs.** What a killed run leaves is swept by the next rewrite of that folder
  (:func:`inspector.rewrite.safe_write.sweep_stale`, which documents what counts as ours).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import uuid as uuidlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from inspector.core.model import Conversation
from inspector.core.os_errors import describe_os_error
from inspector.core.safe_read import TRANSCRIPT_LIMIT, read_whole
from inspector.core.safe_text import one_line
from inspector.core.verdict import NotATranscript
from inspector.rewrite.confined import NotConfined
from inspector.rewrite.folders import safe_path_part
from inspector.rewrite.safe_write import (
    StagedFile,
    WriteFailed,
    existing_backup,
    sweep_stale,
    write_backup,
)
from inspector.rewrite.snapshot import Snapshot
from inspector.rules import Cut, Finding, Report, validate


class Action(StrEnum):
    REWIND = "rewind"
    REPAIR = "repair"


class RewriteFailed(Exception):
    """The rewrite cannot be done or did not pass its check; nothing was left behind."""


class RewriteRefused(Exception):
    """The rewrite was refused to protect the session (it is live, or changed meanwhile)."""


class SessionLive(RewriteRefused):
    """In place was refused because the session looks live; ``force`` would go ahead.

    The front end says how to force it (the CLI's ``--force``, the app's confirm step)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"{reason}; replacing a live session loses what it writes next")
        self.reason = reason


def is_uuid(name: str) -> bool:
    try:
        return str(uuidlib.UUID(name)) == name.lower()
    except ValueError:
        return False


def new_session_id() -> str:
    return str(uuidlib.uuid4())


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


@dataclass(slots=True)
class RewritePlan(ABC):
    """What a rewind or repair will write. Each agent's planner builds its own subclass."""

    action: Action
    source: Path
    snapshot: Snapshot
    session_id: str | None
    """The original's session id."""
    new_session_id: str
    """The id a new session gets (its file is :attr:`target`)."""
    report: Report
    """The original's check."""
    cut: Cut | None = None
    """Rewind: the kept conversation ends after ``message_index`` of the *written*
    conversation, at this line (and uuid, for Claude Code) of the original."""
    kept: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfixable: list[Finding] = field(default_factory=list)
    """Repair: errors it cannot fix (the plan cannot be applied)."""
    sidecar: list[SidecarFile] = field(default_factory=list)
    result: Report | None = None
    """The check of the planned session, simulated in memory."""
    nothing_to_fix: bool = False
    cwd: str | None = None
    """The session's working directory (where the resume command must run)."""

    @property
    @abstractmethod
    def target(self) -> Path:
        """Where the new session is written (unless applied in place)."""

    @property
    def first_error(self) -> Finding | None:
        errors = self.report.errors
        return errors[0] if errors else None

    @property
    def applicable(self) -> bool:
        return not self.nothing_to_fix and not self.unfixable and self.has_output

    # What :func:`apply` asks of a plan; the safety path around them stays the same.

    @property
    @abstractmethod
    def has_output(self) -> bool:
        """The plan has something to write."""

    @abstractmethod
    def write_to(self, staged: StagedFile, session_id: str | None) -> None:
        """Write the planned file (``session_id``: the new session's id; None in place)."""

    @abstractmethod
    def check_written(self, path: Path, session_id: str | None) -> Report:
        """Re-read and check the written file; raise RewriteFailed when it is not as planned."""

    @abstractmethod
    def why_live(self, config_roots: Iterable[Path] | None) -> str | None:
        """Why the original must not be replaced now (None: it looks idle)."""

    @abstractmethod
    def write_new(self) -> RewriteResult:
        """Write the planned session as a new one beside the original."""

    @abstractmethod
    def staging_folders(self) -> list[Path]:
        """Where writing this plan stages files (swept of a killed run's leftovers)."""

    @abstractmethod
    def in_place_session_id(self) -> str | None:
        """The id to resume once the original was replaced."""

    @abstractmethod
    def resume_command(self, session_id: str) -> str | None:
        """How to resume the written session (None: the agent has no such command)."""

    @abstractmethod
    def choices_text(self) -> str:
        """What writing a new session and writing in place each do, for a person choosing."""


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


# ---------------------------------------------------------------------- apply


def read_back(path: Path, what: str, load: Callable[[Path], Conversation]) -> Report:
    """Check the ``what`` (session, file) just written to ``path``, read by its agent's
    ``load`` (as written, not as re-detected); RewriteFailed when it cannot be read or is
    still rejected."""
    try:
        report = validate(load(path))
    except (OSError, NotATranscript) as error:
        raise RewriteFailed(f"the written {what} could not be read back: {error}") from error
    if not report.ok:
        raise RewriteFailed(
            f"the written {what} still fails the check ({report.errors[0].headline})"
        )
    return report


def apply(
    plan: RewritePlan,
    *,
    in_place: bool = False,
    force: bool = False,
    config_roots: Iterable[Path] | None = None,
) -> RewriteResult:
    """Write the planned session (new, or in place after a backup). See the module doc.

    Raises SessionLive (live session without ``force``), RewriteRefused (the file changed
    since the plan) and RewriteFailed (cannot write, or the written file did not pass its check;
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
        raise SessionLive(reason)
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

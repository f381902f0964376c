"""The one protocol every agent implements, so shared code never names a format.

An agent is whoever writes a kind of session file (Claude Code, Roo Code, Codex CLI, a
proxy that logs raw requests). Each lives under :mod:`inspector.agents` as one folder or
module that defines an :class:`Agent`, and the registry there lists them one line each.
Everything else (``live``, ``check``, the CLI, the app, the rewrite code) asks the
registry for an agent and then asks the agent: how to recognise its files, how to read
them, whether to follow them by their tail, where they are stored, which changes to
watch, what the client does with a defect, and how to rewind or repair one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol

from inspector.core.client import NEWEST_KNOWN, ClientChoice, ClientRelease
from inspector.core.line_event import LineEvent
from inspector.core.model import Block, ClientNotes, Conversation
from inspector.core.resume import Resumed

if TYPE_CHECKING:  # the rewrite side builds on the agents: no import at run time
    from inspector.rewrite.plan import RewritePlan

NOT_MINE: Final = 0
"""A recognition score: the sample is not this agent's."""
FALLBACK: Final = 1
"""What a file is taken for when no other agent claims it."""
GENERIC: Final = 10
"""A shape several agents write, with nothing more specific to tell them apart."""
NAMED: Final = 70
"""A generic shape in the place (path, file name) or with the keys one client uses."""
DISTINCT: Final = 90
"""A shape only this agent's files have."""


@dataclass(frozen=True, slots=True)
class Sample:
    """What recognition reads of a file, once, shared by every agent's recogniser."""

    path: Path
    head: bytes
    """The first bytes, leading whitespace removed (empty: an empty or blank file)."""
    first: Any
    """The first line, parsed (None when it is not JSON)."""
    messages: list[Any] | None
    """The message array of a request on the first line, or of the whole document."""
    document: object | None = None
    """The whole document, when it had to be read to find ``messages``: an agent that
    reads whole documents takes it back in :meth:`Agent.load` instead of reading twice."""


@dataclass(frozen=True, slots=True)
class SessionFile:
    """A session an agent keeps in its own storage."""

    path: Path
    project: str
    """The project (Claude Code: its folder's name, lossy) or, elsewhere, the agent."""
    session_id: str
    size: int
    mtime: float
    agent: str
    """Who wrote it, for people (:attr:`Agent.label`)."""


@dataclass(frozen=True, slots=True)
class Followed:
    """What one read of a followed session gave."""

    conversation: Conversation
    restarted: bool
    """The file shrank or was replaced and was read again from the start."""
    lines_read: int
    size: int
    """Bytes of the file consumed so far."""
    kept_from: Kept | None = None
    """Where the conversation starts when the follower forgot the session's settled
    start (:meth:`Follower.forget_settled`); None: it is the whole session."""


@dataclass(frozen=True, slots=True)
class Kept:
    """The part of a session a follower still holds: from a line of the file on."""

    line: int
    """The first line held (the file's lines before it are forgotten)."""
    messages_before: int
    """Messages of the whole conversation before the first one held."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What a read of a file's first ``size`` bytes kept, so that a later read of the same
    file, grown since, reads only the bytes after them (:meth:`Agent.load_from`)."""

    size: int
    data: bytes
    """The agent's own encoding of what it read; no other code looks inside."""


@dataclass(frozen=True, slots=True)
class Loaded:
    """A conversation read, and what to continue from when the file has grown."""

    conversation: Conversation
    checkpoint: Checkpoint | None
    """None: the file is read again whole next time (too small to be worth keeping, a
    last line not finished, a file that changed while it was read, or an agent that
    rewrites its files)."""


class Follower(Protocol):
    """A session file read as it grows, each read taking only what was appended."""

    def read(self, *, changed_only: bool) -> Followed | None:
        """Read what was appended and rebuild; None when ``changed_only`` and nothing was.
        Raises OSError, and NotATranscript when the file is not the agent's."""
        ...

    def forget_settled(self, after_line: int) -> Kept | None:
        """Forget the start of the session that what is appended can no longer change,
        up to a point after ``after_line``, and hold only what follows: memory then stays
        in proportion to the recent part of a session, however long it runs. The next
        :meth:`read` rebuilds what is held (the whole session again if a new line reaches
        back into what was forgotten). None: nothing can be forgotten now."""
        ...


def session_files(
    paths: Iterable[Path], label: str, name: Callable[[Path], str]
) -> list[SessionFile]:
    """The files that can still be looked at, as sessions of ``label`` named by ``name``."""
    sessions: list[SessionFile] = []
    for path in paths:
        try:
            found = path.stat()
        except OSError:
            continue
        sessions.append(SessionFile(path, label, name(path), found.st_size, found.st_mtime, label))
    return sessions


def newest_first(sessions: Iterable[SessionFile]) -> list[SessionFile]:
    """``sessions`` by last write, newest first; ties (one second, a copied folder) by path,
    so the order never changes between two listings of the same files."""
    return sorted(sessions, key=lambda session: (-session.mtime, str(session.path)))


def is_dir(path: Path) -> bool:
    """Whether ``path`` is a folder; False when it cannot be told (no permission on a folder
    on the way, a name too long), where ``Path.is_dir`` would raise."""
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except (OSError, ValueError):
        return False


class Agent(Protocol):
    """One agent's session files: recognise, read, follow, find, rewrite."""

    name: str
    """The format name (what ``--format`` takes and ``Conversation.format`` holds)."""
    label: str
    """Who writes it, for people ("Claude Code", "Codex CLI")."""
    api: str
    """The API family its client sends to (``inspector.core.model.ANTHROPIC``…)."""
    notes: ClientNotes
    """What its client does with each defect when it sends the history."""

    def recognise(self, sample: Sample) -> int:
        """How surely the sample is this agent's (:data:`NOT_MINE` … :data:`DISTINCT`);
        the highest score wins, ties go to the agent listed first."""
        ...

    def client_release(self, client: ClientChoice) -> ClientRelease | None:
        """The client release a read for ``client`` follows (None: the choice changes
        nothing in how this agent reads its files)."""
        ...

    def follower(self, path: Path, client: ClientChoice = NEWEST_KNOWN) -> Follower | None:
        """A reader that follows the file by its tail, or None: the file is then read
        again whole whenever it changes (a client that rewrites it, or a small log)."""
        ...

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        """Read the file and rebuild the conversation its client sends (the release
        ``client`` tells, where releases differ). Raises OSError, or NotATranscript when
        the file is not this agent's history."""
        ...

    def load_from(
        self,
        path: Path,
        checkpoint: Checkpoint | None,
        client: ClientChoice = NEWEST_KNOWN,
        sample: Sample | None = None,
    ) -> Loaded:
        """Like :meth:`load`, but given a checkpoint from an earlier read of the file's
        first bytes (the caller made sure they did not change), read only what follows;
        and say what to continue from next time."""
        ...

    def heal_on_resume(self, conversation: Conversation) -> Resumed | None:
        """What its client sends when it resumes the conversation and heals it on its own
        (None: it sends the history as recorded)."""
        ...

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        """A block's full JSON as stored, re-read from the file (``cache`` per caller)."""
        ...

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        """The conversation as the client sends it, with content re-read from disk."""
        ...

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        """The sessions this agent keeps where it keeps them (any order)."""
        ...

    def title(self, path: Path) -> str:
        """One of its sessions' title for people (the client's own title, else the first
        prompt), read cheaply: never the whole file parsed; "" when there is none."""
        ...

    def watches(self, session: Path, session_id: str | None, changed: Path) -> bool:
        """Whether a change to ``changed`` may change the session read from ``session``
        (its own file, and files of the session stored beside it)."""
        ...

    def plan_rewind(
        self, path: Path, *, to: str | None = None, line: int | None = None
    ) -> RewritePlan:
        """Plan a rewind of one of its files. Writes nothing; raises RewriteFailed."""
        ...

    def plan_repair(self, path: Path) -> RewritePlan:
        """Plan a repair of one of its files. Writes nothing; raises RewriteFailed."""
        ...

    def resume_command(self, session_id: str) -> str | None:
        """The command that resumes a session (None: the client has none)."""
        ...

    def line_event(self, entry: Any) -> LineEvent | None:
        """What one parsed line of its files is, when it helps explain a defect (an
        interrupt, hook output, a compaction…), with the version that wrote it; None for
        a line it does not know (or an agent whose files are not read line by line)."""
        ...

"""What every agent whose session is one whole document shares (Roo Code, Cline, request
files): read it whole (or take the document recognition read), re-read stored messages,
follow it by reloading, and rewind or repair it with :mod:`inspector.agents.history.rewrite`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.agents.history import anthropic
from inspector.agents.history.document import StoredHistory, StoredMessage, read_history
from inspector.agents.history.document import stored_message as _stored_message
from inspector.core.agent import NOT_MINE, Checkpoint, Follower, Loaded, Sample, SessionFile
from inspector.core.client import NEWEST_KNOWN, ClientChoice, ClientRelease
from inspector.core.line_event import LineEvent
from inspector.core.model import ANTHROPIC, NO_NOTES, Block, ClientNotes, Conversation
from inspector.core.resume import Resumed

if TYPE_CHECKING:
    from inspector.agents.history.arrays import ArraySource
    from inspector.agents.history.plan import HistoryPlan, HistorySource
    from inspector.rewrite.plan import RewritePlan


class ReadWhole:
    """What an agent whose file is read again whole shares: no tail follower, no
    checkpoint, nothing
    healed at resume, no title cheap to read, and a file that concerns only itself."""

    def client_release(self, client: ClientChoice) -> ClientRelease | None:
        return None  # read the same way for every release

    def follower(self, path: Path, client: ClientChoice = NEWEST_KNOWN) -> Follower | None:
        return None  # rewritten whole (or small): read again whole

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        raise NotImplementedError  # each agent reads its own files

    def load_from(
        self,
        path: Path,
        checkpoint: Checkpoint | None,
        client: ClientChoice = NEWEST_KNOWN,
        sample: Sample | None = None,
    ) -> Loaded:
        # A file rewritten whole has nothing to continue from.
        return Loaded(self.load(path, sample, client), None)

    def heal_on_resume(self, conversation: Conversation) -> Resumed | None:
        return None  # not known to change the history when it resumes

    def title(self, path: Path) -> str:
        return ""  # no title kept where it is cheap to read: the picker shows the id

    def watches(self, session: Path, session_id: str | None, changed: Path) -> bool:
        return changed == session

    def line_event(self, entry: Any) -> LineEvent | None:
        return None  # one document: its lines say nothing of the session's events


class RefusesRewrite:
    """Rewind and repair refused with the reason (:attr:`rewrite_refused`), for an agent
    whose files the inspector does not write."""

    rewrite_refused: str = ""
    """Why, after "rewind " or "repair "."""

    def plan_rewind(
        self, path: Path, *, to: str | None = None, line: int | None = None
    ) -> RewritePlan:
        from inspector.rewrite.plan import RewriteFailed

        raise RewriteFailed(f"rewind {self.rewrite_refused}")

    def plan_repair(self, path: Path) -> RewritePlan:
        from inspector.rewrite.plan import RewriteFailed

        raise RewriteFailed(f"repair {self.rewrite_refused}")


class RewrittenWhole(ReadWhole, ABC):
    """What an agent gets from the history rewriter: its stored payloads, and rewind and
    repair planned from its :meth:`read_source`."""

    @abstractmethod
    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any: ...

    @abstractmethod
    def read_source(self, path: Path) -> HistorySource:
        """The history at ``path`` read to be rewritten. Raises OSError, NotATranscript."""

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        return stored_payloads(conversation, self.block_payload)

    def plan_rewind(
        self, path: Path, *, to: str | None = None, line: int | None = None
    ) -> HistoryPlan:
        from inspector.agents.history.rewrite import plan_history_rewind

        return plan_history_rewind(self.read_source, path, to=to, line=line)

    def plan_repair(self, path: Path) -> HistoryPlan:
        from inspector.agents.history.rewrite import plan_history_repair

        return plan_history_repair(self.read_source, path)


class DocumentAgent(RewrittenWhole):
    """An :class:`~inspector.core.agent.Agent` whose client rewrites one JSON document
    whole. A subclass names itself, recognises its files and reads a history."""

    name: str = ""
    label: str = ""
    api: str = ANTHROPIC
    notes: ClientNotes = NO_NOTES
    body_key: str = "messages"
    """The request field the array is sent in (what ``inspector messages`` prints)."""
    repair_unsupported: str | None = None
    """Why repair is refused for this agent's files (None: the shared fixers repair them)."""

    def recognise(self, sample: Sample) -> int:
        return NOT_MINE

    def from_history(self, path: Path, history: StoredHistory) -> Conversation:
        """The conversation of a history already read (Anthropic-shaped by default)."""
        return anthropic.history_conversation(path, self.name, history, self.notes)

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        document = sample.document if sample is not None else None
        if isinstance(document, StoredHistory):
            return self.from_history(path, document)  # read once: recognising read it
        return self.from_history(path, read_history(path))

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        return anthropic.payload(path, block, cache)

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        return []

    def read_source(self, path: Path) -> ArraySource:
        """The history at ``path`` read to be rewritten. Raises OSError, NotATranscript."""
        from inspector.agents.history.arrays import ArraySource

        return ArraySource.read(path, self)

    def plan_repair(self, path: Path) -> HistoryPlan:
        if self.repair_unsupported is not None:
            from inspector.rewrite.plan import RewriteFailed

            raise RewriteFailed(
                f"repair is not supported for {self.label}s: {self.repair_unsupported}"
            )
        return super().plan_repair(path)

    def kept_note(self, path: Path, kept: list[Any]) -> str | None:
        """What to say of a rewound history that keeps the stored messages ``kept`` (None:
        nothing), e.g. that it no longer reads as this agent's."""
        return None

    def resume_command(self, session_id: str) -> str | None:
        return None


Payload = Callable[[Path, Block, dict[int, Any]], Any]


def stored_payloads(conversation: Conversation, block_payload: Payload) -> list[Any]:
    """The conversation as the client sends it: each stored message once, without the
    client's own bookkeeping keys; an item stored one per line, as stored."""
    cache: dict[int, Any] = {}
    payloads: list[Any] = []
    seen: set[int] = set()
    for message in conversation.messages:
        for origin in message.origins:
            if id(origin) in seen:
                continue
            seen.add(id(origin))
            if isinstance(origin, StoredMessage):
                payloads.append(_client_fields(_stored_message(conversation.path, origin, cache)))
            elif message.blocks:  # a Codex response item: one per line
                payloads.append(block_payload(conversation.path, message.blocks[0], cache))
    return payloads


def _client_fields(message: Any) -> Any:
    """A stored message without the client's own bookkeeping keys (Roo's ts, isSummary…)."""
    if not isinstance(message, dict):
        return message
    sent = {"role", "content", "tool_calls", "tool_call_id", "name"}
    return {key: value for key, value in message.items() if key in sent}

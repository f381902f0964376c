"""The format-neutral model: a conversation as the client sends it, with provenance.

Every agent format is turned into a :class:`Conversation`: the list of messages the
client puts in its API request, each block pointing back at the line it came from.
Blocks keep only what the rules need (type, tool id, tool name, flags); the full
text stays on disk and is re-read on demand through the block's :class:`Origin`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from inspector.core.client import ClientRelease

USER_ROLE = "user"
ASSISTANT_ROLE = "assistant"

ANTHROPIC = "anthropic"
OPENAI_CHAT = "openai-chat"
OPENAI_RESPONSES = "openai-responses"
BEDROCK_CONVERSE = "bedrock-converse"
GEMINI = "gemini"
"""The API a conversation is sent to: it decides the rules and their wording."""

TOOL_USE = "tool_use"
TOOL_RESULT = "tool_result"
SERVER_TOOL_USE = "server_tool_use"
TEXT = "text"
THINKING = "thinking"
REDACTED_THINKING = "redacted_thinking"
THINKING_TYPES = frozenset({THINKING, REDACTED_THINKING})


@dataclass(slots=True, eq=False)
class Origin:
    """Where a piece of the conversation was read: one line of the transcript file."""

    line: int
    """1-based line number."""
    offset: int
    """Byte offset of the line."""
    length: int
    """Length of the line in bytes, without the line break."""
    uuid: str | None
    timestamp: str | None


@dataclass(slots=True, eq=False)
class Block:
    """One content block, with what the rules need and where to find the rest."""

    type: str
    origin: Origin
    index: int
    """Position in the content list of its line; -1 when the line's content was a string."""
    tool_id: str | None = None
    """``id`` of a tool_use / server_tool_use, ``tool_use_id`` of a result."""
    name: str | None = None
    """Tool name of a tool_use / server_tool_use."""
    is_error: bool = False
    blank: bool = False
    """A text block that is empty or whitespace only."""
    empty: bool = False
    """A text block that is the empty string (or has no text at all)."""
    made_up: str | None = None
    """A result the client makes up when it sends (its text); None: read from the file.
    Its origin is the line of the call it answers."""

    @property
    def is_result(self) -> bool:
        """A client tool_result (server results are ``*_tool_result`` with other names)."""
        return self.type == TOOL_RESULT

    @property
    def is_server_result(self) -> bool:
        return self.type != TOOL_RESULT and self.type.endswith("_tool_result")


@dataclass(slots=True, eq=False)
class Message:
    """One message of the API request: a role and its content blocks."""

    role: str
    blocks: list[Block]
    origins: list[Origin]
    """The transcript lines this message was built from, in file order."""
    string_content: bool = False
    """The content is a plain string (one text block with index -1)."""
    model: str | None = None
    stop_reason: str | None = None

    @property
    def timestamp(self) -> str | None:
        return self.origins[0].timestamp if self.origins else None

    @property
    def last_origin(self) -> Origin:
        return max(self.origins, key=lambda origin: origin.line)

    def tool_uses(self) -> list[Block]:
        return [block for block in self.blocks if block.type == TOOL_USE]


class IssueKind(StrEnum):
    """Problems of the transcript itself, found while reading and rebuilding it."""

    BADLINE = "BADLINE"
    CHAIN = "CHAIN"
    CYCLE = "CYCLE"


@dataclass(frozen=True, slots=True)
class TranscriptIssue:
    """A problem with the file or its entry chain (not an API rule)."""

    kind: IssueKind
    line: int
    text: str
    uuid: str | None = None
    note: str | None = None
    starts_midway: bool = False
    """The file holds only the later part of a session: this line answers calls, and
    hangs off lines, that are not in it (a slice saved on its own, say)."""


@dataclass(frozen=True, slots=True)
class ApiErrorRecord:
    """A failed API call the client stored in the transcript."""

    origin: Origin
    text: str
    messages_before: int
    """How many projected messages precede it: the request that failed had these."""


@dataclass(frozen=True, slots=True)
class MadeUpResult:
    """A tool result the client made up in place of the real one: the real output was lost
    to the model (a session that ended mid-call, a result missing when it sent)."""

    line: int
    """Where the transcript shows it."""
    tool_id: str
    text: str
    """What the model was given instead."""
    when: str
    """"when it resumed the session", "when it sent the request"."""


@dataclass(frozen=True, slots=True)
class SubagentLink:
    """A subagent conversation and the tool call that spawned it."""

    tool_use_id: str
    agent_id: str | None
    path: Path | None
    """The subagent's own transcript file; None for inline (≤ 1.0.x) sidechains."""
    root_uuid: str | None = None
    """First entry of an inline sidechain in the parent file."""
    agent_type: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Branch:
    """Entries the projection leaves out: an abandoned branch (after /rewind, say)."""

    fork_uuid: str | None
    """The entry of the sent conversation the branch hangs off (None: not connected)."""
    origins: tuple[Origin, ...]
    """Its user/assistant entries, in file order."""


@dataclass(frozen=True, slots=True)
class ClientNotes:
    """What a client does with a defect when it sends the history (None: sends it as is).

    Each agent says it of its own client; the validator adds it to a finding."""

    missing: str | None = None
    orphan: str | None = None
    duplicate: str | None = None
    moved: str | None = None
    compacted: str | None = None
    pending: str | None = None


NO_NOTES: Final = ClientNotes()


@dataclass(slots=True)
class Conversation:
    """A transcript rebuilt as the client sends it to the API."""

    path: Path
    format: str
    session_id: str | None
    messages: list[Message]
    api: str = ANTHROPIC
    """The API the client sends to (``ANTHROPIC``, ``OPENAI_CHAT``, ``OPENAI_RESPONSES``, …)."""
    chain: list[Origin] = field(default_factory=list)
    """Every line the rebuild walked, sent or not (system lines, attachments, stored API
    errors), in the order the conversation runs: what a rewind keeps a prefix of."""
    issues: list[TranscriptIssue] = field(default_factory=list)
    api_errors: list[ApiErrorRecord] = field(default_factory=list)
    subagents: list[SubagentLink] = field(default_factory=list)
    abandoned: list[Branch] = field(default_factory=list)
    compacted_tool_ids: frozenset[str] = frozenset()
    """tool_use ids that exist in the file only before the last compaction."""
    thinking_enabled: bool = False
    """The transcript shows extended thinking was on (the API's R12 applies)."""
    has_content: bool = False
    """The file held any conversation entry at all (metadata-only files do not)."""
    notes: ClientNotes = NO_NOTES
    """What the client that wrote it does with each defect (its agent says)."""
    client: ClientRelease | None = None
    """The client release the rebuild followed (None: the agent's rebuild has one way)."""
    made_up_results: list[MadeUpResult] = field(default_factory=list)
    """Results the client recorded having made up, in file order."""
    written_by: str | None = None
    """The version of the client that wrote the file, as its last line that says names it
    (None: the file does not say). Not :attr:`client`: the release the rebuild followed."""


def count_blocks(conversation: Conversation, kind: str) -> int:
    """How many blocks of type ``kind`` the conversation sends."""
    return sum(1 for m in conversation.messages for b in m.blocks if b.type == kind)


def part_type(part: dict[str, Any]) -> str:
    """An OpenAI content part's type; calls and results only come from their own fields."""
    kind = part.get("type")
    if not isinstance(kind, str) or kind in (TOOL_USE, TOOL_RESULT, SERVER_TOOL_USE):
        return "unknown"
    return kind

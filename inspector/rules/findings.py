"""What the validator says: findings, tool calls paired with their results, the report.

Rule ids are those of ``docs/api-rules.md`` (R1 … R13); R10 (consecutive same-role
turns) is accepted by the Anthropic API today: only Bedrock Converse's findings carry it.
R11 (first message role): Bedrock Converse rejects a conversation that does not open with
a user message, Gemini one that opens with a function call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from inspector.core.model import Block, Conversation
from inspector.core.timestamps import parse_timestamp

if TYPE_CHECKING:
    from inspector.rules.memo import ValidationMemo


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Rule(StrEnum):
    """Finding ids: the API rules of ``docs/api-rules.md`` and the transcript checks."""

    R1 = "R1"
    R2 = "R2"
    R3 = "R3"
    R4 = "R4"
    R5 = "R5"
    R5B = "R5b"
    R6 = "R6"
    R7 = "R7"
    R8 = "R8"
    R9 = "R9"
    R10 = "R10"
    R11 = "R11"
    R12 = "R12"
    R13 = "R13"
    CHAIN = "CHAIN"
    CYCLE = "CYCLE"
    BADLINE = "BADLINE"
    APIERROR = "APIERROR"
    PENDING = "PENDING"
    MADEUP = "MADEUP"


class CallStatus(StrEnum):
    """How a tool call fared, for the views."""

    ANSWERED = "answered"
    ANSWERED_ERROR = "answered with is_error"
    OUT_OF_ORDER = "out of order"
    MISSING = "missing result"
    MISPLACED = "result after other content"
    LATE = "late result"
    DUPLICATE = "duplicate id"
    ORPHAN_RESULT = "result without a call"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the API would reject (error), or that deserves a look."""

    rule: Rule
    severity: Severity
    text: str
    """The API's exact words for API rules; a plain explanation otherwise."""
    ids: tuple[str, ...] = ()
    message_index: int | None = None
    content_index: int | None = None
    line: int | None = None
    """1-based line of the offending block in the transcript file."""
    uuid: str | None = None
    cause: str | None = None
    note: str | None = None
    """What Claude Code itself does with this, when it differs from sending it as is."""
    cut_before: int | None = None
    """Index of the first message that must go for the conversation to be accepted."""

    @property
    def limits_last_valid(self) -> bool:
        """Whether the conversation must be cut before :attr:`cut_before` to be accepted:
        an error the API rejects, or a call still waiting for its result."""
        return self.cut_before is not None and (
            self.severity is Severity.ERROR or self.rule is Rule.PENDING
        )

    @property
    def headline(self) -> str:
        """The finding in one phrase: ``R1 at line 12: <its text>``."""
        return f"{self.rule.value} at line {self.line}: {self.text}"

    def after(self, messages_before: int) -> Finding:
        """The same finding where ``messages_before`` messages precede the ones it was
        found in (a live session held from its recent part on): message indexes, and
        those an API rule's words name, count from the start of the whole conversation."""
        if not messages_before:
            return self

        def shifted(text: str | None) -> str | None:
            if text is None or not self.rule.value.startswith("R"):
                return text  # a stored API error's words are the API's own: left as said
            return _MESSAGE_INDEX.sub(
                lambda index: f"messages.{int(index[1]) + messages_before}", text
            )

        return replace(
            self,
            text=shifted(self.text) or "",
            message_index=_plus(self.message_index, messages_before),
            cut_before=_plus(self.cut_before, messages_before),
            cause=shifted(self.cause),
            note=shifted(self.note),
        )


_MESSAGE_INDEX = re.compile(r"\bmessages\.(\d+)")


def _plus(index: int | None, more: int) -> int | None:
    return None if index is None else index + more


@dataclass(slots=True)
class ToolCall:
    """A tool_use paired with its result (either side may be missing)."""

    tool_id: str | None
    use: Block | None
    use_message: int | None
    result: Block | None = None
    result_message: int | None = None
    status: CallStatus = CallStatus.ANSWERED

    @property
    def seconds(self) -> float | None:
        """From the call's line to its result's line, by their times (None: either side,
        or either time, is missing)."""
        if self.use is None or self.result is None:
            return None
        sent = parse_timestamp(self.use.origin.timestamp)
        written = parse_timestamp(self.result.origin.timestamp)
        return None if sent is None or written is None else (written - sent).total_seconds()


@dataclass(frozen=True, slots=True)
class Cut:
    """A point in the projected conversation: after message ``message_index``."""

    message_index: int
    line: int
    uuid: str | None


@dataclass(frozen=True, slots=True)
class Earlier:
    """What the start of a session, let go of while it is followed, was found to hold:
    its findings, and where the last valid turn is if they fix it there."""

    findings: tuple[Finding, ...]
    messages: int
    """Messages of the conversation let go of."""
    tool_uses: int
    tool_results: int
    last_valid: Cut | None
    """The last valid turn: fixed by an error of the earlier part (:attr:`limited`), or
    its last message, the last valid turn when what follows has none."""
    limited: bool

    def merged(self, findings: list[Finding]) -> list[Finding]:
        """These findings and those of the part held, counted from the session's start."""
        return [*self.findings, *(finding.after(self.messages) for finding in findings)]

    def last_valid_with(self, held: Cut | None) -> Cut | None:
        """The whole session's last valid turn, ``held`` the held part's."""
        if self.limited or held is None:
            return self.last_valid
        return Cut(held.message_index + self.messages, held.line, held.uuid)


@dataclass(slots=True)
class Report:
    """Everything the validator found about one conversation."""

    conversation: Conversation
    findings: list[Finding]
    calls: list[ToolCall]
    last_valid: Cut | None
    tool_result_count: int = 0
    memo: ValidationMemo | None = field(default=None, repr=False, compare=False)
    """What the next validation of the same, grown conversation can reuse."""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def pending(self) -> list[Finding]:
        """Calls whose results are not written yet (the session may still be running)."""
        return [f for f in self.findings if f.rule is Rule.PENDING]

    @property
    def tool_use_count(self) -> int:
        return sum(1 for call in self.calls if call.use is not None)

    def verdict(self) -> str:
        """One line: accepted, or the first rejection in the API's words."""
        errors = self.errors
        if not errors:
            return "the API accepts this conversation"
        return errors[0].text

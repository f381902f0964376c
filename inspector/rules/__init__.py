"""The validator: what the API would reject about a conversation, in its own words.

Implements ``docs/api-rules.md`` on a projected :class:`~inspector.core.model.Conversation`.
Like the API, it first merges consecutive messages of the same role into one turn,
then checks tool-call pairing turn by turn. Every API-rule finding carries the API's
exact text with the ``messages.N[.content.M]`` index of the projected conversation,
the line and uuid of the offending block, the cause, and a note on what Claude Code
itself does with the defect. The report also pairs every tool_use with its result
(for the views) and computes the last valid turn (the rewind target).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from operator import attrgetter

from inspector.core.model import (
    ANTHROPIC,
    ASSISTANT_ROLE,
    OPENAI_RESPONSES,
    SERVER_TOOL_USE,
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
    count_blocks,
)
from inspector.rules import texts as api_texts

_ID_PATTERN = re.compile(r"[a-zA-Z0-9_-]+")
_MESSAGE_INDEX = re.compile(r"messages\.(\d+)")
_TOOL_BLOCKS = frozenset({TOOL_USE, TOOL_RESULT, SERVER_TOOL_USE})
_USE_TYPES = frozenset({TOOL_USE, SERVER_TOOL_USE})
_BLOCK_TYPE = attrgetter("type")


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
    R12 = "R12"
    R13 = "R13"
    CHAIN = "CHAIN"
    CYCLE = "CYCLE"
    BADLINE = "BADLINE"
    APIERROR = "APIERROR"
    PENDING = "PENDING"


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
    def headline(self) -> str:
        """The finding in one phrase: ``R1 at line 12: <its text>``."""
        return f"{self.rule.value} at line {self.line}: {self.text}"


@dataclass(slots=True)
class ToolCall:
    """A tool_use paired with its result (either side may be missing)."""

    tool_id: str | None
    use: Block | None
    use_message: int | None
    result: Block | None = None
    result_message: int | None = None
    status: CallStatus = CallStatus.ANSWERED


@dataclass(frozen=True, slots=True)
class Cut:
    """A point in the projected conversation: after message ``message_index``."""

    message_index: int
    line: int
    uuid: str | None


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


@dataclass(slots=True)
class _Turn:
    """Consecutive messages of one role, as the API merges them."""

    role: str
    first_message: int
    messages: list[Message] = field(default_factory=list)
    _blocks: list[tuple[int, int, Block]] | None = None

    @property
    def blocks(self) -> list[tuple[int, int, Block]]:
        """(message index, content index, block) in order (built when first asked)."""
        if self._blocks is None:
            self._blocks = [
                (index, position, block)
                for index, message in enumerate(self.messages, self.first_message)
                for position, block in enumerate(message.blocks)
            ]
        return self._blocks


@dataclass(frozen=True, slots=True)
class _Checked:
    """What checking one message or one turn produced, when nothing outside it matters,
    and what it was checked as: where the message or turn stood, and the turn it was
    paired with (a key made of the objects themselves, so looking it up allocates
    nothing: a live view validates 10k messages per append)."""

    findings: tuple[Finding, ...] = ()
    calls: tuple[ToolCall, ...] = ()
    use_ids: tuple[str, ...] = ()
    result_ids: tuple[str, ...] = ()
    result_blocks: int = 0
    index: int = -1
    """The message's index (the first message's, for a turn)."""
    is_last: bool = False
    turn: list[Message] | None = None
    neighbor: list[Message] | None = None
    neighbor_index: int = -1

    def is_for_turn(self, turn: _Turn, neighbor: _Turn | None) -> bool:
        if self.index != turn.first_message or self.turn != turn.messages:
            return False
        if neighbor is None:
            return self.neighbor is None
        return self.neighbor_index == neighbor.first_message and self.neighbor == neighbor.messages


@dataclass(slots=True)
class ValidationMemo:
    """Results of a validation that depend only on the messages they are keyed by.

    A live session is validated again after every append, and its messages are mostly
    the very objects of the previous projection (see :mod:`inspector.agents.claude_code.tail`):
    for those, checks of single messages and of turn pairs are looked up here instead of
    run again. Results that depend on the rest of the conversation (a missing result
    that may come later, a call compacted away, a duplicate id) are never kept.
    """

    dialect: tuple[str, str]
    messages: dict[Message, _Checked] = field(default_factory=dict)
    """Message → its block checks."""
    answers: dict[Message, _Checked] = field(default_factory=dict)
    """First message of an assistant turn → the checks of its calls against the next turn."""
    results: dict[Message, _Checked] = field(default_factory=dict)
    """First message of a user turn → the checks of its results against the turn before."""


def validate(
    conversation: Conversation, previous: Report | None = None, *, remember: bool = False
) -> Report:
    """Check a projected conversation against the API rules and the transcript checks.

    ``previous``: the report on an earlier state of the same conversation, whose work
    on unchanged messages is reused (the result is the same as without it).
    ``remember``: keep that work in the report for the next validation (a live view
    does; a one-shot check need not pay for it).
    """
    memo = previous.memo if previous is not None else None
    return _Validator(conversation, memo, remember or memo is not None).run()


class _Validator:
    def __init__(
        self, conversation: Conversation, memo: ValidationMemo | None, remember: bool
    ) -> None:
        self.conversation = conversation
        dialect = (conversation.api, conversation.format)
        self.old = memo if memo is not None and memo.dialect == dialect else None
        self.memo = ValidationMemo(dialect)
        self.remember = remember
        self.tool_result_count = 0
        self.messages = conversation.messages
        self.findings: list[Finding] = []
        self.calls: list[ToolCall] = []
        self.api = conversation.api
        self._repeated_uses: list[Block] = []
        """tool_use blocks whose id an earlier tool_use already had (R5)."""
        self.notes = conversation.notes
        self.turns = list(_turns(self.messages))
        self._first_use: dict[str, int] | None = None
        self._result_turns: dict[str, int] | None = None

    @property
    def first_use(self) -> dict[str, int]:
        """tool_use id → index of the first message that calls it (built when first asked)."""
        if self._first_use is None:
            self._first_use = {}
            for index, message in enumerate(self.messages):
                for block in message.blocks:
                    if block.type == TOOL_USE and block.tool_id:
                        self._first_use.setdefault(block.tool_id, index)
        return self._first_use

    def run(self) -> Report:
        if self.api == OPENAI_RESPONSES:
            self._check_responses_pairing()
        else:
            self._check_turns()
        if self.api == ANTHROPIC:
            self._check_blocks()  # counts the results as it goes
            self._check_thinking()
        else:
            self.tool_result_count = count_blocks(self.conversation, TOOL_RESULT)
        self._mark_duplicates()
        self._add_transcript_issues()
        self._add_api_errors()
        self.findings.sort(key=_finding_order)
        return Report(
            self.conversation,
            self.findings,
            self.calls,
            self._last_valid(),
            self.tool_result_count,
            self.memo if self.remember else None,
        )

    def _mark_duplicates(self) -> None:
        """A call whose id an earlier call already used is shown as a duplicate."""
        if not self._repeated_uses:
            return
        repeated = {id(block) for block in self._repeated_uses}
        for position, call in enumerate(self.calls):
            if call.use is not None and id(call.use) in repeated:
                # a new object: calls may be shared with the memo and earlier reports
                self.calls[position] = replace(call, status=CallStatus.DUPLICATE)

    def _check_turns(self) -> None:
        """Pairing rules turn by turn: results must come in the very next turn."""
        turns = self.turns
        for position, turn in enumerate(turns):
            answers = turn.role == ASSISTANT_ROLE
            if answers:
                neighbor = turns[position + 1] if position + 1 < len(turns) else None
            else:
                neighbor = turns[position - 1] if position > 0 else None
            if self.old is not None and self._reuse_turn(turn, neighbor, answers):
                continue
            calls_before, findings_before = len(self.calls), len(self.findings)
            if answers:
                self._check_answers(position, neighbor)
                if self.api == ANTHROPIC:
                    self._check_server_tools(turn, is_final=neighbor is None)
            else:
                self._check_results(turn, neighbor)
            if not self.remember:
                continue
            if answers:
                # R4 (out of order) depends on this pair alone; the rest may not.
                keep = neighbor is not None and all(
                    f.rule is Rule.R4 for f in self.findings[findings_before:]
                )
            else:
                keep = len(self.findings) == findings_before
            if keep:
                memo = self.memo.answers if answers else self.memo.results
                memo[turn.messages[0]] = _Checked(
                    tuple(self.findings[findings_before:]),
                    tuple(self.calls[calls_before:]),
                    index=turn.first_message,
                    turn=turn.messages,
                    neighbor=neighbor.messages if neighbor else None,
                    neighbor_index=neighbor.first_message if neighbor else -1,
                )

    def _reuse_turn(self, turn: _Turn, neighbor: _Turn | None, answers: bool) -> bool:
        assert self.old is not None
        old = self.old.answers if answers else self.old.results
        first = turn.messages[0]
        checked = old.get(first)
        if checked is None or not checked.is_for_turn(turn, neighbor):
            return False
        (self.memo.answers if answers else self.memo.results)[first] = checked
        self.calls.extend(checked.calls)
        self.findings.extend(checked.findings)
        return True

    # ------------------------------------------------------------------ block-level rules

    def _check_blocks(self) -> None:
        """R5, R5b, R7, R8, R9: rules that look at single blocks and messages."""
        seen_uses: set[str] = set()
        seen_results: set[str] = set()
        last = len(self.messages) - 1
        valid_id = _ID_PATTERN.fullmatch
        old = self.old.messages if self.old is not None else {}
        memo = self.memo.messages
        for index, message in enumerate(self.messages):
            checked = old.get(message) if old else None
            if (
                checked is not None
                and checked.index == index
                and checked.is_last == (index == last)
                and seen_uses.isdisjoint(checked.use_ids)
                and seen_results.isdisjoint(checked.result_ids)
            ):
                seen_uses.update(checked.use_ids)
                seen_results.update(checked.result_ids)
                self.findings.extend(checked.findings)
                self.tool_result_count += checked.result_blocks
                memo[message] = checked
                continue
            findings_before, repeated_before = len(self.findings), len(self._repeated_uses)
            self._check_message(index, message, last, seen_uses, seen_results, valid_id)
            blocks = message.blocks
            result_blocks = list(map(_BLOCK_TYPE, blocks)).count(TOOL_RESULT)
            self.tool_result_count += result_blocks
            if not self.remember:
                continue
            findings = self.findings[findings_before:]
            uses = tuple(b.tool_id for b in blocks if b.tool_id and b.type in _USE_TYPES)
            results = tuple(b.tool_id for b in blocks if b.tool_id and b.type == TOOL_RESULT)
            if len(self._repeated_uses) == repeated_before and not any(
                f.rule is Rule.R5 or f.rule is Rule.R5B for f in findings
            ):
                memo[message] = _Checked(
                    tuple(findings), (), uses, results, result_blocks, index, index == last
                )

    def _check_message(
        self,
        index: int,
        message: Message,
        last: int,
        seen_uses: set[str],
        seen_results: set[str],
        valid_id: Callable[[str], object],
    ) -> None:
        """R9 (empty message) and the block rules for one message."""
        if not message.blocks and not (message.role == ASSISTANT_ROLE and index == last):
            self._error(
                Rule.R9,
                api_texts.empty_message(index),
                message_index=index,
                origin_message=message,
            )
        # The common cases inline (a 100 MB transcript has tens of thousands of blocks):
        # text and thinking need nothing, a well-formed first pairing only bookkeeping.
        expected = TOOL_USE if message.role == ASSISTANT_ROLE else TOOL_RESULT
        seen = seen_uses if expected == TOOL_USE else seen_results
        for position, block in enumerate(message.blocks):
            tool_id = block.tool_id
            if tool_id is None:
                if not block.blank and block.type not in _TOOL_BLOCKS:
                    continue
            elif block.type == expected and tool_id not in seen and valid_id(tool_id):
                seen.add(tool_id)
                continue
            self._check_block(index, position, message, block, seen_uses, seen_results)

    def _check_block(
        self,
        index: int,
        position: int,
        message: Message,
        block: Block,
        seen_uses: set[str],
        seen_results: set[str],
    ) -> None:
        is_use = block.type == TOOL_USE or block.type == SERVER_TOOL_USE
        if block.type == TOOL_USE and message.role != ASSISTANT_ROLE:
            self._error(
                Rule.R7,
                api_texts.misplaced(index, TOOL_USE),
                message_index=index,
                content_index=position,
                block=block,
            )
        if block.type == TOOL_RESULT and message.role != USER_ROLE:
            self._error(
                Rule.R7,
                api_texts.misplaced(index, TOOL_RESULT),
                message_index=index,
                content_index=position,
                block=block,
            )
        if is_use or block.type == TOOL_RESULT:
            tool_id = block.tool_id or ""
            if not _ID_PATTERN.fullmatch(tool_id):
                self._error(
                    Rule.R8,
                    api_texts.bad_id(index, position, is_use),
                    ids=(tool_id,),
                    message_index=index,
                    content_index=position,
                    block=block,
                )
        if is_use and block.tool_id:
            if block.tool_id in seen_uses:
                self._repeated_uses.append(block)
                self._error(
                    Rule.R5,
                    api_texts.duplicate_use(index, position),
                    ids=(block.tool_id,),
                    cause="the same id was used by an earlier tool_use in this conversation",
                    note=self.notes.duplicate,
                    message_index=index,
                    content_index=position,
                    block=block,
                )
            seen_uses.add(block.tool_id)
        if block.type == TOOL_RESULT and block.tool_id:
            if block.tool_id in seen_results:
                self._error(
                    Rule.R5B,
                    api_texts.duplicate_result(index, position, block.tool_id),
                    ids=(block.tool_id,),
                    cause="an earlier tool_result already answers this id",
                    note=self.notes.duplicate,
                    message_index=index,
                    content_index=position,
                    block=block,
                )
            seen_results.add(block.tool_id)
        if block.blank and block.type == "text" and message.role == USER_ROLE:
            self._error(
                Rule.R9,
                api_texts.blank_text(block.empty),
                message_index=index,
                content_index=position,
                block=block,
            )

    # ------------------------------------------------------------------ pairing rules

    @property
    def result_turns(self) -> dict[str, int]:
        """tool_use id → index of the first user turn holding a result for it (built
        when first asked: only an unanswered call needs it)."""
        if self._result_turns is None:
            self._result_turns = {}
            for position, turn in enumerate(self.turns):
                if turn.role == USER_ROLE:
                    for _, _, block in turn.blocks:
                        if block.type == TOOL_RESULT and block.tool_id:
                            self._result_turns.setdefault(block.tool_id, position)
        return self._result_turns

    def _check_answers(self, position: int, following: _Turn | None) -> None:
        """R1, R3, R4, R6 and PENDING for the client tool_use blocks of an assistant turn."""
        uses, text_after = _uses_and_text_after(self.turns[position])
        if not uses:
            return
        if following is None:
            for message_index, _, block in uses:
                self.calls.append(
                    ToolCall(block.tool_id, block, message_index, status=CallStatus.PENDING)
                )
            self._pending(uses)
            return
        leading, later = _split_results(following)
        unanswered: dict[str, list[tuple[int, Block]]] = {}
        for message_index, _, block in uses:
            tool_id = block.tool_id or ""
            if tool_id in leading and id(block) not in text_after:
                result_message, _, result = leading[tool_id]
                status = CallStatus.ANSWERED_ERROR if result.is_error else CallStatus.ANSWERED
                self.calls.append(
                    ToolCall(block.tool_id, block, message_index, result, result_message, status)
                )
                continue
            call = ToolCall(block.tool_id, block, message_index)
            self.calls.append(call)
            if id(block) in text_after:
                cause = "R6"
                call.status = CallStatus.MISSING
            elif tool_id in later:
                cause = "R3"
                call.result_message, _, call.result = later[tool_id]
                call.status = CallStatus.MISPLACED
            elif self.result_turns.get(tool_id, -1) > position:
                cause = "late"
                call.status = CallStatus.LATE
            else:
                cause = "absent"
                call.status = CallStatus.MISSING
            unanswered.setdefault(cause, []).append((message_index, block))
        if unanswered:
            self._report_unanswered(unanswered, following)
        self._check_order(uses, leading)

    def _report_unanswered(
        self, unanswered: dict[str, list[tuple[int, Block]]], following: _Turn
    ) -> None:
        all_ids = [block.tool_id or "" for group in unanswered.values() for _, block in group]
        expected_at = following.first_message
        text = api_texts.missing_results(self.api, expected_at, all_ids)
        causes = {
            "absent": (
                Rule.R1,
                "result absent: no tool_result for this id anywhere after it",
                self.notes.missing,
            ),
            "late": (
                Rule.R1,
                "late result: the tool_result only comes in a later turn",
                self.notes.missing,
            ),
            "R3": (
                Rule.R3,
                "result present but after a non-result block in the next message",
                self.notes.moved,
            ),
            "R6": (Rule.R6, "text after the tool_use in the same assistant turn", None),
        }
        for cause_key, group in unanswered.items():
            rule, cause, note = causes[cause_key]
            first_message, first_block = group[0]
            self.findings.append(
                Finding(
                    rule,
                    Severity.ERROR,
                    text,
                    ids=tuple(block.tool_id or "" for _, block in group),
                    message_index=expected_at,
                    line=first_block.origin.line,
                    uuid=first_block.origin.uuid,
                    cause=cause,
                    note=note,
                    cut_before=first_message,
                )
            )

    def _check_order(
        self, uses: list[tuple[int, int, Block]], leading: dict[str, tuple[int, int, Block]]
    ) -> None:
        """R4: results answered in another order than the calls (accepted, but worth a look)."""
        if _answered_in_order(uses, leading):
            return
        call_order = [b.tool_id for _, _, b in uses if b.tool_id in leading]
        result_order = sorted(call_order, key=lambda tool_id: leading[tool_id or ""][:2])
        batch = tuple(tool_id or "" for tool_id in result_order)
        first_message, first_position, first_result = leading[batch[0]]
        for call in self.calls[len(self.calls) - len(uses) :]:  # this turn's calls
            if call.tool_id in batch and call.status is CallStatus.ANSWERED:
                call.status = CallStatus.OUT_OF_ORDER
        self.findings.append(
            Finding(
                Rule.R4,
                Severity.WARNING,
                api_texts.OUT_OF_ORDER,
                ids=batch,
                message_index=first_message,
                content_index=first_position,
                line=first_result.origin.line,
                uuid=first_result.origin.uuid,
                cause=f"calls in order {', '.join(t or '' for t in call_order)}",
            )
        )

    def _pending(self, uses: list[tuple[int, int, Block]]) -> None:
        first_message, _, first = uses[0]
        self.findings.append(
            Finding(
                Rule.PENDING,
                Severity.INFO,
                api_texts.PENDING,
                ids=tuple(block.tool_id or "" for _, _, block in uses),
                message_index=first_message,
                line=first.origin.line,
                uuid=first.origin.uuid,
                cause="no next message",
                note=self.notes.pending,
                cut_before=first_message,
            )
        )

    def _check_results(self, turn: _Turn, previous: _Turn | None) -> None:
        """R2: every tool_result answers a tool_use of the previous assistant turn."""
        called: set[str | None] = set()
        if previous is not None and previous.role == ASSISTANT_ROLE:
            for _, _, block in previous.blocks:
                if block.type == TOOL_USE:
                    called.add(block.tool_id)
        for message_index, position, block in turn.blocks:
            if block.type != TOOL_RESULT or block.tool_id in called:
                continue
            tool_id = block.tool_id or ""
            if tool_id in self.conversation.compacted_tool_ids:
                cause = "call compacted away: its tool_use is before the last compaction"
                note = self.notes.compacted or self.notes.orphan
            elif self.first_use.get(tool_id, turn.first_message) < turn.first_message:
                cause = (
                    f"late result: its call is in messages.{self.first_use[tool_id]}, "
                    "not the previous turn"
                )
                note = self.notes.orphan
            else:
                cause = "no tool_use with this id anywhere before it"
                note = self.notes.orphan
            self._orphan(message_index, position, block, cause, note)

    def _orphan(
        self, message_index: int, position: int, block: Block, cause: str, note: str | None
    ) -> None:
        tool_id = block.tool_id or ""
        self.calls.append(
            ToolCall(block.tool_id, None, None, block, message_index, CallStatus.ORPHAN_RESULT)
        )
        self._error(
            Rule.R2,
            api_texts.unexpected_result(self.api, message_index, position, tool_id),
            ids=(tool_id,),
            message_index=message_index,
            content_index=position,
            block=block,
            cause=cause,
            note=note,
        )

    def _check_responses_pairing(self) -> None:
        """Responses API (Codex): a call's output may come anywhere after it, not only next."""
        outputs: dict[str, tuple[int, int, Block]] = {}
        for index, message in enumerate(self.messages):
            for position, block in enumerate(message.blocks):
                if block.type == TOOL_RESULT and block.tool_id:
                    if self.first_use.get(block.tool_id, index) >= index:
                        cause = "no call with this call_id before it"
                        self._orphan(index, position, block, cause, self.notes.orphan)
                    else:
                        outputs.setdefault(block.tool_id, (index, position, block))
        last_content = max(
            (i for i, m in enumerate(self.messages) if any(not b.tool_id for b in m.blocks)),
            default=-1,
        )
        for turn in self.turns:
            uses = [(m, c, b) for m, c, b in turn.blocks if b.type == TOOL_USE]
            answered: dict[str, tuple[int, int, Block]] = {}
            missing: list[tuple[int, Block]] = []
            pending: list[tuple[int, int, Block]] = []
            for message_index, position, block in uses:
                call = ToolCall(block.tool_id, block, message_index)
                self.calls.append(call)
                output = outputs.get(block.tool_id or "")
                if output is not None:
                    call.result_message, _, call.result = output
                    call.status = (
                        CallStatus.ANSWERED_ERROR if output[2].is_error else CallStatus.ANSWERED
                    )
                    answered[block.tool_id or ""] = output
                elif message_index > last_content:
                    call.status = CallStatus.PENDING
                    pending.append((message_index, position, block))
                else:
                    call.status = CallStatus.MISSING
                    missing.append((message_index, block))
            if missing:
                self._report_missing_output(missing)
            if pending:
                self._pending(pending)
            self._check_order(uses, answered)

    def _report_missing_output(self, missing: list[tuple[int, Block]]) -> None:
        ids = [block.tool_id or "" for _, block in missing]
        first_message, first = missing[0]
        self.findings.append(
            Finding(
                Rule.R1,
                Severity.ERROR,
                api_texts.missing_results(self.api, first_message, ids),
                ids=tuple(ids),
                message_index=first_message,
                line=first.origin.line,
                uuid=first.origin.uuid,
                cause="result absent: no output for this call_id anywhere after it",
                note=self.notes.missing,
                cut_before=first_message,
            )
        )

    def _check_server_tools(self, turn: _Turn, *, is_final: bool) -> None:
        """R13: server tool calls are answered inside the same assistant turn."""
        if not any(block.type == SERVER_TOOL_USE for _, _, block in turn.blocks):
            return
        answered = {b.tool_id for _, _, b in turn.blocks if b.is_server_result}
        for message_index, position, block in turn.blocks:
            if block.type != SERVER_TOOL_USE or block.tool_id in answered:
                continue
            message = self.messages[message_index]
            if is_final and message.stop_reason in ("tool_use", "pause_turn"):
                continue
            name = block.name or "server"
            self._error(
                Rule.R13,
                api_texts.unanswered_server_tool(message_index, name, block.tool_id),
                ids=(block.tool_id or "",),
                message_index=message_index,
                content_index=position,
                block=block,
                cause="no server tool result in the same assistant turn",
            )

    def _check_thinking(self) -> None:
        """R12: with thinking on, the open tool loop's assistant turn starts with thinking.

        The loop is the run of assistant turns answered by tool results only, back to the
        last user turn that brought anything else (a prompt, an interrupt, hook text).
        """
        if not self.conversation.thinking_enabled or len(self.turns) < 2:
            return
        last = self.turns[-1]
        if last.role != USER_ROLE or not last.blocks or last.blocks[0][2].type != TOOL_RESULT:
            return
        loop_start: _Turn | None = None
        for position in range(len(self.turns) - 2, -1, -1):
            turn = self.turns[position]
            if turn.role == ASSISTANT_ROLE:
                loop_start = turn
            elif any(block.type != TOOL_RESULT for _, _, block in turn.blocks):
                break
        if loop_start is None or not loop_start.blocks:
            return
        message_index, _, first = loop_start.blocks[0]
        if first.type in THINKING_TYPES or first.type != TOOL_USE:
            return
        self._error(
            Rule.R12,
            api_texts.thinking_first(message_index, first.type),
            message_index=message_index,
            content_index=0,
            block=first,
            cause="the open tool loop's first assistant turn has no leading thinking block",
            note="Thinking blocks must be sent back unmodified; a repair never edits them.",
        )

    # ------------------------------------------------------------------ transcript checks

    def _add_transcript_issues(self) -> None:
        for issue in self.conversation.issues:
            self.findings.append(
                Finding(
                    Rule(issue.kind.value),
                    Severity.WARNING,
                    issue.text,
                    line=issue.line,
                    uuid=issue.uuid,
                    note=issue.note,
                )
            )

    def _add_api_errors(self) -> None:
        defects = [f for f in self.findings if f.severity is Severity.ERROR]
        for record in self.conversation.api_errors:
            named = _MESSAGE_INDEX.search(record.text.replace("`", ""))
            cause_finding = next(
                (
                    f
                    for f in defects
                    if (named and f.message_index == int(named.group(1)))
                    or (not named and (f.cut_before or 0) < record.messages_before)
                ),
                None,
            )
            tool_related = "tool" in record.text.lower()
            if cause_finding is not None:
                cause = (
                    f"caused by {cause_finding.rule} at line {cause_finding.line}: "
                    f"{cause_finding.cause or cause_finding.text}"
                )
            else:
                cause = "no defect found before it in the conversation (a passing error?)"
            self.findings.append(
                Finding(
                    Rule.APIERROR,
                    Severity.WARNING if tool_related or cause_finding else Severity.INFO,
                    record.text or "API error",
                    ids=cause_finding.ids if cause_finding else (),
                    message_index=record.messages_before,
                    line=record.origin.line,
                    uuid=record.origin.uuid,
                    cause=cause,
                    note="The client stored this failed request in the session; it is not sent.",
                )
            )

    # ------------------------------------------------------------------ last valid turn

    def _last_valid(self) -> Cut | None:
        limits = [
            f.cut_before
            for f in self.findings
            if f.cut_before is not None and (f.severity is Severity.ERROR or f.rule is Rule.PENDING)
        ]
        limit = min(limits, default=len(self.messages))
        for index in range(min(limit, len(self.messages)) - 1, -1, -1):
            message = self.messages[index]
            if message.role == ASSISTANT_ROLE and any(
                b.type == TOOL_USE or b.type == SERVER_TOOL_USE for b in message.blocks
            ):
                continue
            origin = message.last_origin
            return Cut(index, origin.line, origin.uuid)
        return None

    def _error(
        self,
        rule: Rule,
        text: str,
        *,
        message_index: int,
        content_index: int | None = None,
        block: Block | None = None,
        origin_message: Message | None = None,
        ids: tuple[str, ...] = (),
        cause: str | None = None,
        note: str | None = None,
    ) -> None:
        origin = block.origin if block is not None else None
        if origin is None and origin_message is not None and origin_message.origins:
            origin = origin_message.origins[0]
        self.findings.append(
            Finding(
                rule,
                Severity.ERROR,
                text,
                ids=ids,
                message_index=message_index,
                content_index=content_index,
                line=origin.line if origin else None,
                uuid=origin.uuid if origin else None,
                cause=cause,
                note=note,
                cut_before=message_index,
            )
        )


def _turns(messages: list[Message]) -> Iterator[_Turn]:
    """Merge consecutive same-role messages, as the API does."""
    turn: _Turn | None = None
    for index, message in enumerate(messages):
        if message.role not in (USER_ROLE, ASSISTANT_ROLE):
            continue
        if turn is None or turn.role != message.role:
            if turn is not None:
                yield turn
            turn = _Turn(message.role, index)
        turn.messages.append(message)
    if turn is not None:
        yield turn


def _split_results(
    turn: _Turn,
) -> tuple[dict[str, tuple[int, int, Block]], dict[str, tuple[int, int, Block]]]:
    """The results at the start of a user turn, and those after its first other block."""
    leading: dict[str, tuple[int, int, Block]] = {}
    later: dict[str, tuple[int, int, Block]] = {}
    in_leading_run = True
    for message_index, position, block in turn.blocks:
        if block.type != TOOL_RESULT:
            in_leading_run = False
            continue
        target = leading if in_leading_run else later
        target.setdefault(block.tool_id or "", (message_index, position, block))
    return leading, later


def _uses_and_text_after(turn: _Turn) -> tuple[list[tuple[int, int, Block]], set[int]]:
    """The turn's tool_use blocks, and which of them (``id()``) have a non-tool block
    after them in the turn (R6)."""
    uses: list[tuple[int, int, Block]] = []
    flagged: set[int] = set()
    unclosed = 0  # uses at the end of ``uses`` with nothing but tools and thinking after
    for item in turn.blocks:
        kind = item[2].type
        if kind == TOOL_USE:
            uses.append(item)
            unclosed += 1
        elif unclosed and kind not in THINKING_TYPES:
            flagged.update(id(use[2]) for use in uses[-unclosed:])
            unclosed = 0
    return uses, flagged


def _answered_in_order(
    uses: list[tuple[int, int, Block]], leading: dict[str, tuple[int, int, Block]]
) -> bool:
    """Whether the leading results come in the order of their calls (the common case)."""
    last_message = last_position = -1
    for _, _, block in uses:
        place = leading.get(block.tool_id) if block.tool_id is not None else None
        if place is None:
            continue
        message_index, position, _ = place
        if message_index < last_message or (
            message_index == last_message and position < last_position
        ):
            return False
        last_message, last_position = message_index, position
    return True


def _finding_order(finding: Finding) -> tuple[int, int, str]:
    index = finding.message_index if finding.message_index is not None else -1
    return (index, finding.line or 0, finding.rule.value)

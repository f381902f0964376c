"""Pairing where results must come in the very next turn: Anthropic Messages, OpenAI Chat
and Bedrock Converse.

They pair the same way and differ only in their words (:mod:`inspector.rules.texts`)
and in what Anthropic adds per assistant turn (R13, passed in as ``turn_checks``).
"""

from __future__ import annotations

from collections.abc import Callable

from inspector.core.model import ASSISTANT_ROLE, TOOL_RESULT, TOOL_USE, USER_ROLE, Block
from inspector.rules import texts
from inspector.rules.context import Context
from inspector.rules.findings import CallStatus, Finding, Rule, Severity, ToolCall
from inspector.rules.memo import Checked, in_layers
from inspector.rules.pairing import check_order, report_orphan, report_pending
from inspector.rules.turns import Turn, split_results, uses_and_text_after

RESULT_ABSENT = "result absent: no tool_result for this id anywhere after it"

TurnChecks = Callable[[Context, Turn, bool], None]
"""More checks of one assistant turn: (context, turn, whether it is the final turn)."""


class NextTurnPairing:
    """R1, R2, R3, R4, R6 and PENDING, turn by turn, reusing the memo for unchanged pairs."""

    def __init__(self, context: Context, turn_checks: TurnChecks | None = None) -> None:
        self.context = context
        self.turn_checks = turn_checks
        self.turns = context.turns
        self.calls = context.calls
        self.findings = context.findings
        self._result_turns: dict[str, int] | None = None

    def run(self) -> None:
        context = self.context
        turns = self.turns
        start = 0
        if context.resumed is not None:
            # the turn before the resume point is paired with it: checked again
            start = context.resumed.turn - 1
            self.calls.extend(context.resumed.pairing_calls)
            self.findings.extend(context.resumed.pairing_findings)
        mark = context.resume_at - 1 if context.resume_at is not None else -1
        for position in range(start, len(turns)):
            if position == mark:
                context.pairing_mark = (tuple(self.calls), tuple(self.findings))
            turn = turns[position]
            answers = turn.role == ASSISTANT_ROLE
            if answers:
                neighbor = turns[position + 1] if position + 1 < len(turns) else None
            else:
                neighbor = turns[position - 1] if position > 0 else None
            if context.old is not None and self._reuse_turn(turn, neighbor, answers):
                continue
            calls_before, findings_before = len(self.calls), len(self.findings)
            if answers:
                self._check_answers(position, neighbor)
                if self.turn_checks is not None:
                    self.turn_checks(context, turn, neighbor is None)
            else:
                self._check_results(turn, neighbor)
            if not context.remember:
                continue
            if answers:
                # R4 (out of order) depends on this pair alone; the rest may not.
                keep = neighbor is not None and all(
                    f.rule is Rule.R4 for f in self.findings[findings_before:]
                )
            else:
                keep = len(self.findings) == findings_before
            if keep:
                memo = context.memo.answers if answers else context.memo.results
                memo[turn.messages[0]] = Checked(
                    tuple(self.findings[findings_before:]),
                    tuple(self.calls[calls_before:]),
                    index=turn.first_message,
                    turn=turn.messages,
                    neighbor=neighbor.messages if neighbor else None,
                    neighbor_index=neighbor.first_message if neighbor else -1,
                )

    def _reuse_turn(self, turn: Turn, neighbor: Turn | None, answers: bool) -> bool:
        context = self.context
        assert context.old is not None
        old = context.old.answers if answers else context.old.results
        first = turn.messages[0]
        checked = old.get(first)
        if checked is None or not checked.is_for_turn(turn, neighbor):
            return False
        (context.memo.answers if answers else context.memo.results)[first] = checked
        self.calls.extend(checked.calls)
        self.findings.extend(checked.findings)
        return True

    def _answered_later(self, tool_id: str, position: int) -> bool:
        """Whether the first user turn holding a result for ``tool_id`` comes after turn
        ``position`` (asked of unanswered calls only)."""
        resumed = self.context.resumed
        before = resumed.answered_before if resumed is not None else None
        if before is not None and in_layers(tool_id, before):
            return False  # answered before the resume point, and position >= its turn - 1
        if self._result_turns is None:
            # the results before the resume point are in ``before``
            start = resumed.turn if resumed is not None and before is not None else 0
            self._result_turns = {}
            for position_, turn in enumerate(self.turns[start:], start):
                if turn.role == USER_ROLE:
                    for _, _, block in turn.blocks:
                        if block.type == TOOL_RESULT and block.tool_id:
                            self._result_turns.setdefault(block.tool_id, position_)
        return self._result_turns.get(tool_id, -1) > position

    def _check_answers(self, position: int, following: Turn | None) -> None:
        """R1, R3, R4, R6 and PENDING for the client tool_use blocks of an assistant turn."""
        uses, text_after = uses_and_text_after(self.turns[position])
        if not uses:
            return
        if following is None:
            for message_index, _, block in uses:
                self.calls.append(
                    ToolCall(block.tool_id, block, message_index, status=CallStatus.PENDING)
                )
            report_pending(self.context, uses)
            return
        leading, later = split_results(following)
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
            elif self._answered_later(tool_id, position):
                cause = "late"
                call.status = CallStatus.LATE
            else:
                cause = "absent"
                call.status = CallStatus.MISSING
            unanswered.setdefault(cause, []).append((message_index, block))
        if unanswered:
            self._report_unanswered(unanswered, following)
        check_order(self.context, uses, leading)

    def _report_unanswered(
        self, unanswered: dict[str, list[tuple[int, Block]]], following: Turn
    ) -> None:
        notes = self.context.notes
        all_ids = [block.tool_id or "" for group in unanswered.values() for _, block in group]
        expected_at = following.first_message
        text = texts.missing_results(self.context.api, expected_at, all_ids)
        causes = {
            "absent": (Rule.R1, RESULT_ABSENT, notes.missing),
            "late": (
                Rule.R1,
                "late result: the tool_result only comes in a later turn",
                notes.missing,
            ),
            "R3": (
                Rule.R3,
                "result present but after a non-result block in the next message",
                notes.moved,
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

    def _check_results(self, turn: Turn, previous: Turn | None) -> None:
        """R2: every tool_result answers a tool_use of the previous assistant turn."""
        context = self.context
        called: set[str | None] = set()
        if previous is not None and previous.role == ASSISTANT_ROLE:
            for _, _, block in previous.blocks:
                if block.type == TOOL_USE:
                    called.add(block.tool_id)
        for message_index, position, block in turn.blocks:
            if block.type != TOOL_RESULT or block.tool_id in called:
                continue
            tool_id = block.tool_id or ""
            if tool_id in context.conversation.compacted_tool_ids:
                cause = "call compacted away: its tool_use is before the last compaction"
                note = context.notes.compacted or context.notes.orphan
            elif context.first_use.get(tool_id, turn.first_message) < turn.first_message:
                cause = (
                    f"late result: its call is in messages.{context.first_use[tool_id]}, "
                    "not the previous turn"
                )
                note = context.notes.orphan
            else:
                cause = "no tool_use with this id anywhere before it"
                note = context.notes.orphan
            report_orphan(context, message_index, position, block, cause, note)

"""Repair: keep every line of a session and change only what the API rejects.

Fixes, each recorded as a :class:`~inspector.rewrite.plan.Change` (the shared ones are in
:mod:`inspector.rewrite.fixes`):

* **R1** (a tool_use with no result right after it): a synthetic ``is_error`` result,
  written as its own user line in Claude Code's 2.1.x shape (``parentUuid`` and
  ``sourceToolAssistantUUID`` = the tool_use's line), placed after the tool_use line and
  before the first result of a later call of the batch, so results keep the call order.
  Its text says plainly that the result was lost (:data:`~inspector.rewrite.fixes.LOST_RESULT`).
* **R2** (a result whose call is not in the previous turn: orphan, late, or compacted
  away) and **R5b** (a second result for an id): the ``tool_result`` block becomes a
  plain text block that quotes it, so nothing is lost
  (:func:`~inspector.rewrite.fixes.result_as_text`).
* **R5** (a tool_use id repeated in a later message): the later call gets a new id
  (``<id>-dup<n>``), and so does the result that answers it; the call and its output stay.
* **R3** (a result after other content): results move before the other blocks of that
  line, keeping their order. **R6** (text after a tool_use in one line): the text moves
  before the tool_use blocks; thinking blocks are never moved or edited.
* **Dangling parents** (a ``parentUuid`` naming no entry of the file): re-linked to the
  entry before it in the file, which is where Claude Code 2.1.x goes on anyway
  (:mod:`~inspector.agents.claude_code.relink`).

The edits of single lines are in :mod:`~inspector.agents.claude_code.repair_edits`.

Fixes are found by checking the conversation, applying them, and checking again (a renamed
duplicate may then need a synthetic result), :data:`MAX_ROUNDS` rounds at most
(:func:`inspector.rewrite.fixes.until_accepted`). What is left (R7, R8,
R9, R12, R13…) is reported as unfixable and the plan cannot be applied.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from inspector.agents.claude_code import repair_edits as edits
from inspector.agents.claude_code.lines import KEEP, EntryLine
from inspector.agents.claude_code.plan import (
    ClaudeCodePlan,
    Expectation,
    has_conversation,
    simulate_transcript,
    start_plan,
)
from inspector.agents.claude_code.relink import link_into_path, relink_dangling
from inspector.agents.claude_code.sidecar import repair_sidecar
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.model import TOOL_RESULT, TOOL_USE, Block, Conversation, count_blocks
from inspector.rewrite.counts import conversation_counts
from inspector.rewrite.fixes import finding_block, renames_of, until_accepted
from inspector.rewrite.plan import Action, Change
from inspector.rules import CallStatus, Report, Rule, validate

MAX_ROUNDS: Final = 6


def plan_repair(path: Path) -> ClaudeCodePlan:
    """Plan a repair of ``path``; writes nothing. Raises RewriteFailed (unreadable file, not a
    transcript, a subagent transcript)."""
    start = start_plan(Action.REPAIR, path)
    plan, transcript, conversation = start.plan, start.transcript, start.conversation
    snapshot, report = plan.snapshot, plan.report
    items = [EntryLine(line.number, line.raw, line.value) for line in snapshot.lines]
    relink_dangling(items, transcript.entries, conversation, plan.changes)
    if not has_conversation(transcript):
        plan.nothing_to_fix = True
        plan.notes.append("the file holds no conversation (metadata only): nothing to repair")
        return plan
    if report.ok and not plan.changes:
        plan.nothing_to_fix = True
        plan.notes.append("the API accepts this conversation: nothing to repair")
        return plan
    used_ids = {
        block.tool_id for entry in transcript.entries for block in entry.blocks if block.tool_id
    }
    walked = [origin.uuid for origin in conversation.chain if origin.uuid]
    result = _repair(path, items, walked, plan.changes, used_ids)
    plan.lines = items
    plan.result = result
    plan.unfixable = list(result.errors)
    plan.expected = Expectation(
        chain=tuple(origin.uuid or "" for origin in conversation.chain),
        exact_chain=False,
        structure=None,
        min_tool_uses=count_blocks(conversation, TOOL_USE),
    )
    plan.sidecar = repair_sidecar(plan, conversation)
    _count(plan, conversation, result)
    if snapshot.left_out:
        plan.notes.append(
            f"an incomplete last line ({snapshot.left_out} bytes, still being written?) is "
            "not part of the snapshot and not in the repaired session"
        )
    pending = result.pending
    if pending:
        plan.notes.append(
            "the session ends on tool calls with no result yet (still running, or "
            f"interrupted): left as they are ({', '.join(pending[0].ids)})"
        )
    return plan


# ---------------------------------------------------------------------- fixes


def _repair(
    path: Path, items: list[EntryLine], walked: list[str], changes: list[Change], used: set[str]
) -> Report:
    """Fix, check, and fix again until the API accepts the conversation (or nothing helps);
    then make sure every entry the original sent is still walked."""
    budget, link_rounds = MAX_ROUNDS, 0
    checked: list[ClaudeCodeTranscript] = []  # the transcript of the last check

    def check() -> Report:
        checked[:] = [simulate_transcript(path, items)]
        return validate(checked[0].project())

    def fix(report: Report) -> bool:
        nonlocal budget
        budget -= 1
        return _fix_round(items, report, changes, used)

    while True:
        result = until_accepted(check, fix, budget)
        if not result.ok:
            return result
        present = {origin.uuid for origin in result.conversation.chain}
        missing = [uuid for uuid in walked if uuid not in present]
        link_rounds += 1
        if (
            not missing
            or link_rounds > len(walked)
            or not link_into_path(items, checked[0], result, missing, changes)
        ):
            return result


def _fix_round(
    items: list[EntryLine], report: Report, changes: list[Change], used_ids: set[str]
) -> bool:
    """Apply the fixes for what ``report`` finds in ``items``; return whether any applied."""
    conversation = report.conversation
    inserts: dict[int, list[tuple[tuple[int, int], EntryLine]]] = {}
    to_text: dict[tuple[int, int], str] = {}
    renames: dict[tuple[int, int], str] = {}
    results_first: set[int] = set()
    text_first: set[int] = set()

    for call in report.calls:
        use = call.use
        if call.status in (CallStatus.MISSING, CallStatus.LATE) and use is not None:
            line = use.origin.line
            if call.status is CallStatus.MISSING and edits.text_after(items[line - 1], use.index):
                text_first.add(line)
                continue
            position = edits.insert_position(items, conversation, call.use_message or 0, use)
            late = call.status is CallStatus.LATE
            synthetic = edits.synthetic_result(items[line - 1], use, late=late)
            edits.fit_timestamp(synthetic, items, position)
            order = (call.use_message or 0, _rank(conversation, call.use_message, use))
            inserts.setdefault(position, []).append((order, synthetic))
            changes.append(
                Change(
                    "synthetic_result",
                    items[line - 1].source,
                    use.tool_id,
                    "added an is_error result saying the result was "
                    + ("recorded too late" if late else "lost"),
                )
            )
        elif call.status is CallStatus.MISPLACED and call.result is not None:
            results_first.add(call.result.origin.line)

    for rename in renames_of(conversation, report, used_ids):
        use, answer = rename.use, rename.answer
        renames[(use.origin.line, use.index)] = rename.new_id
        if answer is not None:
            renames[(answer.origin.line, answer.index)] = rename.new_id
        changes.append(
            Change("renamed_id", items[use.origin.line - 1].source, use.tool_id, rename.said)
        )
    for finding in report.errors:
        block = finding_block(conversation, finding)
        if block is None:
            continue
        if finding.rule in (Rule.R2, Rule.R5B) and block.type == TOOL_RESULT:
            to_text[(block.origin.line, block.index)] = (
                finding.cause or "its call is not in the previous turn"
            )

    applied = False
    for (line, index), new_id in renames.items():
        applied |= edits.rename_block(items[line - 1], index, new_id)
    for (line, index), cause in sorted(to_text.items(), reverse=True):
        if (line, index) in renames:
            continue
        if edits.result_to_text(items[line - 1], index, cause):
            applied = True
            block_id = edits.block_id_at(items[line - 1], index)
            changes.append(
                Change(
                    "result_to_text",
                    items[line - 1].source,
                    block_id,
                    f"a tool_result that answers no call ({cause}) is kept as text",
                )
            )
    reorders = (
        (
            results_first,
            edits.results_first,
            "results_first",
            "tool_result blocks moved before the other blocks of the message",
        ),
        (
            text_first,
            edits.text_first,
            "text_before_tool_use",
            "text moved before the tool_use blocks of the message",
        ),
    )
    for lines, reorder, kind, text in reorders:
        for line in sorted(lines):
            if reorder(items[line - 1]):
                applied = True
                changes.append(Change(kind, items[line - 1].source, None, text))
    if inserts:
        applied = True
        merged: list[EntryLine] = []
        for position, item in enumerate(items):
            merged.extend(line for _, line in sorted(inserts.get(position, []), key=_order))
            merged.append(item)
        merged.extend(line for _, line in sorted(inserts.get(len(items), []), key=_order))
        items[:] = merged
    return applied


def _order(pair: tuple[tuple[int, int], EntryLine]) -> tuple[int, int]:
    return pair[0]


def _rank(conversation: Conversation, message_index: int | None, use: Block) -> int:
    if message_index is None:
        return 0
    uses = conversation.messages[message_index].tool_uses()
    return next((i for i, block in enumerate(uses) if block is use), 0)


# ---------------------------------------------------------------------- around the fixes


def _count(plan: ClaudeCodePlan, conversation: Conversation, result: Report) -> None:
    added = sum(1 for line in plan.lines if line.source is None)
    kinds = [change.kind for change in plan.changes]
    written = result.conversation
    plan.kept = {
        "lines": sum(1 for s in plan.snapshot.lines if not s.blank),
        **conversation_counts(written),
        "added_lines": added,
        "changed_lines": sum(
            1
            for line in plan.lines
            if line.source is not None and (line.replacement is not None or line.parent is not KEEP)
        ),
        "subagents": sum(1 for item in plan.sidecar if item.patch_session),
    }
    plan.dropped = {
        "lines": 0,
        "tool_results_as_text": kinds.count("result_to_text"),
        "duplicate_ids_renamed": kinds.count("renamed_id"),
    }
    if count_blocks(written, TOOL_USE) < count_blocks(conversation, TOOL_USE):
        plan.notes.append("some tool calls are no longer sent (this should not happen)")

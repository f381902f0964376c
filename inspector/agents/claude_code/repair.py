"""Repair: keep every line of a session and change only what the API rejects.

Fixes, each recorded as a :class:`~inspector.rewrite.plan.Change` (the shared ones are in
:mod:`inspector.rewrite.fixes`):

* **R1** (a tool_use with no result right after it): a synthetic ``is_error`` result,
  written as its own user line in Claude Code's 2.1.x shape (``parentUuid`` and
  ``sourceToolAssistantUUID`` = the tool_use's line), placed after the tool_use line and
  before the first result of a later call of the batch, so results keep the call order.
  Its text says plainly that the result was lost (:data:`LOST_RESULT`).
* **R2** (a result whose call is not in the previous turn: orphan, late, or compacted
  away) and **R5b** (a second result for an id): the ``tool_result`` block becomes a
  plain text block that quotes it, so nothing is lost (:func:`result_as_text`).
* **R5** (a tool_use id repeated in a later message): the later call gets a new id
  (``<id>-dup<n>``), and so does the result that answers it; the call and its output stay.
* **R3** (a result after other content): results move before the other blocks of that
  line, keeping their order. **R6** (text after a tool_use in one line): the text moves
  before the tool_use blocks; thinking blocks are never moved or edited.
* **Dangling parents** (a ``parentUuid`` naming no entry of the file): re-linked to the
  entry before it in the file, which is where Claude Code 2.1.x goes on anyway.

Fixes are found by checking the conversation, applying them, and checking again (a renamed
duplicate may then need a synthetic result), :data:`MAX_ROUNDS` rounds at most
(:func:`inspector.rewrite.fixes.until_accepted`). What is left (R7, R8,
R9, R12, R13…) is reported as unfixable and the plan cannot be applied.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from inspector.agents.claude_code.entries import (
    CHAIN_KINDS,
    COMPACT_BOUNDARY,
    LOCAL_COMMAND,
    PROGRESS,
    Entry,
)
from inspector.agents.claude_code.lines import KEEP, EntryLine
from inspector.agents.claude_code.plan import (
    ClaudeCodePlan,
    Expectation,
    has_conversation,
    session_folders,
    simulate_transcript,
    start_plan,
)
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.fields import str_field
from inspector.core.model import (
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    Block,
    Conversation,
    IssueKind,
    count_blocks,
)
from inspector.core.timestamps import parse_timestamp
from inspector.rewrite.confined import confined_file
from inspector.rewrite.counts import conversation_counts
from inspector.rewrite.fixes import (
    LATE_RESULT,
    LOST_RESULT,
    finding_block,
    renames_of,
    result_as_text,
    tool_uses_last,
    until_accepted,
)
from inspector.rewrite.folders import folder_files
from inspector.rewrite.plan import Action, Change, SidecarFile
from inspector.rules import CallStatus, Report, Rule, validate

MAX_ROUNDS: Final = 6


def plan_repair(path: Path) -> ClaudeCodePlan:
    """Plan a repair of ``path``; writes nothing. Raises RewriteFailed (unreadable file, not a
    transcript, a subagent transcript)."""
    start = start_plan(Action.REPAIR, path)
    plan, transcript, conversation = start.plan, start.transcript, start.conversation
    snapshot, report = plan.snapshot, plan.report
    items = [EntryLine(line.number, line.raw, line.value) for line in snapshot.lines]
    _relink_dangling(items, transcript.entries, conversation, plan.changes)
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
    plan.sidecar = _sidecar(plan, conversation)
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
            or not _link_into_path(items, checked[0], result, missing, changes)
        ):
            return result


def _link_into_path(
    items: list[EntryLine],
    transcript: ClaudeCodeTranscript,
    result: Report,
    missing: list[str],
    changes: list[Change],
) -> bool:
    """Put entries that fell off the walked path back on it, each after the path entry
    before it, all in one round (the path is walked once and kept up to date here).

    A result line hangs off its own tool_use line and Claude Code re-attaches it because it
    holds a result; once it holds a text note instead it must be on the path itself. An
    entry that hangs off another missing one waits for the next round: once its parent is
    back on the path it may be walked again as it is, and then it is left alone.
    """
    position_of = {item.uuid: index for index, item in enumerate(items) if item.uuid}
    wanted = set(missing)
    path = [(entry.line, entry.uuid) for entry in walk_path(transcript, result.conversation)]
    linked = False
    for uuid in sorted(missing, key=lambda uuid: position_of.get(uuid, -1)):
        position = position_of.get(uuid)
        if position is None:
            continue
        parent = (items[position].current or {}).get("parentUuid")
        if isinstance(parent, str) and parent in wanted:
            continue
        line = position + 1
        before = [step for step in path if step[0] < line]
        if not before:
            continue
        parent_line, parent_uuid = before[-1]
        child = path[len(before)] if len(before) < len(path) else None
        items[position].parent = parent_uuid
        changes.append(
            Change(
                "relinked",
                items[position].source,
                None,
                f"now hangs off line {items[parent_line - 1].source or 'new'} so that Claude "
                "Code still walks it",
            )
        )
        if child is not None:
            items[child[0] - 1].parent = uuid
            changes.append(
                Change(
                    "relinked",
                    items[child[0] - 1].source,
                    None,
                    f"now hangs off line {items[position].source} (kept on the walked path)",
                )
            )
        path.insert(len(before), (line, uuid))
        linked = True
    return linked


def walk_path(transcript: ClaudeCodeTranscript, conversation: Conversation) -> list[Entry]:
    """The entries walked from the conversation's leaf back to its root, root first
    (the conversation's chain without the parallel siblings re-attached to it)."""
    chain = [origin for origin in conversation.chain if isinstance(origin, Entry)]
    by_uuid = transcript.by_uuid

    def parent_of(entry: Entry) -> str | None:
        parent = entry.parent
        hops = 0
        while parent is not None and hops < len(by_uuid):
            found = by_uuid.get(parent)
            if found is None or found.kind != PROGRESS:
                break
            parent = found.parent
            hops += 1
        return parent

    named = {parent_of(entry) for entry in chain}
    leaves = [entry for entry in chain if entry.uuid not in named]
    if not leaves:
        return []
    current: Entry | None = max(leaves, key=lambda entry: (entry.timestamp or "", entry.line))
    members = {id(entry) for entry in chain}
    path: list[Entry] = []
    while current is not None and id(current) in members:
        members.discard(id(current))
        path.append(current)
        if current.subtype == COMPACT_BOUNDARY:
            break
        parent = parent_of(current)
        current = by_uuid.get(parent) if parent else None
    path.reverse()
    return path


def _relink_dangling(
    items: list[EntryLine], entries: list[Entry], conversation: Conversation, changes: list[Change]
) -> None:
    """Entries whose parent is not in the file hang off the entry before them instead."""
    candidates = [e for e in entries if not e.sidechain and e.kind != PROGRESS]
    position = {id(entry): index for index, entry in enumerate(candidates)}
    by_line = {entry.line: entry for entry in candidates}
    for issue in conversation.issues:
        entry = by_line.get(issue.line)
        if issue.kind is not IssueKind.CHAIN or entry is None:
            continue
        index = position[id(entry)]
        parent = candidates[index - 1].uuid if index > 0 else None
        items[entry.line - 1].parent = parent
        changes.append(
            Change(
                "relinked",
                entry.line,
                None,
                f"parentUuid {entry.parent} names no entry of the file: now "
                f"{parent or 'null'} (line {candidates[index - 1].line if index else '-'}), "
                "the entry before it",
            )
        )


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
            if call.status is CallStatus.MISSING and _text_after(items[line - 1], use.index):
                text_first.add(line)
                continue
            position = _insert_position(items, conversation, call.use_message or 0, use)
            late = call.status is CallStatus.LATE
            synthetic = _synthetic_result(items[line - 1], use, late=late)
            _fit_timestamp(synthetic, items, position)
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
        applied |= _rename(items[line - 1], index, new_id)
    for (line, index), cause in sorted(to_text.items(), reverse=True):
        if (line, index) in renames:
            continue
        if _to_text(items[line - 1], index, cause):
            applied = True
            block_id = _block_at(items[line - 1], index)
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
            _results_first,
            "results_first",
            "tool_result blocks moved before the other blocks of the message",
        ),
        (
            text_first,
            _text_first,
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


def _content(item: EntryLine) -> list[Any] | None:
    current = item.current
    message = current.get("message") if current else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else None


def _editable_content(item: EntryLine) -> list[Any]:
    content = item.editable()["message"]["content"]
    assert isinstance(content, list)
    return content


def _block_at(item: EntryLine, index: int) -> str | None:
    content = _content(item)
    if content is None or not 0 <= index < len(content):
        return None
    block = content[index]
    if isinstance(block, dict):
        value = block.get("tool_use_id") or block.get("id")
        return value if isinstance(value, str) else None
    return None


def _text_after(item: EntryLine, index: int) -> bool:
    """Whether the line has a non-thinking, non-tool block after its block ``index``."""
    content = _content(item)
    if content is None:
        return False
    return any(
        isinstance(block, dict)
        and block.get("type") not in (TOOL_USE, "server_tool_use", *THINKING_TYPES)
        for block in content[index + 1 :]
    )


def _text_first(item: EntryLine) -> bool:
    """Move the line's tool_use blocks after its other blocks (no thinking block moves)."""
    content = _content(item)
    reordered = tool_uses_last(content) if content is not None else None
    if reordered is None:
        return False
    _editable_content(item)[:] = reordered
    return True


def _results_first(item: EntryLine) -> bool:
    content = _content(item)
    if content is None:
        return False

    def is_result(block: Any) -> bool:
        return isinstance(block, dict) and block.get("type") == TOOL_RESULT

    reordered = [b for b in content if is_result(b)] + [b for b in content if not is_result(b)]
    if reordered == content:
        return False
    _editable_content(item)[:] = reordered
    return True


def _rename(item: EntryLine, index: int, new_id: str) -> bool:
    content = _content(item)
    if content is None or not 0 <= index < len(content) or not isinstance(content[index], dict):
        return False
    block = _editable_content(item)[index]
    key = "id" if block.get("type") == TOOL_USE else "tool_use_id"
    block[key] = new_id
    return True


def _to_text(item: EntryLine, index: int, cause: str) -> bool:
    content = _content(item)
    if content is None or not 0 <= index < len(content):
        return False
    block = content[index]
    if not isinstance(block, dict) or block.get("type") != TOOL_RESULT:
        return False
    _editable_content(item)[index : index + 1] = result_as_text(block, cause)
    return True


def _insert_position(
    items: list[EntryLine], conversation: Conversation, message_index: int, use: Block
) -> int:
    """Where a synthetic result for ``use`` goes: after its line and the batch's lines, before
    the first result of a later call of the batch or the next turn."""
    start = use.origin.line - 1
    current = items[start].current or {}
    message = current.get("message")
    message_id = message.get("id") if isinstance(message, dict) else None
    uses = conversation.messages[message_index].tool_uses()
    rank = {block.tool_id: order for order, block in enumerate(uses) if block.tool_id}
    mine = next((order for order, block in enumerate(uses) if block is use), 0)
    position = start + 1
    while position < len(items):
        value = items[position].current
        position += 1
        if value is None or value.get("isSidechain") is True:
            continue
        kind = str_field(value, "type")
        line_message = value.get("message")
        if kind == "assistant" and isinstance(line_message, dict):
            if message_id is not None and line_message.get("id") == message_id:
                continue
            return position - 1
        if kind == "user":
            ids = _result_ids(value)
            if ids and all(tool_id in rank for tool_id in ids):
                if any(rank[tool_id] > mine for tool_id in ids):
                    return position - 1
                continue
            return position - 1
        if kind == "system" and str_field(value, "subtype") in (COMPACT_BOUNDARY, LOCAL_COMMAND):
            return position - 1
        if kind in CHAIN_KINDS and kind not in ("attachment", "progress", "system"):
            return position - 1
    return len(items)


def _result_ids(value: dict[str, Any]) -> list[str]:
    message = value.get("message")
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, list):
        return []
    return [
        str(block.get("tool_use_id"))
        for block in content
        if isinstance(block, dict) and block.get("type") == TOOL_RESULT
    ]


_CONTEXT_KEYS = ("userType", "entrypoint", "cwd", "sessionId", "version", "gitBranch", "slug")


def _synthetic_result(item: EntryLine, use: Block, *, late: bool) -> EntryLine:
    """A user line answering ``use`` with an is_error result, shaped like Claude Code's."""
    source = item.current or {}
    text = LATE_RESULT if late else LOST_RESULT
    line: dict[str, Any] = {
        "parentUuid": source.get("uuid"),
        "isSidechain": source.get("isSidechain", False),
    }
    if "agentId" in source:
        line["agentId"] = source["agentId"]
    line["type"] = "user"
    line["message"] = {
        "role": "user",
        "content": [
            {"tool_use_id": use.tool_id, "type": TOOL_RESULT, "content": text, "is_error": True}
        ],
    }
    line["uuid"] = str(uuidlib.uuid4())
    if isinstance(source.get("timestamp"), str):
        line["timestamp"] = source["timestamp"]
    line["toolUseResult"] = f"Error: {text}"
    line["sourceToolAssistantUUID"] = source.get("uuid")
    for key in _CONTEXT_KEYS:
        if key in source:
            line[key] = source[key]
    return EntryLine(None, b"", None, replacement=line)


def _timestamp_at(items: list[EntryLine], positions: range) -> datetime | None:
    for position in positions:
        current = items[position].current
        moment = parse_timestamp(current.get("timestamp") if current else None)
        if moment is not None:
            return moment
    return None


def _fit_timestamp(line: EntryLine, items: list[EntryLine], position: int) -> None:
    """Time an added line just after the line before it (not after the line that follows):
    Claude Code orders re-attached results by time, and this keeps them in file order."""
    before = _timestamp_at(items, range(position - 1, -1, -1))
    if before is None or line.replacement is None:
        return
    after = _timestamp_at(items, range(position, len(items)))
    try:
        stamp = before + timedelta(milliseconds=1)
    except OverflowError:  # the last representable moment
        stamp = before
    if after is not None and stamp > after:
        stamp = before
    text = stamp.isoformat(timespec="milliseconds").removesuffix("+00:00") + "Z"
    line.replacement["timestamp"] = text


# ---------------------------------------------------------------------- around the fixes


def _sidecar(plan: ClaudeCodePlan, conversation: Conversation) -> list[SidecarFile]:
    """Everything of the session's folder, and 2.0.x subagent files beside it."""
    files: dict[Path, SidecarFile] = {}
    parent = plan.source.parent
    for folder in session_folders(plan.source, plan.session_id):
        for path, relative in folder_files(folder):
            patch = relative.parts[0] == "subagents" and path.suffix == ".jsonl"
            files.setdefault(relative, SidecarFile(path, relative, patch))
    for link in conversation.subagents:
        if (
            link.path is not None
            and link.path.parent == parent
            and confined_file(parent, link.path)
        ):
            relative = Path("subagents") / link.path.name
            files.setdefault(relative, SidecarFile(link.path, relative, True))
    return list(files.values())


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

"""Repair: keep every line of a session and change only what the API rejects.

Fixes, each recorded as a :class:`~inspector.rewrite.plan.Change`:

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
duplicate may then need a synthetic result), a few rounds at most. What is left (R7, R8,
R9, R12, R13…) is reported as unfixable and the plan cannot be applied.
"""

from __future__ import annotations

import uuid as uuidlib
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from inspector.agents.claude_code.transcript import (
    CHAIN_KINDS,
    COMPACT_BOUNDARY,
    LOCAL_COMMAND,
    PROGRESS,
    ClaudeCodeTranscript,
    Entry,
)
from inspector.core.fields import str_field
from inspector.core.json_out import dumps
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
from inspector.rewrite.plan import (
    KEEP,
    Action,
    Change,
    Expectation,
    OutLine,
    RewritePlan,
    SidecarFile,
    conversation_counts,
    folder_files,
    has_conversation,
    session_folders,
    simulate_transcript,
    start_plan,
)
from inspector.rules import CallStatus, Finding, Report, Rule, validate

LOST_RESULT: Final = (
    "[inspector] The result of this tool call was lost from the session log; the call may "
    "or may not have run."
)
LATE_RESULT: Final = (
    "[inspector] The result of this tool call was not recorded right after it (a later part "
    "of the session holds it, kept there as text); the call may or may not have run."
)
MAX_ROUNDS = 6
MEDIA_TYPES: Final = frozenset({"image", "document"})
"""Content parts kept as they are when a result is quoted as text."""
TEXT_TYPES: Final = frozenset({"text", "input_text"})


def plan_repair(path: Path) -> RewritePlan:
    """Plan a repair of ``path``; writes nothing. Raises RewriteFailed (unreadable file, not a
    transcript, a subagent transcript)."""
    start = start_plan(Action.REPAIR, path)
    plan, transcript, conversation = start.plan, start.transcript, start.conversation
    snapshot, report = plan.snapshot, plan.report
    items = [OutLine(line.number, line.raw, line.value) for line in snapshot.lines]
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
    path: Path, items: list[OutLine], walked: list[str], changes: list[Change], used: set[str]
) -> Report:
    """Fix, check, and fix again until the API accepts the conversation (or nothing helps);
    then make sure every entry the original sent is still walked."""
    fix_rounds = link_rounds = 0
    while True:
        transcript = simulate_transcript(path, items)
        result = validate(transcript.project())
        if not result.ok:
            fix_rounds += 1
            if fix_rounds > MAX_ROUNDS or not _fix_round(items, result, changes, used):
                return result
            continue
        present = {origin.uuid for origin in result.conversation.chain}
        missing = [uuid for uuid in walked if uuid not in present]
        link_rounds += 1
        if (
            not missing
            or link_rounds > len(walked)
            or not _link_into_path(items, transcript, result, missing, changes)
        ):
            return result


def _link_into_path(
    items: list[OutLine],
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
    items: list[OutLine], entries: list[Entry], conversation: Conversation, changes: list[Change]
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
    items: list[OutLine], report: Report, changes: list[Change], used_ids: set[str]
) -> bool:
    """Apply the fixes for what ``report`` finds in ``items``; return whether any applied."""
    conversation = report.conversation
    inserts: dict[int, list[tuple[tuple[int, int], OutLine]]] = {}
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

    for finding in report.errors:
        block = finding_block(conversation, finding)
        if block is None:
            continue
        key = (block.origin.line, block.index)
        if finding.rule is Rule.R5 and block.type == TOOL_USE and block.tool_id:
            new_id = fresh_id(block.tool_id, used_ids)
            renames[key] = new_id
            answer = answer_of(conversation, finding.message_index or 0, block)
            if answer is not None:
                renames[(answer.origin.line, answer.index)] = new_id
            changes.append(
                Change(
                    "renamed_id",
                    items[block.origin.line - 1].source,
                    block.tool_id,
                    f"a later tool_use reused this id: it is now {new_id}"
                    + (", and so is its result" if answer is not None else ""),
                )
            )
        elif finding.rule in (Rule.R2, Rule.R5B) and block.type == TOOL_RESULT:
            to_text[key] = finding.cause or "its call is not in the previous turn"

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
        merged: list[OutLine] = []
        for position, item in enumerate(items):
            merged.extend(line for _, line in sorted(inserts.get(position, []), key=_order))
            merged.append(item)
        merged.extend(line for _, line in sorted(inserts.get(len(items), []), key=_order))
        items[:] = merged
    return applied


def _order(pair: tuple[tuple[int, int], OutLine]) -> tuple[int, int]:
    return pair[0]


def finding_block(conversation: Conversation, finding: Finding) -> Block | None:
    """The content block a finding points at (None: it names none, or no longer exists)."""
    index, position = finding.message_index, finding.content_index
    if index is None or position is None or not 0 <= index < len(conversation.messages):
        return None
    blocks = conversation.messages[index].blocks
    return blocks[position] if 0 <= position < len(blocks) else None


def _rank(conversation: Conversation, message_index: int | None, use: Block) -> int:
    if message_index is None:
        return 0
    uses = conversation.messages[message_index].tool_uses()
    return next((i for i, block in enumerate(uses) if block is use), 0)


def _content(item: OutLine) -> list[Any] | None:
    current = item.current
    message = current.get("message") if current else None
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, list) else None


def _editable_content(item: OutLine) -> list[Any]:
    content = item.editable()["message"]["content"]
    assert isinstance(content, list)
    return content


def _block_at(item: OutLine, index: int) -> str | None:
    content = _content(item)
    if content is None or not 0 <= index < len(content):
        return None
    block = content[index]
    if isinstance(block, dict):
        value = block.get("tool_use_id") or block.get("id")
        return value if isinstance(value, str) else None
    return None


def _text_after(item: OutLine, index: int) -> bool:
    """Whether the line has a non-thinking, non-tool block after its block ``index``."""
    content = _content(item)
    if content is None:
        return False
    return any(
        isinstance(block, dict)
        and block.get("type") not in (TOOL_USE, "server_tool_use", *THINKING_TYPES)
        for block in content[index + 1 :]
    )


def tool_uses_last(content: list[Any]) -> list[Any] | None:
    """``content`` with its tool_use blocks after the other blocks (R6); None when nothing
    moves, or when a thinking block would have to (thinking is never moved)."""
    kinds = [str_field(block, "type") for block in content]
    if TOOL_USE not in kinds:
        return None
    first_use = kinds.index(TOOL_USE)
    if any(kind in THINKING_TYPES for kind in kinds[first_use:]):
        return None
    reordered = [b for b, k in zip(content, kinds, strict=True) if k != TOOL_USE] + [
        b for b, k in zip(content, kinds, strict=True) if k == TOOL_USE
    ]
    return None if reordered == content else reordered


def _text_first(item: OutLine) -> bool:
    """Move the line's tool_use blocks after its other blocks (no thinking block moves)."""
    content = _content(item)
    reordered = tool_uses_last(content) if content is not None else None
    if reordered is None:
        return False
    _editable_content(item)[:] = reordered
    return True


def _results_first(item: OutLine) -> bool:
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


def _rename(item: OutLine, index: int, new_id: str) -> bool:
    content = _content(item)
    if content is None or not 0 <= index < len(content) or not isinstance(content[index], dict):
        return False
    block = _editable_content(item)[index]
    key = "id" if block.get("type") == TOOL_USE else "tool_use_id"
    block[key] = new_id
    return True


def fresh_id(old: str, used: set[str]) -> str:
    """``<old>-dup<n>`` not in ``used`` (and now in it): the new id of a repeated call."""
    number = 2
    while f"{old}-dup{number}" in used:
        number += 1
    new_id = f"{old}-dup{number}"
    used.add(new_id)
    return new_id


def answer_of(conversation: Conversation, message_index: int, use: Block) -> Block | None:
    """The result in the user turn after ``use``'s turn that answers this (duplicate) call."""
    messages = conversation.messages
    turn_start = message_index
    while turn_start > 0 and messages[turn_start - 1].role == "assistant":
        turn_start -= 1
    index = message_index + 1
    while index < len(messages) and messages[index].role == "assistant":
        index += 1
    same_turn_earlier = any(
        block.type == TOOL_USE and block.tool_id == use.tool_id and block is not use
        for message in messages[turn_start:index]
        for block in message.blocks
    )
    answers: list[Block] = []
    while index < len(messages) and messages[index].role == "user":
        answers += [
            b for b in messages[index].blocks if b.type == TOOL_RESULT and b.tool_id == use.tool_id
        ]
        index += 1
    if same_turn_earlier:
        return answers[1] if len(answers) > 1 else None
    return answers[0] if answers else None


def quoted_result(content: Any) -> tuple[str, list[dict[str, Any]]]:
    """The text of a tool result's content (other parts as JSON) and its media blocks."""
    parts: list[str] = []
    media: list[dict[str, Any]] = []
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for item in content:
            if str_field(item, "type") in TEXT_TYPES:
                parts.append(str(item.get("text", "")))
            elif str_field(item, "type") in MEDIA_TYPES:
                media.append(item)
            else:
                parts.append(dumps(item).decode())
    elif content is not None:
        parts.append(dumps(content).decode())
    return "\n".join(part for part in parts if part), media


def result_as_text(block: dict[str, Any], cause: str) -> list[dict[str, Any]]:
    """A tool_result block turned into user content that quotes it (text, plus its images)."""
    tool_id = block.get("tool_use_id")
    flag = ", marked is_error" if block.get("is_error") else ""
    header = (
        f"[inspector] This tool result (tool_use_id {tool_id}{flag}) no longer answers a tool "
        f"call in the conversation ({cause}), so it is kept here as text."
    )
    body, media = quoted_result(block.get("content"))
    return [{"type": "text", "text": f"{header}\n\n{body or '(the result was empty)'}"}, *media]


def _to_text(item: OutLine, index: int, cause: str) -> bool:
    content = _content(item)
    if content is None or not 0 <= index < len(content):
        return False
    block = content[index]
    if not isinstance(block, dict) or block.get("type") != TOOL_RESULT:
        return False
    _editable_content(item)[index : index + 1] = result_as_text(block, cause)
    return True


def _insert_position(
    items: list[OutLine], conversation: Conversation, message_index: int, use: Block
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


def _synthetic_result(item: OutLine, use: Block, *, late: bool) -> OutLine:
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
    return OutLine(None, b"", None, replacement=line)


def _timestamp_at(items: list[OutLine], positions: range) -> datetime | None:
    for position in positions:
        current = items[position].current
        moment = parse_timestamp(current.get("timestamp") if current else None)
        if moment is not None:
            return moment
    return None


def _fit_timestamp(line: OutLine, items: list[OutLine], position: int) -> None:
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


def _sidecar(plan: RewritePlan, conversation: Conversation) -> list[SidecarFile]:
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


def _count(plan: RewritePlan, conversation: Conversation, result: Report) -> None:
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

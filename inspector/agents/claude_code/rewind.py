"""Rewind: keep a session's conversation up to its last valid turn (or a chosen entry).

The cut is an entry *T* of the transcript (by default the end of the rules' last valid
turn). What is kept is what Claude Code would resume if *T* were the newest entry: the
snapshot's lines up to *T* are projected with *T* as the leaf, and the entries that walk
reaches (with the parallel siblings it re-attaches) form the new chain. Around it the plan
keeps what belongs to those entries: the history before the compaction the chain starts
at, ``file-history-snapshot`` lines of kept prompts, session metadata (titles, tags,
permission mode), progress lines and inline subagent lines hanging off kept entries, and
the subagent transcripts of kept ``Task``/``Agent`` calls.

**Re-linking.** The kept chain entries are linked one after the other in the order the
conversation runs (``parentUuid`` = the entry before; the first one's is null), which is
the order Claude Code itself sorts them in when it rebuilds the conversation. Where the
original already links an entry to the one before it (directly or through a kept legacy
progress line), the line is left alone; only tree/DAG links (parallel results hanging off
their own ``tool_use`` line) and parents that were dropped or missing change. The new
file then has exactly one chain leaf, *T*, newer than every other leaf, and every walker,
old or new, reaches the root from it without a gap.

What is kept besides the chain: :mod:`~inspector.agents.claude_code.rewind_keep`; the
files beside the transcript that go along: :mod:`~inspector.agents.claude_code.sidecar`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from inspector.agents.claude_code.entries import (
    ASSISTANT,
    COMPACT_BOUNDARY,
    PROGRESS,
    USER,
    Entry,
)
from inspector.agents.claude_code.lines import KEEP, EntryLine
from inspector.agents.claude_code.plan import (
    ClaudeCodePlan,
    Expectation,
    has_conversation,
    simulate,
    start_plan,
    transcript_of,
)
from inspector.agents.claude_code.projection import Projector
from inspector.agents.claude_code.rewind_keep import (
    agent_call_ids,
    keeps_metadata,
    keeps_progress,
    sidechain_root,
)
from inspector.agents.claude_code.sidecar import rewind_sidecar
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.fields import str_field
from inspector.core.model import TOOL_RESULT, TOOL_USE, Conversation
from inspector.rewrite.counts import conversation_counts, tool_structure
from inspector.rewrite.cuts import explain_rejection, search_cut, usable
from inspector.rewrite.plan import Action, RewriteFailed
from inspector.rewrite.snapshot import Snapshot
from inspector.rules import Cut, Report, validate


def plan_rewind(path: Path, *, to: str | None = None, line: int | None = None) -> ClaudeCodePlan:
    """Plan a rewind of ``path``: to its last valid turn, or after entry ``to`` / ``line``.

    Writes nothing. Raises RewriteFailed (unreadable file, not a transcript, no usable cut:
    the message says why and what to try).
    """
    start = start_plan(Action.REWIND, path)
    plan, transcript, conversation = start.plan, start.transcript, start.conversation
    snapshot, report = plan.snapshot, plan.report
    if snapshot.left_out:
        plan.notes.append(
            f"an incomplete last line ({snapshot.left_out} bytes, still being written?) "
            "is not part of the snapshot"
        )
    if to is None and line is None:
        if not has_conversation(transcript):
            plan.nothing_to_fix = True
            plan.notes.append("the file holds no conversation (metadata only): nothing to rewind")
            return plan
        if report.ok:
            plan.nothing_to_fix = True
            plan.notes.append("the API accepts this conversation: nothing to rewind")
            return plan
        target, result = _default_cut(snapshot, conversation, report)
    else:
        target = _explicit_target(snapshot, transcript, to, line, plan.notes)
        result = simulate_cut(snapshot, target)
        _accept_explicit(result, target)
    _build(plan, transcript, conversation, target, result)
    return plan


# ---------------------------------------------------------------------- choosing the cut


def simulate_cut(snapshot: Snapshot, target: Entry) -> Report:
    """The check of the conversation Claude Code would resume if ``target`` were newest."""

    lines = ((source.number, source.value, source.raw) for source in snapshot.lines[: target.line])
    transcript = transcript_of(snapshot.path, lines)
    return validate(transcript.project(leaf=target.uuid))


def _usable(result: Report, target: Entry) -> bool:
    chain = result.conversation.chain
    return usable(result) and bool(chain) and chain[-1].line == target.line


def _default_cut(
    snapshot: Snapshot, conversation: Conversation, report: Report
) -> tuple[Entry, Report]:
    """The last valid turn; when the rules find none that works, the latest entry before the
    first error whose conversation the API accepts (a compaction summary, say)."""
    by_line = {origin.line: origin for origin in conversation.chain}
    tried: set[int] = set()
    cut = report.last_valid
    if cut is not None:
        entry = by_line.get(cut.line)
        if isinstance(entry, Entry):
            tried.add(entry.line)
            result = simulate_cut(snapshot, entry)
            if _usable(result, entry):
                return entry, result
    error_lines = [f.line for f in report.errors if f.line is not None]
    bound = min(error_lines, default=max(by_line, default=0) + 1)
    if cut is not None:
        bound = min(bound, cut.line + 1)
    ends = {
        id(message.last_origin) for message in conversation.messages if message.role == ASSISTANT
    }

    def candidates() -> Iterator[Entry]:
        for origin in reversed(conversation.chain):
            if not isinstance(origin, Entry) or origin.line >= bound or origin.line in tried:
                continue
            if not origin.is_message or origin.api_error:
                continue
            if origin.kind == ASSISTANT and id(origin) not in ends:
                continue
            yield origin

    def attempt(entry: Entry) -> Report | None:
        result = simulate_cut(snapshot, entry)
        return result if _usable(result, entry) else None

    return search_cut(candidates(), attempt, report)


def _explicit_target(
    snapshot: Snapshot,
    transcript: ClaudeCodeTranscript,
    to: str | None,
    line: int | None,
    notes: list[str],
) -> Entry:
    entry: Entry | None
    name = snapshot.path.name
    if to is not None:
        entry = transcript.by_uuid.get(to)
        if entry is None:
            raise RewriteFailed(f"no entry with uuid {to} in {name}")
        where = f"entry {to} (line {entry.line})"
    else:
        assert line is not None
        if not 1 <= line <= len(snapshot.lines):
            raise RewriteFailed(f"line {line} is out of range: {name} has {len(snapshot.lines)}")
        entry = next((e for e in transcript.entries if e.line == line), None)
        if entry is None:
            raise RewriteFailed(f"line {line} is {_describe_line(snapshot, line)}")
        where = f"line {line}"
    if entry.sidechain:
        raise RewriteFailed(
            f"{where} belongs to a subagent (sidechain) conversation, which "
            "`claude --resume` does not load"
        )
    if entry.kind == PROGRESS:
        raise RewriteFailed(f"{where} is a progress line; pick a user or assistant line")
    if not entry.is_message:
        # the entry the rebuild starts from when this line is the leaf
        ancestor = Projector(transcript).message_ancestor(entry)
        if ancestor is None:
            raise RewriteFailed(f"{where} is a {entry.kind} line that hangs off no message")
        notes.append(
            f"{where} is a {entry.kind} line: the cut is after the message entry it "
            f"hangs off, line {ancestor.line}"
        )
        entry = ancestor
    return entry


def _describe_line(snapshot: Snapshot, line: int) -> str:
    source = snapshot.lines[line - 1]
    if source.blank:
        return "blank"
    if source.value is None:
        return "unreadable (not JSON)"
    kind = str_field(source.value, "type") or "untyped"
    return f"a {kind} line: metadata, not part of the conversation"


def _accept_explicit(result: Report, target: Entry) -> None:
    chain = result.conversation.chain
    where = f"line {target.line}"
    if not usable(result):
        last = result.last_valid
        raise explain_rejection(result, where, last.line if last is not None else None)
    if not chain or chain[-1].line != target.line:
        end = chain[-1].line if chain else None
        raise RewriteFailed(
            f"{where} cannot end a resumed conversation (Claude Code would resume at line {end})"
        )


# ---------------------------------------------------------------------- building the file


def _build(
    plan: ClaudeCodePlan,
    transcript: ClaudeCodeTranscript,
    conversation: Conversation,
    target: Entry,
    result: Report,
) -> None:
    snapshot = plan.snapshot
    kept_conversation = result.conversation
    chain = kept_conversation.chain
    position = {origin.line: index for index, origin in enumerate(chain)}
    desired = {
        origin.line: (chain[index - 1].uuid if index else None)
        for index, origin in enumerate(chain)
    }
    kept_uuids = {origin.uuid for origin in chain if origin.uuid}
    first = chain[0]
    boundary = first.line if isinstance(first, Entry) and first.subtype == COMPACT_BOUNDARY else 0
    entries = {entry.line: entry for entry in transcript.entries}
    file_uuids = set(transcript.by_uuid)

    history_lines = set(range(1, boundary))
    kept_tool_ids = agent_call_ids(entries, set(position) | history_lines)
    kept_roots = {
        link.root_uuid
        for link in conversation.subagents
        if link.root_uuid is not None and link.tool_use_id in kept_tool_ids
    }

    counts = {"history": 0, "metadata": 0, "progress": 0, "sidechain": 0}
    dropped = {"chain_entries": 0, "metadata_lines": 0, "unreadable_lines": 0}
    progress_parent: dict[str, str | None] = {}
    out: list[EntryLine] = []
    for source in snapshot.lines:
        number, value = source.number, source.value
        if source.blank:
            continue
        if number < boundary:
            out.append(EntryLine(number, source.raw, value))
            counts["history"] += 1
            continue
        if value is None:
            dropped["unreadable_lines"] += 1
            continue
        if number in position:
            parent = desired[number]
            have = value.get("parentUuid")
            bridged = have
            hops = 0
            while isinstance(bridged, str) and bridged in progress_parent and hops < 10_000:
                bridged = progress_parent[bridged]
                hops += 1
            keep = bridged == parent and (have is None or have in kept_uuids)
            out.append(EntryLine(number, source.raw, value, parent=KEEP if keep else parent))
            continue
        entry = entries.get(number)
        if entry is not None:
            if number < target.line and keeps_progress(entry, kept_uuids):
                assert entry.uuid is not None
                progress_parent[entry.uuid] = entry.parent
                kept_uuids.add(entry.uuid)
                counts["progress"] += 1
                out.append(EntryLine(number, source.raw, value))
            elif (
                number < target.line
                and entry.sidechain
                and sidechain_root(transcript, entry) in kept_roots
            ):
                counts["sidechain"] += 1
                out.append(EntryLine(number, source.raw, value))
            else:
                dropped["chain_entries"] += 1
            continue
        if keeps_metadata(value, number, target.line, kept_uuids, file_uuids):
            counts["metadata"] += 1
            out.append(EntryLine(number, source.raw, value))
        else:
            dropped["metadata_lines"] += 1

    plan.lines = out
    plan.cut = Cut(len(kept_conversation.messages) - 1, target.line, target.uuid)
    plan.sidecar = rewind_sidecar(plan, conversation, kept_tool_ids, out)
    plan.expected = Expectation(
        chain=tuple(origin.uuid or "" for origin in chain),
        exact_chain=True,
        structure=tool_structure(kept_conversation),
    )
    written = simulate(snapshot.path, out)
    plan.result = written
    _check_plan(plan, written)

    kept_lines = {line.source for line in out}
    original_uses = _block_lines(conversation, TOOL_USE)
    original_results = _block_lines(conversation, TOOL_RESULT)
    kept_messages = sum(
        1 for m in conversation.messages if any(o.line in kept_lines for o in m.origins)
    )
    plan.kept = {
        "lines": len(out),
        **conversation_counts(kept_conversation),
        "chain_entries": len(chain),
        "history_lines": counts["history"],
        "metadata_lines": counts["metadata"],
        "progress_lines": counts["progress"],
        "sidechain_lines": counts["sidechain"],
        "subagents": sum(1 for item in plan.sidecar if item.patch_session),
    }
    plan.dropped = {
        "lines": sum(1 for s in snapshot.lines if not s.blank) - len(out),
        "messages": len(conversation.messages) - kept_messages,
        "tool_uses": sum(1 for line in original_uses if line not in kept_lines),
        "tool_results": sum(1 for line in original_results if line not in kept_lines),
        **dropped,
    }
    _notes(plan, conversation, target, boundary)


def _check_plan(plan: ClaudeCodePlan, written: Report) -> None:
    """The planned file, projected in memory, must resume exactly the kept conversation."""
    expected = plan.expected
    assert expected is not None
    walked = tuple(origin.uuid or "" for origin in written.conversation.chain)
    if not written.ok or walked != expected.chain:
        raise RewriteFailed(
            "internal check failed: the planned session would not resume as the cut says "
            "(nothing was written)"
        )
    if tool_structure(written.conversation) != expected.structure:
        raise RewriteFailed(
            "internal check failed: the planned session's tool calls differ from the cut "
            "(nothing was written)"
        )


def _block_lines(conversation: Conversation, kind: str) -> list[int]:
    return [b.origin.line for m in conversation.messages for b in m.blocks if b.type == kind]


def _notes(plan: ClaudeCodePlan, conversation: Conversation, target: Entry, boundary: int) -> None:
    chain = conversation.chain
    last_boundary = chain[0] if chain else None
    if (
        isinstance(last_boundary, Entry)
        and last_boundary.subtype == COMPACT_BOUNDARY
        and target.line < last_boundary.line
    ):
        plan.notes.append(
            f"the cut is before the compaction at line {last_boundary.line}: the new session "
            "holds the whole history up to the cut, which Claude Code may have to compact again"
        )
    if boundary:
        plan.notes.append(
            f"the compaction boundary (line {boundary}) and the {boundary - 1} lines of history "
            "before it are kept; Claude Code resumes from the boundary on"
        )
    if target.kind == USER and not any(b.type == TOOL_RESULT for b in target.blocks):
        plan.notes.append(
            "the kept conversation ends on a user message: the resumed session starts by "
            "answering it"
        )

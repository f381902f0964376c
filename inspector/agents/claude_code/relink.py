"""Keeping a repaired session's entries on the path Claude Code walks.

* **Dangling parents** (a ``parentUuid`` naming no entry of the file): re-linked to the
  entry before it in the file, which is where Claude Code 2.1.x goes on anyway
  (:func:`relink_dangling`).
* **Entries that fell off the walked path** after a fix (a result turned into text no
  longer re-attaches): linked back in after the path entry before them
  (:func:`link_into_path`, on the path :func:`walk_path` finds).
"""

from __future__ import annotations

from inspector.agents.claude_code.entries import COMPACT_BOUNDARY, PROGRESS, Entry
from inspector.agents.claude_code.lines import EntryLine
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.model import Conversation, IssueKind
from inspector.rewrite.plan import Change
from inspector.rules import Report


def link_into_path(
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


def relink_dangling(
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

"""What a rewind keeps besides the chain: the rules for progress lines, inline subagent
lines and session metadata, and the ``Task``/``Agent`` calls whose subagents go along."""

from __future__ import annotations

from typing import Any

from inspector.agents.claude_code.entries import AGENT_TOOLS, PROGRESS, Entry
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.fields import str_field
from inspector.core.model import TOOL_USE

SESSION_METADATA = frozenset(
    {"custom-title", "ai-title", "tag", "permission-mode", "pr-link", "agent-name", "agent-color"}
)
"""Metadata about the whole session: kept wherever it is in the file."""


def agent_call_ids(entries: dict[int, Entry], lines: set[int]) -> set[str]:
    """Ids of the Task/Agent calls on those lines (their subagents go with the cut)."""
    found: set[str] = set()
    for number in lines:
        entry = entries.get(number)
        if entry is None:
            continue
        for block in entry.blocks:
            if block.type == TOOL_USE and block.tool_id and block.name in AGENT_TOOLS:
                found.add(block.tool_id)
    return found


def keeps_progress(entry: Entry, kept_uuids: set[str]) -> bool:
    return (
        entry.kind == PROGRESS
        and not entry.sidechain
        and entry.parent is not None
        and entry.parent in kept_uuids
    )


def sidechain_root(transcript: ClaudeCodeTranscript, entry: Entry) -> str | None:
    seen: set[int] = set()
    current = entry
    while current.parent is not None and id(current) not in seen:
        seen.add(id(current))
        parent = transcript.by_uuid.get(current.parent)
        if parent is None or not parent.sidechain:
            break
        current = parent
    return current.uuid


def keeps_metadata(
    value: dict[str, Any], number: int, cut_line: int, kept: set[str], in_file: set[str]
) -> bool:
    kind = str_field(value, "type")
    if kind in SESSION_METADATA:
        return True
    if kind == "file-history-snapshot":
        snapshot = value.get("snapshot")
        message = value.get("messageId")
        if not isinstance(message, str) and isinstance(snapshot, dict):
            message = snapshot.get("messageId")
        if isinstance(message, str) and message in in_file:
            return message in kept
        return number < cut_line
    if kind == "summary":
        leaf = value.get("leafUuid")
        if isinstance(leaf, str) and leaf in in_file:
            return leaf in kept
        return number < cut_line
    return number < cut_line

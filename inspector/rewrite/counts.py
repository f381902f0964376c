"""What a plan reports kept and dropped, and the tool-call structure a written file must
keep: counted the same way for every agent, and named for people."""

from __future__ import annotations

from inspector.core.model import TOOL_RESULT, TOOL_USE, Conversation, count_blocks
from inspector.core.wording import counted

ToolStructure = list[tuple[str, tuple[tuple[str, str], ...]]]


def tool_structure(conversation: Conversation) -> ToolStructure:
    """Role and (block type, tool id) of the tool blocks of each message that has any."""
    structure: ToolStructure = []
    for message in conversation.messages:
        pairs = tuple(
            (block.type, block.tool_id or "")
            for block in message.blocks
            if block.type in (TOOL_USE, "server_tool_use") or block.type.endswith("tool_result")
        )
        if pairs:
            structure.append((message.role, pairs))
    return structure


def conversation_counts(conversation: Conversation) -> dict[str, int]:
    """Messages, tool calls and results: the counts every plan reports kept and dropped."""
    return {
        "messages": len(conversation.messages),
        "tool_uses": count_blocks(conversation, TOOL_USE),
        "tool_results": count_blocks(conversation, TOOL_RESULT),
    }


def kept_counts(conversation: Conversation, **extra: int) -> dict[str, int]:
    """The counts of ``conversation``, and the ``extra`` ones."""
    return {**conversation_counts(conversation), **extra}


def dropped_counts(before: Conversation, after: Conversation, **extra: int) -> dict[str, int]:
    """What a cut left out of ``before`` to give ``after``, and the ``extra`` counts."""
    kept = conversation_counts(after)
    return {key: count - kept[key] for key, count in conversation_counts(before).items()} | extra


COUNT_NAMES: dict[str, tuple[str, str]] = {
    "lines": ("line", "lines"),
    "messages": ("message", "messages"),
    "tool_uses": ("tool call", "tool calls"),
    "tool_results": ("tool result", "tool results"),
    "chain_entries": ("chain entry", "chain entries"),
    "history_lines": ("line of history before the compaction", "lines of history"),
    "metadata_lines": ("metadata line", "metadata lines"),
    "progress_lines": ("progress line", "progress lines"),
    "sidechain_lines": ("subagent line", "subagent lines"),
    "subagents": ("subagent transcript", "subagent transcripts"),
    "unreadable_lines": ("unreadable line", "unreadable lines"),
    "added_lines": ("added line", "added lines"),
    "changed_lines": ("changed line", "changed lines"),
    "tool_results_as_text": ("orphan result kept as text", "orphan results kept as text"),
    "duplicate_ids_renamed": ("duplicate id renamed", "duplicate ids renamed"),
    "stored_messages": ("stored message", "stored messages"),
    "changed_messages": ("changed message", "changed messages"),
    "added_messages": ("added message", "added messages"),
    "emptied_messages": (
        "message left empty by moving its results (removed)",
        "messages left empty by moving their results (removed)",
    ),
    "files": ("other file of the task", "other files of the task"),
}
"""How the ``kept``/``dropped`` counts of a plan are named for people (singular, plural)."""


CHANGED_COUNTS = frozenset(
    {
        "tool_results_as_text",
        "duplicate_ids_renamed",
        "added_lines",
        "changed_lines",
        "added_messages",
        "changed_messages",
    }
)
"""Counts a plan reports beside what it dropped that say what it changed or added."""


def split_changes(counts: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """(what was left out, what was changed or added) of a plan's ``dropped`` counts."""
    left_out = {k: v for k, v in counts.items() if k not in CHANGED_COUNTS}
    changed = {k: v for k, v in counts.items() if k in CHANGED_COUNTS}
    return left_out, changed


def describe_counts(counts: dict[str, int]) -> str:
    """``{"lines": 3, "tool_uses": 1}`` → ``"3 lines, 1 tool call"`` (zeros left out)."""
    parts = []
    for key, value in counts.items():
        if value:
            singular, plural = COUNT_NAMES.get(key, (key.replace("_", " "),) * 2)
            parts.append(counted(value, singular, plural))
    return ", ".join(parts)

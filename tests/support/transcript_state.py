"""Everything a Claude Code transcript read holds, as plain values: to compare two ways of
reading the same file (split across two processes, continued from a checkpoint)."""

from __future__ import annotations

from typing import Any

from inspector.agents.claude_code import frames
from inspector.agents.claude_code.entries import TranscriptEntries


def state(transcript: TranscriptEntries) -> dict[str, Any]:
    """Everything a transcript holds, as plain values (entries by line number)."""

    def lines(entries: list[Any]) -> list[int]:
        return [entry.line for entry in entries]

    return {
        "entries": [
            (
                [column(entry) for column in frames._ENTRY_COLUMNS],
                [[column(block) for column in frames._BLOCK_COLUMNS] for block in entry.blocks],
                [block.origin is entry for block in entry.blocks],
            )
            for entry in transcript.entries
        ],
        "by_uuid": {uuid: entry.line for uuid, entry in transcript.by_uuid.items()},
        "main": lines(transcript.main_entries),
        "side": lines(transcript.side_entries),
        "progress": {uuid: entry.line for uuid, entry in transcript.progress.items()},
        "superseded": sorted(entry.line for entry in transcript.superseded),
        "agent_calls": [(block.origin.line, block.index) for block in transcript.agent_calls],
        "bad_lines": transcript.bad_lines,
        "scalars": (
            transcript.session_id,
            transcript.line_count,
            transcript.object_lines,
            transcript.recognised_lines,
            transcript.thinking_enabled,
            transcript.has_messages,
            transcript.has_main_line,
        ),
        "agent_ids": transcript.agent_ids,
        "agent_prompts": transcript.agent_prompts,
        "sidechain_prompts": transcript.sidechain_prompts,
        "api_error_texts": transcript.api_error_texts,
        "made_up": transcript.made_up,
    }

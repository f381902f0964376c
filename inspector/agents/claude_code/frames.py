"""A transcript's entries as compact JSON, and back: what the split read's child sends
its parent (:mod:`.split_read`) and what a checkpoint keeps between two checks of a
growing file (:mod:`.checkpoint`).

A frame carries the entries column by column (every field but their blocks), the number
of blocks of each, and the blocks column by column (every field but their origin):
columns are written and rebuilt with map(), not a Python loop per field. No content text
is in it: the conversation keeps positions, and reads content from the file.
"""

from __future__ import annotations

from dataclasses import fields
from itertools import chain, repeat
from operator import add, attrgetter
from sys import intern
from typing import Any

import orjson

from inspector.agents.claude_code.entries import Entry, TranscriptEntries
from inspector.core.jsonl import BadLine
from inspector.core.model import Block, MadeUpResult

_ENTRY_FIELDS = [field.name for field in fields(Entry) if field.name != "blocks"]
_BLOCK_FIELDS = [field.name for field in fields(Block) if field.name != "origin"]
_ENTRY_COLUMNS = [attrgetter(name) for name in _ENTRY_FIELDS]
_BLOCK_COLUMNS = [attrgetter(name) for name in _BLOCK_FIELDS]
_BLOCKS_OF = attrgetter("blocks")
_LINE, _KIND, _MODEL, _STOP_REASON = (
    _ENTRY_FIELDS.index(name) for name in ("line", "kind", "model", "stop_reason")
)

FrameError = (orjson.JSONDecodeError, KeyError, TypeError, ValueError, IndexError)
"""What decoding a frame that does not fit raises."""


def entries_frame(part: TranscriptEntries, sent_entries: int = 0, sent_calls: int = 0) -> bytes:
    """The entries read since ``sent_entries``, and the Task/Agent calls among them."""
    entries = part.entries[sent_entries:]
    blocks = list(chain.from_iterable(map(_BLOCKS_OF, entries)))
    calls = part.agent_calls[sent_calls:]
    position = (
        {id(entry): index for index, entry in enumerate(entries, sent_entries)} if calls else {}
    )
    return orjson.dumps(
        {
            "entries": [list(map(column, entries)) for column in _ENTRY_COLUMNS],
            "block_counts": list(map(len, map(_BLOCKS_OF, entries))),
            "blocks": [list(map(column, blocks)) for column in _BLOCK_COLUMNS],
            "agent_calls": [_call_position(call, position) for call in calls],
        }
    )


def _call_position(call: Block, position: dict[int, int]) -> tuple[int, int]:
    """Where a Task/Agent call is in the part: (entry number, block number)."""
    entry = call.origin
    assert isinstance(entry, Entry)  # calls are found on the entries being read
    return position[id(entry)], next(i for i, block in enumerate(entry.blocks) if block is call)


def last_frame(part: TranscriptEntries) -> bytes:
    """What the part counted and collected besides its entries."""
    return orjson.dumps(
        {
            "bad_lines": [(b.number, b.offset, b.length, b.reason) for b in part.bad_lines],
            "session_id": part.session_id,
            "line_count": part.line_count,
            "object_lines": part.object_lines,
            "recognised_lines": part.recognised_lines,
            "thinking_blocks": part.thinking_blocks,
            "thinking_setting": part.thinking_setting,
            "written_by": part.written_by,
            "agent_ids": part.agent_ids,
            "agent_prompts": part.agent_prompts,
            "sidechain_prompts": part.sidechain_prompts,
            "api_error_texts": list(part.api_error_texts.items()),
            "made_up": [(m.line, m.tool_id, m.text, m.when) for m in part.made_up],
        }
    )


def take_entries(
    part: TranscriptEntries,
    frame: dict[str, Any],
    lines_before: int,
    earlier: dict[str, Entry],
) -> None:
    """Rebuild the entries of a frame into ``part`` (``earlier``: entries read before the
    part, by uuid). Raises ValueError (or TypeError) on a frame that does not fit."""
    columns: list[list[Any]] = frame["entries"]
    counts: list[int] = frame["block_counts"]
    block_columns: list[list[Any]] = frame["blocks"]
    # map() stops at its shortest input: check the lengths, or a short column goes unseen
    if any(len(column) != len(counts) for column in columns) or any(
        len(column) != sum(counts) for column in block_columns
    ):
        raise ValueError("columns of different lengths")
    # The strings a read here shares (a parent's uuid, interned kinds, models and block
    # types) are shared here too: the rebuild's look-ups then match by identity instead
    # of comparing text, which makes it a sixth faster.
    columns[_LINE] = list(map(add, columns[_LINE], repeat(lines_before)))
    columns[_KIND] = list(map(intern, columns[_KIND]))
    for at in (_MODEL, _STOP_REASON):
        columns[at] = [None if text is None else intern(text) for text in columns[at]]
    entries = list(map(Entry, *columns))
    block_columns[0] = list(map(intern, block_columns[0]))
    origins = chain.from_iterable(map(repeat, entries, counts))
    blocks = list(map(Block, block_columns[0], origins, *block_columns[1:]))
    index, by_uuid = part.index, part.by_uuid
    taken = 0
    for entry, count in zip(entries, counts, strict=True):
        if count:
            entry.blocks = blocks[taken : taken + count]
            taken += count
        parent_uuid = entry.parent
        if parent_uuid is not None:
            parent = by_uuid.get(parent_uuid) or earlier.get(parent_uuid)
            if parent is not None:
                entry.parent = parent.uuid
        index(entry)
    part.agent_calls.extend(part.entries[e].blocks[b] for e, b in frame["agent_calls"])


def take_last(part: TranscriptEntries, frame: dict[str, Any], lines_before: int) -> None:
    """Take what :func:`last_frame` sent, line numbers counted from ``lines_before``."""
    part.bad_lines = [BadLine(*bad) for bad in frame["bad_lines"]]
    part.session_id = frame["session_id"]
    part.line_count = frame["line_count"]
    part.object_lines = frame["object_lines"]
    part.recognised_lines = frame["recognised_lines"]
    part.thinking_blocks = frame["thinking_blocks"]
    part.thinking_setting = frame["thinking_setting"]
    part.written_by = frame["written_by"]
    part.agent_ids = frame["agent_ids"]
    part.agent_prompts = frame["agent_prompts"]
    part.sidechain_prompts = frame["sidechain_prompts"]
    part.api_error_texts = {line: text for line, text in frame["api_error_texts"]}
    part.made_up = [MadeUpResult(*made_up) for made_up in frame["made_up"]]
    shift_line_records(part, lines_before)


def shift(part: TranscriptEntries, lines_before: int) -> None:
    """Renumber a part's lines as lines of the whole file."""
    for entry in part.entries:
        entry.line += lines_before
    shift_line_records(part, lines_before)


def shift_line_records(part: TranscriptEntries, lines_before: int) -> None:
    """Renumber what a part keeps by line number besides its entries."""
    if not lines_before:
        return
    part.bad_lines = [
        BadLine(bad.number + lines_before, bad.offset, bad.length, bad.reason)
        for bad in part.bad_lines
    ]
    part.api_error_texts = {
        line + lines_before: text for line, text in part.api_error_texts.items()
    }
    part.made_up = [
        MadeUpResult(m.line + lines_before, m.tool_id, m.text, m.when) for m in part.made_up
    ]
    part.line_count += lines_before

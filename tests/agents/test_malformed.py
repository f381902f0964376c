"""Any line, however malformed, is read without an exception: fields of the wrong type
are treated as missing, never crash the rebuild, the rules or the re-reading of content."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents import NotATranscript, block_payload, load_conversation, message_payloads
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.check import check_file
from inspector.core.jsonl import ParsedLine, parse_object
from inspector.core.verdict import require_transcript
from inspector.rules import validate
from tests.conftest import SAMPLES

WRONG_TYPES: list[Any] = [None, 7, 1.5, True, "x", [], ["a"], {}, {"k": [1]}]


def mutations(value: dict[str, Any]) -> list[dict[str, Any]]:
    """Copies of a line with one field (top level, message, or content block) retyped."""
    found: list[dict[str, Any]] = []
    for key in value:
        for wrong in WRONG_TYPES:
            found.append({**value, key: wrong})
    message = value.get("message")
    if isinstance(message, dict):
        for key in message:
            for wrong in WRONG_TYPES:
                found.append({**value, "message": {**message, key: wrong}})
        content = message.get("content")
        if isinstance(content, list):
            for index, block in enumerate(content):
                if not isinstance(block, dict):
                    continue
                for key in block:
                    for wrong in WRONG_TYPES:
                        blocks = list(content)
                        blocks[index] = {**block, key: wrong}
                        found.append({**value, "message": {**message, "content": blocks}})
    return found


def exercise(path: Path) -> None:
    try:
        conversation = load_conversation(path)
    except NotATranscript:
        return
    report = check_file(path)
    assert report.conversation.format == conversation.format
    cache: dict[int, Any] = {}
    for message in conversation.messages:
        for block in message.blocks:
            block_payload(conversation, block, cache)
    message_payloads(conversation)


def exercise_in_memory(path: Path, rows: list[bytes]) -> None:
    """:func:`exercise` for a Claude Code transcript whose lines are in memory: the lines go
    to the parser as the reader yields them, the conversation is rebuilt and checked once,
    and every block is re-read from the lines (the cache a caller passes to
    ``block_payload``), which is all ``message_payloads`` reads."""
    lines: list[ParsedLine] = []
    offset = 0
    for number, raw in enumerate(rows, 1):
        value = parse_object(raw)
        assert value is not None
        lines.append(ParsedLine(number, offset, len(raw), value))
        offset += len(raw) + 1
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(lines)
    try:
        require_transcript(transcript)
    except NotATranscript:
        return
    conversation = transcript.project()
    validate(conversation)
    cache: dict[int, Any] = {line.number: line.value for line in lines}
    for message in conversation.messages:
        for block in message.blocks:
            block_payload(conversation, block, cache)


@pytest.mark.parametrize("sample", ["orphan-tool-use.jsonl", "compacted.jsonl"])
def test_every_field_retyped_in_a_claude_code_transcript(tmp_path: Path, sample: str) -> None:
    lines = [orjson.loads(line) for line in (SAMPLES / sample).read_bytes().splitlines()]
    encoded = [orjson.dumps(value) for value in lines]
    path = tmp_path / "s.jsonl"
    for number, value in enumerate(lines):
        for mutated in mutations(value):
            rows = [*encoded[:number], orjson.dumps(mutated), *encoded[number + 1 :]]
            if number == 0:  # the first line decides the format: read these from disk
                path.write_bytes(b"".join(row + b"\n" for row in rows))
                exercise(path)
            else:
                exercise_in_memory(path, rows)


def test_every_field_retyped_in_a_json_history(tmp_path: Path) -> None:
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "go", "ts": 1},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "A", "name": "read", "input": {}}],
        },
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "A", "content": "x"}]},
        {
            "role": "assistant",
            "tool_calls": [
                {"id": "c", "type": "function", "function": {"name": "f", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "c", "content": "ok"},
    ]
    path = tmp_path / "api_conversation_history.json"
    for number, message in enumerate(history):
        for key in message:
            for wrong in WRONG_TYPES:
                rows = [*history[:number], {**message, key: wrong}, *history[number + 1 :]]
                path.write_bytes(orjson.dumps(rows))
                exercise(path)


def test_every_field_retyped_in_a_codex_rollout(tmp_path: Path) -> None:
    lines: list[dict[str, Any]] = [
        {"timestamp": "t", "type": "session_meta", "payload": {"id": "s"}},
        {
            "timestamp": "t",
            "type": "response_item",
            "payload": {
                "type": "function_call",
                "name": "shell",
                "arguments": "{}",
                "call_id": "c",
            },
        },
        {
            "timestamp": "t",
            "type": "response_item",
            "payload": {"type": "function_call_output", "call_id": "c", "output": "ok"},
        },
        {"timestamp": "t", "type": "compacted", "payload": {"message": "summary"}},
    ]
    path = tmp_path / "rollout.jsonl"
    for number, line in enumerate(lines):
        variants = [{**line, key: wrong} for key in line for wrong in WRONG_TYPES]
        variants += [
            {**line, "payload": {**line["payload"], key: wrong}}
            for key in line["payload"]
            for wrong in WRONG_TYPES
        ]
        for variant in variants:
            rows = [*lines[:number], variant, *lines[number + 1 :]]
            path.write_bytes(b"".join(orjson.dumps(row) + b"\n" for row in rows))
            exercise(path)

"""Minimal hand-written conversations, written as Claude Code transcript lines.

Each message becomes one line (an assistant message: one line per block, sharing a
``message.id``, as Claude Code writes them), chained linearly by ``parentUuid``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

Block = dict[str, Any]


def tool_use(tool_id: str, name: str = "Read") -> Block:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": {"file_path": "/x"}}


def result(tool_id: str, text: str = "ok", *, is_error: bool = False) -> Block:
    block: Block = {"type": "tool_result", "tool_use_id": tool_id, "content": text}
    if is_error:
        block["is_error"] = True
    return block


def text(value: str) -> Block:
    return {"type": "text", "text": value}


def user(*blocks: Block | str) -> tuple[str, list[Block] | str]:
    if len(blocks) == 1 and isinstance(blocks[0], str):
        return ("user", blocks[0])
    return ("user", [b if isinstance(b, dict) else text(b) for b in blocks])


def assistant(*blocks: Block | str) -> tuple[str, list[Block] | str]:
    return ("assistant", [b if isinstance(b, dict) else text(b) for b in blocks])


def transcript_lines(
    messages: list[tuple[str, list[Block] | str]], *, session_id: str = "s-1"
) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    parent: str | None = None
    for number, (role, content) in enumerate(messages):
        if role == "assistant":
            assert isinstance(content, list)
            for part, block in enumerate(content):
                uuid = f"u{number}-{part}"
                lines.append(
                    _entry(role, uuid, parent, session_id, len(lines))
                    | {"message": {"id": f"msg_{number}", "role": role, "content": [block]}}
                )
                parent = uuid
        else:
            uuid = f"u{number}"
            lines.append(
                _entry(role, uuid, parent, session_id, len(lines))
                | {"message": {"role": role, "content": content}}
            )
            parent = uuid
    return lines


def _entry(kind: str, uuid: str, parent: str | None, session: str, n: int) -> dict[str, Any]:
    return {
        "parentUuid": parent,
        "isSidechain": False,
        "sessionId": session,
        "type": kind,
        "uuid": uuid,
        "timestamp": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
    }


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(line) + b"\n" for line in lines))
    return path


def write_conversation(path: Path, messages: list[tuple[str, list[Block] | str]]) -> Path:
    return write_lines(path, transcript_lines(messages))

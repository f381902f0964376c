"""R12 follows what the request had: the recorded thinking setting and the model.

A model that thinks adaptively (Opus 4.6 and later) may start a tool-loop turn with a
tool_use and no thinking, and the API answers it; an older model with thinking on may not.
The real files are Entire checkpoints of Claude Code on claude-opus-4-6 (entireio/cli,
MIT, Copyright (c) 2026 Entire Inc.), read in place from ../shared/realworld-external.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.check import check_file
from inspector.rules import Rule
from tests.conftest import REPO
from tests.support.conversations import write_lines

EXTERNAL = REPO.parent / "shared" / "realworld-external"
ADAPTIVE_SESSIONS = [
    "entireio-cli/42/527c9c20c8/0/full.jsonl",
    "entireio-cli/e9/a4a3c25669/0/full.jsonl",
]
THINKING = {"type": "thinking", "thinking": "plan", "signature": "sig"}
ON = {"maxThinkingTokens": 31999}
OFF = {"level": "none", "disabled": True, "triggers": []}


@pytest.mark.parametrize("relative", ADAPTIVE_SESSIONS)
def test_an_opus_4_6_tool_loop_without_thinking_is_not_r12(relative: str) -> None:
    path = EXTERNAL / relative
    if not path.is_file():
        pytest.skip(f"{path} not found")
    report = check_file(path)
    assert [f for f in report.findings if f.rule is Rule.R12] == []
    assert report.errors == []


def _session(tmp_path: Path, model: str, metadata: dict[str, Any] | None) -> Path:
    """A prompt answered with thinking, then a prompt whose tool loop starts without it."""
    lines: list[dict[str, Any]] = []

    def add(kind: str, content: Any, **extra: Any) -> None:
        number = len(lines)
        message: dict[str, Any] = {"role": kind, "content": content}
        if kind == "assistant":
            message |= {"model": model, "id": f"msg_{number}", "type": "message"}
        lines.append(
            {
                "parentUuid": f"u{number - 1}" if number else None,
                "isSidechain": False,
                "sessionId": "s-1",
                "type": kind,
                "uuid": f"u{number}",
                "timestamp": f"2026-01-01T00:00:{number:02d}.000Z",
                "message": message,
            }
            | extra
        )

    prompt = {} if metadata is None else {"thinkingMetadata": metadata}
    add("user", "look", **prompt)
    add("assistant", [THINKING, {"type": "text", "text": "ok"}])
    add("user", "now read it", **prompt)
    add("assistant", [{"type": "tool_use", "id": "toolu_a", "name": "Read", "input": {}}])
    add("user", [{"type": "tool_result", "tool_use_id": "toolu_a", "content": "x"}])
    return write_lines(tmp_path / "s.jsonl", lines)


@pytest.mark.parametrize("metadata", [ON, None], ids=["recorded-on", "thinking-blocks"])
def test_an_older_model_with_thinking_on_still_gets_r12(
    tmp_path: Path, metadata: dict[str, Any] | None
) -> None:
    report = check_file(_session(tmp_path, "claude-sonnet-4-5-20250929", metadata))
    assert [f.rule for f in report.errors] == [Rule.R12]
    assert report.errors[0].text.startswith("messages.3.content.0.type: Expected `thinking`")


@pytest.mark.parametrize("model", ["claude-opus-4-6", "claude-sonnet-4-6", "claude-opus-4-7"])
def test_an_adaptive_model_never_gets_r12_for_a_turn_without_thinking(
    tmp_path: Path, model: str
) -> None:
    assert check_file(_session(tmp_path, model, ON)).errors == []


def test_thinking_recorded_off_at_the_last_prompt_is_not_r12(tmp_path: Path) -> None:
    assert check_file(_session(tmp_path, "claude-sonnet-4-5-20250929", OFF)).errors == []


THINKING_ON = {"type": "enabled", "budget_tokens": 2048}


def _body(tmp_path: Path, **settings: object) -> Path:
    """A request body whose open tool loop starts with a tool_use and no thinking."""
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "t", "signature": "s"},
                {"type": "text", "text": "ok"},
            ],
        },
        {"role": "user", "content": "again"},
        {
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {}}],
        },
        {
            "role": "user",
            "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "x"}],
        },
    ]
    path = tmp_path / "body.json"
    path.write_bytes(orjson.dumps({"messages": messages, **settings}))
    return path


@pytest.mark.parametrize(
    ("settings", "r12"),
    [
        (
            {"model": "claude-sonnet-4-5", "thinking": {"type": "enabled", "budget_tokens": 2048}},
            True,
        ),
        ({"model": "claude-sonnet-4-5", "thinking": {"type": "disabled"}}, False),
        (
            {"model": "claude-opus-4-6", "thinking": {"type": "enabled", "budget_tokens": 2048}},
            False,
        ),
        ({"model": "claude-opus-4-6", "thinking": {"type": "adaptive"}}, False),
        ({"model": "claude-sonnet-4-5"}, True),  # it does not say: the blocks tell
    ],
)
def test_a_request_body_says_itself_whether_thinking_is_on(
    tmp_path: Path, settings: dict[str, object], r12: bool
) -> None:
    rules = {f.rule for f in check_file(_body(tmp_path, **settings)).errors}
    assert (Rule.R12 in rules) is r12

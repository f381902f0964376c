"""A view built on the previous one is the view built from scratch, append after append."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest

from inspector.live import LiveSession
from inspector.tui.conversation_view import ConversationView, build_view
from tests.agents.claude_code.test_claude_tail import random_transcript, transcript_lines
from tests.conftest import SAMPLES, realworld_main_params


def view_values(view: ConversationView) -> dict[str, Any]:
    def call_values(row: Any) -> tuple[Any, ...]:
        return (
            row.key,
            row.call.tool_id,
            row.status,
            row.message_index,
            row.subagent_path,
            row.agent_id,
        )

    return {
        "items": [(item.key, item.anchor) for item in view.items],
        "rows": [
            (
                row.key,
                row.index,
                [call_values(call) for call in row.calls],
                row.findings,
                row.worst,
                row.severity,
            )
            for row in view.rows
        ],
        "calls": {key: call_values(row) for key, row in view.calls.items()},
        "problems": [(p.finding, p.message_index, p.item_key, p.call_key) for p in view.problems],
    }


def follow(source: Path, folder: Path, seed: int) -> None:
    lines = source.read_bytes().splitlines(keepends=True)
    path = folder / source.name
    path.write_bytes(b"")
    session = LiveSession(path)
    view: ConversationView | None = None
    rng = random.Random(seed)
    position = 0
    earlier: list[tuple[ConversationView, dict[str, Any]]] = []
    while position < len(lines):
        step = rng.randint(1, 4)
        with path.open("ab") as handle:
            handle.write(b"".join(lines[position : position + step]))
        position += step
        snapshot = session.refresh()
        if snapshot is None:
            continue
        view = build_view(path, snapshot, [], view)
        values = view_values(view)
        assert values == view_values(build_view(path, snapshot, [])), position
        if len(earlier) < 40:
            earlier.append((view, values))
    # Later views share rows with earlier ones: the earlier ones must not have changed.
    for kept, values in earlier:
        assert view_values(kept) == values


@pytest.mark.parametrize("source", sorted(SAMPLES.glob("*.jsonl")), ids=lambda p: p.name)
def test_samples(source: Path, tmp_path: Path) -> None:
    if (SAMPLES / source.stem).is_dir():
        shutil.copytree(SAMPLES / source.stem, tmp_path / source.stem)
    follow(source, tmp_path, seed=1)


@pytest.mark.parametrize("source", realworld_main_params())
def test_real_sessions(source: Path, tmp_path: Path) -> None:
    follow(source, tmp_path, seed=2)


@pytest.mark.parametrize("seed", range(20))
def test_random_shapes(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    rows = random_transcript(rng, rng.randint(20, 90))
    source = transcript_lines(tmp_path / "source.jsonl", rows)
    folder = tmp_path / "live"
    folder.mkdir()
    follow(source, folder, seed)

"""A followed session's view: when a refresh rebuilds it, and when it has nothing new."""

from __future__ import annotations

import shutil
from pathlib import Path

from inspector.tui.conversation_view import ConversationModel, LooseSubagentRow
from tests.conftest import SAMPLES
from tests.support.synthetic import SessionWriter


def loose_paths(model: ConversationModel, **refresh: bool) -> list[Path] | None:
    view = model.refresh(**refresh)
    if view is None:
        return None
    return [item.path for item in view.items if isinstance(item, LooseSubagentRow)]


def test_a_poll_rebuilds_only_when_the_subagent_files_changed(tmp_path: Path) -> None:
    path = tmp_path / "orphan-tool-use.jsonl"
    shutil.copy(SAMPLES / "orphan-tool-use.jsonl", path)
    model = ConversationModel(path)
    assert loose_paths(model) == []
    assert loose_paths(model, rescan=True) is None

    subagent = tmp_path / "orphan-tool-use" / "subagents" / "agent-a1b2c3d4.jsonl"
    subagent.parent.mkdir(parents=True)
    writer = SessionWriter(seed=4)
    writer.prompt("Look for duplicates")
    writer.write(subagent)
    assert loose_paths(model) is None  # the session did not change: no event, no rebuild
    assert loose_paths(model, rescan=True) == [subagent]
    assert loose_paths(model, rescan=True) is None

    subagent.unlink()
    assert loose_paths(model, rescan=True) == []
    assert loose_paths(model, force=True) == []  # forced: rebuilt even with nothing new

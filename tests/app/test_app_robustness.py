"""Odd content and failing workers never stop the app silently: timestamps out of range,
a watcher or picker worker that raises, a file the health check does not expect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest

import inspector.tui.app
import inspector.tui.health
import inspector.tui.screens.picker
from inspector.agents import NotATranscript
from inspector.batch import Checked
from inspector.tui.app import InspectorApp
from inspector.tui.conversation_view import NodeKind
from inspector.tui.health import Badge, Health, badge_of
from inspector.tui.labels import clock
from inspector.tui.screens.picker import SessionPicker
from tests.app.helpers import SIZE, copy_sample, labels, loaded, nodes_of, open_app, wait_for


def notified(app: InspectorApp, text: str) -> int:
    return sum(1 for n in app._notifications if text in str(n.message))


def retimed(path: Path, stamps: dict[int, str]) -> None:
    """Give lines of ``path`` (1-based) other timestamps."""
    lines = path.read_bytes().splitlines()
    for number, stamp in stamps.items():
        value = orjson.loads(lines[number - 1])
        value["timestamp"] = stamp
        lines[number - 1] = orjson.dumps(value)
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "soon", ""]
)
def test_clock_never_raises(stamp: str) -> None:
    assert clock(stamp) == "--:--:--"


async def test_odd_timestamps_keep_the_tree(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    # The prompt: out of range in UTC. The first call has no zone, its result has one.
    retimed(path, {3: "0001-01-01T00:00:00+14:00", 5: "2026-03-02T09:14:45.251"})
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert any("--:--:--" in label for label in labels(app))
        for message in nodes_of(app, NodeKind.MESSAGE):
            message.expand()
        await wait_for(pilot, lambda: len(nodes_of(app, NodeKind.CALL)) >= 3, "the calls")
        for call in nodes_of(app, NodeKind.CALL):
            call.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.RESULT), "the results")
        await pilot.pause()
        assert any("+5.4s" in label for label in labels(app))  # 09:14:45.251 → 09:14:50.612Z
        assert app.is_running


async def test_a_failing_watcher_is_reported_once_and_restarted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def broken(*args: Any, **kwargs: Any) -> AsyncIterator[set[Any]]:
        calls.append(1)
        raise RuntimeError("watch broke")
        yield set()  # an async generator, like awatch

    monkeypatch.setattr(inspector.tui.app, "awatch", broken)
    monkeypatch.setattr(inspector.tui.app, "POLL_MS", 20)
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: len(calls) >= 3, "the watcher started again")
        assert notified(app, "watch broke") == 1


async def test_a_failing_picker_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(scope: Path | None, root: Path) -> Any:
        raise ValueError("listing broke")

    monkeypatch.setattr(inspector.tui.screens.picker, "_list_sessions", broken)
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("s")
        await wait_for(pilot, lambda: notified(app, "listing broke"), "the error")
        assert isinstance(app.screen, SessionPicker)
        assert app.is_running


def test_an_unexpected_file_gets_an_unreadable_badge(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    failure = f"{path}: internal error: RecursionError: too deep"
    assert badge_of(Checked(path, None, failure)) == Badge("? unreadable", "dim", Health.UNKNOWN)
    not_one = str(NotATranscript(path, "no line is a message"))
    assert badge_of(Checked(path, None, not_one)).text == "? not a transcript"


def test_sizes_are_named_in_binary_units() -> None:
    from inspector.tui.labels import byte_size

    assert [byte_size(n) for n in (0, 1023, 1024, 100_100_000, 5 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "95.5 MiB",  # a 100.1 MB file: MiB, not "95.5 MB"
        "5.0 GiB",
    ]

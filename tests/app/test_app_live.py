"""Live following: appended lines, pending calls answered, follow on/off, restarts."""

from __future__ import annotations

import gc
import os
from pathlib import Path

import orjson

from inspector.rules import CallStatus
from inspector.tui.app import InspectorApp
from inspector.tui.conversation_view import NodeKind
from tests.app.helpers import (
    SIZE,
    append,
    copy_sample,
    cursor_label,
    loaded,
    nodes_of,
    open_app,
    status_text,
    tree_text,
    wait_for,
)
from tests.support.synthetic import SessionWriter, bash_call, batch_being_written, read_call


def pending_session(path: Path) -> tuple[SessionWriter, str]:
    """A session that ends on a call whose result is not written yet."""
    writer = SessionWriter(seed=11)
    writer.prompt("Run the tests")
    batch = writer.tool_batch([bash_call("pytest -q", "3 passed")], defer_results=[0])
    writer.write(path)
    return writer, batch.tool_ids[0]


async def test_pending_call_turns_answered_when_its_result_lands(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    writer, tool_id = pending_session(path)
    written = len(writer.lines())
    app = open_app(path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        message = next(n for n in nodes_of(app, NodeKind.MESSAGE) if n.allow_expand)
        message.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.CALL), "the call")
        call = nodes_of(app, NodeKind.CALL)[0]
        assert str(call.label).startswith("… pending  ")  # the status before the text
        writer.late_result(tool_id)
        writer.assistant_text("All 3 tests pass.")
        append(path, writer.lines()[written:])
        await wait_for(pilot, lambda: "✓" in str(call.label), "the call answered")
        assert "pending" not in str(call.label)
        assert call.allow_expand
        call.expand()
        await wait_for(pilot, lambda: nodes_of(app, NodeKind.RESULT), "its result row")
        await wait_for(pilot, lambda: "All 3 tests pass." in tree_text(app), "the new message")
        await wait_for(pilot, lambda: cursor_label(app).startswith("#3 "), "follow to the tail")


async def test_partial_line_waits_for_its_end(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    writer, _ = pending_session(path)
    writer.prompt("Never mind, stop.")
    line = writer.lines()[-1]
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        count = app.main.view.message_count if app.main and app.main.view else 0
        with path.open("ab") as handle:
            handle.write(line[:40])
        await pilot.pause(0.3)
        assert app.main is not None
        assert app.main.view is not None
        assert app.main.view.message_count == count
        with path.open("ab") as handle:
            handle.write(line[40:] + b"\n")
        await wait_for(pilot, lambda: "Never mind, stop." in tree_text(app), "the completed line")


def long_session(path: Path, turns: int) -> SessionWriter:
    writer = SessionWriter(seed=21)
    for n in range(turns):
        writer.prompt(f"Question {n}")
        writer.tool_batch([read_call(f"/src/module_{n}.py", "x = 1\n")])
        writer.assistant_text(f"Answer {n}.")
    writer.write(path)
    return writer


async def test_follow_off_keeps_the_view_still(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    writer = long_session(path, 30)
    written = len(writer.lines())
    app = open_app(path, follow=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        tree = app.tool_tree
        target = next(n for n in nodes_of(app, NodeKind.MESSAGE) if "#40 " in str(n.label))
        tree.reveal(target)
        await wait_for(pilot, lambda: cursor_label(app).startswith("#40 "), "cursor on #40")
        await pilot.pause()
        scroll = tree.scroll_offset.y
        writer.prompt("One more question")
        writer.tool_batch([read_call("/src/extra.py", "y = 2\n")])
        writer.assistant_text("One more answer.")
        append(path, writer.lines()[written:])
        await wait_for(pilot, lambda: "One more answer." in tree_text(app), "the new turn")
        await pilot.pause()
        assert cursor_label(app).startswith("#40 ")
        assert tree.scroll_offset.y == scroll
        assert "not following" in status_text(app)


async def test_follow_on_moves_to_the_newest_turn(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    writer = long_session(path, 30)
    written = len(writer.lines())
    app = open_app(path, follow=False)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        first = nodes_of(app, NodeKind.MESSAGE)[0]
        app.tool_tree.reveal(first)
        await wait_for(pilot, lambda: cursor_label(app).startswith("#0 "), "cursor on #0")
        await pilot.press("f")
        await wait_for(pilot, lambda: "● following" in status_text(app), "following")
        writer.prompt("Latest question")
        writer.assistant_text("Latest answer.")
        append(path, writer.lines()[written:])
        await wait_for(pilot, lambda: "Latest answer." in cursor_label(app), "cursor on the tail")


async def test_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert "1 error" in status_text(app)
        replacement = tmp_path / "replacement.jsonl"
        writer = SessionWriter(seed=2)
        writer.prompt("A brand new session")
        writer.assistant_text("Hello.")
        writer.write(replacement)
        os.replace(replacement, path)
        await wait_for(pilot, lambda: "A brand new session" in tree_text(app), "the new content")
        assert "config/import.toml" not in tree_text(app)
        assert "0 errors" in status_text(app)


async def test_truncated_file_is_read_again(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:3]))
        await wait_for(
            pilot,
            lambda: (
                app.main is not None
                and app.main.view is not None
                and app.main.view.message_count == 1
            ),
            "the shorter conversation",
        )
        assert "0 errors" in status_text(app)


async def test_new_subagent_file_shows_up(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        folder = tmp_path / "orphan-tool-use" / "subagents"
        folder.mkdir(parents=True)
        agent = SessionWriter(seed=4)
        agent.prompt("Look for duplicates")
        agent.write(folder / "agent-a1b2c3d4.jsonl")
        await wait_for(
            pilot, lambda: nodes_of(app, NodeKind.LOOSE_SUBAGENT), "the running subagent"
        )
        node = nodes_of(app, NodeKind.LOOSE_SUBAGENT)[0]
        assert "agent-a1b2c3d4.jsonl" in str(node.label)
        node.expand()
        await wait_for(pilot, lambda: node.children, "the subagent's messages")
        assert "Look for duplicates" in str(node.children[0].label)


async def test_subagent_file_no_event_announced_shows_up_on_the_poll(tmp_path: Path) -> None:
    # A folder moved in whole is one event for the folder, none for the files in it:
    # only the periodic poll can find the subagent file.
    (tmp_path / "project").mkdir()
    path = copy_sample("orphan-tool-use", tmp_path / "project")
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        elsewhere = tmp_path / "elsewhere" / "orphan-tool-use"
        (elsewhere / "subagents").mkdir(parents=True)
        agent = SessionWriter(seed=4)
        agent.prompt("Look for duplicates")
        agent.write(elsewhere / "subagents" / "agent-a1b2c3d4.jsonl")
        elsewhere.rename(path.parent / "orphan-tool-use")
        await wait_for(
            pilot, lambda: nodes_of(app, NodeKind.LOOSE_SUBAGENT), "the subagent, on the poll"
        )
        assert "agent-a1b2c3d4.jsonl" in str(nodes_of(app, NodeKind.LOOSE_SUBAGENT)[0].label)


async def test_removed_file_is_reported(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        path.unlink()
        await wait_for(pilot, lambda: "the file is gone" in status_text(app), "the error")


async def test_running_subagent_keeps_its_row_while_the_session_grows(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    writer = long_session(path, 2)
    written = len(writer.lines())
    folder = tmp_path / "live" / "subagents"
    folder.mkdir(parents=True)
    agent = SessionWriter(seed=4)
    agent.prompt("Look for duplicates")
    agent.write(folder / "agent-a1b2c3d4.jsonl")
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        node = nodes_of(app, NodeKind.LOOSE_SUBAGENT)[0]
        node.expand()
        await wait_for(pilot, lambda: node.children, "the subagent's messages")
        writer.prompt("Meanwhile, another question")
        append(path, writer.lines()[written:])
        await wait_for(pilot, lambda: "another question" in tree_text(app), "the new prompt")
        assert nodes_of(app, NodeKind.LOOSE_SUBAGENT) == [node]
        assert node.is_expanded
        assert tree_text(app).endswith("Look for duplicates")


async def test_what_a_read_keeps_is_left_out_of_collections(tmp_path: Path) -> None:
    """After a read the session's structure is frozen (full collections skip it); a
    restart and quitting hand it back to the collector."""
    gc.unfreeze()
    path = copy_sample("healthy-parallel", tmp_path)
    app = open_app(path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert gc.get_freeze_count() > 0
        lines = path.read_bytes().splitlines(keepends=True)
        path.write_bytes(b"".join(lines[:-2]))  # shrank: read again from the start

        def restarted_and_frozen() -> bool:
            snapshot = app.main.model.live.snapshot if app.main else None
            return snapshot is not None and snapshot.restarted and gc.get_freeze_count() > 0

        await wait_for(pilot, restarted_and_frozen, "the re-read, frozen again")
    assert gc.get_freeze_count() == 0


def session_writing_a_batch(path: Path) -> tuple[SessionWriter, list[str], int]:
    """A session whose last response is a batch of two calls, the first one answered:
    (the writer, the call ids, the lines written)."""
    writer = SessionWriter(seed=12)
    tool_ids = batch_being_written(writer)
    writer.write(path)
    return writer, tool_ids, len(writer.lines())


def mark_live(root: Path, session_id: str) -> Path:
    """The record a running Claude Code process keeps for the session it has open."""
    (root / "sessions").mkdir(parents=True, exist_ok=True)
    record = root / "sessions" / f"{os.getpid()}.json"
    record.write_bytes(orjson.dumps({"pid": os.getpid(), "sessionId": session_id}))
    return record


def call_status(app: InspectorApp, tool_id: str) -> CallStatus | None:
    view = app.main.view if app.main is not None else None
    calls = view.snapshot.report.calls if view is not None else []
    return next((call.status for call in calls if call.tool_id == tool_id), None)


async def test_a_batch_being_written_is_running_until_its_client_ends(tmp_path: Path) -> None:
    """While Claude Code writes a parallel batch, the calls without a result yet are
    running, not an error; once its process is gone without them, they are."""
    path = tmp_path / "live.jsonl"
    writer, tool_ids, written = session_writing_a_batch(path)
    record = mark_live(tmp_path / "claude", writer.session_id)
    app = open_app(path, follow=True, root=tmp_path / "claude")
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await wait_for(pilot, lambda: "LIVE (Claude Code pid" in status_text(app), "live mark")
        await wait_for(pilot, lambda: call_status(app, tool_ids[1]) is CallStatus.PENDING, "run")
        assert "0 errors" in status_text(app)
        writer.late_result(tool_ids[1])
        calls = [bash_call("ruff check .", "All checks passed!"), read_call("/srv/a.py", "x")]
        batch = writer.tool_batch(calls, streaming=False, defer_results=[0, 1])
        writer.late_result(batch.tool_ids[0])
        append(path, writer.lines()[written:])
        await wait_for(pilot, lambda: call_status(app, batch.tool_ids[1]) is not None, "batch 2")
        assert call_status(app, tool_ids[1]) is CallStatus.ANSWERED
        assert call_status(app, batch.tool_ids[1]) is CallStatus.PENDING
        assert "0 errors" in status_text(app)
        record.unlink()  # the client ended without the last result: the session is broken
        await wait_for(pilot, lambda: "1 error" in status_text(app), "the error", within=15)
        assert call_status(app, batch.tool_ids[1]) is CallStatus.MISSING


async def test_a_batch_in_a_session_no_client_has_open_is_broken(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    session_writing_a_batch(path)
    app = open_app(path, follow=True)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert "1 error" in status_text(app)

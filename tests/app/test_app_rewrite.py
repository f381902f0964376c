"""Rewind and repair from the app: plan, confirm, write a new session, open it."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import orjson
import pytest

import inspector.tui.app
from inspector.agents import plan_rewrite
from inspector.agents.claude_code.repair import plan_repair
from inspector.rewrite.plan import Action, RewritePlan, RewriteResult, apply
from inspector.tui.app import InspectorApp
from inspector.tui.screens.confirm import RewriteScreen, WrittenScreen, plan_text, result_text
from tests.agents.history.test_rewrite_history import write_codex, write_messages
from tests.agents.test_formats import (
    ANTHROPIC_CASES,
    anthropic_history,
    codex_message,
    codex_output,
)
from tests.app.helpers import SIZE, copy_sample, dialog, loaded, open_app, status_text, wait_for
from tests.conftest import SAMPLES


def jsonl_names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.jsonl"))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_rewind_forks_a_new_session_and_opens_it(tmp_path: Path) -> None:
    path = copy_sample("orphan-tool-use", tmp_path)
    before = sha(path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        screen = await dialog(pilot, app, RewriteScreen)
        assert screen.plan.cut is not None
        assert screen.plan.cut.message_index == 0
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), "the result")
        written = app.screen
        assert isinstance(written, WrittenScreen)
        new_file = written.result.written
        assert new_file is not None
        assert new_file.parent == tmp_path
        assert new_file != path
        assert written.result.resume == f"claude --resume {new_file.stem}"
        await pilot.press("enter")
        await wait_for(pilot, lambda: new_file.name in status_text(app), "the new session")
        await loaded(pilot, app)
        assert "0 errors" in status_text(app)
    assert sha(path) == before


async def test_rewind_can_switch_to_repair_and_cancel(tmp_path: Path) -> None:
    path = copy_sample("duplicate-id", tmp_path)
    app = open_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await dialog(pilot, app, RewriteScreen)
        await pilot.press("tab", "enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, RewriteScreen) and app.screen.plan.action.value == "repair"
            ),
            "the repair plan",
        )
        screen = app.screen
        assert isinstance(screen, RewriteScreen)
        assert screen.plan.changes
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, RewriteScreen), "cancelled")
    assert jsonl_names(tmp_path) == ["duplicate-id.jsonl"]


async def test_nothing_to_rewind_in_a_healthy_session(tmp_path: Path) -> None:
    app = open_app(copy_sample("healthy-parallel", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(
            pilot,
            lambda: any("Nothing to rewind" in str(n.message) for n in app._notifications),
            "the notification",
        )
        assert not isinstance(app.screen, RewriteScreen)


def notified(app: InspectorApp, text: str) -> int:
    """How many notifications say ``text``."""
    return sum(1 for n in app._notifications if text in str(n.message))


async def test_a_write_is_never_abandoned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While a rewind is written, q and r are refused, and the write runs in a thread the
    interpreter waits for (a daemon thread would be killed at exit, halfway)."""
    path = copy_sample("orphan-tool-use", tmp_path)
    started, release = threading.Event(), threading.Event()
    daemon: list[bool] = []

    def slow_apply(plan: RewritePlan, **options: Any) -> RewriteResult:
        daemon.append(threading.current_thread().daemon)
        started.set()
        release.wait(10)
        return apply(plan, **options)

    monkeypatch.setattr(inspector.tui.app, "apply", slow_apply)
    app = open_app(path)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await loaded(pilot, app)
            await pilot.press("r")
            await dialog(pilot, app, RewriteScreen)
            await pilot.press("enter")
            await wait_for(pilot, started.is_set, "the write")
            await pilot.press("q")
            await wait_for(pilot, lambda: notified(app, "being written"), "no quitting")
            assert app.is_running
            await pilot.press("R")
            await wait_for(pilot, lambda: notified(app, "already under way"), "no second plan")
            release.set()
            await wait_for(pilot, lambda: isinstance(app.screen, WrittenScreen), "the result")
            await pilot.press("escape")
            await wait_for(pilot, lambda: app.rewriting is None, "the end of the rewind")
    finally:
        release.set()
    assert daemon == [False]


async def test_an_unexpected_planning_error_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(action: Action, path: Path) -> RewritePlan:
        raise ValueError("planner [bold]broke")

    monkeypatch.setattr(inspector.tui.app, "plan_rewrite", broken)
    app = open_app(copy_sample("orphan-tool-use", tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("r")
        await wait_for(pilot, lambda: notified(app, "planner [bold]broke"), "the error")
        await pilot.press("R")  # not stuck: a new attempt starts and fails the same way
        await wait_for(pilot, lambda: notified(app, "planner [bold]broke") == 2, "again")


def test_no_resume_command_for_an_unsafe_session_id(tmp_path: Path) -> None:
    source = tmp_path / "not-a-uuid.jsonl"
    lines = []
    for raw in (SAMPLES / "orphan-tool-use.jsonl").read_bytes().splitlines():
        value = orjson.loads(raw)
        if "sessionId" in value:
            value["sessionId"] = "$(touch pwned)"
        lines.append(orjson.dumps(value))
    source.write_bytes(b"\n".join(lines) + b"\n")
    past = time.time() - 3600
    os.utime(source, (past, past))
    result = apply(plan_repair(source), in_place=True)
    assert result.resume is None  # so the dialog offers nothing to copy
    shown = "\n".join(
        part.plain for part in result_text(result).renderables if hasattr(part, "plain")
    )
    assert "not a plain id" in shown
    assert "resume  " not in shown


def plan_words(plan: RewritePlan) -> str:
    return "\n".join(part.plain for part in plan_text(plan).renderables if hasattr(part, "plain"))


@pytest.mark.parametrize(
    ("layout", "expected", "absent"),
    [
        ("claude", "Claude Code has the session open", "task"),
        ("roo", "Fork writes a new task folder", "Claude Code"),
        ("cline", "close the task in Cline first", "Claude Code"),
        ("codex", "Fork writes a new rollout", "Claude Code"),
        ("request", "Fork writes evil\\x1b[31m.repaired.json", "\x1b"),
    ],
)
def test_the_choices_fit_the_agent(tmp_path: Path, layout: str, expected: str, absent: str) -> None:
    missing = anthropic_history(ANTHROPIC_CASES["missing result"][0])
    if layout == "claude":
        path = copy_sample("orphan-tool-use", tmp_path)
    elif layout in ("roo", "cline"):
        path, _ = write_messages(tmp_path, f"{layout}-task", missing)
    elif layout == "codex":
        path = write_codex(tmp_path, [codex_output("A"), codex_message("assistant", "done")])
    else:
        path = tmp_path / "evil\x1b[31m.json"
        path.write_bytes(orjson.dumps({"model": "m", "max_tokens": 8, "messages": missing}))
    plan = plan_rewrite(Action.REPAIR, path)
    assert plan.applicable
    words = plan_words(plan)
    assert expected in words
    assert absent not in words

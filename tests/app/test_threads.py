"""Work handed to threads: a waiter that gives up never breaks the thread."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from inspector.tui.threads import in_daemon_thread, start_in_daemon_thread


def slow(value: int) -> int:
    time.sleep(0.2)
    return value


def test_a_waiter_that_gives_up_leaves_the_thread_to_finish(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))

    async def give_up() -> None:
        future = start_in_daemon_thread(lambda: slow(1), name="test-early")
        waiting = asyncio.ensure_future(asyncio.wrap_future(future))
        await asyncio.sleep(0.01)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        await asyncio.sleep(0.4)
        assert future.result() == 1  # delivered, although nobody waits any more

    asyncio.run(give_up())
    assert failures == []


def test_results_and_errors_come_back() -> None:
    async def run() -> None:
        assert await in_daemon_thread(lambda: slow(7)) == 7
        with pytest.raises(ZeroDivisionError):
            await in_daemon_thread(lambda: 1 // 0)

    asyncio.run(run())

"""Blocking work off the UI thread, without holding the process open at exit.

``asyncio.to_thread`` and Textual's thread workers use the loop's default executor,
whose threads are joined when the interpreter exits: quitting while a 100 MB
transcript is being parsed would wait for the parse to finish. A daemon thread is
abandoned instead, so ``q`` is instant; an awaiting worker that is cancelled simply
stops waiting and the result is dropped.

Writing is the exception (:func:`in_write_thread`): a write killed halfway would leave
temporary files, or a session folder without its transcript, behind. It runs in a
thread that is not a daemon, which the interpreter waits for before it exits.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from textual.worker import Worker

from inspector.core.safe_text import one_line

T = TypeVar("T")


def start_in_daemon_thread(function: Callable[[], T], name: str = "inspector-io") -> Future[T]:
    """Start ``function`` now in a daemon thread (before any event loop runs, say)."""
    return _start(function, name, daemon=True)


async def in_daemon_thread(function: Callable[[], T], name: str = "inspector-io") -> T:
    """Run ``function`` in a new daemon thread and await its result (or exception)."""
    return await asyncio.wrap_future(_start(function, name, daemon=True))


async def in_write_thread(function: Callable[[], T], name: str = "inspector-write") -> T:
    """Run ``function`` (a write) in a new thread the interpreter waits for at exit, and
    await its result: quitting, or a cancelled worker, never stops it halfway."""
    return await asyncio.wrap_future(_start(function, name, daemon=False))


def _start(function: Callable[[], T], name: str, *, daemon: bool) -> Future[T]:
    future: Future[T] = Future()
    # Running from the start: a waiter that gives up cannot cancel it, so the thread can
    # always deliver (a cancelled future would refuse the result and raise in the thread).
    future.set_running_or_notify_cancel()

    def run() -> None:
        try:
            future.set_result(function())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name=name, daemon=daemon).start()
    return future


def failure_text(worker: Worker[Any]) -> str:
    """One printable line: which background task failed, and why."""
    what = worker.description or worker.name or "a background task"
    error = worker.error
    reason = f"{type(error).__name__}: {error}" if error is not None else "unknown error"
    return one_line(f"{what} failed: {reason}", 300)

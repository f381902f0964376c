"""Checking many session files at once: every core, and what earlier runs found.

Each file is first looked up in the result cache (:mod:`inspector.cache`), here, in
this process: a stat and a few KB read per file. What the cache cannot answer is checked
by a pool of worker processes, one per core, the biggest files first so that no big file
is left to run alone at the end; a file that only grew since it was cached is read from
its checkpoint on. One file alone is checked here, where a big one is read on two cores
(:mod:`inspector.agents.claude_code.split_read`); in a pool each worker keeps to its core.

Nothing here imports Textual: ``inspector check`` and the app's session picker both use it.
"""

from __future__ import annotations

import gc
import hashlib
import os
import threading
from collections.abc import Generator, Iterable
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector import __version__
from inspector.agents import FORMATS, NotATranscript, load_continued
from inspector.cache import ResultCache, Stamp, Stored
from inspector.check import report_dict
from inspector.core import cores
from inspector.core.agent import Checkpoint
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.json_out import path_text
from inspector.core.os_errors import describe_failure
from inspector.resume import preview_resume
from inspector.rules import validate

if TYPE_CHECKING:  # the pool is imported when one starts: a single file needs none
    from multiprocessing.pool import Pool

FROM_CACHE = "cache"
CONTINUED = "continued"
"""Read from a checkpoint on: only the bytes appended since the last run."""
READ = "read"

_COLLECT_EVERY_BYTES = 32 * 1024 * 1024
_BATCH_BYTES = 48 * 1024 * 1024
"""What a forked worker reads before it ends (its garbage is freed with it)."""
_BATCH_FILES = 64
"""A worker collects its garbage after this much file read (a read's entries and blocks
refer to each other: only the cyclic collector frees them)."""


@dataclass(frozen=True, slots=True)
class Checked:
    """One file's outcome."""

    path: Path
    result: dict[str, Any] | None
    """The ``check --json`` report (None: not checked, see :attr:`failure`)."""
    failure: str | None = None
    """Why it could not be checked, in one line naming the path."""
    how: str = READ
    """:data:`FROM_CACHE`, :data:`CONTINUED` or :data:`READ`."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What every file is checked with (sent once to each worker)."""

    format_name: str | None = None
    client: ClientChoice = NEWEST_KNOWN
    cache_root: Path | None = None
    """Where results are kept between runs (None: nothing is kept or looked up)."""


def check_many(
    paths: Iterable[Path],
    settings: Settings,
    *,
    jobs: int | None = None,
    biggest_first: bool = True,
) -> Generator[Checked, None, None]:
    """Check every file; yield each outcome as soon as it is known (cached ones first).

    ``jobs``: worker processes (default: one per core this process may use).
    ``biggest_first``: hand the workers the biggest files first (else in the given order,
    for a caller that shows the first ones first). Closing the iterator stops the workers.
    """
    checker = FileChecker(settings)
    left: list[tuple[Path, int]] = []
    for path in paths:
        cached, size = checker.cached(path)
        if cached is not None:
            yield cached
        else:
            left.append((path, size))
    if biggest_first:
        left.sort(key=lambda item: -item[1])
    workers = min(jobs or usable_cores(), len(left))
    if workers <= 1:
        for path, size in left:
            yield checker.check(path)
            _collect_now_and_then(size)
        return
    recycled = _can_fork()
    batches = _batches(left, workers) if recycled else [[item] for item in left]
    pool = _start_pool(workers, settings, recycled)
    try:
        for outcomes in pool.imap_unordered(_check_in_worker, batches):
            yield from outcomes
        pool.close()
    finally:
        pool.terminate()
        pool.join()


def _batches(files: list[tuple[Path, int]], workers: int) -> list[list[tuple[Path, int]]]:
    """The files, in order, as batches of up to :data:`_BATCH_BYTES` (and a few per
    worker at least, so that the last ones are small and end together)."""
    total = sum(size for _, size in files)
    limit = max(1, min(_BATCH_BYTES, total // (workers * 4)))
    batches: list[list[tuple[Path, int]]] = []
    batch: list[tuple[Path, int]] = []
    held = 0
    for path, size in files:
        if batch and (held + size > limit or len(batch) >= _BATCH_FILES):
            batches.append(batch)
            batch, held = [], 0
        batch.append((path, size))
        held += size
    if batch:
        batches.append(batch)
    return batches


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class FileChecker:
    """Checks one file at a time, through the cache when there is one."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cache = None if settings.cache_root is None else ResultCache(settings.cache_root)
        self._contexts: dict[str, str] = {}

    def cached(self, path: Path) -> tuple[Checked | None, int]:
        """The stored outcome when the file did not change since, and the file's size."""
        try:
            now = Stamp.of(os.stat(path))
        except OSError:
            return None, 0  # said when it is checked
        stored = self._stored(path, now, grown=False)
        if stored is None:
            return None, now.size
        return _outcome(path, stored.result), now.size

    def _stored(self, path: Path, now: Stamp, *, grown: bool) -> Stored | None:
        """What the cache holds for the file that this run may use: a fresh result, or
        (``grown``) a checkpoint to continue from; found in the same context."""
        if self.cache is None:
            return None
        stored = self.cache.lookup(path, now, grown=grown)
        if stored is None or stored.context != self.context(stored.format):
            return None
        return stored

    def check(self, path: Path) -> Checked:
        """Check the file: from its checkpoint on if it only grew, else whole."""
        try:
            return self._check(path)
        except (OSError, NotATranscript) as error:
            return Checked(path, None, describe_failure(error, path))
        except Exception as error:  # a bug: one file's, not the whole run's end
            return Checked(path, None, f"{path}: internal error: {type(error).__name__}: {error}")

    def _check(self, path: Path) -> Checked:
        read = Stamp.of(os.stat(path))
        stored = self._stored(path, read, grown=True)
        if stored is not None and stored.fresh:
            return _outcome(path, stored.result)
        checkpoint: Checkpoint | None = None if stored is None else stored.checkpoint
        format_name = self.settings.format_name or (None if stored is None else stored.format)
        try:
            found_format, loaded = load_continued(
                path, format_name, checkpoint, self.settings.client
            )
        except NotATranscript as error:
            # A file that is not a conversation is kept as such too: its answer is cheap
            # to give again (no one else's file is read twice).
            self._keep(path, read, "", {"not_a_conversation": error.what}, None)
            raise
        report = validate(loaded.conversation)
        result = report_dict(report, preview_resume(report))
        self._keep(path, read, found_format, result, loaded.checkpoint)
        return Checked(path, result, None, READ if checkpoint is None else CONTINUED)

    def _keep(
        self, path: Path, read: Stamp, found: str, result: Any, checkpoint: Checkpoint | None
    ) -> None:
        if self.cache is not None:
            self.cache.store(
                path,
                read,
                format_name=found,
                context=self.context(found),
                result=result,
                checkpoint=checkpoint,
            )

    def context(self, format_name: str) -> str:
        """What a result of this format depends on besides the file: the code that found
        it, the format it was told to read, and the client release the agent follows."""
        known = self._contexts.get(format_name)
        if known is None:
            agent = FORMATS.get(format_name)
            release = None if agent is None else agent.client_release(self.settings.client)
            followed = "" if release is None else release.describe()
            known = f"{code_version()}|{self.settings.format_name or ''}|{followed}"
            self._contexts[format_name] = known
        return known


@cache
def code_version() -> str:
    """The inspector's version and a fingerprint of its code (name, size, time of every
    file of the package): a result is never served to other code than the one that
    found it, installed or edited in place."""
    package = Path(__file__).resolve().parent
    digest = hashlib.blake2b(digest_size=12)
    for folder, folders, names in os.walk(package):
        folders[:] = sorted(name for name in folders if name != "__pycache__")
        for name in sorted(names):
            if name.endswith((".py", ".tcss")):
                found = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{found.st_size}:{found.st_mtime_ns};".encode())
    return f"{__version__}+{digest.hexdigest()}"


def _outcome(path: Path, result: Any) -> Checked:
    if isinstance(result, dict) and "not_a_conversation" in result:
        failure = str(NotATranscript(path, result["not_a_conversation"]))
        return Checked(path, None, failure, FROM_CACHE)
    if not isinstance(result, dict):
        raise TypeError("a cached result is not an object")
    return Checked(path, result | {"path": path_text(path)}, None, FROM_CACHE)


# ------------------------------------------------------------------------ the pool

_worker: FileChecker | None = None
_collects = True
_read_since_collect = 0


def _start_pool(workers: int, settings: Settings, recycled: bool) -> Pool:
    """Worker processes. Forked (cheap, and safe from a process with no other thread),
    each takes one batch and ends: what it read is freed by its exit, never walked by the
    cyclic collector. Started fresh (the app has threads), each lives on and collects
    its garbage now and then."""
    import multiprocessing

    context = multiprocessing.get_context("fork" if recycled else "spawn")
    return context.Pool(
        workers,
        _start_worker,
        (_picklable(settings), recycled),
        maxtasksperchild=1 if recycled else None,
    )


def _picklable(settings: Settings) -> Settings:
    """``os.environ`` cannot be sent to another process: a copy of it can."""
    client = settings.client
    if client.environ is None:
        return settings
    return replace(settings, client=replace(client, environ=dict(client.environ)))


def _can_fork() -> bool:
    return hasattr(os, "fork") and threading.active_count() == 1


def _start_worker(settings: Settings, recycled: bool) -> None:
    global _worker, _collects
    cores.one_per_process()
    # What was imported stays: leave it out of every collection.
    gc.freeze()
    gc.disable()
    _worker = FileChecker(settings)
    _collects = not recycled


def _check_in_worker(batch: list[tuple[Path, int]]) -> list[Checked]:
    assert _worker is not None
    outcomes = []
    for path, size in batch:
        outcomes.append(_worker.check(path))
        if _collects:
            _collect_now_and_then(size)
    return outcomes


def _collect_now_and_then(size: int) -> None:
    """Free the reads of the files checked so far, once in a while (with the collector
    off, as :func:`_start_worker` and ``inspector check`` leave it, they would stay)."""
    global _read_since_collect
    _read_since_collect += size
    if _read_since_collect > _COLLECT_EVERY_BYTES:
        gc.collect()
        _read_since_collect = 0

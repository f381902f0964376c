"""Whether this process may spread the reading of one file over several cores.

A process that is one of a pool (:mod:`inspector.batch`) already has its core: reading a
big file in two processes there would only take a core from another worker.
"""

from __future__ import annotations

_one_core = False


def one_per_process() -> None:
    """This process is one of a pool: keep each read to this process."""
    global _one_core
    _one_core = True


def may_read_on_several() -> bool:
    return not _one_core

"""Keeping the cyclic garbage collector off an open session's entries.

A 100 MB session keeps hundreds of thousands of container objects alive for as
long as it is open, and every full collection walks them all: 0.1 to 0.3 s holding
the GIL, so the UI stalls and a refresh after an append takes twice as long. Once
the whole file is read, what is alive is moved out of the collector's reach
(:func:`gc.freeze`): later collections only look at what came after.

Frozen objects are still freed by reference counting, but never by the collector:
anything frozen that later dies in a reference cycle stays in memory. So this runs
only after a whole read (the entries live until the file is closed or re-read, and
the first view is not yet referenced by the UI), never after each append (the UI
holds the previous view in cycles of its own); and entries, which refer to their
blocks and back, are handed back to the collector when the file is dropped.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_handed_back = False
"""Objects were unfrozen since the last freeze: some may be garbage in cycles."""


def keep_out_of_collections(*, restarted: bool) -> None:
    """After reading a whole file: leave what is alive now to reference counting.

    What was handed back to the collector (a previous session's entries) or dropped by
    a restart (the file was read again from the start) is collected first: freezing
    it again would keep it in memory for good. A restart also freezes the view the UI
    still shows (one view, once per restart: bounded).
    """
    global _handed_back
    if restarted:
        gc.unfreeze()
        _handed_back = True
    if _handed_back:
        gc.collect()
        _handed_back = False
    gc.freeze()


def return_to_collections() -> None:
    """Let the collector see (and free) everything frozen so far."""
    global _handed_back
    gc.unfreeze()
    _handed_back = True


@contextmanager
def rarely_collected(threshold: int = 100_000) -> Iterator[None]:
    """Run the youngest collections far less often, while a whole file is read.

    Every entry of a big session survives collections, so each full collection walks
    them all again: with the default thresholds a third of a 100 MB read goes to that.
    Rarer collections (not none: the UI thread keeps allocating) cost nothing later.
    """
    thresholds = gc.get_threshold()
    gc.set_threshold(threshold, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)

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


def keep_out_of_collections(*, restarted: bool) -> None:
    """After reading a whole file: leave what is alive now to reference counting.

    ``restarted``: the file was read again from the start, so the previous entries
    are garbage: collect them before freezing the new ones.
    """
    if restarted:
        return_to_collections()
        gc.collect()
    gc.freeze()


def return_to_collections() -> None:
    """Let the collector see (and free) everything frozen so far."""
    gc.unfreeze()

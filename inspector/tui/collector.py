"""Keeping the cyclic garbage collector off an open session's structure.

A 100 MB session keeps about a million objects alive for as long as it is open, and
every full collection walks them all: 0.1 to 0.3 s holding the GIL, so the UI stalls
and a refresh after an append takes twice as long. After each read, what is alive
is moved out of the collector's reach (:func:`gc.freeze`): collections then look
only at what is new. Frozen objects are still freed by reference counting, but
entries and their blocks refer to each other, so a structure that is dropped (the
file was replaced, another session opened) is handed back to the collector first.
"""

from __future__ import annotations

import gc


def keep_out_of_collections(*, restarted: bool) -> None:
    """After a read: leave what is alive now to reference counting alone.

    ``restarted``: the file was read again from the start, so the previous structure
    is garbage: collect it before freezing the new one.
    """
    if restarted:
        return_to_collections()
        gc.collect()
    gc.freeze()


def return_to_collections() -> None:
    """Let the collector see (and free) everything frozen so far."""
    gc.unfreeze()

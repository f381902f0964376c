"""What the app freezes after a read is freed once it is handed back, even in cycles."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest

from inspector.tui.collector import (
    keep_out_of_collections,
    rarely_collected,
    return_to_collections,
)
from inspector.tui.conversation_view import ConversationModel
from tests.conftest import SAMPLES


class Node:
    """A stand-in for an entry and its blocks, which refer to each other."""

    def __init__(self) -> None:
        self.partner: Node | None = None


def cycle() -> weakref.ref[Node]:
    first, second = Node(), Node()
    first.partner, second.partner = second, first
    return weakref.ref(first)


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Nothing frozen and nothing pending when a test starts (earlier app tests freeze)."""
    return_to_collections()
    keep_out_of_collections(restarted=False)  # collects what was handed back
    gc.unfreeze()  # behind the module's back: nothing counts as handed back now
    yield
    return_to_collections()
    gc.collect()


def test_a_frozen_cycle_survives_collections() -> None:
    kept = cycle()
    keep_out_of_collections(restarted=False)
    gc.collect()
    assert kept() is not None


def test_handed_back_then_frozen_again_it_is_collected_first() -> None:
    """Another session opened: the previous one's cycles must not be frozen again."""
    dropped = cycle()
    keep_out_of_collections(restarted=False)
    return_to_collections()
    keep_out_of_collections(restarted=False)
    assert dropped() is None


def test_a_restart_collects_what_the_previous_read_held() -> None:
    dropped = cycle()
    keep_out_of_collections(restarted=False)
    keep_out_of_collections(restarted=True)
    assert dropped() is None


def test_only_a_read_from_the_start_counts_as_whole(tmp_path: Path) -> None:
    """The app freezes after whole reads only: never after an append (a watcher that is
    started again after an error refreshes, it does not read the file again)."""
    path = tmp_path / "session.jsonl"
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:10]))
    model = ConversationModel(path)
    assert model.refresh() is not None
    assert model.read_whole
    path.write_bytes(b"".join(lines))
    assert model.refresh() is not None
    assert not model.read_whole
    path.write_bytes(b"".join(lines[:5]))
    assert model.refresh() is not None
    assert model.read_whole


def test_rarely_collected_restores_the_thresholds() -> None:
    before = gc.get_threshold()
    with rarely_collected(12_345):
        assert gc.get_threshold()[0] == 12_345
    assert gc.get_threshold() == before

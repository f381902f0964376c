"""Shared fixtures: where the real transcripts and the samples are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_sessions"
DATA = Path(__file__).resolve().parent / "data"
REALWORLD = Path(os.environ.get("INSPECTOR_REALWORLD", REPO.parent / "shared" / "realworld"))


def realworld_files() -> list[Path]:
    """Every real transcript in ../shared/realworld (empty when it is not there)."""
    if not REALWORLD.is_dir():
        return []
    return sorted(REALWORLD.rglob("*.jsonl"))


@pytest.fixture
def realworld() -> Path:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    return REALWORLD

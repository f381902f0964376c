"""Shared fixtures: where the real transcripts and the samples are."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


def realworld_main_params() -> list[Any]:
    """The main (not subagent) real transcripts as pytest params; a skip when absent."""
    if not REALWORLD.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{REALWORLD} not found"))]
    files = [
        path
        for path in realworld_files()
        if not path.name.startswith("agent-") and "subagents" not in path.parts
    ]
    return [pytest.param(path, id=path.relative_to(REALWORLD).as_posix()) for path in files]


@pytest.fixture
def realworld() -> Path:
    if not REALWORLD.is_dir():
        pytest.skip(f"real transcripts not found at {REALWORLD}")
    return REALWORLD


@pytest.fixture(autouse=True)
def own_cache_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """Each test keeps check results in a folder of its own, never the user's cache."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("INSPECTOR_CACHE_DIR", str(folder))
    return folder

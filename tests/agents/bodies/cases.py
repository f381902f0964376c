"""Small request bodies the project writes, one per case, for every body format: the
opening prompt, an assistant turn calling A and B, then what the case says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

RECORDINGS = REPO.parent / "shared" / "realworld-external" / "opencode-recordings" / "requests"

CASES = ("healthy", "missing result", "orphan result", "reordered", "interleaved")


def recorded(folder: str) -> list[Any]:
    """The recorded request bodies of a provider (skipped when the folder is absent)."""
    found = sorted((RECORDINGS / folder).glob("*.request.json"))
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"{RECORDINGS} not found"))]
    return [pytest.param(path, id=path.name) for path in found]


def need(path: Path | None) -> Path:
    assert path is not None
    return path

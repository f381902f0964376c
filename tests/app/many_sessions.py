"""A Claude Code config root holding many small real sessions, for the picker at scale.

Used by the picker tests (tens of sessions) and ``benchmarks/bench_picker.py`` (thousands).
Every session is a short synthetic conversation; every ``defect_every``-th one (counted
from the newest) is a copy of ``sample_sessions/orphan-tool-use.jsonl`` (one R1 error),
and the one after it a copy of ``out-of-order.jsonl`` (one warning).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SAMPLES
from tests.support.synthetic import SessionWriter, grep_call, read_call

PROJECTS = ("shop-api", "billing", "search-ui", "ledger", "notify")
NEWEST = 1_767_225_600  # 2026-01-01 00:00 UTC
TOPICS = ("cache", "retry", "invoice", "tenant", "queue", "schema", "cursor", "quota")


@dataclass(frozen=True, slots=True)
class Planted:
    """What the root holds: each session's file, newest first, and the planted defects."""

    paths: list[Path]
    errors: set[Path]
    warnings: set[Path]

    def project_of(self, path: Path) -> str:
        return path.parent.name


def project_folder(name: str) -> str:
    return f"-home-dev-projects-{name}"


def write_root(root: Path, count: int, *, defect_every: int = 10) -> Planted:
    """``count`` sessions under ``root/projects``, one minute apart (index 0 newest)."""
    projects = root / "projects"
    paths: list[Path] = []
    errors: set[Path] = set()
    warnings: set[Path] = set()
    for index in range(count):
        project = PROJECTS[index % len(PROJECTS)]
        folder = projects / project_folder(project)
        folder.mkdir(parents=True, exist_ok=True)
        session_id = f"{index:08d}-0000-4000-8000-{index:012d}"
        target = folder / f"{session_id}.jsonl"
        if defect_every and index % defect_every == 1:
            shutil.copy(SAMPLES / "orphan-tool-use.jsonl", target)
            errors.add(target)
        elif defect_every and index % defect_every == 2:
            shutil.copy(SAMPLES / "out-of-order.jsonl", target)
            warnings.add(target)
        else:
            target.write_bytes(_session(index, session_id, project))
        when = NEWEST - 60 * index
        os.utime(target, (when, when))
        paths.append(target)
    return Planted(paths, errors, warnings)


def _session(index: int, session_id: str, project: str) -> bytes:
    topic = TOPICS[index % len(TOPICS)]
    writer = SessionWriter(seed=index, session_id=session_id, cwd=f"/home/dev/projects/{project}")
    writer.prompt(f"Session {index}: why does the {topic} code fail?")
    writer.tool_batch(
        [
            grep_call(f"def {topic}", [f"app/{topic}.py:12:def {topic}(x):"]),
            read_call(f"/srv/app/{topic}.py", f"def {topic}(x):\n    return x\n"),
        ],
        text=f"Let me look at the {topic} code.",
    )
    writer.assistant_text(f"The {topic} code never checks its input.")
    return writer.to_bytes()

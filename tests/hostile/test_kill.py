"""SIGKILL at any moment of a rewrite: the original is intact or wholly replaced (with its
backup), a new session is there whole or not at all, and the next run leaves nothing of
ours behind.

``INSPECTOR_KILL_RUNS`` sets the number of kills (default: a few, for CI);
``INSPECTOR_KILL_SEED`` replays one sequence of delays.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest

from inspector.agents.claude_code.repair import plan_repair
from inspector.check import check_file
from inspector.rewrite.plan import apply, is_uuid
from inspector.rewrite.safe_write import STALE_AFTER, TEMP_SUFFIX, sweep_stale
from tests.conftest import REPO, SAMPLES

RUNS = int(os.environ.get("INSPECTOR_KILL_RUNS", "16"))
SEED = int(os.environ.get("INSPECTOR_KILL_SEED", str(random.randrange(1 << 30))))
MODES = [
    ("rewind", False),
    ("repair", False),
    ("rewind", True),
    ("repair", True),
]
STEM = "healthy-parallel"
AGENT = "agent-abac5abbba4ed4f36"
BACKUP = re.compile(r"s\.jsonl\.[0-9]{8}T[0-9]{6}Z(-[0-9]+)?\.bak")
CODE = REPO
"""The code the runs use (``python -m`` imports from its working folder first)."""
MODE_IDS = ["rewind", "repair", "rewind-in-place", "repair-in-place"]


def _backdate(folder: Path, seconds: float) -> None:
    """Every file and folder ``seconds`` old: the session looks idle, and what a killed
    run left looks as old as it would to a run that comes this much later."""
    past = time.time() - seconds
    for top, folders, names in os.walk(folder):
        for name in [*folders, *names]:
            os.utime(Path(top) / name, (past, past), follow_symlinks=False)
    os.utime(folder, (past, past))


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session with a subagent, big enough (~12 MB) that writing it takes a while, and
    broken at its last turn so that rewind and repair both write nearly all of it."""
    folder = tmp_path_factory.mktemp("material")
    entries = [
        orjson.loads(line) for line in (SAMPLES / f"{STEM}.jsonl").read_bytes().split(b"\n") if line
    ]
    entries[7]["message"]["content"][0]["content"] = "x" * 12_000_000
    del entries[57]  # the last parallel result: R1 at the last turn
    (folder / "s.jsonl").write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in entries))
    shutil.copytree(SAMPLES / STEM, folder / "s")
    _backdate(folder, 3600)
    return folder


def _command(action: str, in_place: bool, path: Path) -> list[str]:
    flags = ["--in-place", "--force"] if in_place else []
    return [sys.executable, "-m", "inspector", action, str(path), *flags]


@pytest.fixture(scope="module")
def environment(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    config = tmp_path_factory.mktemp("config")
    (config / "sessions").mkdir()
    return {
        **os.environ,
        "PYTHONPATH": str(CODE),
        "CLAUDE_CONFIG_DIR": str(config),
        "NO_COLOR": "1",
    }


@dataclass
class Reference:
    seconds: float
    size: int
    """Bytes of the written session (ids have the same length in every run)."""
    folder: list[str] = field(default_factory=list)
    """Files of the new session's folder."""


@pytest.fixture(scope="module")
def references(
    material: Path, environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, bool], Reference]:
    """One complete run of each mode: how long it takes and what it writes."""
    found: dict[tuple[str, bool], Reference] = {}
    for action, in_place in MODES:
        work = tmp_path_factory.mktemp("reference")
        shutil.copytree(material, work / "p")
        start = time.monotonic()
        subprocess.run(
            _command(action, in_place, work / "p" / "s.jsonl"),
            env=environment,
            cwd=CODE,
            check=True,
            capture_output=True,
        )
        seconds = time.monotonic() - start
        if in_place:
            found[action, in_place] = Reference(seconds, (work / "p" / "s.jsonl").stat().st_size)
        else:
            (written,) = _new_sessions(work / "p")
            found[action, in_place] = Reference(
                seconds, written.stat().st_size, _files(written.with_suffix(""))
            )
        shutil.rmtree(work)
    return found


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _new_sessions(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.jsonl") if is_uuid(p.stem))


def _leftovers(folder: Path) -> list[str]:
    """What of ours is there that is not a session or a backup of a replaced original:
    temporaries, a new session's folder without its file, a backup beside an intact
    original."""
    found = [p.relative_to(folder).as_posix() for p in folder.rglob(f"*{TEMP_SUFFIX}")]
    found += [
        p.name + "/"
        for p in folder.iterdir()
        if p.is_dir() and is_uuid(p.name) and not p.with_suffix(".jsonl").exists()
    ]
    return sorted(found)


def _backups(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if BACKUP.fullmatch(p.name))


def _assert_consistent(
    folder: Path, original: bytes, subagents: dict[str, bytes], in_place: bool, ref: Reference
) -> list[str]:
    """The invariants at any moment; returns the stale backups (beside an intact original)."""
    current = (folder / "s.jsonl").read_bytes()
    backups = _backups(folder)
    for backup in backups:
        assert backup.read_bytes() == original, f"{backup.name} is not the original's bytes"
    assert {k: (folder / "s" / k).read_bytes() for k in subagents} == subagents
    stale: list[str] = []
    if current == original:
        stale = [b.name for b in backups]
    else:
        assert in_place, "a new session's run changed the original"
        assert backups, "the original was replaced without a backup"
        assert len(current) == ref.size
        assert check_file(folder / "s.jsonl").ok
    for session in _new_sessions(folder):
        assert not in_place
        assert session.stat().st_size == ref.size
        assert check_file(session).ok
        assert _files(session.with_suffix("")) == ref.folder, "a session without its folder"
    return stale


@dataclass
class Tally:
    runs: int = 0
    killed: int = 0
    leftovers: int = 0
    stale_backups: int = 0
    after: int = 0
    examples: list[str] = field(default_factory=list)


def _delays(rng: random.Random, ref: Reference) -> Iterator[float]:
    while True:
        yield rng.uniform(0.0, ref.seconds * 1.1)


@pytest.mark.parametrize("mode", range(len(MODES)), ids=MODE_IDS)
def test_sigkill_at_random_moments(
    material: Path,
    environment: dict[str, str],
    references: dict[tuple[str, bool], Reference],
    tmp_path: Path,
    mode: int,
) -> None:
    action, in_place = MODES[mode]
    ref = references[action, in_place]
    rng = random.Random(SEED + mode)
    original = (material / "s.jsonl").read_bytes()
    subagents = {k: (material / "s" / k).read_bytes() for k in _files(material / "s")}
    tally = Tally()
    delays = _delays(rng, ref)
    for run in range(max(1, RUNS // len(MODES))):
        work = tmp_path / str(run)
        shutil.copytree(material, work)
        command = _command(action, in_place, work / "s.jsonl")
        process = subprocess.Popen(
            command, env=environment, cwd=CODE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(next(delays))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            tally.killed += 1
        process.wait()
        tally.runs += 1
        stale = _assert_consistent(work, original, subagents, in_place, ref)
        found = _leftovers(work) + ([] if not in_place else stale)
        tally.leftovers += len(found)
        tally.stale_backups += len(stale) if in_place else 0
        tally.examples += found[:1]
        # The next run, as if it came a while later: it sweeps, then does the work.
        _backdate(work, STALE_AFTER + 60)
        done = subprocess.run(command, env=environment, cwd=CODE, capture_output=True, check=False)
        assert done.returncode == 0, done.stderr.decode()
        _assert_consistent(work, original, subagents, in_place, ref)
        after = _leftovers(work)
        tally.after += len(after)
        assert after == [], f"seed {SEED}: left after the next run: {after}"
        if in_place:
            assert len(_backups(work)) == 1, "one backup of the original, not one per run"
            assert (work / "s.jsonl").read_bytes() != original
        else:
            assert _new_sessions(work)
        shutil.rmtree(work)
    print(
        f"\n{MODE_IDS[mode]}: seed {SEED}, {tally.runs} runs, {tally.killed} killed, "
        f"{tally.leftovers} leftovers before the next run ({tally.stale_backups} stale "
        f"backups), {tally.after} after; e.g. {tally.examples[:3]}"
    )


# ---------------------------------------------------------------------- the sweep itself


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _temp(folder: Path, final: str, pid: int, *, tag: str = "", age: float) -> Path:
    path = folder / f".{final}.{pid}-0a1b2c3d{tag}{TEMP_SUFFIX}"
    path.write_bytes(b"partial")
    past = time.time() - age
    os.utime(path, (past, past))
    return path


def test_sweep_removes_only_our_abandoned_temporaries(tmp_path: Path) -> None:
    dead, alive = _dead_pid(), os.getpid()
    old = STALE_AFTER + 60
    gone = [
        _temp(tmp_path, "s.jsonl", dead, age=old),
        _temp(tmp_path, "s.jsonl.20260101T000000Z.bak", dead, age=old),
        _temp(tmp_path, "t.jsonl", alive, age=2 * 86400),  # older than any run
    ]
    folder = tmp_path / f".s.{dead}-0a1b2c3d{TEMP_SUFFIX}"
    (folder / "subagents").mkdir(parents=True)
    past = time.time() - old
    os.utime(folder, (past, past))
    gone.append(folder)
    kept = [
        _temp(tmp_path, "a.jsonl", dead, age=5),  # too recent: maybe another machine's
        _temp(tmp_path, "b.jsonl", alive, age=old),  # a concurrent run
        tmp_path / f".c.jsonl.0a1b2c3d{TEMP_SUFFIX}",  # no pid: not provably ours
        tmp_path / "notes.inspector-tmp",
        tmp_path / "s.jsonl.20260101T000000Z.bak",  # a backup is never swept
    ]
    for path in kept[2:]:
        path.write_bytes(b"x")
        os.utime(path, (past, past))
    assert sorted(sweep_stale(tmp_path)) == sorted(gone)
    assert all(not os.path.lexists(p) for p in gone)
    assert all(p.exists() for p in kept)


def test_sweep_never_raises_on_a_pid_the_os_cannot_represent(tmp_path: Path) -> None:
    """A crafted name whose pid overflows ``os.kill`` must not stop the next write."""
    huge = _temp(tmp_path, "s.jsonl", 9_999_999_999, age=STALE_AFTER + 60)  # > 2**31
    assert sweep_stale(tmp_path) == []  # cannot tell it is dead: kept
    assert huge.exists()


@pytest.mark.parametrize("committed", [False, True], ids=["file never came", "file there"])
def test_sweep_removes_a_new_sessions_folder_only_without_its_file(
    tmp_path: Path, committed: bool
) -> None:
    session = "5f4bf7b0-cd8a-4a1d-9b39-47eb717a04e7"
    (tmp_path / session / "subagents").mkdir(parents=True)
    (tmp_path / session / "subagents" / f"{AGENT}.jsonl").write_bytes(b"{}\n")
    if committed:
        (tmp_path / f"{session}.jsonl").write_bytes(b"{}\n")
    temp = _temp(
        tmp_path, f"{session}.jsonl", _dead_pid(), tag=".with-folder", age=STALE_AFTER + 60
    )
    sweep_stale(tmp_path)
    assert not temp.exists()
    assert (tmp_path / session).exists() == committed


def test_a_backup_left_by_a_killed_run_is_adopted(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    shutil.copytree(SAMPLES, folder)
    source = folder / "orphan-tool-use.jsonl"
    original = source.read_bytes()
    older = folder / "orphan-tool-use.jsonl.20250101T000000Z.bak"
    older.write_bytes(b"an older, different version\n")
    stale = folder / "orphan-tool-use.jsonl.20260101T000000Z.bak"
    stale.write_bytes(original)  # the killed run's backup, beside the intact original
    _backdate(folder, 3600)
    result = apply(plan_repair(source), in_place=True, force=True)
    assert result.backup == stale
    assert sorted(p.name for p in folder.glob("orphan-tool-use.jsonl.*")) == [
        older.name,
        stale.name,
    ]
    assert stale.read_bytes() == original
    assert older.read_bytes() == b"an older, different version\n"

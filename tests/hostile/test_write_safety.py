"""Hostile folders around a session: nothing from outside the session's own folder tree is
ever copied into a new session, and an ordinary folder is never copied as a task."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import orjson
import pytest

import inspector.agents.history.tasks
from inspector.agents import plan_rewrite
from inspector.agents.claude_code.repair import plan_repair
from inspector.agents.claude_code.rewind import plan_rewind
from inspector.agents.history.rewrite import HistoryPlan
from inspector.check import check_file
from inspector.cli import main
from inspector.rewrite.confined import NotConfined, confined_file, read_confined
from inspector.rewrite.plan import Action, RewriteFailed, RewritePlan, apply
from tests.agents.test_formats import answer, anthropic_history
from tests.conftest import SAMPLES

SECRET = b"OUTSIDE-SECRET"
STEM = "healthy-parallel"
AGENT = "agent-abac5abbba4ed4f36"


def _idle(folder: Path) -> None:
    past = time.time() - 3600
    for top, folders, names in os.walk(folder):
        for name in [*folders, *names]:
            os.utime(Path(top) / name, (past, past), follow_symlinks=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The healthy-parallel sample with its subagent folder, and a broken copy of it."""
    folder = tmp_path / "project"
    folder.mkdir()
    shutil.copy(SAMPLES / f"{STEM}.jsonl", folder)
    shutil.copytree(SAMPLES / STEM, folder / STEM)
    lines = (folder / f"{STEM}.jsonl").read_bytes().splitlines(keepends=True)
    del lines[7]  # the first result line: R1 (repair has something to fix)
    (folder / "broken.jsonl").write_bytes(b"".join(lines))
    config = tmp_path / "config"
    (config / "sessions").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return folder


def _outside(tmp_path: Path) -> Path:
    """A folder outside the project shaped like a session folder, full of secrets."""
    outside = tmp_path / "outside"
    (outside / "subagents").mkdir(parents=True)
    (outside / "tool-results").mkdir()
    real = SAMPLES / STEM / "subagents"
    agent = (real / f"{AGENT}.jsonl").read_bytes()
    (outside / "subagents" / f"{AGENT}.jsonl").write_bytes(
        agent + orjson.dumps({"type": "x", "secret": SECRET.decode()}) + b"\n"
    )
    (outside / "subagents" / f"{AGENT}.meta.json").write_bytes(
        orjson.dumps({"agentType": SECRET.decode()})
    )
    (outside / "tool-results" / "type.txt").write_bytes(SECRET)  # "type" is on every line
    (outside / "id_rsa").write_bytes(SECRET)
    return outside


def _link(path: Path, target: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(target, target_is_directory=target.is_dir())


SHAPES = ["session folder", "subagents folder", "tool-results folder", "meta.json", "agent file"]


def _plan(action: str, project: Path) -> RewritePlan:
    if action == "rewind":
        return plan_rewind(project / f"{STEM}.jsonl", line=44)  # keeps the Agent call
    return plan_repair(project / "broken.jsonl")


def _secrets_inside(folder: Path) -> list[str]:
    """Regular files under ``folder`` (links not followed) that hold outside bytes."""
    found = []
    for top, _, names in os.walk(folder, followlinks=False):
        for name in names:
            path = Path(top) / name
            if not path.is_symlink() and SECRET in path.read_bytes():
                found.append(path.relative_to(folder).as_posix())
    return found


@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
@pytest.mark.parametrize("action", ["rewind", "repair"])
@pytest.mark.parametrize("shape", SHAPES)
def test_links_in_the_session_folder_are_not_followed(
    project: Path, tmp_path: Path, shape: str, action: str, in_place: bool
) -> None:
    outside = _outside(tmp_path)
    stem = STEM
    if action == "repair":  # the broken copy's own folder: the same tree
        shutil.copytree(project / STEM, project / "broken")
        stem = "broken"
    _shape(project / stem, shape, outside)
    _idle(project)
    before = {p.name: p.read_bytes() for p in outside.rglob("*") if p.is_file()}
    plan = _plan(action, project)
    assert not [item for item in plan.sidecar if not confined_file(project, item.source)]
    result = apply(plan, in_place=in_place)
    assert result.written is not None
    assert _secrets_inside(project) == []
    assert {p.name: p.read_bytes() for p in outside.rglob("*") if p.is_file()} == before
    if not in_place and shape in ("tool-results folder", "meta.json"):
        # the subagent transcript itself is still the session's own and is copied
        assert any(path.name == f"{AGENT}.jsonl" for path in result.subagents)


def _shape(folder: Path, shape: str, outside: Path) -> None:
    """Put a link to ``outside`` at one place of a session's folder."""
    if shape == "session folder":
        _link(folder, outside)
    elif shape == "subagents folder":
        _link(folder / "subagents", outside / "subagents")
    elif shape == "tool-results folder":
        _link(folder / "tool-results", outside / "tool-results")
    elif shape == "meta.json":
        _link(
            folder / "subagents" / f"{AGENT}.meta.json",
            outside / "subagents" / f"{AGENT}.meta.json",
        )
    else:
        _link(folder / "subagents" / f"{AGENT}.jsonl", outside / "subagents" / f"{AGENT}.jsonl")


@pytest.mark.parametrize("action", ["rewind", "repair"])
def test_a_folder_swapped_for_a_link_after_the_plan_is_not_read(
    project: Path, tmp_path: Path, action: str
) -> None:
    """Planned with a real subagent folder; a link put in its place before the write
    makes the write fail (nothing written), not read the outside files."""
    outside = _outside(tmp_path)
    if action == "repair":
        shutil.copytree(project / STEM, project / "broken")
    stem = STEM if action == "rewind" else "broken"
    _idle(project)
    plan = _plan(action, project)
    assert any(item.relative.parts[0] == "subagents" for item in plan.sidecar)
    _link(project / stem / "subagents", outside / "subagents")
    names = sorted(p.name for p in project.iterdir())
    with pytest.raises(RewriteFailed, match="symbolic link"):
        apply(plan)
    assert sorted(p.name for p in project.iterdir()) == names
    assert _secrets_inside(project) == []


def test_read_confined(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "a" / "b").mkdir(parents=True)
    (base / "a" / "b" / "f").write_bytes(b"inside")
    (tmp_path / "secret").write_bytes(SECRET)
    (base / "a" / "link").symlink_to(tmp_path / "secret")
    (base / "a" / "dir-link").symlink_to(base / "a" / "b", target_is_directory=True)
    os.mkfifo(base / "fifo")
    assert read_confined(base, base / "a" / "b" / "f") == b"inside"
    assert confined_file(base, base / "a" / "b" / "f")
    for bad in (
        base / "a" / "link",
        base / "a" / "dir-link" / "f",
        base / "a" / ".." / "a" / "b" / "f",
        tmp_path / "secret",
        base / "fifo",  # never opened for reading: no hang
        base / "a",
    ):
        assert not confined_file(base, bad), bad
        with pytest.raises(NotConfined):
            read_confined(base, bad)
    with pytest.raises(NotConfined):
        read_confined(base, base / "a" / "b" / "f", limit=3)


# ---------------------------------------------------------------------- a history outside a task


def _history(folder: Path) -> Path:
    """A broken Roo Code / Cline history (R1) at ``folder/api_conversation_history.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    tail = [{"role": "user", "content": [answer("A")]}]
    path = folder / "api_conversation_history.json"
    path.write_bytes(orjson.dumps(anthropic_history(tail, ts=1)))
    return path


def _downloads(home: Path) -> Path:
    """``~/Downloads`` with a history among unrelated files: a key, a tree, a big binary."""
    downloads = home / "Downloads"
    path = _history(downloads)
    (downloads / "id_rsa").write_bytes(SECRET)
    (downloads / "sub" / "deeper").mkdir(parents=True)
    (downloads / "sub" / "deeper" / "notes.txt").write_bytes(SECRET)
    with open(downloads / "video.bin", "wb") as handle:
        handle.truncate(20 << 20)
    _idle(home)
    return path


def _all_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


@pytest.mark.parametrize("action", [Action.REWIND, Action.REPAIR], ids=str)
def test_a_history_in_an_ordinary_folder_is_written_alone(tmp_path: Path, action: Action) -> None:
    home = tmp_path / "home"
    path = _downloads(home)
    before = _all_files(home)
    plan = plan_rewrite(action, path)
    assert isinstance(plan, HistoryPlan)
    assert plan.folder is None
    assert plan.sidecar == []
    result = apply(plan)
    word = "rewound" if action is Action.REWIND else "repaired"
    assert result.written == path.with_name(f"api_conversation_history.{word}.json")
    assert result.subagents == ()
    assert _all_files(home) == sorted([*before, f"Downloads/{result.written.name}"])
    assert check_file(result.written).ok


def test_the_cli_rewinds_a_download_beside_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    path = _downloads(home)
    before = _all_files(home)
    assert main(["rewind", str(path)]) == 0
    assert _all_files(home) == sorted([*before, "Downloads/api_conversation_history.rewound.json"])


@pytest.mark.parametrize(
    "layout",
    ["tasks/<id> without ui_messages.json", "<id> with ui_messages.json, not under tasks/"],
)
def test_a_folder_must_look_like_a_task(tmp_path: Path, layout: str) -> None:
    task = tmp_path / "storage" / ("tasks" if layout.startswith("tasks") else "other") / "t1"
    path = _history(task)
    if "with ui_messages" in layout:
        (task / "ui_messages.json").write_bytes(b"[]")
    (task / "id_rsa").write_bytes(SECRET)
    _idle(tmp_path)
    plan = plan_rewrite(Action.REPAIR, path)
    assert isinstance(plan, HistoryPlan)
    assert plan.folder is None
    assert apply(plan).written == path.with_name("api_conversation_history.repaired.json")


def test_a_task_copies_its_own_files_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inspector.agents.history.tasks, "TASK_FILE_LIMIT", 1 << 20)
    task = (
        tmp_path / "rooveterinaryinc.roo-cline" / "tasks" / "0b5e8a56-1f0c-4c4f-9d6b-2f4a8e1c3d70"
    )
    path = _history(task)
    (task / "ui_messages.json").write_bytes(b"[]")
    (task / "task_metadata.json").write_bytes(b"{}")
    (task / "checkpoints" / ".git").mkdir(parents=True)
    (task / "checkpoints" / ".git" / "HEAD").write_bytes(b"ref: refs/heads/main\n")
    with open(task / "huge.bin", "wb") as handle:
        handle.truncate(2 << 20)
    _idle(tmp_path)
    plan = plan_rewrite(Action.REWIND, path)
    assert isinstance(plan, HistoryPlan)
    assert plan.folder is not None
    assert sorted(item.relative.as_posix() for item in plan.sidecar) == [
        "task_metadata.json",
        "ui_messages.json",
    ]
    assert any("checkpoints/" in note and "huge.bin" in note for note in plan.notes)
    result = apply(plan)
    assert result.written is not None
    assert _all_files(result.written.parent) == [
        "api_conversation_history.json",
        "task_metadata.json",
        "ui_messages.json",
    ]

"""Never losing data: failed writes, growing and live sessions, in-place with backups, and the
``rewind``/``repair`` command line."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

import inspector.rewrite.plan
import inspector.rewrite.safe_write
from inspector.agents.claude_code.repair import plan_repair
from inspector.agents.claude_code.rewind import plan_rewind
from inspector.check import check_file
from inspector.cli import main
from inspector.rewrite.plan import RewriteFailed, RewritePlan, RewriteRefused, apply
from tests.agents.claude_code.test_rewind import sha, tree_hashes
from tests.conftest import SAMPLES

Planner = Callable[[Path], RewritePlan]
PLANNERS = [pytest.param(plan_rewind, id="rewind"), pytest.param(plan_repair, id="repair")]
SAMPLE = "orphan-tool-use"
SESSION = "780c4b16-a510-49fa-a2b2-bbd1c38dbe31"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the samples, idle (old mtimes), with an empty config root of its own."""
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    past = time.time() - 3600
    for path in folder.rglob("*"):
        os.utime(path, (past, past))
    config = tmp_path / "config"
    (config / "sessions").mkdir(parents=True)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    return folder


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _assert_untouched(folder: Path, before: dict[str, str], names: list[str]) -> None:
    assert tree_hashes(folder) == before
    assert _listing(folder) == names


# ---------------------------------------------------------------------- interrupted writes


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("in_place", [False, True], ids=["new", "in-place"])
def test_failed_rename_leaves_nothing(
    project: Path, monkeypatch: pytest.MonkeyPatch, planner: Planner, in_place: bool
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    before, names = tree_hashes(project), _listing(project)
    plan = planner(source)
    _fail_renames_to_jsonl(monkeypatch)
    with pytest.raises(RewriteFailed, match="nothing was written"):
        apply(plan, in_place=in_place)
    # Nothing left behind, not even the in-place backup: the original was never replaced.
    _assert_untouched(project, before, names)


def _fail_renames_to_jsonl(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every rename or link that would give a file a ``.jsonl`` name fails (EIO)."""
    real_replace, real_link = os.replace, os.link

    def failing_replace(src: Any, dst: Any) -> None:
        if str(dst).endswith(".jsonl"):
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    def failing_link(src: Any, dst: Any, **kwargs: Any) -> None:
        if str(dst).endswith(".jsonl"):
            raise OSError(errno.EIO, "Input/output error")
        real_link(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    monkeypatch.setattr(os, "link", failing_link)


@pytest.mark.parametrize("planner", PLANNERS)
def test_disk_full_midway(project: Path, monkeypatch: pytest.MonkeyPatch, planner: Planner) -> None:
    source = project / f"{SAMPLE}.jsonl"
    before, names = tree_hashes(project), _listing(project)
    plan = planner(source)
    real_write = os.write

    def half_then_full(fd: int, data: Any) -> int:
        if len(data) > 10:
            real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(RewriteFailed, match="no space left"):
        apply(plan)
    monkeypatch.undo()
    _assert_untouched(project, before, names)


@pytest.mark.parametrize("planner", PLANNERS)
def test_fsync_failure(project: Path, monkeypatch: pytest.MonkeyPatch, planner: Planner) -> None:
    before, names = tree_hashes(project), _listing(project)
    plan = planner(project / f"{SAMPLE}.jsonl")

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(RewriteFailed):
        apply(plan)
    monkeypatch.undo()
    _assert_untouched(project, before, names)


def test_failed_check_leaves_nothing(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = project / "healthy-parallel.jsonl"
    before, names = tree_hashes(project), _listing(project)
    plan = plan_rewind(source, line=44)  # copies a subagent transcript too
    broken = check_file(project / f"{SAMPLE}.jsonl")
    monkeypatch.setattr(inspector.rewrite.plan, "validate", lambda *_: broken)
    with pytest.raises(RewriteFailed, match="still fails the check"):
        apply(plan)
    _assert_untouched(project, before, names)


def test_failure_after_subagents_removes_them(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = project / "healthy-parallel.jsonl"
    before, names = tree_hashes(project), _listing(project)
    plan = plan_rewind(source, line=44)
    assert plan.sidecar
    _fail_renames_to_jsonl(monkeypatch)
    with pytest.raises(RewriteFailed):
        apply(plan)
    _assert_untouched(project, before, names)


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_unwritable_folder_simulated(
    project: Path, monkeypatch: pytest.MonkeyPatch, planner: Planner, code: int
) -> None:
    """Runs as root too: the refusal is simulated where the file system would give it."""
    before, names = tree_hashes(project), _listing(project)
    plan = planner(project / f"{SAMPLE}.jsonl")
    real_open, real_mkdir = os.open, os.mkdir

    def refuse(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).parent == project and Path(path).name.endswith(".inspector-tmp"):
            raise OSError(code, os.strerror(code), str(path))
        return real_open(path, *args, **kwargs)

    def refuse_mkdir(path: Any, *args: Any, **kwargs: Any) -> None:
        if Path(path).parent == project:
            raise OSError(code, os.strerror(code), str(path))
        real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    monkeypatch.setattr(os, "mkdir", refuse_mkdir)
    reason = "read-only file system" if code == errno.EROFS else "permission denied"
    with pytest.raises(RewriteFailed, match=reason):
        apply(plan)
    monkeypatch.undo()
    _assert_untouched(project, before, names)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root writes into read-only folders; test_unwritable_folder_simulated covers it",
)
def test_read_only_folder(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before, names = tree_hashes(project), _listing(project)
    project.chmod(0o555)
    try:
        code = main(["repair", str(project / f"{SAMPLE}.jsonl")])
    finally:
        project.chmod(0o755)
    assert code == 2
    assert "permission denied" in capsys.readouterr().err
    _assert_untouched(project, before, names)


# ---------------------------------------------------------------------- growing sessions


def test_growing_session_uses_the_snapshot(project: Path) -> None:
    source = project / f"{SAMPLE}.jsonl"
    plan = plan_repair(source)
    extra = orjson.dumps({"type": "last-prompt", "lastPrompt": "later", "sessionId": SESSION})
    with source.open("ab") as handle:
        handle.write(extra + b"\n")
    grown = source.read_bytes()
    result = apply(plan)
    assert result.written is not None
    assert result.grew_by == len(extra) + 1
    assert b"later" not in result.written.read_bytes()
    assert source.read_bytes() == grown


@pytest.mark.parametrize("planner", PLANNERS)
def test_in_place_refused_when_the_session_grew(project: Path, planner: Planner) -> None:
    source = project / f"{SAMPLE}.jsonl"
    plan = planner(source)
    with source.open("ab") as handle:
        handle.write(b'{"type":"last-prompt","lastPrompt":"later"}\n')
    grown = source.read_bytes()
    with pytest.raises(RewriteRefused, match="grew"):
        apply(plan, in_place=True, force=True)
    assert source.read_bytes() == grown
    assert not [p for p in project.iterdir() if p.name.endswith(".bak")]


def test_incomplete_last_line_is_left_out(project: Path) -> None:
    source = project / f"{SAMPLE}.jsonl"
    with source.open("ab") as handle:
        handle.write(b'{"parentUuid":"x","type":"user","mess')
    plan = plan_repair(source)
    assert plan.snapshot.left_out == len(b'{"parentUuid":"x","type":"user","mess')
    assert any("incomplete last line" in note for note in plan.notes)
    result = apply(plan)
    assert result.written is not None
    assert result.written.read_bytes().endswith(b"}\n")
    assert check_file(result.written).ok
    assert result.grew_by == 0  # the incomplete line was there when it was read


# ---------------------------------------------------------------------- in place, live sessions


@pytest.mark.parametrize("planner", PLANNERS)
def test_in_place_backs_up_first(project: Path, planner: Planner) -> None:
    source = project / f"{SAMPLE}.jsonl"
    original = source.read_bytes()
    result = apply(planner(source), in_place=True)
    assert result.written == source
    assert result.session_id == SESSION or result.session_id == source.stem
    assert result.backup is not None
    assert result.backup.parent == project
    assert result.backup.name.startswith(f"{SAMPLE}.jsonl.")
    assert result.backup.suffix == ".bak"
    assert result.backup.read_bytes() == original
    assert check_file(source).ok
    assert not [p for p in project.iterdir() if p.name.endswith(".inspector-tmp")]


def test_failed_check_in_place_leaves_no_backup(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    before, names = tree_hashes(project), _listing(project)
    plan = plan_repair(source)
    broken = check_file(project / f"{SAMPLE}.jsonl")
    monkeypatch.setattr(inspector.rewrite.plan, "validate", lambda *_: broken)
    with pytest.raises(RewriteFailed, match="still fails the check"):
        apply(plan, in_place=True)
    _assert_untouched(project, before, names)


def test_in_place_refused_when_the_file_changes_after_the_backup(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    names = _listing(project)
    plan = plan_repair(source)
    real_backup = inspector.rewrite.safe_write.write_backup
    later = b'{"type":"last-prompt","lastPrompt":"later"}\n'

    def backup_then_append(path: Path, data: bytes) -> Path:
        backup = real_backup(path, data)
        with path.open("ab") as handle:  # the session writes while the backup is made
            handle.write(later)
        return backup

    monkeypatch.setattr(inspector.rewrite.plan, "write_backup", backup_then_append)
    with pytest.raises(RewriteRefused, match="changed while it was rewritten"):
        apply(plan, in_place=True, force=True)
    assert source.read_bytes().endswith(later)
    assert _listing(project) == names  # the stale backup is gone too


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("kind", ["symlink", "hard link"])
def test_in_place_refuses_links(project: Path, planner: Planner, kind: str) -> None:
    source = project / f"{SAMPLE}.jsonl"
    other = project / "other-name.jsonl"
    if kind == "symlink":
        other.symlink_to(source.name)
    else:
        os.link(source, other)
    before, names = tree_hashes(project), _listing(project)
    plan = planner(other)
    with pytest.raises(RewriteRefused, match=kind.replace("symlink", "symbolic link")):
        apply(plan, in_place=True, force=True)
    assert other.is_symlink() == (kind == "symlink")
    _assert_untouched(project, before, names)
    assert apply(plan).written is not None  # a new session is fine


def _with_session_id(source: Path, target: Path, session_id: str) -> None:
    lines = []
    for raw in source.read_bytes().splitlines():
        value = orjson.loads(raw)
        if "sessionId" in value:
            value["sessionId"] = session_id
        lines.append(orjson.dumps(value))
    target.write_bytes(b"\n".join(lines) + b"\n")
    past = time.time() - 3600
    os.utime(target, (past, past))


@pytest.mark.parametrize("planner", PLANNERS)
@pytest.mark.parametrize("steer", ["absolute", "relative"])
def test_session_id_never_names_a_folder_outside(
    project: Path, tmp_path: Path, planner: Planner, steer: str
) -> None:
    outside = tmp_path / "outside"
    (outside / "tool-results").mkdir(parents=True)
    (outside / "secret.txt").write_text("not the session's")
    (outside / "tool-results" / "type.txt").write_text("named in every kept line")
    session_id = str(outside) if steer == "absolute" else "../outside"
    source = project / "steered.jsonl"
    _with_session_id(project / f"{SAMPLE}.jsonl", source, session_id)
    plan = planner(source)
    assert not [item for item in plan.sidecar if outside in item.source.parents]
    result = apply(plan)
    assert result.written is not None
    assert not result.subagents
    assert result.resume is not None  # a new session has a fresh, plain id


def test_session_folder_copy_skips_links_backups_and_temp_files(
    project: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("not the session's")
    folder = project / SAMPLE
    folder.mkdir()
    (folder / "notes.txt").write_text("the session's")
    (folder / "linked.txt").symlink_to(outside / "secret.txt")
    (folder / "linked-folder").symlink_to(outside, target_is_directory=True)
    (folder / "notes.txt.20260101T000000Z.bak").write_text("a backup")
    (folder / ".notes.txt.0a1b2c3d.inspector-tmp").write_text("a temporary file")
    plan = plan_repair(project / f"{SAMPLE}.jsonl")
    assert [item.relative.as_posix() for item in plan.sidecar] == ["notes.txt"]
    result = apply(plan)
    assert [path.name for path in result.subagents] == ["notes.txt"]


def test_unsafe_session_id_gets_no_resume_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / "not-a-uuid.jsonl"
    _with_session_id(project / f"{SAMPLE}.jsonl", source, "$(touch pwned)")
    result = apply(plan_repair(source), in_place=True)
    assert result.session_id == "$(touch pwned)"
    assert result.resume is None
    assert result.resume_note is not None
    assert "not a plain id" in result.resume_note
    past = time.time() - 3600
    os.utime(source, (past, past))
    assert main(["repair", str(source), "--in-place"]) == 0  # nothing to fix now
    _with_session_id(project / f"{SAMPLE}.jsonl", source, "$(touch pwned)")
    assert main(["repair", str(source), "--in-place"]) == 0
    out = capsys.readouterr().out
    assert "resume:" not in out
    assert "not a plain id" in out


def test_second_in_place_keeps_both_backups(project: Path) -> None:
    source = project / f"{SAMPLE}.jsonl"
    original = source.read_bytes()
    first = apply(plan_repair(source), in_place=True)
    past = time.time() - 3600
    os.utime(source, (past, past))
    plan = plan_rewind(source, line=3)
    second = apply(plan, in_place=True)
    assert first.backup is not None
    assert second.backup is not None
    assert first.backup != second.backup
    assert first.backup.read_bytes() == original


def _live(project: Path, session_id: str) -> None:
    config = Path(os.environ["CLAUDE_CONFIG_DIR"])
    record = {"pid": os.getpid(), "sessionId": session_id, "cwd": "/x", "kind": "interactive"}
    (config / "sessions" / f"{os.getpid()}.json").write_bytes(orjson.dumps(record))


@pytest.mark.parametrize("command", ["rewind", "repair"])
def test_live_session_refused_in_place(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    _live(project, SESSION)
    before = sha(source)
    code = main([command, str(source), "--in-place"])
    captured = capsys.readouterr()
    assert code == 1
    assert "open in Claude Code" in captured.err
    assert "--force" in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert sha(source) == before
    assert not [p for p in project.iterdir() if p.name.endswith(".bak")]
    # A new session is still fine while it runs.
    assert main([command, str(source)]) == 0


@pytest.mark.parametrize("command", ["rewind", "repair"])
def test_live_session_forced_backs_up_first(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    _live(project, SESSION)
    original = source.read_bytes()
    code = main([command, str(source), "--in-place", "--force", "--json"])
    assert code == 0
    document = orjson.loads(capsys.readouterr().out)
    backup = Path(document["backup"])
    assert backup.read_bytes() == original
    assert document["written"] == str(source)
    assert check_file(source).ok


def test_recently_written_session_refused(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = project / f"{SAMPLE}.jsonl"
    os.utime(source)  # just now
    assert main(["repair", str(source), "--in-place"]) == 1
    assert "written" in capsys.readouterr().err


# ---------------------------------------------------------------------- command line


JSON_KEYS = {
    "action",
    "source",
    "written",
    "session_id",
    "backup",
    "cut",
    "kept",
    "dropped",
    "resume",
}


def test_cli_rewind_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = project / f"{SAMPLE}.jsonl"
    assert main(["rewind", str(source), "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert document.keys() >= JSON_KEYS
    assert document["action"] == "rewind"
    assert document["source"] == str(source)
    assert document["cut"] == {
        "message_index": 0,
        "line": 3,
        "uuid": "322b7d97-32b5-4bc3-9f81-475368d0ef1c",
    }
    assert document["resume"] == f"claude --resume {document['session_id']}"
    assert Path(document["written"]) == project / f"{document['session_id']}.jsonl"
    assert document["backup"] is None
    assert document["kept"]["messages"] == 1
    assert document["dropped"]["tool_uses"] == 4
    assert check_file(Path(document["written"])).ok


def test_cli_repair_human(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["repair", str(project / f"{SAMPLE}.jsonl")]) == 0
    out = capsys.readouterr().out
    assert "added an is_error result" in out
    assert "resume: claude --resume " in out
    assert "/home/dev/projects/shop-api" in out


@pytest.mark.parametrize("command", ["rewind", "repair"])
def test_cli_dry_run_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    before, names = tree_hashes(project), _listing(project)
    assert main([command, str(project / f"{SAMPLE}.jsonl"), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would keep" in out
    assert "dry run: would write" in out
    assert main([command, str(project / f"{SAMPLE}.jsonl"), "--dry-run", "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert document["written"] is None
    assert document["status"] == "dry run"
    _assert_untouched(project, before, names)


@pytest.mark.parametrize("command", ["rewind", "repair"])
def test_cli_nothing_to_fix(
    project: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    before, names = tree_hashes(project), _listing(project)
    assert main([command, str(project / "healthy-parallel.jsonl")]) == 0
    assert "nothing to" in capsys.readouterr().out
    assert main([command, str(project / "healthy-parallel.jsonl"), "--json"]) == 0
    document = orjson.loads(capsys.readouterr().out)
    assert document["status"] == "nothing to fix"
    assert document["written"] is None
    _assert_untouched(project, before, names)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["rewind", "missing.jsonl"], "no such file"),
        (["repair", "README.md"], "README.md: not a conversation (text that is not JSON)"),
        (["rewind", "orphan-tool-use.jsonl", "--line", "6"], "results come after it"),
        (["rewind", "orphan-tool-use.jsonl", "--to", "nope"], "no entry with uuid"),
        (["rewind", "healthy-parallel"], "is a folder"),
    ],
)
def test_cli_errors_are_one_line(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    arguments: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(project)
    before, names = tree_hashes(project), _listing(project)
    assert main(arguments) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert len(captured.err.strip().splitlines()) == 1
    assert "Traceback" not in captured.err
    _assert_untouched(project, before, names)


def test_cli_disk_full(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before, names = tree_hashes(project), _listing(project)

    def full(fd: int, data: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    code = main(["rewind", str(project / f"{SAMPLE}.jsonl")])
    monkeypatch.undo()
    assert code == 2
    err = capsys.readouterr().err
    assert "no space left on the device" in err
    assert "original is untouched" in err
    _assert_untouched(project, before, names)


def test_rewrite_modules_do_not_import_textual() -> None:
    modules = [
        "inspector.rewrite.plan",
        "inspector.agents.claude_code.rewind",
        "inspector.agents.claude_code.repair",
        "inspector.rewrite.safe_write",
        "inspector.cli.rewrite",
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_repair_says_renamed_ids_were_changed_not_dropped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "duplicate-id.jsonl"
    path.write_bytes((SAMPLES / "duplicate-id.jsonl").read_bytes())
    assert main(["repair", str(path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "  would change: 1 duplicate id renamed\n" in out
    assert "would drop" not in out

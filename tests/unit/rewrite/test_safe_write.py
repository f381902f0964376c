"""Atomic writes, backups and the live-session check (inspector.rewrite.safe_write)."""

from __future__ import annotations

import errno
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from inspector.agents.claude_code.layout import config_roots_for
from inspector.agents.claude_code.plan import live_reason
from inspector.rewrite.safe_write import (
    LIVE_WRITE_WINDOW,
    StagedFile,
    StagedFolder,
    backup_name,
    recently_written,
    write_backup,
)


def _listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_staged_file_appears_only_on_commit(tmp_path: Path) -> None:
    final = tmp_path / "s.jsonl"
    with StagedFile(final) as staged:
        staged.write_lines([b'{"a":1}', b'{"b":2}'])
        staged.finish()
        assert not final.exists()
        assert staged.path.read_bytes() == b'{"a":1}\n{"b":2}\n'
        assert staged.path.name.startswith(".")
        assert not staged.path.name.endswith(".jsonl")
        staged.commit(replace=False)
    assert final.read_bytes() == b'{"a":1}\n{"b":2}\n'
    assert _listing(tmp_path) == ["s.jsonl"]


def test_staged_file_without_commit_leaves_nothing(tmp_path: Path) -> None:
    with StagedFile(tmp_path / "s.jsonl") as staged:
        staged.write(b"partial")
    assert _listing(tmp_path) == []


def test_staged_file_never_replaces_unless_asked(tmp_path: Path) -> None:
    final = tmp_path / "s.jsonl"
    final.write_bytes(b"original\n")
    with StagedFile(final) as staged:
        staged.write(b"new\n")
        with pytest.raises(FileExistsError):
            staged.commit(replace=False)
    assert final.read_bytes() == b"original\n"
    assert _listing(tmp_path) == ["s.jsonl"]


def test_fsync_failure_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with StagedFile(tmp_path / "s.jsonl") as staged:
        staged.write(b"x\n")
        with pytest.raises(OSError, match="No space"):
            staged.finish()
    assert _listing(tmp_path) == []


def test_staged_file_keeps_mode(tmp_path: Path) -> None:
    like = tmp_path / "like.jsonl"
    like.write_bytes(b"")
    like.chmod(0o640)
    final = tmp_path / "s.jsonl"
    with StagedFile(final, like=like) as staged:
        staged.write(b"x\n")
        staged.commit(replace=False)
    assert final.stat().st_mode & 0o777 == 0o640


def test_staged_folder(tmp_path: Path) -> None:
    final = tmp_path / "sid"
    with StagedFolder(final) as folder:
        folder.write(Path("subagents") / "agent-a.jsonl", b"{}\n")
        assert not final.exists()
        folder.commit()
    assert (final / "subagents" / "agent-a.jsonl").read_bytes() == b"{}\n"
    with StagedFolder(tmp_path / "other") as folder:
        folder.write(Path("x"), b"1")
    assert _listing(tmp_path) == ["sid", "sid/subagents", "sid/subagents/agent-a.jsonl"]


def test_backup_is_timestamped_and_never_overwritten(tmp_path: Path) -> None:
    source = tmp_path / "s.jsonl"
    source.write_bytes(b"one\n")
    when = datetime(2026, 3, 2, 9, 14, 5, tzinfo=UTC)
    first = write_backup(source, b"one\n", when=when)
    second = write_backup(source, b"two\n", when=when)
    assert first == backup_name(source, when, 0)
    assert first.name == "s.jsonl.20260302T091405Z.bak"
    assert second.name == "s.jsonl.20260302T091405Z-1.bak"
    assert first.read_bytes() == b"one\n"
    assert second.read_bytes() == b"two\n"
    assert not any(p.name.endswith(".inspector-tmp") for p in tmp_path.iterdir())


def _no_hard_links(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", refuse)


def _name_looks_free(monkeypatch: pytest.MonkeyPatch) -> None:
    """The race: a file appears right after a look-before-you-leap check said the name was free."""
    monkeypatch.setattr(os.path, "lexists", lambda path: False)


@pytest.mark.parametrize("hard_links", [True, False], ids=["links", "no-links"])
def test_commit_never_overwrites_a_file_that_appears_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, hard_links: bool
) -> None:
    final = tmp_path / "s.jsonl"
    final.write_bytes(b"theirs\n")
    _name_looks_free(monkeypatch)
    if not hard_links:
        _no_hard_links(monkeypatch)
    with StagedFile(final) as staged:
        staged.write(b"mine\n")
        with pytest.raises(FileExistsError):
            staged.commit(replace=False)
    assert final.read_bytes() == b"theirs\n"
    assert _listing(tmp_path) == ["s.jsonl"]


def test_commit_without_hard_links(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_hard_links(monkeypatch)
    final = tmp_path / "s.jsonl"
    with StagedFile(final) as staged:
        staged.write(b"mine\n")
        staged.commit(replace=False)
    assert final.read_bytes() == b"mine\n"
    assert _listing(tmp_path) == ["s.jsonl"]


def test_backup_without_hard_links_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "s.jsonl"
    source.write_bytes(b"two\n")
    when = datetime(2026, 3, 2, 9, 14, 5, tzinfo=UTC)
    taken = backup_name(source, when, 0)
    taken.write_bytes(b"an older backup\n")
    _no_hard_links(monkeypatch)
    _name_looks_free(monkeypatch)
    backup = write_backup(source, b"two\n", when=when)
    assert backup == backup_name(source, when, 1)
    assert taken.read_bytes() == b"an older backup\n"
    assert backup.read_bytes() == b"two\n"
    assert not any(p.name.endswith(".inspector-tmp") for p in tmp_path.iterdir())


def test_staged_folder_takes_the_mode_of_its_model(tmp_path: Path) -> None:
    like = tmp_path / "original"
    (like / "subagents").mkdir(parents=True)
    (like / "subagents" / "agent-a.jsonl").write_bytes(b"{}\n")
    like.chmod(0o750)
    (like / "subagents").chmod(0o710)
    final = tmp_path / "copy"
    with StagedFolder(final, like=like) as folder:
        assert folder.path.stat().st_mode & 0o777 == 0o700  # private while it is filled
        folder.write(
            Path("subagents/agent-a.jsonl"), b"{}\n", like=like / "subagents/agent-a.jsonl"
        )
        folder.commit()
    assert final.stat().st_mode & 0o777 == 0o750
    assert (final / "subagents").stat().st_mode & 0o777 == 0o710


def test_staged_folder_without_a_model_follows_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with StagedFolder(tmp_path / "new") as folder:
            folder.write(Path("x"), b"1")
            folder.commit()
    finally:
        os.umask(old)
    assert (tmp_path / "new").stat().st_mode & 0o777 == 0o750


def test_staged_folder_refuses_paths_outside(tmp_path: Path) -> None:
    with StagedFolder(tmp_path / "new") as folder, pytest.raises(ValueError, match="not a path"):
        folder.write(Path("../escaped"), b"1")
    assert _listing(tmp_path) == []


def _idle(path: Path) -> None:
    past = time.time() - 3600
    os.utime(path, (past, past))


def test_live_by_session_record(tmp_path: Path) -> None:
    root = tmp_path / "config"
    (root / "sessions").mkdir(parents=True)
    transcript = tmp_path / "abc.jsonl"
    transcript.write_bytes(b"{}\n")
    _idle(transcript)
    assert live_reason(transcript, ["abc"], roots=[root]) is None
    record = {"pid": os.getpid(), "sessionId": "abc", "cwd": "/x", "startedAt": 1}
    (root / "sessions" / f"{os.getpid()}.json").write_bytes(orjson.dumps(record))
    reason = live_reason(transcript, ["abc"], roots=[root])
    assert reason is not None
    assert f"pid {os.getpid()}" in reason


def test_stale_session_record_is_not_live(tmp_path: Path) -> None:
    root = tmp_path / "config"
    (root / "sessions").mkdir(parents=True)
    transcript = tmp_path / "abc.jsonl"
    transcript.write_bytes(b"{}\n")
    _idle(transcript)
    dead = 2**22 + 12345  # above the usual pid_max
    record = {"pid": dead, "sessionId": "abc"}
    (root / "sessions" / f"{dead}.json").write_bytes(orjson.dumps(record))
    assert live_reason(transcript, ["abc"], roots=[root]) is None


def test_recently_written_is_live(tmp_path: Path) -> None:
    transcript = tmp_path / "abc.jsonl"
    transcript.write_bytes(b"{}\n")
    reason = recently_written(transcript, now=time.time() + 1)
    assert reason is not None
    assert "written" in reason
    assert live_reason(transcript, ["abc"], roots=[], now=time.time() + 1) == reason
    later = time.time() + LIVE_WRITE_WINDOW + 1
    assert recently_written(transcript, now=later) is None
    assert live_reason(transcript, ["abc"], roots=[], now=later) is None


def test_config_root_inferred_from_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "elsewhere"))
    transcript = tmp_path / "root" / "projects" / "-home-x" / "abc.jsonl"
    transcript.parent.mkdir(parents=True)
    transcript.write_bytes(b"")
    roots = config_roots_for(transcript)
    assert roots[0] == tmp_path / "elsewhere"
    assert roots[1] == (tmp_path / "root").resolve()

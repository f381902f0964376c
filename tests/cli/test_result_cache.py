"""The result cache never gives a stale answer, and never breaks a run.

Each test checks a file through the cache, changes the file (or the cache) in one of the
ways the issue names, checks again, and compares with a check that uses no cache at all.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from inspector import batch
from inspector.agents.claude_code import checkpoints
from inspector.batch import CONTINUED, FROM_CACHE, READ, Checked, Settings, check_many
from inspector.cache import ResultCache, Stamp
from inspector.core.cache_folder import cache_root
from inspector.core.client import ClientChoice
from tests.conftest import REPO, SAMPLES
from tests.support.synthetic import SessionWriter, bash_call, read_call

HEALTHY = SAMPLES / "healthy-parallel.jsonl"


def check(path: Path, cache: Path | None, **settings: Any) -> Checked:
    [outcome] = check_many([path], Settings(cache_root=cache, **settings), jobs=1)
    return outcome


def fresh(path: Path, **settings: Any) -> dict[str, Any] | None:
    """The result with no cache anywhere near."""
    return check(path, None, **settings).result


def copy(source: Path, folder: Path) -> Path:
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def keep_times(path: Path, write: bytes) -> None:
    """Write ``write`` in place, then put the modification time back."""
    before = os.stat(path)
    with open(path, "r+b") as handle:
        handle.write(write)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_an_unchanged_file_is_answered_from_the_cache(tmp_path: Path) -> None:
    path = copy(SAMPLES / "orphan-tool-use.jsonl", tmp_path)
    first = check(path, tmp_path / "cache")
    second = check(path, tmp_path / "cache")
    assert (first.how, second.how) == (READ, FROM_CACHE)
    assert first.result == second.result == fresh(path)
    assert second.result is not None
    assert not second.result["ok"]


def test_a_same_size_rewrite_with_the_old_time_is_noticed(tmp_path: Path) -> None:
    path = copy(HEALTHY, tmp_path)
    assert check(path, tmp_path / "cache").result == fresh(path)
    data = path.read_bytes()
    # One character of a result's tool_use_id: same size, now an orphan result and a call
    # without its result. Written in place (same inode), modification time put back.
    at = data.index(b'"tool_use_id":"') + len(b'"tool_use_id":"') + 8
    changed = data[:at] + (b"X" if data[at : at + 1] != b"X" else b"Y") + data[at + 1 :]
    keep_times(path, changed)
    after = check(path, tmp_path / "cache")
    assert after.how == READ
    assert after.result == fresh(path)
    assert after.result is not None
    assert not after.result["ok"]


def test_a_truncated_file_is_read_again(tmp_path: Path) -> None:
    path = copy(SAMPLES / "orphan-tool-use.jsonl", tmp_path)
    check(path, tmp_path / "cache")
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[: len(lines) // 2]))
    after = check(path, tmp_path / "cache")
    assert after.how == READ
    assert after.result == fresh(path)


def test_a_replaced_file_is_read_again(tmp_path: Path) -> None:
    path = copy(HEALTHY, tmp_path)
    check(path, tmp_path / "cache")
    stamp = os.stat(path)
    other = tmp_path / "other.jsonl"
    data = HEALTHY.read_bytes()
    other.write_bytes(data.replace(b"toolu_", b"toolv_", 1))  # same size, another file
    os.utime(other, ns=(stamp.st_atime_ns, stamp.st_mtime_ns))
    os.replace(other, path)
    after = check(path, tmp_path / "cache")
    assert after.how == READ
    assert after.result == fresh(path)


def test_a_crashed_writers_half_entry_is_a_miss_and_is_rewritten(tmp_path: Path) -> None:
    path = copy(SAMPLES / "duplicate-id.jsonl", tmp_path)
    cache = tmp_path / "cache"
    check(path, cache)
    entry = ResultCache(cache).entry_path(path)
    whole = entry.read_bytes()
    for cut in (len(whole) // 2, 10, 0):
        entry.write_bytes(whole[:cut])
        after = check(path, cache)
        assert after.how == READ
        assert after.result == fresh(path)
        assert entry.read_bytes() == whole  # written anew, whole
    # a temporary file a writer left when it died is never read, and goes in time
    leftover = entry.with_name(entry.name + ".123.456.tmp")
    leftover.write_bytes(whole[:7])
    assert check(path, cache).how == FROM_CACHE
    assert ResultCache(cache).remove_leftovers(older_than=3600) == 0
    assert ResultCache(cache).remove_leftovers(older_than=-1) == 1
    assert not leftover.exists()


@pytest.mark.parametrize("garbage", [b"", b"\x00" * 100, b"inspector-check-cache 1\n{not json"])
def test_garbage_in_the_cache_never_breaks_a_run(tmp_path: Path, garbage: bytes) -> None:
    path = copy(SAMPLES / "orphan-result.jsonl", tmp_path)
    cache = tmp_path / "cache"
    entry = ResultCache(cache).entry_path(path)
    entry.parent.mkdir(parents=True)
    entry.write_bytes(garbage)
    assert check(path, cache).result == fresh(path)


def test_a_cache_folder_that_cannot_be_written_is_no_failure(tmp_path: Path) -> None:
    path = copy(SAMPLES / "orphan-result.jsonl", tmp_path)
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    outcome = check(path, blocked / "cache")
    assert outcome.result == fresh(path)


def test_results_of_another_inspector_are_not_served(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = copy(SAMPLES / "orphan-tool-use.jsonl", tmp_path)
    cache = tmp_path / "cache"
    monkeypatch.setattr(batch, "code_version", lambda: "0.0.1+older")
    check(path, cache)
    assert check(path, cache).how == FROM_CACHE
    monkeypatch.setattr(batch, "code_version", lambda: "9.9.9+newer")
    assert check(path, cache).how == READ  # and kept for this version from now on
    assert check(path, cache).how == FROM_CACHE


def test_the_code_version_follows_an_edit_of_the_package() -> None:
    batch.code_version.cache_clear()
    first = batch.code_version()
    batch.code_version.cache_clear()
    assert batch.code_version() == first
    module = Path(batch.__file__)
    before = os.stat(module)
    try:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
        batch.code_version.cache_clear()
        assert batch.code_version() != first
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))
        batch.code_version.cache_clear()


def test_another_client_release_is_another_result(tmp_path: Path) -> None:
    path = copy(SAMPLES / "orphan-tool-use.jsonl", tmp_path)
    cache = tmp_path / "cache"
    older = ClientChoice(named="2.1.197")
    newer = ClientChoice(named="2.1.332")
    assert check(path, cache, client=older).how == READ
    assert check(path, cache, client=newer).how == READ
    served = check(path, cache, client=newer)
    assert served.how == FROM_CACHE
    assert served.result == fresh(path, client=newer)
    assert served.result is not None
    assert served.result["client"]["version"] == "2.1.332"


def big_transcript(path: Path, turns: int) -> None:
    writer = SessionWriter(seed=3)
    for turn in range(turns):
        writer.prompt(f"Step {turn}: look at the build")
        writer.tool_batch(
            [
                read_call(f"/srv/app/module_{turn}.py", "x = 1\n" * 200),
                bash_call("make test", "ok\n" * 100),
            ],
            text="Looking.",
        )
        writer.assistant_text("Done with this step.")
    writer.write(path)


def append(path: Path, turns: int, seed: int) -> None:
    """Append whole turns, as the client does, after the file's last entry."""
    grown = path.with_name("grown.jsonl")
    big_transcript(grown, turns)
    path.write_bytes(path.read_bytes() + grown.read_bytes())
    grown.unlink()


def test_a_grown_file_is_continued_and_equals_a_whole_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "KEEP_MIN_BYTES", 0)
    path = tmp_path / "session.jsonl"
    big_transcript(path, 30)
    cache = tmp_path / "cache"
    assert check(path, cache).how == READ
    lines = SAMPLES.joinpath("orphan-tool-use.jsonl").read_bytes()
    path.write_bytes(path.read_bytes() + lines)  # grows, and breaks
    after = check(path, cache)
    assert after.how == CONTINUED
    assert after.result == fresh(path)
    assert after.result is not None
    assert not after.result["ok"]
    assert check(path, cache).how == FROM_CACHE


def test_a_grown_file_whose_start_changed_is_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(checkpoints, "KEEP_MIN_BYTES", 0)
    path = tmp_path / "session.jsonl"
    big_transcript(path, 10)
    cache = tmp_path / "cache"
    check(path, cache)
    data = path.read_bytes()
    at = data.index(b'"sessionId":"') + len(b'"sessionId":"')
    with open(path, "r+b") as handle:  # same inode, first line changed, and longer
        handle.write(
            data[:at] + b"f" + data[at + 1 :] + SAMPLES.joinpath("out-of-order.jsonl").read_bytes()
        )
    after = check(path, cache)
    assert after.how == READ
    assert after.result == fresh(path)


def test_two_inspectors_writing_at_once(tmp_path: Path) -> None:
    """Two processes check the same folder with the same cache at the same time: both
    print what a check without cache prints, and every entry left is whole."""
    folder = tmp_path / "sessions"
    folder.mkdir()
    for sample in sorted(SAMPLES.glob("*.jsonl")):
        for copy_number in range(6):
            shutil.copyfile(sample, folder / f"{copy_number}-{sample.name}")
    env = {**os.environ, "INSPECTOR_CACHE_DIR": str(tmp_path / "cache"), "INSPECTOR_CLAUDE_BIN": ""}
    command = [sys.executable, "-m", "inspector", "check", "--json", str(folder)]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, env=env, cwd=REPO) for _ in range(2)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in running]
    expected = subprocess.run(
        [*command, "--no-cache"], capture_output=True, env=env, cwd=REPO, check=False
    ).stdout
    assert outputs == [expected, expected]
    served = subprocess.run(command, capture_output=True, env=env, cwd=REPO, check=False)
    assert served.stdout == expected
    cache = ResultCache(tmp_path / "cache")
    for path in folder.iterdir():
        assert cache.lookup(path, Stamp.of(os.stat(path))) is not None


def test_readers_never_see_half_an_entry(tmp_path: Path) -> None:
    """Writers replace an entry again and again while readers look it up: every look-up
    finds one of the written results, whole."""
    path = copy(HEALTHY, tmp_path)
    cache = ResultCache(tmp_path / "cache")
    stamp = Stamp.of(os.stat(path))
    results = [{"writer": n, "padding": "x" * 200_000} for n in range(2)]
    cache.store(path, stamp, format_name="f", context="c", result=results[0], checkpoint=None)
    stop = threading.Event()
    seen: list[Any] = []

    def write(result: dict[str, Any]) -> None:
        while not stop.is_set():
            cache.store(path, stamp, format_name="f", context="c", result=result, checkpoint=None)

    writers = [threading.Thread(target=write, args=(result,)) for result in results]
    for writer in writers:
        writer.start()
    try:
        for _ in range(300):
            found = cache.lookup(path, stamp)
            seen.append(None if found is None else found.result)
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert all(result in results for result in seen)
    assert not list(cache.folder.glob("*.tmp"))


def test_the_cache_folder_is_the_platforms() -> None:
    home = Path.home()
    assert cache_root({"INSPECTOR_CACHE_DIR": "/x/y"}) == Path("/x/y")
    assert cache_root({"XDG_CACHE_HOME": "/c"}, "linux") == Path("/c/agent-session-inspector")
    assert (
        cache_root({"XDG_CACHE_HOME": "relative"}, "linux")
        == home / ".cache/agent-session-inspector"
    )
    assert cache_root({}, "linux") == home / ".cache" / "agent-session-inspector"
    assert cache_root({}, "darwin") == home / "Library/Caches/agent-session-inspector"
    assert cache_root({"LOCALAPPDATA": "C:/L"}, "win32") == Path(
        "C:/L/agent-session-inspector/Cache"
    )


def test_not_a_conversation_is_kept_too(tmp_path: Path) -> None:
    path = tmp_path / "notes.jsonl"
    path.write_text("just some text\n")
    first, second = check(path, tmp_path / "cache"), check(path, tmp_path / "cache")
    assert first.failure == second.failure == check(path, None).failure
    assert first.failure is not None
    assert "not a conversation" in first.failure
    assert (first.how, second.how) == (READ, FROM_CACHE)

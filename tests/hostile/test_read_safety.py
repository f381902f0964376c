"""Hostile input to every reader: special files, deep nesting, odd paths, non-transcripts.

Each command runs in a subprocess with a timeout: a hang fails the test instead of
blocking the suite.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from inspector.agents import NotATranscript, load_conversation
from inspector.cli.check import run_check
from inspector.core.json_out import dumps
from inspector.core.safe_read import NotRegularFile, TooLarge, open_regular, read_whole
from inspector.live import LiveSession
from inspector.tui.launch import resolve
from tests.conftest import SAMPLES
from tests.support.conversations import assistant, result, tool_use, user, write_conversation

COMMANDS = ("check", "stats", "messages", "rewind", "repair")
TIMEOUT = 30


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=TIMEOUT,
        check=False,
    )


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    """The run failed with exit 2 and exactly one line on stderr, no traceback."""
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def healthy(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_conversation(path, [user("go"), assistant(tool_use("t1")), user(result("t1"))])


# ---------------------------------------------------------------------- special files


def special_files(folder: Path) -> dict[str, Path]:
    fifo = folder / "fifo.jsonl"
    os.mkfifo(fifo)
    found = {"fifo": fifo}
    for device in ("zero", "urandom"):
        link = folder / f"{device}.jsonl"
        link.symlink_to(f"/dev/{device}")
        found[device] = link
    return found


@pytest.mark.parametrize("kind", ["fifo", "zero", "urandom"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_special_file_is_refused_at_once(tmp_path: Path, kind: str, command: str) -> None:
    path = special_files(tmp_path)[kind]
    line = one_error_line(run(command, str(path)))
    assert line.startswith(f"inspector: {path}: not a regular file: ")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["fifo.jsonl", "zero.jsonl", "urandom.jsonl"]
    ), "nothing written"


def test_open_regular_refuses_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "p"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="named pipe"):
        open_regular(fifo)
    with pytest.raises(NotRegularFile, match="a folder"):
        open_regular(tmp_path)


def test_whole_reads_are_bounded(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_bytes(b"x" * 1000)
    assert read_whole(path, 1000)[0] == b"x" * 1000
    with pytest.raises(TooLarge):
        read_whole(path, 999)


def test_reading_does_not_reserve_the_whole_limit(tmp_path: Path) -> None:
    """With memory capped (a container, ``ulimit -v``), a small file is still read: a
    single ``read(limit + 1)`` would reserve the 4 GiB transcript limit at once."""
    source = tmp_path / "s.jsonl"
    shutil.copyfile(SAMPLES / "orphan-tool-use.jsonl", source)
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from inspector.cli import main\n"
        f"sys.exit(main(['rewind', '--dry-run', '--json', {str(source)!r}]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT, check=False
    )
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["status"] == "dry run"


def test_a_transcript_whose_first_line_is_cut_is_still_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A first line that starts like a JSON document but breaks is one bad line of a
    transcript, not a file that is no conversation."""
    lines = (SAMPLES / "healthy-parallel.jsonl").read_bytes().splitlines(keepends=True)
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"type":"user","message":{"role"\n' + b"".join(lines))
    assert run_check([path], as_json=True, color=False) == 0
    report = orjson.loads(capsys.readouterr().out)
    assert report["format"] == "claude-code"
    assert [f["rule"] for f in report["findings"]] == ["BADLINE"]


def test_special_files_found_in_a_folder_are_skipped_with_a_line(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    special_files(tree)
    healthy(tree / "s.jsonl")
    done = run("check", str(tree))
    assert done.returncode == 0, done.stderr
    skipped = done.stderr.splitlines()
    assert len(skipped) == 3
    assert all(line.startswith(f"inspector: skipped {tree}/") for line in skipped)
    assert "the API accepts" in done.stdout


def config_with_traps(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A config root and a home whose sessions record, Codex rollout and Roo task
    history are a FIFO or /dev/zero; one real transcript."""
    root = tmp_path / "config"
    (root / "sessions").mkdir(parents=True)
    os.mkfifo(root / "sessions" / "x.json")
    (root / "sessions" / "y.json").symlink_to("/dev/zero")
    transcript = healthy(root / "projects" / "-p" / "s.jsonl")
    home = tmp_path / "home"
    codex = home / ".codex" / "sessions" / "2026" / "01" / "01"
    codex.mkdir(parents=True)
    os.mkfifo(codex / "rollout-2026-01-01T00-00-00-abc.jsonl")
    task = home / ".config" / "Code" / "User" / "globalStorage"
    task = task / "rooveterinaryinc.roo-cline" / "tasks" / "t1"
    task.mkdir(parents=True)
    (task / "api_conversation_history.json").symlink_to("/dev/zero")
    env = {"CLAUDE_CONFIG_DIR": str(root), "HOME": str(home), "CODEX_HOME": str(home / ".codex")}
    return env, transcript


def test_check_with_no_path_skips_special_files_it_finds(tmp_path: Path) -> None:
    env, transcript = config_with_traps(tmp_path)
    done = run("check", env=env)
    assert done.returncode == 0, done.stderr
    assert str(transcript) in done.stdout
    skipped = done.stderr.splitlines()
    assert len(skipped) == 2, done.stderr
    assert all("skipped" in line for line in skipped), done.stderr


def test_repair_in_place_is_not_held_up_by_a_fifo_sessions_record(tmp_path: Path) -> None:
    env, _ = config_with_traps(tmp_path)
    broken = tmp_path / "config" / "projects" / "-p" / "b.jsonl"
    shutil.copy(SAMPLES / "orphan-tool-use.jsonl", broken)
    os.utime(broken, (1_700_000_000, 1_700_000_000))  # not written seconds ago
    done = run("repair", "--in-place", str(broken), env=env)
    assert done.returncode == 0, done.stderr


def test_the_app_explains_a_special_file_instead_of_opening_it(tmp_path: Path) -> None:
    files = special_files(tmp_path)
    for path in files.values():
        launch = resolve(str(path), cwd=tmp_path, root=tmp_path)
        assert launch.session is None
        assert launch.problem is not None
        assert "not a session file" in launch.problem.reason
    with pytest.raises(NotRegularFile):
        LiveSession(files["fifo"]).refresh()


# ---------------------------------------------------------------------- odd paths


@pytest.mark.parametrize("command", COMMANDS)
def test_a_name_too_long_is_one_line(tmp_path: Path, command: str) -> None:
    path = tmp_path / ("a" * 300 + ".jsonl")
    line = one_error_line(run(command, str(path)))
    assert line == f"inspector: {path}: the name is too long"


def test_a_folder_without_search_permission_is_one_line(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root searches any folder (the in-process test below covers it)")
    folder = tmp_path / "d"
    healthy(folder / "x.jsonl")
    folder.chmod(0o600)
    try:
        line = one_error_line(run("check", str(folder / "x.jsonl")))
    finally:
        folder.chmod(0o700)
    assert line == f"inspector: {folder / 'x.jsonl'}: permission denied"


def test_a_path_that_cannot_be_looked_at_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = healthy(tmp_path / "x.jsonl")
    real_stat = os.stat

    def stat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if Path(str(path)) == target:
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "stat", stat)
    assert run_check([target], as_json=True, color=False) == 2
    assert capsys.readouterr().err == f"inspector: {target}: permission denied\n"


def test_an_unreadable_subfolder_is_named_and_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    healthy(tree / "s.jsonl")
    locked = tree / "locked"
    healthy(locked / "hidden.jsonl")
    if os.geteuid() != 0:
        locked.chmod(0)
    else:  # root lists any folder: make listing this one fail as it does for a user
        real_scandir = os.scandir

        def scandir(path: object = ".") -> object:
            if Path(str(path)) == locked:
                raise PermissionError(13, "Permission denied", str(path))
            return real_scandir(path)  # type: ignore[call-overload]

        monkeypatch.setattr(os, "scandir", scandir)
    try:
        code = run_check([tree], as_json=True, color=False)
    finally:
        locked.chmod(0o700)
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err == f"inspector: {locked}: permission denied (folder not searched)\n"
    assert '"ok":true' in captured.out, "the readable transcript is still checked"


# ---------------------------------------------------------------------- deep nesting


def deep_object(levels: int) -> bytes:
    return b'{"a":' * levels + b"1" + b"}" * levels


def with_deep_input(source: Path, target: Path, levels: int) -> Path:
    """``source`` with the input of its first tool_use (an object) nested ``levels`` deep."""
    data = source.read_bytes()
    start = data.index(b'"input":') + len(b'"input":')
    depth = 0
    for stop in range(start, len(data)):  # the input object ends where its braces close
        depth += {ord("{"): 1, ord("}"): -1}.get(data[stop], 0)
        if depth == 0:
            break
    target.write_bytes(data[:start] + deep_object(levels) + data[stop + 1 :])
    return target


@pytest.mark.parametrize("levels", [250, 600, 1019])
def test_messages_prints_a_deep_tool_input(tmp_path: Path, levels: int) -> None:
    path = with_deep_input(SAMPLES / "duplicate-id.jsonl", tmp_path / "s.jsonl", levels)
    done = run("messages", str(path))
    assert done.returncode == 0, done.stderr
    assert deep_object(levels).decode() in done.stdout


def test_messages_output_is_orjson_byte_for_byte(tmp_path: Path) -> None:
    done = run("messages", str(SAMPLES / "duplicate-id.jsonl"))
    payload = orjson.loads(done.stdout)
    assert done.stdout == orjson.dumps(payload).decode() + "\n"


def test_dumps_is_orjson_at_any_depth() -> None:
    shallow = {"a": [1.5, 1e16, "é\n\u2028", None, True, {"b": []}]}
    for option in (None, orjson.OPT_INDENT_2):
        assert dumps(shallow, option=option) == orjson.dumps(shallow, option=option)
    deep: object = shallow
    for level in range(1000):
        deep = [deep, level] if level % 2 else {"k": deep, "n": 1.25}
    text = dumps(deep)
    assert orjson.loads(text) == deep
    indented = dumps(deep, option=orjson.OPT_INDENT_2)
    assert orjson.loads(indented) == deep
    assert indented.count(b"\n" + b"  " * 900 + b'"k"') > 0, "indented at its real depth"


@pytest.mark.parametrize("command", ["repair", "rewind"])
def test_rewrites_write_a_claude_session_with_a_deep_input(tmp_path: Path, command: str) -> None:
    path = with_deep_input(SAMPLES / "duplicate-id.jsonl", tmp_path / "s.jsonl", 1019)
    before = path.read_bytes()
    done = run(command, "--json", str(path))
    assert done.returncode == 0, done.stderr
    written = Path(orjson.loads(done.stdout)["written"])
    assert deep_object(1019) in written.read_bytes()
    assert path.read_bytes() == before
    assert run("check", str(written)).returncode == 0


def test_repair_writes_a_roo_history_with_a_deep_input(tmp_path: Path) -> None:
    deep = deep_object(1019).decode()
    text = (
        '[{"role":"user","content":"hi"},'
        '{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"x","input":'
        + deep
        + '}]},{"role":"user","content":"next"},{"role":"assistant","content":"ok"}]'
    )
    task = tmp_path / "tasks" / "t1"
    task.mkdir(parents=True)
    path = task / "api_conversation_history.json"
    path.write_text(text)
    for command in ("messages", "repair", "rewind"):
        done = run(command, str(path))
        assert done.returncode == 0, f"{command}: {done.stderr}"


def test_a_line_too_deep_to_parse_is_a_bad_line(tmp_path: Path) -> None:
    path = with_deep_input(SAMPLES / "duplicate-id.jsonl", tmp_path / "s.jsonl", 1100)
    done = run("check", "--json", str(path))
    assert done.returncode in (0, 1), done.stderr
    assert "BADLINE" in {finding["rule"] for finding in orjson.loads(done.stdout)["findings"]}
    for command in ("messages", "rewind", "repair"):
        done = run(command, str(path))
        assert done.returncode in (0, 1, 2), command
        assert "Traceback" not in done.stderr, command
        assert "internal error" not in done.stderr


# ---------------------------------------------------------------------- not a conversation

NO_MESSAGES = "message array holds no messages"
NEITHER = "a JSON object that is neither a session entry nor a request"
NOT_CONVERSATIONS = {
    "nuls.jsonl": (b"\0" * 5000, "binary data"),
    "null.json": (b"null\n", "JSON null"),
    "number.json": (b"123\n", "a JSON number"),
    "string.json": (b'"x"\n', "a JSON string"),
    "empty.jsonl": (b"", "empty file"),
    "blank.jsonl": (b"\n  \n", "only blank lines"),
    "numbers.json": (
        b'{"messages":[1,2,3]}',
        "a JSON object whose message array holds no messages",
    ),
    "array.json": (b"[]", "a JSON array with no messages"),
    "role.jsonl": (
        b'{"role":{"a":1}}\n',
        "a JSON object that is neither a session entry nor a request",
    ),
    "roles.json": (b'[{"role":{"a":1}}]', "a JSON array with no messages"),
    "text.jsonl": (b"hello\nworld\n", "text that is not JSON"),
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("name", sorted(NOT_CONVERSATIONS))
def test_a_non_conversation_gets_the_same_answer_everywhere(
    tmp_path: Path, command: str, name: str
) -> None:
    data, what = NOT_CONVERSATIONS[name]
    path = tmp_path / name
    path.write_bytes(data)
    line = one_error_line(run(command, str(path)))
    assert line == f"inspector: {path}: not a conversation ({what})"
    assert [p.name for p in tmp_path.iterdir()] == [name], "nothing written"


def test_the_app_says_it_cannot_read_a_non_conversation(tmp_path: Path) -> None:
    from inspector.tui.app import _describe_error

    path = tmp_path / "null.jsonl"
    path.write_bytes(b"null\n")
    with pytest.raises(NotATranscript) as caught:
        LiveSession(path).refresh()
    assert _describe_error(caught.value) == "cannot read this as a conversation: JSON null"
    array = tmp_path / "a.json"
    array.write_bytes(b"[]")
    with pytest.raises(NotATranscript):
        LiveSession(array).refresh()


def test_a_live_session_still_empty_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"")
    live = LiveSession(path)
    snapshot = live.refresh()
    assert snapshot is not None
    assert snapshot.conversation.messages == []
    healthy(tmp_path / "full.jsonl")
    path.write_bytes((tmp_path / "full.jsonl").read_bytes())
    later = live.refresh()
    assert later is not None
    assert len(later.conversation.messages) == 3


def test_a_live_session_of_binary_data_is_not_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b"\0" * 5000)  # no line break: the reader holds it back
    with pytest.raises(NotATranscript, match="binary data"):
        LiveSession(path).refresh()


def test_metadata_only_transcript_is_still_a_conversation(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_bytes(b'{"type":"summary","summary":"x","leafUuid":"y"}\n')
    assert load_conversation(path).messages == []

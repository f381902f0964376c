"""``inspector hooks install | uninstall | status`` on real settings files (tmp_path).

The user's settings are theirs: every test checks that their bytes survive, that what we
refuse is left untouched byte for byte (and no backup or temporary file appears), and that
an uninstall gives back the exact bytes the file had before the install.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.cli import main
from inspector.hooks import settings as settings_module
from inspector.hooks.entries import EVENTS, TIMEOUT, hook_command, is_ours
from inspector.rewrite.safe_write import write_backup as real_backup

USER_STOP = {"hooks": [{"type": "command", "command": "notify-send 'done'"}]}
USER_START = {"matcher": "startup|resume", "hooks": [{"type": "command", "command": "echo hi"}]}
USER_SETTINGS: dict[str, Any] = {
    "model": "opus",
    "permissions": {"allow": ["Bash(git status)"], "deny": []},
    "hooks": {"Stop": [USER_STOP], "SessionStart": [USER_START]},
    "env": {"NAME": "café ☕"},
}


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(folder))
    monkeypatch.chdir(tmp_path)
    return folder


def hooks(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["hooks", *args])
    out, err = capsys.readouterr()
    return code, out, err


def ours(command: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Our groups per event, as install writes them."""
    entry = {"type": "command", "command": command or hook_command(), "timeout": TIMEOUT}
    return {
        event: [{"matcher": matcher, "hooks": [entry]} if matcher else {"hooks": [entry]}]
        for event, matcher in EVENTS
    }


def merged(settings: dict[str, Any], command: str | None = None) -> dict[str, Any]:
    """``settings`` with our groups appended after the user's, keys in order."""
    result: dict[str, Any] = json.loads(json.dumps(settings))
    hooks = result.setdefault("hooks", {})
    for event, groups in ours(command).items():
        hooks.setdefault(event, []).extend(groups)
    return result


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def two_spaces(value: Any) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode()


STYLES: dict[str, Callable[[Any], bytes]] = {
    "2 spaces": two_spaces,
    "4 spaces": lambda v: (json.dumps(v, indent=4, ensure_ascii=False) + "\n").encode(),
    "tabs": lambda v: (json.dumps(v, indent="\t", ensure_ascii=False) + "\n").encode(),
    "compact": lambda v: json.dumps(v, separators=(",", ":"), ensure_ascii=False).encode(),
    "one spaced line": lambda v: (json.dumps(v, ensure_ascii=False) + "\n").encode(),
    "CRLF": lambda v: (
        (json.dumps(v, indent=2, ensure_ascii=False) + "\n").encode().replace(b"\n", b"\r\n")
    ),
    "BOM, no final newline": lambda v: b"\xef\xbb\xbf" + json.dumps(v, indent=2).encode(),
    "ASCII escapes": lambda v: (json.dumps(v, indent=2, ensure_ascii=True) + "\n").encode(),
}


@pytest.mark.parametrize("style", STYLES)
def test_install_keeps_the_files_style_and_uninstall_gives_its_bytes_back(
    config: Path, style: str, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = STYLES[style]
    original = dump(USER_SETTINGS)
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(original)

    assert hooks("status", capsys=capsys)[0] == 1
    code, out, err = hooks("install", capsys=capsys)
    assert (code, err) == (0, "")
    assert "SessionStart (resume) added" in out
    # every byte of the file is as the user's own style writes it, ours included
    assert path.read_bytes() == dump(merged(USER_SETTINGS))
    [backup] = [name for name in files_in(config) if name != "settings.json"]
    assert (config / backup).read_bytes() == original
    assert hooks("status", capsys=capsys)[0] == 0

    code, out, _ = hooks("uninstall", capsys=capsys)
    assert code == 0
    assert path.read_bytes() == original
    assert hooks("status", capsys=capsys)[0] == 1


@pytest.mark.parametrize("style", STYLES)
def test_uninstall_without_a_backup_writes_the_users_style_back(
    config: Path, style: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Backups deleted: what is left is written in the file's style, byte-exact for a
    file in one regular style."""
    dump = STYLES[style]
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(dump(merged(USER_SETTINGS)))
    assert hooks("uninstall", capsys=capsys)[0] == 0
    assert path.read_bytes() == dump(USER_SETTINGS)


ODD = b'  { "model" :"opus",  "effort":1.50,\n"hooks":{ "Stop" : [ ] },\t"e": "\\u00e9\\/" }  \n\n'


def test_odd_formatting_comes_back_byte_for_byte(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Irregular spacing, ``1.50``, ``\\/``, an empty ``Stop`` of the user's: the install
    writes the same values in a regular style; the uninstall restores the bytes."""
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(ODD)
    assert hooks("install", capsys=capsys)[0] == 0
    written = json.loads(path.read_bytes())
    assert written == merged(json.loads(ODD))
    code, out, _ = hooks("uninstall", capsys=capsys)
    assert code == 0
    assert "its bytes become those of" in out
    assert path.read_bytes() == ODD


def test_a_change_of_the_users_since_the_install_is_kept_at_uninstall(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(USER_SETTINGS))
    hooks("install", capsys=capsys)
    edited = json.loads(path.read_bytes())
    edited["model"] = "sonnet"
    path.write_bytes(two_spaces(edited))
    assert hooks("uninstall", capsys=capsys)[0] == 0
    assert path.read_bytes() == two_spaces({**USER_SETTINGS, "model": "sonnet"})


def test_the_users_hooks_stay_first_and_untouched(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(USER_SETTINGS))
    hooks("install", capsys=capsys)
    written = json.loads(path.read_bytes())
    assert list(written) == ["model", "permissions", "hooks", "env"]
    assert list(written["hooks"]) == ["Stop", "SessionStart", "SubagentStop", "PreCompact"]
    assert written["hooks"]["Stop"][0] == USER_STOP
    assert written["hooks"]["SessionStart"][0] == USER_START
    assert written["hooks"]["SessionStart"][1]["matcher"] == "resume"
    assert {key: written[key] for key in ("model", "permissions", "env")} == {
        key: USER_SETTINGS[key] for key in ("model", "permissions", "env")
    }


def test_install_twice_is_one_set_of_entries_and_no_second_write(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(USER_SETTINGS))
    hooks("install", capsys=capsys)
    first, listing, inode = path.read_bytes(), files_in(config), path.stat().st_ino
    code, out, _ = hooks("install", capsys=capsys)
    assert code == 0
    assert "already installed" in out
    assert (path.read_bytes(), files_in(config), path.stat().st_ino) == (first, listing, inode)


def test_a_new_command_updates_our_entries_in_place_and_only_ours(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """After an upgrade (another venv, another path) install rewrites our entries where they
    stand; the user's, before and after them, are kept."""
    old = "/old/venv/bin/inspector hook"
    settings = merged(USER_SETTINGS, old)
    settings["hooks"]["Stop"].append({"hooks": [{"type": "command", "command": "after-ours"}]})
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(settings))
    code, out, _ = hooks("status", "--json", capsys=capsys)
    assert code == 1
    assert orjson.loads(out)["events"]["Stop"] == "outdated"

    code, out, _ = hooks("install", capsys=capsys)
    assert code == 0
    assert "Stop updated" in out
    expected = json.loads(json.dumps(settings).replace(old, hook_command()))
    assert json.loads(path.read_bytes()) == expected
    assert hooks("status", capsys=capsys)[0] == 0


def test_uninstall_takes_only_ours_even_inside_a_users_group(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Also after the user edited the file since the install: their edit stays."""
    mine = {"type": "command", "command": f"{shlex.quote(sys.executable)} -m inspector hook"}
    theirs = {"type": "command", "command": 'inspector check --json "$transcript_path"'}
    settings = {"hooks": {"Stop": [{"hooks": [theirs, mine]}], "PreCompact": [{"hooks": [mine]}]}}
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(settings))
    code, _, _ = hooks("uninstall", capsys=capsys)
    assert code == 0
    assert path.read_bytes() == two_spaces({"hooks": {"Stop": [{"hooks": [theirs]}]}})


def test_a_missing_file_is_created_with_its_folders_and_uninstall_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "deep" / "config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    code, out, _ = hooks("install", capsys=capsys)
    assert code == 0
    assert "the file is new" in out
    path = config / "settings.json"
    assert path.read_bytes() == two_spaces({"hooks": ours()})
    assert files_in(config) == ["settings.json"]
    code, out, _ = hooks("uninstall", capsys=capsys)
    assert code == 0
    assert files_in(config) == []
    assert "none in" in hooks("uninstall", capsys=capsys)[1]


def test_project_scope_is_the_cwds_claude_folder(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert hooks("install", "--project", capsys=capsys)[0] == 0
    assert json.loads((tmp_path / ".claude" / "settings.json").read_bytes()) == {"hooks": ours()}
    assert not config.exists()
    assert hooks("status", "--project", capsys=capsys)[0] == 0
    assert hooks("status", "--user", capsys=capsys)[0] == 1


def test_dry_run_writes_nothing_and_shows_the_change(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(USER_SETTINGS))
    code, out, _ = hooks("install", "--dry-run", capsys=capsys)
    assert code == 0
    assert "would change" in out
    assert f'+            "command": {json.dumps(hook_command())},' in out.splitlines()
    assert files_in(config) == ["settings.json"]
    assert path.read_bytes() == two_spaces(USER_SETTINGS)


def test_mode_is_kept_and_a_link_stays_a_link(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    real = dotfiles / "claude-settings.json"
    real.write_bytes(two_spaces(USER_SETTINGS))
    real.chmod(0o640)
    config.mkdir()
    (config / "settings.json").symlink_to(real)
    assert hooks("install", capsys=capsys)[0] == 0
    assert (config / "settings.json").is_symlink()
    assert stat.S_IMODE(real.stat().st_mode) == 0o640
    assert json.loads(real.read_bytes()) == merged(USER_SETTINGS)
    assert hooks("uninstall", capsys=capsys)[0] == 0
    assert real.read_bytes() == two_spaces(USER_SETTINGS)


REFUSED = {
    "comments": (b'{\n  // mine\n  "model": "opus"\n}\n', "has comments"),
    "block comment": (b'/* mine */ {"model": "opus"}', "has comments"),
    "comment after a value": (b'{"model": "opus" // mine\n}', "has comments"),
    "trailing comma": (b'{"model": "opus",}', "not strict JSON"),
    "NaN": (b'{"x": NaN}', "NaN is not JSON"),
    "huge number": (b'{"x": 1e400}', "does not fit"),
    "key twice": (b'{"model": "a", "model": "b"}', '"model" appears twice'),
    "empty": (b"\n", "empty"),
    "array": (b"[]", "holds a JSON array"),
    "hooks is a list": (b'{"hooks": []}', '"hooks" is not an object'),
    "event is an object": (b'{"hooks": {"Stop": {}}}', '"hooks.Stop" is not an array'),
    "not UTF-8": (b'{"x": "\xff"}', "not UTF-8"),
    "deep": (b"[" * 100_000 + b"]" * 100_000, "levels deep"),
    "huge": (b'{"x": "' + b"a" * (5 << 20) + b'"}', "too large"),
}


@pytest.mark.parametrize("case", REFUSED)
@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_what_we_cannot_round_trip_is_refused_untouched(
    config: Path, case: str, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    data, reason = REFUSED[case]
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(data)
    code, _, err = hooks(action, capsys=capsys)
    if action == "uninstall" and case in ("hooks is a list", "event is an object"):
        assert (code, err) == (0, "")  # nothing of ours in it: nothing to do
    else:
        assert code == 2
        [line] = err.splitlines()
        assert reason in line
        assert "Traceback" not in err
    assert path.read_bytes() == data
    assert files_in(config) == ["settings.json"]


def test_status_of_a_file_it_cannot_read_is_2(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    (config / "settings.json").write_bytes(b"{// no\n}")
    code, out, err = hooks("status", "--json", capsys=capsys)
    assert code == 2
    assert "has comments" in orjson.loads(out)["error"]
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_read_only_file_is_refused_untouched(
    config: Path, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    data = two_spaces(merged(USER_SETTINGS, "/old/bin/inspector hook"))
    path.write_bytes(data)
    path.chmod(0o444)
    code, _, err = hooks(action, capsys=capsys)
    assert code == 2
    assert "the file is read-only" in err
    assert path.read_bytes() == data
    assert files_in(config) == ["settings.json"]


@pytest.mark.parametrize("action", ["install", "uninstall"])
def test_a_read_only_folder_is_refused_untouched(
    config: Path, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config.mkdir()
    path = config / "settings.json"
    data = two_spaces(merged(USER_SETTINGS, "/old/bin/inspector hook"))
    path.write_bytes(data)
    config.chmod(0o555)
    try:
        code, _, err = hooks(action, capsys=capsys)
        assert code == 2
        assert "its folder is read-only" in err
        assert path.read_bytes() == data
        assert files_in(config) == ["settings.json"]
    finally:
        config.chmod(0o755)


def test_a_read_only_parent_of_a_missing_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(locked / "config"))
    try:
        code, _, err = hooks("install", capsys=capsys)
        assert code == 2
        assert "its folder is read-only" in err
        assert files_in(locked) == []
    finally:
        locked.chmod(0o755)


def test_a_file_changed_while_we_write_is_not_overwritten(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Claude Code writes its settings too (/config): an edit between our read and our
    rename is kept, and the install is refused."""
    config.mkdir()
    path = config / "settings.json"
    path.write_bytes(two_spaces(USER_SETTINGS))
    edited = two_spaces({**USER_SETTINGS, "model": "sonnet"})

    def backup_then_edit(source: Path, data: bytes) -> Path:
        written = real_backup(source, data)
        path.write_bytes(edited)
        return written

    monkeypatch.setattr(settings_module, "write_backup", backup_then_edit)
    code, _, err = hooks("install", capsys=capsys)
    assert code == 2
    assert "changed while we were writing it" in err
    assert path.read_bytes() == edited


@pytest.mark.parametrize(
    ("command", "mine"),
    [
        ("/home/me/.venv/bin/inspector hook", True),
        ("inspector hook", True),
        ("'/path with space/inspector' hook", True),
        ("/usr/bin/python3 -m inspector hook", True),
        ('"C:\\\\Py\\\\python.exe" -m inspector hook', True),
        ('inspector check --json "$transcript_path"', False),
        ("inspector hook --verbose", False),
        ("/usr/bin/not-inspector hook", False),
        ("echo 'inspector hook'", False),
        ("inspector hook 'unbalanced", False),
        (None, False),
    ],
)
def test_ours_are_recognised_by_their_command(command: str | None, mine: bool) -> None:
    assert is_ours(command) is mine


def test_the_command_is_the_script_beside_the_interpreter_else_python_m(tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_bytes(b"")
    assert hook_command(str(python)) == f"{python} -m inspector hook"
    script = python.parent / "inspector"
    script.write_bytes(b"#!/bin/sh\n")
    script.chmod(0o755)
    assert hook_command(str(python)) == f"{script} hook"
    assert is_ours(hook_command(str(python)))

"""Property-based fuzz: every command on hostile mutants of real session files.

Each example writes a mutant (see ``mutations.py``) into a fresh folder, with the files an
agent keeps beside it, runs one command in process and asserts what must hold for any
input: an exit code in {0, 1, 2}; no traceback and no internal error; stderr only our
one-line messages; human output free of terminal controls and of a forged "✓"; nothing
of the user's changed, and nothing of ours left behind (``*.inspector-tmp``). A written
session is accepted by ``check``; an in-place write leaves either the original as it was,
or a file ``check`` accepts and a backup holding the original's bytes. And the commands
agree: what ``check`` cannot read, ``rewind`` and ``repair`` refuse too.

CI runs 300 examples per test, the same ones every run (about a minute in all). A longer
run, with new examples each time::

    INSPECTOR_FUZZ_EXAMPLES=5000 python -m pytest -p no:cacheprovider tests/hostile/test_fuzz.py
"""

from __future__ import annotations

import gc
import io
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings

from inspector.cli import main
from inspector.core.json_out import allow_parsed_depth
from tests.hostile.mutations import Mutant, mutants

# main() raises the recursion limit for deep inputs; raised once here, before hypothesis
# records the limit to restore, it is not a change made during a test.
allow_parsed_depth()

_LONG_RUN = int(os.environ.get("INSPECTOR_FUZZ_EXAMPLES", "0"))
FUZZ = settings(
    max_examples=_LONG_RUN or 300,
    deadline=None,
    derandomize=not _LONG_RUN,  # CI: the same examples every run
    database=None,  # nothing written into the repository
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)

COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "check --json": ["check", "--json"],
    "messages": ["messages"],
    "rewind --json": ["rewind", "--json"],
    "repair --json": ["repair", "--json"],
    "rewind --in-place": ["rewind", "--in-place", "--force"],
    "repair --in-place": ["repair", "--in-place", "--force"],
}
_HUMAN = ("check", "rewind --in-place", "repair --in-place")

# Controls (but newline and tab), bidirectional overrides, zero-width and line-separator
# characters: none may reach a terminal from a file.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_ACCEPTED = re.compile(r"^\s*✓ the API accepts this conversation", re.MULTILINE)


@pytest.fixture(autouse=True, scope="module")
def _no_real_config() -> Iterator[None]:
    """Live-session checks look under the Claude config root: an empty one, not ~/.claude."""
    with tempfile.TemporaryDirectory() as config, pytest.MonkeyPatch.context() as patch:
        patch.setenv("CLAUDE_CONFIG_DIR", config)
        yield


@dataclass(frozen=True)
class Outcome:
    argv: list[str]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        command = f"inspector {' '.join(self.argv)} -> exit {self.code}"
        return f"{command}\nstdout: {self.out[:3000]!r}\nstderr: {self.err[:3000]!r}"


def run(argv: list[str]) -> Outcome:
    """``inspector ARGV`` in this process. An exception escaping ``main`` fails the test."""
    out, err = io.StringIO(), io.StringIO()
    collecting = gc.isenabled()
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)
    finally:
        if collecting:  # `check` turns collection off for its one-shot process
            gc.enable()
    return Outcome(argv, code, out.getvalue(), err.getvalue())


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and not p.is_symlink()
    }


def lay_out(mutant: Mutant, root: Path) -> Path:
    """Write the mutant and its seed's other files under ``root``; return the mutant's path."""
    for name, data in mutant.seed.extra:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    path = root / mutant.seed.path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(mutant.data)
    return path


def accepted(path: Path) -> Outcome:
    outcome = run(["check", str(path)])
    assert outcome.code == 0, f"a written file is not accepted by check:\n{outcome}"
    return outcome


# ---------------------------------------------------------------------- properties


def assert_sound_output(command: str, outcome: Outcome) -> None:
    assert outcome.code in (0, 1, 2), str(outcome)
    for text in (outcome.out, outcome.err):
        assert "Traceback" not in text, str(outcome)
        assert "internal error:" not in text, str(outcome)  # (a note quotes "…internal error]")
    for line in outcome.err.splitlines():
        assert line.startswith("inspector: "), f"a stderr line not ours: {line!r}\n{outcome}"
    shown = [outcome.err, outcome.out] if command in _HUMAN else [outcome.err]
    for text in shown:
        unsafe = _UNSAFE.search(text)
        assert unsafe is None, f"{unsafe.group()!r} reaches the terminal\n{outcome}"
    if command in _HUMAN:
        allowed = 1 if command == "check" and outcome.code == 0 else 0
        assert len(_ACCEPTED.findall(outcome.out)) <= allowed, f"a forged ✓ line\n{outcome}"
    if command == "messages" and outcome.code == 0:
        assert isinstance(orjson.loads(outcome.out)["messages"], list)
    if command == "check --json":
        for line in _json_lines(outcome.out):
            orjson.loads(line)


def _json_lines(text: str) -> list[str]:
    """JSON lines end at "\\n" only: a JSON string may hold a raw U+2028, where
    ``str.splitlines`` would cut."""
    return text.removesuffix("\n").split("\n") if text else []


def assert_new_session_sound(
    outcome: Outcome, root: Path, before: dict[str, bytes], after: dict[str, bytes]
) -> None:
    lines = _json_lines(outcome.out)
    assert len(lines) == 1, f"--json prints one line\n{outcome}"
    document: dict[str, Any] = orjson.loads(lines[0])
    new = sorted(set(after) - set(before))
    if document["status"] != "written":
        assert not new, f"nothing written, yet {new} appeared\n{outcome}"
        assert outcome.code != 0 or document["status"] == "nothing to fix", str(outcome)
        return
    assert outcome.code == 0, str(outcome)
    written = Path(document["written"])
    assert written.is_file(), str(outcome)
    assert written.is_relative_to(root), str(outcome)
    assert written.relative_to(root).as_posix() in new, str(outcome)
    accepted(written)


def assert_in_place_sound(
    outcome: Outcome, source: str, before: dict[str, bytes], after: dict[str, bytes]
) -> None:
    original = before[source]
    new = sorted(set(after) - set(before))
    assert source in after, f"the original is gone\n{outcome}"
    if after[source] == original:
        assert not new, f"the original was kept, yet {new} appeared\n{outcome}"
        return
    assert outcome.code == 0, f"the original was replaced, yet exit {outcome.code}\n{outcome}"
    backups = [name for name in new if after[name] == original]
    assert backups, f"the original was replaced without a backup of its bytes\n{outcome}"
    assert new == backups, f"more than a backup appeared: {new}\n{outcome}"


def assert_command_holds(command: str, mutant: Mutant) -> None:
    """Run ``command`` on a fresh copy of ``mutant`` and assert every property."""
    with tempfile.TemporaryDirectory(prefix="inspector-fuzz-") as folder:
        root = Path(folder)
        path = lay_out(mutant, root)
        source = path.relative_to(root).as_posix()
        before = files(root)
        outcome = run([*COMMANDS[command], str(path)])
        after = files(root)
        assert_sound_output(command, outcome)
        leftovers = list(root.rglob("*.inspector-tmp"))
        assert not leftovers, f"left behind: {leftovers}\n{outcome}"
        replaced = source if "--in-place" in command else None
        changed = [
            name for name, data in before.items() if name != replaced and after.get(name) != data
        ]
        assert not changed, f"changed or removed: {changed}\n{outcome}"
        if command in ("check", "check --json", "messages"):
            assert after == before, f"a read-only command wrote {set(after) - set(before)}"
        elif "--in-place" in command:
            assert_in_place_sound(outcome, source, before, after)
            if after[source] != before[source]:
                accepted(path)
        else:
            assert_new_session_sound(outcome, root, before, after)


def assert_commands_agree(mutant: Mutant) -> None:
    """What check cannot read, rewind and repair refuse; what it rejects, they change.
    (What it accepts, repair may still change: a warning it can fix.)"""
    outcomes: dict[str, Outcome] = {}
    for command in ("check --json", "rewind --json", "repair --json"):
        with tempfile.TemporaryDirectory(prefix="inspector-fuzz-") as folder:
            outcomes[command] = run([*COMMANDS[command], str(lay_out(mutant, Path(folder)))])
    check = outcomes["check --json"]
    for command in ("rewind --json", "repair --json"):
        outcome = outcomes[command]
        if check.code == 2:
            assert outcome.code == 2, f"check cannot read it, {command} can:\n{check}\n{outcome}"
        if check.code == 1 and outcome.code == 0:
            status = orjson.loads(outcome.out)["status"]
            assert status == "written", (
                f"check rejects it, {command} has nothing to fix:\n{check}\n{outcome}"
            )


# ---------------------------------------------------------------------- tests


@pytest.mark.parametrize("command", list(COMMANDS))
@FUZZ
@given(mutant=mutants())
def test_command_holds_on_hostile_input(command: str, mutant: Mutant) -> None:
    assert_command_holds(command, mutant)


@FUZZ
@given(mutant=mutants())
def test_commands_agree_on_hostile_input(mutant: Mutant) -> None:
    assert_commands_agree(mutant)

"""Scenarios that make the real Claude Code write what its send-time repair and 400s look like.

Each scenario runs ``claude -p`` (with session persistence) against the scripted loopback
server of ``claude_server.py`` and returns the transcript bytes the client wrote, stage by
stage (e.g. ``killed`` then ``resumed``), with every run for the requests it sent.
``scripts/provoke_claude.py`` writes them as fixtures; ``tests/claude/test_client_writes.py``
re-runs them against the newest client and checks the shapes.
"""

from __future__ import annotations

import shutil
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from tests.support.claude_capture import project_folder_name, read_transcript_info
from tests.support.claude_server import (
    ApiError,
    ClientRun,
    Interrupt,
    Reply,
    Turn,
    client_dirs,
    r1_text,
    r2_text,
    r5_text,
    run_client,
    text,
    tool_use,
)

__all__ = [
    "API_400_TEXTS",
    "PLACEHOLDER",
    "SCENARIOS",
    "Outcome",
    "trim",
]

#: The text Claude Code puts in a tool_result it fakes at send time.
PLACEHOLDER = "[Tool result missing due to internal error]"

#: The API's 400 texts the scenarios answer with (ids and indexes as a real failure has them).
API_400_TEXTS = {
    "r1": r1_text(3, "toolu_01Sleep"),
    "r2": r2_text(4, 0, "toolu_01Sleep"),
    "r5": r5_text(3, 1),
}

SLEEP_ID, READ_ID = "toolu_01Sleep", "toolu_01Read"


@dataclass
class Outcome:
    """What one scenario produced: transcript bytes per stage, and the runs."""

    stages: dict[str, bytes] = field(default_factory=dict)
    runs: list[ClientRun] = field(default_factory=list)

    def keep(self, stage: str, run: ClientRun) -> None:
        self.runs.append(run)
        (transcript,) = [p for p in run.transcripts() if "subagents" not in p.parts]
        self.stages[stage] = transcript.read_bytes()


def _batch(cwd: Path, sleep: float = 8) -> Turn:
    """A parallel batch: Bash ``sleep; echo a`` and a Read of ``notes.txt``."""
    (cwd / "notes.txt").write_text("hello\n")
    return Turn(
        [
            text("Running both."),
            tool_use(SLEEP_ID, "Bash", command=f"sleep {sleep:g}; echo a", description="sleep"),
            tool_use(READ_ID, "Read", file_path=str(cwd / "notes.txt")),
        ],
        stop_reason="tool_use",
    )


def _fresh(work: Path) -> Path:
    shutil.rmtree(work, ignore_errors=True)
    return client_dirs(work)[3]


def api_400(wording: str) -> Callable[[str, Path], Outcome]:
    """A new session whose every request the API answers 400 with ``wording``."""

    def scenario(claude: str, work: Path) -> Outcome:
        _fresh(work)
        outcome = Outcome()
        error = ApiError(400, API_400_TEXTS[wording])
        outcome.keep("failed", run_client(claude, work, [], then=error, prompt="go"))
        return outcome

    return scenario


def killed(sig: signal.Signals, then_400: bool = False) -> Callable[[str, Path], Outcome]:
    """A parallel batch killed by ``sig`` while Bash sleeps; then resumed (answer: text or 400)."""

    def scenario(claude: str, work: Path) -> Outcome:
        cwd = _fresh(work)
        outcome = Outcome()
        first = run_client(
            claude, work, [_batch(cwd)], prompt="go", interrupt=Interrupt(sig, 1, 2.0)
        )
        outcome.keep("killed", first)
        session = first.transcripts()[0].stem
        replies: list[Reply] = [] if then_400 else [Turn([text("Resumed fine.")])]
        then: Reply = ApiError(400, API_400_TEXTS["r1"]) if then_400 else Turn([text("done")])
        resumed = run_client(claude, work, replies, then=then, prompt="continue", resume=session)
        outcome.keep("resumed", resumed)
        return outcome

    return scenario


def late_result(claude: str, work: Path) -> Outcome:
    """A healthy batch whose Bash result line is then moved after the final answer.

    The moved line and the line that hung off it only get their ``parentUuid`` re-pointed
    (byte substitution, the rest of each line is the client's own bytes). Resuming it makes
    the client's send-time repair put a placeholder in place of the late result.
    """
    cwd = _fresh(work)
    outcome = Outcome()
    healthy = run_client(
        claude, work, [_batch(cwd, sleep=0.5), Turn([text("All done.")])], prompt="go"
    )
    outcome.keep("healthy", healthy)
    path = healthy.transcripts()[0]
    path.write_bytes(move_result_last(path.read_bytes(), SLEEP_ID))
    outcome.stages["late"] = path.read_bytes()
    resumed = run_client(
        claude, work, [Turn([text("Resumed fine.")])], prompt="continue", resume=path.stem
    )
    outcome.keep("resumed", resumed)
    return outcome


def move_result_last(data: bytes, tool_id: str) -> bytes:
    """``data`` with the result line of ``tool_id`` moved to the end, under the last line."""
    lines = data.splitlines(keepends=True)
    entries = [orjson.loads(line) for line in lines]
    (index,) = [
        i
        for i, e in enumerate(entries)
        if e.get("type") == "user" and f'"tool_use_id":"{tool_id}"'.encode() in lines[i]
    ]
    moved, own_parent = entries[index]["uuid"], entries[index]["parentUuid"]
    last = next(e["uuid"] for e in reversed(entries) if e.get("type") == "assistant")
    out: list[bytes] = []
    for i, line in enumerate(lines):
        if i != index:
            out.append(_repoint(line, moved, own_parent))
    out.append(_repoint(lines[index], own_parent, last))
    return b"".join(out)


def _repoint(line: bytes, old: str, new: str) -> bytes:
    return line.replace(f'"parentUuid":"{old}"'.encode(), f'"parentUuid":"{new}"'.encode())


def one_response(turn: Turn) -> Callable[[str, Path], Outcome]:
    """A new session whose first response is ``turn`` (built for its cwd), then an answer."""

    def scenario(claude: str, work: Path) -> Outcome:
        cwd = _fresh(work)
        (cwd / "notes.txt").write_text("hello\n")
        outcome = Outcome()
        replies = [turn, Turn([text("All done.")])]
        outcome.keep("session", run_client(claude, work, replies, prompt="go"))
        return outcome

    return scenario


def resumed_sample(sample: Path, wording: str | None) -> Callable[[str, Path], Outcome]:
    """Resume a copy of ``sample``; the API answers text, or 400 with ``wording``."""

    def scenario(claude: str, work: Path) -> Outcome:
        cwd = _fresh(work)
        sid = read_transcript_info(sample).session_id
        assert sid is not None
        project = work / "config" / "projects" / project_folder_name(str(cwd))
        project.mkdir(parents=True)
        shutil.copyfile(sample, project / f"{sid}.jsonl")
        outcome = Outcome()
        if wording is None:
            run = run_client(
                claude, work, [Turn([text("Resumed fine.")])], prompt="continue", resume=sid
            )
        else:
            error = ApiError(400, API_400_TEXTS[wording])
            run = run_client(claude, work, [], then=error, prompt="continue", resume=sid)
        outcome.keep("resumed", run)
        return outcome

    return scenario


_DUP = Turn(
    [
        text("x"),
        tool_use("toolu_01Dup", "Bash", command="echo a", description="echo"),
        tool_use("toolu_01Dup", "Bash", command="echo b", description="echo"),
    ],
    stop_reason="tool_use",
)
_ECHO = tool_use("toolu_01Echo", "Bash", command="echo a", description="echo")


def reused_id(claude: str, work: Path) -> Outcome:
    """Two responses that use the same tool_use id."""
    _fresh(work)
    outcome = Outcome()
    replies = [
        Turn([text("x"), _ECHO], "tool_use"),
        Turn([text("y"), _ECHO], "tool_use"),
        Turn([text("All done.")]),
    ]
    outcome.keep("session", run_client(claude, work, replies, prompt="go"))
    return outcome


_CUT = Turn(
    [text("x"), _ECHO, tool_use("toolu_01Cut", "Bash", command="echo b", description="echo")],
    "tool_use",
    cut_after=2,
)
_REFUSAL = Turn([text("x"), _ECHO], "refusal")


SAMPLES = Path(__file__).resolve().parents[2] / "sample_sessions"

#: name -> scenario; the name is the fixture's stem.
SCENARIOS: dict[str, Callable[[str, Path], Outcome]] = {
    "api-400-r1": api_400("r1"),
    "api-400-r2": api_400("r2"),
    "api-400-r5": api_400("r5"),
    "kill-sigkill": killed(signal.SIGKILL),
    "kill-sigint": killed(signal.SIGINT),
    "kill-sigterm": killed(signal.SIGTERM),
    "kill-sigkill-then-400": killed(signal.SIGKILL, then_400=True),
    "orphan-middle-resumed": resumed_sample(SAMPLES / "orphan-tool-use.jsonl", None),
    "orphan-middle-resumed-400": resumed_sample(SAMPLES / "orphan-tool-use.jsonl", "r1"),
    "late-result-resumed": late_result,
    "duplicate-id-in-response": one_response(_DUP),
    "reused-id": reused_id,
    "stream-cut": one_response(_CUT),
    "refusal": one_response(_REFUSAL),
}


# --------------------------------------------------------------------------------------------
# Trimming for fixtures

#: Lines that are bulky and say nothing about tool pairing: the request shape (system prompt
#: and tool schemas) and attachments carrying the prompt, skill and agent listings.
_BULKY_ATTACHMENTS = frozenset(
    {"prompt_snapshot", "skill_listing", "agent_listing_delta", "deferred_tools_delta"}
)


def trim(data: bytes) -> bytes:
    """``data`` without bulky lines; lines that hung off a dropped line are re-pointed to its
    parent by substituting the ``parentUuid`` value only (no line is re-serialised)."""
    lines = data.splitlines(keepends=True)
    dropped: dict[str, str | None] = {}
    kept: list[bytes] = []
    for line in lines:
        entry = orjson.loads(line)
        kind = entry.get("type")
        attachment = entry.get("attachment")
        bulky = kind == "api-request-shape" or (
            kind == "attachment"
            and isinstance(attachment, dict)
            and attachment.get("type") in _BULKY_ATTACHMENTS
        )
        if bulky:
            if isinstance(entry.get("uuid"), str):
                dropped[entry["uuid"]] = _resolve(dropped, entry.get("parentUuid"))
            continue
        parent = entry.get("parentUuid")
        if isinstance(parent, str) and parent in dropped:
            new = dropped[parent]
            target = b'"parentUuid":null' if new is None else f'"parentUuid":"{new}"'.encode()
            line = line.replace(f'"parentUuid":"{parent}"'.encode(), target)
        kept.append(line)
    return b"".join(kept)


def _resolve(dropped: dict[str, str | None], parent: object) -> str | None:
    while isinstance(parent, str) and parent in dropped:
        parent = dropped[parent]
    return parent if isinstance(parent, str) else None

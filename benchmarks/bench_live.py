"""Time the app as a person sees it: launch on a big transcript in tmux, append lines.

    python benchmarks/bench_live.py [--file PATH] [--batches 4]

Copies the transcript (generated once into ``benchmarks/out/`` without ``--file``) to a
temporary folder, runs ``python -m inspector COPY`` in a detached tmux session
(160 by 40), and polls ``tmux capture-pane`` every 5 ms: how long until the tail is on
screen, then, per batch, how long until an appended tool call shows as pending, its
result turns it answered, and a final text line shows. Reports the app's peak RSS
(``VmHWM``). Needs tmux; Linux (``/proc``) for the RSS.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from bench_check import add_transcript_arguments, transcript

ROOT = Path(__file__).resolve().parent.parent
SESSION = "inspector-bench-live"


def capture() -> str:
    command = ["tmux", "capture-pane", "-p", "-t", SESSION]
    return subprocess.run(command, capture_output=True, text=True).stdout


def turns(screen: str) -> int | None:
    found = re.search(r"(\d+) turns · ", screen)
    return int(found.group(1)) if found else None


def wait(condition: Callable[[str], bool], started: float, timeout: float = 30.0) -> float:
    """Milliseconds from ``started`` until ``condition`` holds of the screen (one
    capture per poll)."""
    while not condition(capture()):
        if time.perf_counter() - started > timeout:
            raise SystemExit("timed out waiting for the screen")
        time.sleep(0.005)
    return (time.perf_counter() - started) * 1000


def last_entry(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - 1_000_000))
        lines = handle.read().split(b"\n")[1:]
    for raw in reversed(lines):
        if raw.strip():
            value = orjson.loads(raw)
            if isinstance(value, dict) and value.get("uuid"):
                return value
    raise SystemExit(f"{path}: no entry with a uuid at its end")


class Appender:
    """Writes Claude Code lines that continue the transcript, a second apart."""

    def __init__(self, path: Path) -> None:
        self.path = path
        last = last_entry(path)
        self.parent, self.session_id = last["uuid"], last.get("sessionId")
        self.seconds = 0

    def write(self, kind: str, message: dict[str, Any], **extra: Any) -> str:
        self.seconds += 1
        minutes, seconds = divmod(self.seconds, 60)
        uid = str(uuid.uuid4())
        line = {
            "parentUuid": self.parent,
            "isSidechain": False,
            "type": kind,
            "message": message,
            "uuid": uid,
            "timestamp": f"2099-01-01T00:{minutes:02d}:{seconds:02d}Z",
            "sessionId": self.session_id,
            **extra,
        }
        with self.path.open("ab") as handle:
            handle.write(orjson.dumps(line) + b"\n")
        self.parent = uid
        return uid


def assistant(content: list[dict[str, Any]], stop: str) -> dict[str, Any]:
    message_id = f"msg_{uuid.uuid4().hex[:24]}"
    return {
        "id": message_id,
        "role": "assistant",
        "model": "claude-opus-4-6",
        "content": content,
        "stop_reason": stop,
    }


def batch(appender: Appender) -> tuple[float, float, float]:
    """One tool call, its result, a final text: ms until each is on screen."""
    before = turns(capture()) or 0
    tool_id = f"toolu_{uuid.uuid4().hex[:24]}"
    call = {"type": "tool_use", "id": tool_id, "name": "Bash", "input": {"command": "make"}}
    started = time.perf_counter()
    appender.write("assistant", assistant([call], "tool_use"))
    pending = wait(lambda screen: turns(screen) == before + 1 and "… pending" in screen, started)
    result = {"type": "tool_result", "tool_use_id": tool_id, "content": "ok"}
    started = time.perf_counter()
    appender.write("user", {"role": "user", "content": [result]}, toolUseResult={"stdout": "ok"})
    answered = wait(lambda screen: turns(screen) == before + 2 and "pending" not in screen, started)
    marker = f"done-{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    appender.write("assistant", assistant([{"type": "text", "text": marker}], "end_turn"))
    final = wait(lambda screen: marker in screen, started)
    return pending, answered, final


def peak_rss_mb() -> float | None:
    pane = subprocess.run(
        ["tmux", "display", "-p", "-t", SESSION, "#{pane_pid}"], capture_output=True, text=True
    ).stdout.strip()
    try:
        status = Path(f"/proc/{pane}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Time the app on a big transcript in tmux.")
    add_transcript_arguments(parser)
    parser.add_argument("--batches", type=int, default=4)
    args = parser.parse_args(argv)
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed")
    source = transcript(args)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.jsonl"
        shutil.copyfile(source, path)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        command = f"cd {ROOT} && {sys.executable} -m inspector {path}"
        started = time.perf_counter()
        subprocess.run(["tmux", "new", "-d", "-s", SESSION, "-x", "160", "-y", "40", command])
        try:
            tail = wait(lambda screen: " turns · " in screen, started, timeout=60)
            print(f"tail on screen after launch   {tail / 1000:.2f} s")
            time.sleep(2)
            appender = Appender(path)
            for number in range(args.batches):
                pending, answered, final = batch(appender)
                print(
                    f"batch {number}: tool_use pending {pending:4.0f} ms · result answered "
                    f"{answered:4.0f} ms · final text {final:4.0f} ms"
                )
                time.sleep(0.7)
            rss = peak_rss_mb()
            print(f"peak RSS of the app           {rss:.0f} MB" if rss else "peak RSS unknown")
        finally:
            subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long ``inspector hook`` takes on a ``Stop`` of a big session, one line after the last.

    python benchmarks/bench_hook.py [--file PATH] [--runs 10]

On a copy of the generated 100 MB transcript (``bench_check.py`` writes it), each run
appends one line (a user prompt chained to the last entry) and times ``inspector hook``
with a ``Stop`` input, end to end (a new process, as Claude Code starts it):

* alone: the hook reads the session through the result cache (from its checkpoint on);
* with ``inspector watch`` running on the folder: the hook hands its input to the watcher,
  which follows the session by its tail.

Each command runs with ``sys.executable``; the cache folder is a fresh temporary one.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FILE = ROOT / "benchmarks" / "out" / "bench-100mb-seed0.jsonl"


def append_prompt(path: Path) -> None:
    with open(path, "rb") as handle:
        handle.seek(max(0, os.path.getsize(path) - 1_000_000))
        last = orjson.loads(handle.read().rstrip(b"\n").rsplit(b"\n", 1)[-1])
    line = {
        "parentUuid": last["uuid"],
        "isSidechain": False,
        "type": "user",
        "uuid": str(uuid.uuid4()),
        "timestamp": "2026-12-04T00:00:00.000Z",
        "sessionId": last.get("sessionId"),
        "message": {"role": "user", "content": "and now?"},
    }
    with open(path, "ab") as handle:
        handle.write(orjson.dumps(line) + b"\n")


def time_hook(path: Path, env: dict[str, str]) -> tuple[float, bytes]:
    request = orjson.dumps(
        {"hook_event_name": "Stop", "transcript_path": str(path), "session_id": "bench"}
    )
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "inspector", "hook"],
        input=request,
        capture_output=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"inspector hook failed: {done.stderr.decode(errors='replace')}")
    return elapsed, done.stdout


def measure(path: Path, env: dict[str, str], runs: int) -> list[float]:
    time_hook(path, env)  # the first read of the session: not what is measured
    times = []
    for _ in range(runs):
        append_prompt(path)
        elapsed, _ = time_hook(path, env)
        times.append(elapsed)
    return times


def wait_for(socket: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not socket.exists():
        if time.monotonic() > deadline:
            raise SystemExit("inspector watch did not start listening")
        time.sleep(0.05)


def report(name: str, times: list[float]) -> None:
    print(
        f"  {name:34} median {statistics.median(times) * 1000:6.0f} ms"
        f"   min {min(times) * 1000:6.0f} ms   max {max(times) * 1000:6.0f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--runs", type=int, default=10)
    options = parser.parse_args()
    if not options.file.is_file():
        raise SystemExit(f"{options.file}: run benchmarks/bench_check.py once to generate it")
    compileall.compile_dir(ROOT / "inspector", quiet=1)
    with tempfile.TemporaryDirectory(prefix="bench-hook-") as scratch:
        work = Path(scratch)
        folder = work / "sessions"
        folder.mkdir()
        path = folder / "session.jsonl"
        path.write_bytes(options.file.read_bytes())
        env = {**os.environ, "INSPECTOR_CACHE_DIR": str(work / "cache")}
        size = path.stat().st_size / 1e6
        print(f"{options.file.name}: {size:.1f} MB; {options.runs} runs, one line appended each")
        report("inspector hook alone", measure(path, env, options.runs))
        watch = subprocess.Popen(
            [sys.executable, "-m", "inspector", "watch", str(folder), "--interval", "0.5"],
            stdout=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        try:
            wait_for(work / "cache" / "watch.sock", 30)
            report("inspector hook, watch running", measure(path, env, options.runs))
        finally:
            watch.terminate()
            watch.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())

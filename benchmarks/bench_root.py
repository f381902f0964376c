"""Time ``inspector check`` on a whole Claude Code config root: cold, warm, after appends.

    python benchmarks/bench_root.py [--root DIR] [--runs 3] [--strict]

Without ``--root`` the root is generated (once) into ``benchmarks/out/root-seed0/`` by
``generate_root.py``. Side by side, each as its own child process, best wall time of
``--runs``:

* floor: a bare single-core loop, ``orjson.loads`` of every line of every ``.jsonl``
  file under ``ROOT/projects`` (the files the check reads);
* the same loop on every core: the files shared by a pool of forked processes, biggest
  first, as the check shares them (what the machine's cores give together: no target);
* cold: ``inspector check --json ROOT/projects`` with an empty cache folder
  (``INSPECTOR_CACHE_DIR``, fresh for each run);
* warm: the same with the cache the last cold run left, nothing changed;
* after appends: a short turn (prompt, answer, ``turn_duration``) appended to each of
  the ten most recently modified sessions, then the check on a copy of the warm cache;
  the files are put back (same bytes, same mtime) after each run.

CPU time comes from ``os.wait4`` (the child and the children it waited for). Peak RSS
is sampled from ``/proc`` every ~10 ms over the child's whole process tree: the
largest sum, and the largest single process (not ``ru_maxrss``: a child's includes the
RSS its parent had when it forked). Linux only.

Targets: cold ≤ 1.0 x floor, warm ≤ 0.3 s, after appends ≤ 0.5 s, peak RSS of the
tree ≤ 200 MB.
"""

from __future__ import annotations

import argparse
import compileall
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "out" / "root-seed0"
TARGET_COLD_RATIO = 1.0
TARGET_WARM_S = 0.3
TARGET_APPENDS_S = 0.5
TARGET_RSS_MB = 200.0
LIVE = 10
PAGE_MB = os.sysconf("SC_PAGE_SIZE") / 1e6


def usable_cores() -> int:
    return len(os.sched_getaffinity(0))


_READ_EVERY_FILE = """\
import multiprocessing, os, sys, orjson
def read(path):
    with open(path, "rb") as f:
        for line in f:
            try:  # free in 3.11 unless raised; a real root may hold a torn line
                orjson.loads(line)
            except orjson.JSONDecodeError:
                pass
paths = [
    os.path.join(folder, name)
    for folder, _, names in os.walk(sys.argv[1])
    for name in names
    if name.endswith(".jsonl")
]
"""
BARE_LOOP = (
    _READ_EVERY_FILE
    + """\
for path in paths:
    read(path)
"""
)
BARE_LOOP_ON_EVERY_CORE = (
    _READ_EVERY_FILE
    + """\
paths.sort(key=os.path.getsize, reverse=True)  # the biggest first, as the check hands them out
with multiprocessing.get_context("fork").Pool(len(os.sched_getaffinity(0))) as pool:
    for _ in pool.imap_unordered(read, paths):
        pass
"""
)
"""The same loop, the files shared by a pool of forked processes, one per core: what this
machine's cores give together, against which the cold check's work can be weighed."""


class TreeSampler:
    """Polls ``/proc`` for the RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.01) -> None:
        self.pid = pid
        self.interval = interval
        self.tree_mb = 0.0
        self.single_mb = 0.0
        self._parents: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _loop(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.interval):
                return

    def _parent(self, pid: int) -> int:
        if pid not in self._parents:  # a parent only changes when it dies: read it once
            try:
                stat = Path(f"/proc/{pid}/stat").read_bytes()
                self._parents[pid] = int(stat[stat.rindex(b")") + 2 :].split()[1])
            except (OSError, ValueError, IndexError):
                return -1
        return self._parents[pid]

    def _sample(self) -> None:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
        tree = {self.pid}
        children: dict[int, list[int]] = {}
        for pid in pids:
            children.setdefault(self._parent(pid), []).append(pid)
        todo = [self.pid]
        while todo:
            for child in children.get(todo.pop(), []):
                if child not in tree:
                    tree.add(child)
                    todo.append(child)
        total = 0.0
        for pid in tree:
            try:
                rss = int(Path(f"/proc/{pid}/statm").read_bytes().split()[1]) * PAGE_MB
            except (OSError, ValueError, IndexError):
                continue  # gone
            total += rss
            self.single_mb = max(self.single_mb, rss)
        self.tree_mb = max(self.tree_mb, total)


@dataclass
class Run:
    seconds: float
    cpu_seconds: float
    tree_mb: float
    single_mb: float
    code: int
    stdout: bytes


def run_once(argv: list[str], ok_codes: set[int], env: dict[str, str] | None = None) -> Run:
    """Run ``argv`` from the repository; a traceback or an exit code not in ``ok_codes``
    stops the benchmark."""
    full_env = dict(os.environ)
    full_env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), full_env.get("PYTHONPATH")) if p
    )
    full_env.update(env or {})
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT, env=full_env)
        with TreeSampler(proc.pid) as sampler:
            _, status, usage = os.wait4(proc.pid, 0)
            elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # already reaped: keep Popen from waiting again
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if code not in ok_codes or b"Traceback (most recent call last)" in stderr:
        tail = stderr[-2000:].decode("utf-8", "replace")
        raise SystemExit(f"{' '.join(argv[:5])} exited with {code}:\n{tail}")
    # not ru_maxrss: a child's counts the RSS this process had when it forked
    cpu = usage.ru_utime + usage.ru_stime
    return Run(elapsed, cpu, sampler.tree_mb, sampler.single_mb, code, stdout)


@dataclass
class Timing:
    """The best wall time of N runs (its CPU time) and the highest peaks of all of them."""

    runs: list[Run] = field(default_factory=list)

    @property
    def best(self) -> Run:
        return min(self.runs, key=lambda r: r.seconds)

    @property
    def tree_mb(self) -> float:
        return max(r.tree_mb for r in self.runs)

    @property
    def single_mb(self) -> float:
        return max(r.single_mb for r in self.runs)

    @property
    def codes(self) -> str:
        return ",".join(str(c) for c in sorted({r.code for r in self.runs}))


# ---------------------------------------------------------------------- appends


def last_entry(path: Path) -> dict[str, Any]:
    """The last line of ``path`` that has a ``uuid`` and a ``sessionId``."""
    size = path.stat().st_size
    chunk = 1 << 20
    with path.open("rb") as f:
        while True:
            start = max(0, size - chunk)
            f.seek(start)
            lines = f.read().split(b"\n")
            complete = lines if start == 0 else lines[1:]
            for line in reversed(complete):
                if line.strip():
                    entry = orjson.loads(line)
                    if isinstance(entry, dict) and "uuid" in entry and "sessionId" in entry:
                        return entry
            if start == 0:
                raise SystemExit(f"{path}: no line with a uuid and a sessionId")
            chunk *= 4


def turn_lines(last: dict[str, Any], rng: random.Random) -> bytes:
    """A prompt, its answer and a ``turn_duration`` line, chained after ``last``."""

    def new_uuid() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def tail(entry: dict[str, Any]) -> dict[str, Any]:
        for key in ("userType", "entrypoint", "cwd", "sessionId", "version", "gitBranch"):
            if key in last:
                entry[key] = last[key]
        return entry

    try:
        t = datetime.fromisoformat(str(last.get("timestamp", "")).replace("Z", "+00:00"))
    except ValueError:
        t = datetime.fromisoformat("2026-03-31T18:00:00+00:00")

    def stamp(seconds: float) -> str:
        return (t + timedelta(seconds=seconds)).isoformat(timespec="milliseconds")[:-6] + "Z"

    prompt_id, user, assistant, system = new_uuid(), new_uuid(), new_uuid(), new_uuid()
    text = "Looks good. One more thing: add a test for the empty-cart case and run it."
    answer = "Added `test_create_order_rejects_empty_cart`; the suite passes (57 tests)."
    base = {"isSidechain": False, "promptId": prompt_id}
    entries = [
        tail(
            {
                "parentUuid": last["uuid"],
                **base,
                "type": "user",
                "message": {"role": "user", "content": text},
                "uuid": user,
                "timestamp": stamp(30),
                "permissionMode": "default",
            }
        ),
        tail(
            {
                "parentUuid": user,
                "isSidechain": False,
                "message": {
                    "model": "claude-opus-4-6",
                    "id": "msg_01" + "".join(rng.choices("abcdefghijkLMNOPQRS0123456789", k=22)),
                    "type": "message",
                    "role": "assistant",
                    "content": [{"type": "text", "text": answer}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": {"input_tokens": 3, "output_tokens": 24},
                },
                "requestId": "req_011C" + "".join(rng.choices("ABCDEFGHJKmnopqrst2345678", k=20)),
                "type": "assistant",
                "uuid": assistant,
                "timestamp": stamp(41),
            }
        ),
        tail(
            {
                "parentUuid": assistant,
                "isSidechain": False,
                "type": "system",
                "subtype": "turn_duration",
                "durationMs": 11_000,
                "timestamp": stamp(41.02),
                "uuid": system,
                "isMeta": False,
            }
        ),
    ]
    return b"".join(orjson.dumps(e) + b"\n" for e in entries)


@contextmanager
def appended(files: list[Path]) -> Iterator[None]:
    """Append a turn to each file; put back the same bytes and times afterwards."""
    saved = [(path, path.stat()) for path in files]
    rng = random.Random(0)
    try:
        for path, _ in saved:
            with path.open("ab") as f:
                f.write(turn_lines(last_entry(path), rng))
        yield
    finally:
        for path, st in saved:
            os.truncate(path, st.st_size)
            os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def live_sessions(projects: Path) -> list[Path]:
    """The :data:`LIVE` most recently modified session files (not subagents)."""
    sessions = [p for p in projects.glob("*/*.jsonl") if p.is_file()]
    return sorted(sessions, key=lambda p: p.stat().st_mtime_ns, reverse=True)[:LIVE]


# ---------------------------------------------------------------------- main


def config_root(args: argparse.Namespace) -> Path:
    if args.root is not None:
        root: Path = args.root
        if not (root / "projects").is_dir():
            raise SystemExit(f"no projects/ folder in {root}")
        return root
    if args.regenerate or not (DEFAULT_ROOT / "root.json").is_file():
        cmd = [sys.executable, str(HERE / "generate_root.py"), str(DEFAULT_ROOT), "--force"]
        subprocess.run(cmd, check=True)
    return DEFAULT_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `inspector check` on a config root.")
    parser.add_argument("--root", type=Path, help="config root with projects/ (default: generate)")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the generated root")
    parser.add_argument("--runs", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--module", default="inspector", help="module run with -m (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    compileall.compile_dir(ROOT / "inspector", quiet=1)
    root = config_root(args)
    projects = root / "projects"
    files = sorted(projects.rglob("*.jsonl"))
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    live = live_sessions(projects)
    print(
        f"root: {projects} ({len(files)} transcripts, {size_mb:.0f} MB; live: "
        f"{sum(p.stat().st_size for p in live) / 1e6:.1f} MB in {len(live)}); "
        f"best of {args.runs} runs",
        flush=True,
    )

    check = [sys.executable, "-m", args.module, "check", "--json", str(projects)]
    rows: list[tuple[str, Timing]] = []
    scratch = Path(tempfile.mkdtemp(prefix="bench-root-"))
    try:
        env = {"CLAUDE_CONFIG_DIR": str(root), "XDG_CACHE_HOME": str(scratch / "xdg")}

        def cache_env(cache: Path) -> dict[str, str]:
            return {**env, "INSPECTOR_CACHE_DIR": str(cache)}

        floor = Timing(
            [
                run_once([sys.executable, "-c", BARE_LOOP, str(projects)], {0})
                for _ in range(args.runs)
            ]
        )
        rows.append(("floor (bare orjson loop)", floor))
        every_core = Timing(
            [
                run_once([sys.executable, "-c", BARE_LOOP_ON_EVERY_CORE, str(projects)], {0})
                for _ in range(args.runs)
            ]
        )
        rows.append((f"the same loop on {usable_cores()} cores", every_core))
        cold = Timing()
        for k in range(args.runs):
            warm_cache = scratch / f"cold-{k}"  # the last one is the warm runs' cache
            cold.runs.append(run_once(check, {0, 1}, cache_env(warm_cache)))
        rows.append(("cold (empty cache)", cold))
        warm = Timing([run_once(check, {0, 1}, cache_env(warm_cache)) for _ in range(args.runs)])
        rows.append(("warm (nothing changed)", warm))
        appends = Timing()
        for k in range(args.runs):
            cache = scratch / f"appends-{k}"
            if warm_cache.exists():
                shutil.copytree(warm_cache, cache)
            with appended(live):
                appends.runs.append(run_once(check, {0, 1}, cache_env(cache)))
        rows.append((f"warm, {len(live)} live sessions appended", appends))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    return report(rows, floor, every_core, cold, warm, appends, len(files), args.strict)


def report(
    rows: list[tuple[str, Timing]],
    floor: Timing,
    every_core: Timing,
    cold: Timing,
    warm: Timing,
    appends: Timing,
    transcripts: int,
    strict: bool,
) -> int:
    base = floor.best.seconds
    cold_lines = sorted(cold.best.stdout.splitlines())
    targets = {
        id(cold): (cold.best.seconds / base <= TARGET_COLD_RATIO, f"≤ {TARGET_COLD_RATIO}x floor"),
        id(warm): (warm.best.seconds <= TARGET_WARM_S, f"≤ {TARGET_WARM_S} s"),
        id(appends): (appends.best.seconds <= TARGET_APPENDS_S, f"≤ {TARGET_APPENDS_S} s"),
    }
    missed = False
    head = f"  {'':<34} {'wall':>7} {'CPU':>7} {'xfloor':>7} {'RSS tree':>9} {'largest':>8}  exit"
    print("\n" + head + "  reports  target")
    for name, t in rows:
        b = t.best
        note = ""
        reports = ""
        if t is not floor and t is not every_core:
            lines = b.stdout.splitlines()
            same = "" if t is not warm else (" =cold" if sorted(lines) == cold_lines else " ≠cold")
            reports = f"{len(lines)}{same}"
            ok, goal = targets[id(t)]
            rss_ok = t.tree_mb <= TARGET_RSS_MB
            missed |= not (ok and rss_ok)
            note = f"{goal} {'ok' if ok else 'MISSED'}; RSS {'ok' if rss_ok else 'MISSED'}"
        print(
            f"  {name:<34} {b.seconds:6.2f}s {b.cpu_seconds:6.2f}s {b.seconds / base:6.2f}x "
            f"{t.tree_mb:6.0f} MB {t.single_mb:5.0f} MB  {t.codes:<4}  {reports:<8} {note}"
        )
    print(
        f"\n  {transcripts} transcripts; reports = JSON lines printed (=cold: the same as the "
        f"cold run's); RSS target ≤ {TARGET_RSS_MB:.0f} MB (tree sum)"
    )
    spread = every_core.best.seconds
    print(
        f"  the bare loop spread over every core takes {spread / base:.2f}x the floor (a "
        f"{base / spread:.2f}x speed-up); cold is {cold.best.seconds / spread:.2f}x that loop"
    )
    return 1 if strict and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())

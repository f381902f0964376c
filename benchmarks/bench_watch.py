"""``inspector watch`` on many live Claude Code sessions: break delays, CPU, RSS over time.

    python benchmarks/bench_watch.py [--sessions 50] [--rate 10] [--minutes 10] [--breaks 20]
                                     [--interval 0.5] [--window 60] [--seed 0] [--strict]

A temporary folder gets ``--sessions`` healthy Claude Code 2.1.x transcripts (0.2 to 3 MB of
history each, ``generate_transcript.py``'s generator on ``tests/support/synthetic.py``), and
``python -m inspector watch FOLDER --interval S`` starts as a child, its stdout read by a
thread that timestamps each line. Once the watcher has read the histories (its CPU goes
quiet), every session gets ``--rate`` lines a second, the same generator continuing the
file (complete turns: prompt, thinking, tool_use, tool_result, hook attachments, text,
``turn_duration``; ``parentUuid`` chains go on), one ``os.write`` per line on a file opened
with ``O_APPEND``. At moments spread over the run, ``--breaks`` sessions (one break each)
get a break at their next turn boundary, its lines written back to back: in turn an orphan
call (a ``tool_use`` without its result, then the next prompt) and a duplicate ``tool_use``
id (a call reusing an id from the history). The break's time is the write of its last line.

Measured: the delay from each break to the first ``broke`` event of its file (max, median,
within 1 s, at all); the watcher's CPU (``/proc/<pid>/stat`` utime+stime, children
included) over the appends as % of one core, overall and per ``--window``; its RSS
(``VmRSS``) every second: at the start, the max, the end, and the max per window; events by
kind, and ``broke`` events for a session that was not (yet) broken (false alarms: a bug).

Targets (``--strict`` exits 1 when one is missed): every break reported within 1 s; CPU
≤ 15 % of one core; RSS bounded: the last window's max ≤ 1.2 x the second window's max
(needs three windows); no false ``broke``. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import math
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT)]

from generate_transcript import WORDS, Generator, TextPool  # noqa: E402

TARGET_DELAY_S = 1.0
TARGET_CPU_PERCENT = 15.0
TARGET_RSS_GROWTH = 1.2
TICK_S = 0.01
SAMPLE_S = 1.0
GRACE_S = 5.0
"""Seconds the watcher still runs after the last append (for late events)."""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TOOL_USE_ID = re.compile(rb'"type":"tool_use","id":"(toolu_01[0-9A-Za-z]{22})"')
RESULT_ID = re.compile(rb'"tool_use_id":"(toolu_01[0-9A-Za-z]{22})"')


@dataclass
class Break:
    kind: str
    due: float
    """Seconds into the appends from when it is planted (at the session's next turn)."""
    tool_id: str = ""
    """The id the break is about (the orphan call's, the reused one)."""
    written: float | None = None
    """``time.monotonic()`` of the write of its last line."""
    reported: float | None = None
    """When the first ``broke`` event of its file naming ``tool_id`` arrived."""


@dataclass
class Session:
    path: Path
    generator: Generator
    sink: io.BytesIO
    fd: int
    phase: float
    queue: deque[bytes] = field(default_factory=deque)
    written: int = 0
    tool_ids: list[bytes] = field(default_factory=list)
    planned: Break | None = None

    def drain(self) -> list[bytes]:
        """The lines the generator wrote since the last drain."""
        data = self.sink.getvalue()
        self.sink.seek(0)
        self.sink.truncate()
        if not self.tool_ids:  # the history's (a live turn's may still be in flight)
            self.tool_ids.extend(TOOL_USE_ID.findall(data[:200_000]))
        return [line + b"\n" for line in data.split(b"\n")[:-1]]

    def write(self, line: bytes) -> None:
        view = memoryview(line)
        while view:  # one write per line; a short write (disk full?) is finished, not lost
            view = view[os.write(self.fd, view) :]
        self.written += 1


def make_sessions(folder: Path, count: int, seed: int) -> list[Session]:
    rng = random.Random(seed)
    pool = TextPool(random.Random(seed))
    sessions: list[Session] = []
    for number in range(count):
        project = folder / "projects" / f"-home-dev-src-{rng.choice(WORDS)}-{number % 7}"
        project.mkdir(parents=True, exist_ok=True)
        session_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        path = project / f"{session_id}.jsonl"
        history = int(math.exp(rng.uniform(math.log(0.2e6), math.log(3e6))))
        sink = io.BytesIO()
        generator = Generator(
            sink, history, seed * 1000 + number, pool=pool, session_id=session_id, cwd="/srv/app"
        )
        generator.run()
        session = Session(path, generator, sink, -1, rng.random())
        path.write_bytes(b"".join(session.drain()))
        session.fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        sessions.append(session)
    return sessions


def next_turn(session: Session, elapsed: float) -> None:
    """Queue the session's next turn; a break due by now is written at once, at the turn
    boundary."""
    plan = session.planned
    if plan is None or plan.written is not None or elapsed < plan.due:
        session.generator.turn()
        session.queue.extend(session.drain())
        return
    w, gen = session.generator.w, session.generator
    w.prompt(" ".join(gen.rng.choices(WORDS, k=12)))
    if plan.kind == "orphan":  # a call without its result, then the next prompt
        plan.tool_id = w.tool_batch([gen.small_call()], drop_results=[0]).tool_ids[0]
        w.prompt(" ".join(gen.rng.choices(WORDS, k=6)))
        lines = session.drain()
        last = max(i for i, line in enumerate(lines) if orjson.loads(line)["type"] == "user")
    else:  # a call reusing an id of the history
        plan.tool_id = gen.rng.choice(session.tool_ids).decode()
        w.tool_batch([dataclasses.replace(gen.small_call(), id=plan.tool_id)])
        lines = session.drain()
        last = next(i for i, line in enumerate(lines) if plan.tool_id.encode() in line)
    for line in lines[: last + 1]:
        session.write(line)
    plan.written = time.monotonic()
    session.queue.extend(lines[last + 1 :])
    w.assistant_text(gen.pool.text(gen.pool.prose, 300))
    w.turn_duration()
    session.queue.extend(session.drain())


def proc_sample(pid: int) -> tuple[float, float]:
    """(CPU seconds, children waited for included; RSS in MB) of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = sum(int(fields[k]) for k in (11, 12, 13, 14)) / CLOCK_TICKS  # utime..cstime
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return cpu, int(row.split()[1]) / 1024
    return cpu, 0.0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[tuple[float, float, float]] = []
        """(monotonic time, CPU seconds, RSS MB)."""
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                cpu, rss = proc_sample(self.pid)
            except OSError:
                return
            self.samples.append((time.monotonic(), cpu, rss))
            self.stop.wait(SAMPLE_S)


class Reader(threading.Thread):
    def __init__(self, stream: Any) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.events: list[tuple[float, dict[str, Any]]] = []

    def run(self) -> None:
        for line in self.stream:
            self.events.append((time.monotonic(), orjson.loads(line)))


def wait_quiet(pid: int, timeout: float) -> float:
    """Wait until the process used < 5 % of a core for a second; the seconds waited."""
    started = time.monotonic()
    recent: deque[float] = deque(maxlen=5)
    while time.monotonic() - started < timeout:
        recent.append(proc_sample(pid)[0])
        if len(recent) == recent.maxlen and recent[-1] - recent[0] < 0.05:
            break
        time.sleep(0.25)
    return time.monotonic() - started


def append_for(sessions: list[Session], rate: float, duration: float) -> float:
    """Append ``rate`` lines a second to every session for ``duration`` seconds (breaks
    included); the most lines any session fell behind its schedule."""
    started = time.monotonic()
    behind = 0
    while (elapsed := time.monotonic() - started) < duration:
        for session in sessions:
            if not session.queue:  # at a turn boundary: a break due is planted now
                next_turn(session, elapsed)
            due = int(elapsed * rate + session.phase)
            behind = max(behind, due - session.written - 1)
            while session.written < due:
                if not session.queue:
                    next_turn(session, elapsed)
                session.write(session.queue.popleft())
        time.sleep(TICK_S)
    return behind


def plan_breaks(sessions: list[Session], count: int, duration: float, seed: int) -> None:
    rng = random.Random(seed + 1)
    chosen = rng.sample(sessions, min(count, len(sessions)))
    for k, session in enumerate(chosen):
        due = duration * (0.05 + 0.8 * (k + rng.random()) / len(chosen))
        session.planned = Break("orphan" if k % 2 == 0 else "duplicate id", due)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0, help="lines a second per session")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--breaks", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.5, help="watch --interval")
    parser.add_argument("--window", type=float, default=60.0, help="seconds per table row")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--strict", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--events", type=Path, help="write the events (and the breaks) here")
    args = parser.parse_args(argv)
    duration = args.minutes * 60
    with tempfile.TemporaryDirectory(prefix="bench-watch-") as scratch:
        folder = Path(scratch)
        started = time.monotonic()
        sessions = make_sessions(folder, args.sessions, args.seed)
        history_mb = sum(s.path.stat().st_size for s in sessions) / 1e6
        print(
            f"{len(sessions)} sessions, {history_mb:.0f} MB of history, "
            f"written in {time.monotonic() - started:.1f} s"
        )
        plan_breaks(sessions, args.breaks, duration, args.seed)
        command = [sys.executable, "-m", "inspector", "watch", str(folder)]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(folder / "cache")}
        with (folder / "stderr").open("wb") as errors:
            watch = subprocess.Popen(
                [*command, "--interval", str(args.interval)],
                stdout=subprocess.PIPE,
                stderr=errors,
                cwd=ROOT,
                env=env,
            )
        assert watch.stdout is not None
        reader = Reader(watch.stdout)
        reader.start()
        try:
            ready = wait_quiet(watch.pid, timeout=300)
            cpu_ready, rss_ready = proc_sample(watch.pid)
            print(f"watcher quiet after {ready:.1f} s (CPU {cpu_ready:.1f} s, {rss_ready:.0f} MB)")
            sampler = Sampler(watch.pid)
            sampler.start()
            own = os.times()
            appends_start = time.monotonic()
            behind = append_for(sessions, args.rate, duration)
            appends_end = time.monotonic()
            own_cpu = sum(os.times()[:2]) - sum(own[:2])
            time.sleep(GRACE_S)
            sampler.stop.set()
            sampler.join()
        finally:
            watch.terminate()
            watch.wait()
            reader.join(timeout=5)
            for session in sessions:
                os.close(session.fd)
        stderr = (folder / "stderr").read_text(errors="replace").strip()
        appended = sum(s.written for s in sessions)
        appended_mb = sum(s.path.stat().st_size for s in sessions) / 1e6 - history_mb
        # results written, or generated and still queued when the appends stopped
        answered = {
            m.decode()
            for s in sessions
            for m in RESULT_ID.findall(s.path.read_bytes() + b"".join(s.queue))
        }
    print(
        f"appended {appended} lines ({appended_mb:.0f} MB) in {appends_end - appends_start:.0f} s"
        f" = {appended / (appends_end - appends_start):.0f} lines/s; "
        f"most behind schedule: {behind} line(s); appender CPU {own_cpu:.1f} s"
    )
    if stderr:
        print("watch stderr:\n" + stderr)
    if args.events:
        with args.events.open("wb") as out:
            for s in sessions:
                if s.planned and s.planned.written:
                    plan = dataclasses.asdict(s.planned) | {"path": str(s.path)}
                    out.write(
                        orjson.dumps({"break": plan, "at": s.planned.written - appends_start})
                    )
                    out.write(b"\n")
            for at, event in reader.events:
                out.write(orjson.dumps({"at": at - appends_start, **event}) + b"\n")
    return report(
        args,
        sessions,
        reader.events,
        sampler.samples,
        (appends_start, appends_end),
        answered,
        appended_mb,
    )


def report(
    args: argparse.Namespace,
    sessions: list[Session],
    events: list[tuple[float, dict[str, Any]]],
    samples: list[tuple[float, float, float]],
    span: tuple[float, float],
    answered: set[str],
    appended_mb: float,
) -> int:
    start, end = span
    by_path = {str(s.path): s for s in sessions}
    kinds = Counter(event["event"] for _, event in events)
    false_alarms: list[tuple[bool, str, str]] = []  # (its calls got results later, path, text)
    for at, event in events:
        if event["event"] != "broke":
            continue
        session = by_path.get(event["path"])
        plan = session.planned if session else None
        ids = {tool_id for finding in event["findings"] for tool_id in finding["ids"]}
        if (
            plan is not None
            and plan.written is not None
            and plan.written <= at
            and (plan.tool_id in ids)
        ):
            if plan.reported is None:
                plan.reported = at
        else:
            # every call it names has its result further on: calls still running, taken for
            # broken (the results of a parallel batch are written one by one)
            running = ids <= answered and all(f["rule"] == "R1" for f in event["findings"])
            false_alarms.append((running, event["path"], event["text"]))
    in_flight = sum(alarm[0] for alarm in false_alarms)
    planted = [s.planned for s in sessions if s.planned and s.planned.written is not None]
    delays = [p.reported - p.written for p in planted if p.reported and p.written]
    within = sum(d <= TARGET_DELAY_S for d in delays)
    missed = [
        f"{p.kind} planted {p.written - start:.1f} s in"
        for p in planted
        if p.reported is None and p.written
    ]

    windows: list[tuple[float, float, float, float]] = []  # (from, CPU %, RSS max, RSS end)
    at = start
    while at < end - 1:
        upto = min(at + args.window, end)
        inside = [s for s in samples if at - SAMPLE_S / 2 <= s[0] <= upto + SAMPLE_S / 2]
        if len(inside) >= 2:
            cpu = 100 * (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])
            windows.append((at - start, cpu, max(s[2] for s in inside), inside[-1][2]))
        at = upto
    during = [s for s in samples if s[0] <= end + SAMPLE_S / 2]
    cpu_all = 100 * (during[-1][1] - during[0][1]) / (during[-1][0] - during[0][0])
    rss_max = max(s[2] for s in during)

    print(f"\n  {'window':>12}  {'CPU % of a core':>15}  {'RSS max MB':>10}  {'RSS end MB':>10}")
    for since, cpu, high, last in windows:
        label = f"{since:.0f}-{since + args.window:.0f} s"
        print(f"  {label:>12}  {cpu:15.1f}  {high:10.0f}  {last:10.0f}")
    print(f"\n  events by kind            {dict(sorted(kinds.items()))}")
    expected = min(args.breaks, len(sessions))
    print(f"  breaks planted            {len(planted)} of {expected}")
    if delays:
        print(
            f"  break -> broke delay      max {max(delays):.2f} s, median "
            f"{statistics.median(delays):.2f} s, min {min(delays):.2f} s"
        )
    ok_breaks = len(planted) == expected and within == len(planted) and not missed
    print(
        f"  reported within {TARGET_DELAY_S:.0f} s        {within} of {len(planted)}; at all "
        f"{len(delays)}  {'ok' if ok_breaks else 'MISSED'}"
    )
    for line in missed:
        print(f"    never reported: {line}")
    print(
        f"  false broke               {len(false_alarms)} ({in_flight} name only calls whose "
        f"results came later)  {'ok' if not false_alarms else 'BUG'}"
    )
    shown = sorted(false_alarms, key=lambda alarm: alarm[0])[:5]  # the unexplained ones first
    for running_calls, path, text in shown:
        print(f"    {'running' if running_calls else 'OTHER'} {Path(path).name}: {text[:140]}")
    print(f"  healed events             {sum(e['event'] == 'healed' for _, e in events)}")
    ok_cpu = cpu_all <= TARGET_CPU_PERCENT
    print(
        f"  watch CPU over the run    {cpu_all:.1f} % of a core  target ≤ "
        f"{TARGET_CPU_PERCENT:.0f} %  {'ok' if ok_cpu else 'MISSED'}"
    )
    print(
        f"  watch RSS                 start {during[0][2]:.0f} MB, max {rss_max:.0f} MB, "
        f"end {during[-1][2]:.0f} MB; "
        f"{(during[-1][2] - during[0][2]) / appended_mb:.2f} MB more per MB appended"
    )
    ok_rss = True
    if len(windows) >= 3:
        ok_rss = windows[-1][2] <= TARGET_RSS_GROWTH * windows[1][2]
        print(
            f"  RSS bounded               last window max {windows[-1][2]:.0f} MB vs second "
            f"{windows[1][2]:.0f} MB: x{windows[-1][2] / windows[1][2]:.2f}  target ≤ "
            f"x{TARGET_RSS_GROWTH}  {'ok' if ok_rss else 'MISSED'}"
        )
    else:
        print("  RSS bounded               n/a (fewer than three windows)")
    ok = ok_breaks and ok_cpu and ok_rss and not false_alarms
    return 1 if args.strict and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())

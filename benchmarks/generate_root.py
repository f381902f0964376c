"""Write a realistic Claude Code config root for benchmarks: many sessions, many projects.

    python benchmarks/generate_root.py OUT_DIR [--sessions 550] [--size-mb 650] [--seed 0]

``OUT_DIR/projects/-home-dev-src-<name>/<session-uuid>.jsonl`` for 10 to 30 projects
(a few busy, many quiet). Session sizes are log-normal (median ~0.3 MB: tens of KB to
a few MB), plus one session in 110 of 20 to 60 MB; the main files add up to
``--size-mb``. About one session in ten calls subagents (2.1.x layout:
``<session-uuid>/subagents/agent-<id>.jsonl`` + ``.meta.json``); about one in fifty
has a planted defect (orphan tool_use, orphan result, duplicate id, results out of
order). Bodies come from ``generate_transcript.py``. File contents are deterministic
per seed (timestamps count back from a fixed date); the mtimes are spread over the
last 90 days counting back from now, the newest few within the last hour, and two of
the big sessions among the ten newest (what a user has open). ``OUT_DIR/root.json``
(written last) lists what was planted.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import shutil
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from generate_transcript import WORDS, Generator, TextPool  # noqa: E402

from tests.support.synthetic import SessionWriter, Subagent, ToolCall  # noqa: E402

ANCHOR = datetime(2026, 3, 31, 18, 0, tzinfo=UTC)
"""The newest session's last timestamp: contents do not depend on the day they are made."""
DAY = 86_400.0
DEFECTS = ("orphan-tool-use", "orphan-result", "duplicate-id", "out-of-order")
"""R1, R2, R5 (errors the API rejects) and R4 (a warning)."""
NAMES = [
    *("atlas", "billing", "orbit", "nova", "harbor", "quartz", "falcon", "cedar", "ember"),
    *("lumen", "pixel", "sable", "tundra", "vertex", "willow", "zephyr", "kestrel", "maple"),
]
SUFFIXES = ["api", "platform", "web", "cli", "infra", "ml", "docs", "sdk", "worker", "app"]
AGENT_TYPES = ["general-purpose", "Explore", "Explore", "Plan"]
MIN_SIZE, MAX_SMALL = 12_000, 18_000_000
LIVE = 10
"""Sessions treated as live: the newest ten (``bench_root.py`` appends to them)."""


@dataclass
class Spec:
    """One session to write."""

    project: str
    session_id: str
    size: int
    seed: int
    age: float
    """Seconds before now of its mtime (and before :data:`ANCHOR` of its last line)."""
    agents: int = 0
    defect: str | None = None


@dataclass
class Summary:
    """What was written (``OUT_DIR/root.json``)."""

    seed: int
    generated_at: float
    seconds: float
    projects: int
    sessions: int
    session_bytes: int
    size_buckets: dict[str, int]
    sessions_with_subagents: int
    subagent_transcripts: int
    subagent_bytes: int
    defects: dict[str, str]
    """Session file (relative to ``projects/``) → defect planted."""
    live: list[str]
    """The :data:`LIVE` newest session files."""

    def line(self) -> str:
        return (
            f"{self.sessions} sessions in {self.projects} projects, "
            f"{self.session_bytes / 1e6:.0f} MB; {self.size_buckets}; "
            f"{self.sessions_with_subagents} with subagents ({self.subagent_transcripts} "
            f"transcripts, {self.subagent_bytes / 1e6:.1f} MB); "
            f"{len(self.defects)} defects planted; written in {self.seconds} s"
        )


class RootSession(Generator):
    """A session that may call subagents and carry one planted defect."""

    def __init__(self, spec: Spec, out: Path, pool: TextPool) -> None:
        self.file = out.open("wb")
        hours = 0.3 + 6 * random.Random(spec.seed).random()
        super().__init__(
            self.file,
            spec.size,
            spec.seed,
            pool=pool,
            cwd="/home/dev/src/" + spec.project.removeprefix("-home-dev-src-"),
            git_branch="main",
            start=ANCHOR - timedelta(seconds=spec.age, hours=hours),
            session_id=spec.session_id,
        )
        self.agent_at = sorted(self.rng.uniform(0.05, 0.95) * spec.size for _ in range(spec.agents))
        self.defect = spec.defect
        self.defect_at = self.rng.uniform(0.3, 0.8) * spec.size
        self.earlier_ids: list[str] = []

    def batch(self, calls: list[ToolCall], text: str | None, *, streaming: bool) -> None:
        if self.size() >= self.target and not self.agent_at and self.defect is None:
            return  # end the turn now: small sessions stay close to their size
        if self.agent_at and self.size() >= self.agent_at[0]:
            self.agent_at.pop(0)
            self.w.agent_call(self.subagent(), text="I'll hand this search to an agent.")
        if self.defect is not None and self.size() >= self.defect_at and self.earlier_ids:
            self.plant(self.defect, calls, text)
            self.defect = None
            return
        self.earlier_ids.extend(self.w.tool_batch(calls, text=text, streaming=streaming).tool_ids)

    def plant(self, defect: str, calls: list[ToolCall], text: str | None) -> None:
        while len(calls) < 3:
            calls.append(self.small_call())
        if defect == "orphan-tool-use":  # the result of the 2nd call never written
            self.w.tool_batch(calls, text=text, streaming=False, drop_results=[1])
        elif defect == "orphan-result":  # the assistant line of the 2nd call lost
            self.w.tool_batch(calls, text=text, streaming=True, drop_tool_uses=[1])
        elif defect == "duplicate-id":  # a call reusing an earlier call's id
            calls[0] = dataclasses.replace(calls[0], id=self.rng.choice(self.earlier_ids))
            self.w.tool_batch(calls, text=text)
        else:  # results written in reverse order
            order = list(range(len(calls)))[::-1]
            self.w.tool_batch(calls, text=text, streaming=False, result_order=order)

    def subagent(self) -> Subagent:
        r = self.rng
        batches = r.randint(2, 24)

        def work(s: SessionWriter) -> None:
            for _ in range(batches):
                calls = [self.small_call() for _ in range(r.randint(1, 4))]
                s.tool_batch(calls, streaming=r.random() < 0.75)

        topic = " ".join(r.choices(WORDS, k=3))
        return Subagent(
            description=f"Survey {topic}",
            prompt=f"Find every place that touches {topic}; report file:line and what it does.\n"
            + self.pool.text(self.pool.prose, r.randint(100, 800)),
            report=self.pool.text(self.pool.prose, r.randint(300, 3_000)),
            agent_type=r.choice(AGENT_TYPES),
            script=work,
        )

    def write(self, folder: Path) -> list[Path]:
        """Write the whole session; return its subagents' files."""
        with self.file:
            self.run()
        return self.w.write_subagents(folder / self.w.session_id / "subagents")


def session_sizes(rng: random.Random, count: int, total: int) -> list[int]:
    """``count`` sizes adding up to about ``total``: log-normal, plus a few of 20-60 MB."""
    big = [rng.randint(20_000_000, 60_000_000) for _ in range(max(1, round(count / 110)))]
    small = [rng.lognormvariate(math.log(300_000), 1.4) for _ in range(count - len(big))]
    rest = max(total - sum(big), MIN_SIZE * len(small))
    for _ in range(8):  # scale to the rest; clamping moves the sum a little, so repeat
        factor = rest / sum(small)
        small = [min(MAX_SMALL, max(MIN_SIZE, x * factor)) for x in small]
    return big + [int(x) for x in small]


def plan(count: int, total: int, seed: int) -> list[Spec]:
    """The sessions to write, newest first."""
    rng = random.Random(seed)
    names = rng.sample([f"{n}-{s}" for n in NAMES for s in SUFFIXES], rng.randint(10, 30))
    projects = [f"-home-dev-src-{name}" for name in names]
    weights = [1 / (k + 1) ** 0.9 for k in range(len(projects))]
    sizes = session_sizes(rng, count, total)
    n_big = sum(1 for s in sizes if s > MAX_SMALL)
    rng.shuffle(sizes)
    big = [k for k, s in enumerate(sizes) if s > MAX_SMALL]
    for k, slot in zip(big[:2], rng.sample(range(LIVE), 2), strict=False):
        sizes[slot], sizes[k] = sizes[k], sizes[slot]  # two big sessions are live
    assert sum(1 for s in sizes if s > MAX_SMALL) == n_big
    ages = sorted(90 * DAY * rng.random() ** 1.7 for _ in range(count))
    recent = max(1, min(6, count // 50))
    ages[:recent] = sorted(rng.uniform(30, 3_600) for _ in range(recent))
    specs = [
        Spec(
            project=rng.choices(projects, weights)[0],
            session_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            size=size,
            seed=rng.getrandbits(32),
            age=age,
        )
        for size, age in zip(sizes, ages, strict=True)
    ]
    for spec in rng.sample(specs, round(count * 0.1)):
        spec.agents = rng.choice([1, 1, 1, 2, 2, 3])
    for k, spec in enumerate(rng.sample(specs, max(1, round(count * 0.02)))):
        spec.defect = DEFECTS[k % len(DEFECTS)]
    return specs


def generate(out_dir: Path, sessions: int, size_mb: float, seed: int) -> Summary:
    """Write the root; return its summary (also written to ``out_dir/root.json``)."""
    projects = out_dir / "projects"
    specs = plan(sessions, int(size_mb * 1e6), seed)
    pool = TextPool(random.Random(seed ^ 0x9001))
    now = time.time()
    started = time.perf_counter()
    written = subagent_files = subagent_bytes = 0
    sizes: list[int] = []
    next_report = 50e6
    for k, spec in enumerate(specs):
        folder = projects / spec.project
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{spec.session_id}.jsonl"
        extra = RootSession(spec, path, pool).write(folder)
        mtime = now - spec.age
        for offset, file in enumerate(extra):  # subagents finish before their session
            os.utime(file, (mtime - 60 + offset, mtime - 60 + offset))
            subagent_bytes += file.stat().st_size
            subagent_files += file.suffix == ".jsonl"
        os.utime(path, (mtime, mtime))
        sizes.append(path.stat().st_size)
        written += sizes[-1]
        if written >= next_report or k == len(specs) - 1:
            next_report += 50e6
            print(
                f"  {k + 1:4d}/{len(specs)} sessions  {written / 1e6:6.0f} MB  "
                f"{time.perf_counter() - started:5.1f} s",
                flush=True,
            )
    buckets = [
        ("< 100 KB", 0, 100_000),
        ("100 KB - 1 MB", 100_000, 1_000_000),
        ("1 - 5 MB", 1_000_000, 5_000_000),
        ("5 - 20 MB", 5_000_000, 20_000_000),
        ("> 20 MB", 20_000_000, 1 << 62),
    ]
    summary = Summary(
        seed=seed,
        generated_at=now,
        seconds=round(time.perf_counter() - started, 1),
        projects=len({s.project for s in specs}),
        sessions=len(specs),
        session_bytes=written,
        size_buckets={name: sum(lo <= s < hi for s in sizes) for name, lo, hi in buckets},
        sessions_with_subagents=sum(1 for s in specs if s.agents),
        subagent_transcripts=subagent_files,
        subagent_bytes=subagent_bytes,
        defects={f"{s.project}/{s.session_id}.jsonl": s.defect for s in specs if s.defect},
        live=[f"{s.project}/{s.session_id}.jsonl" for s in specs[:LIVE]],
    )
    (out_dir / "root.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2))
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--sessions", type=int, default=550)
    parser.add_argument("--size-mb", type=float, default=650.0, help="main files, in total")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="replace OUT_DIR/projects")
    args = parser.parse_args(argv)
    if args.sessions < 10:
        parser.error("--sessions: at least 10")
    projects = args.out_dir / "projects"
    if projects.exists():
        if not args.force:
            parser.error(f"{projects} exists (--force replaces it)")
        shutil.rmtree(projects)
        (args.out_dir / "root.json").unlink(missing_ok=True)
    print(f"{projects}: {generate(args.out_dir, args.sessions, args.size_mb, args.seed).line()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

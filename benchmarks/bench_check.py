"""Time ``inspector check`` against a bare orjson parse of the same transcript.

    python benchmarks/bench_check.py [--file PATH] [--size-mb 100] [--seed 0] [--runs 3]

Without ``--file`` the transcript is generated (once) into ``benchmarks/out/``
by ``generate_transcript.py``. Each command runs as its own child process,
best wall time of ``--runs``; the peak RSS of each child is read with
``os.wait4`` (per child, unlike ``RUSAGE_CHILDREN``). Unix only.

The package's bytecode is compiled first, as installing it does: with
``PYTHONDONTWRITEBYTECODE`` set (some sandboxes set it) every run would otherwise
compile the inspector's source again, ~25 ms that no installed copy pays.

Targets: inspector time ≤ 1.5 times the bare parse, inspector peak RSS ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import compileall
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
TARGET_RATIO = 1.5
TARGET_RSS_MB = 150.0

BARE_LOOP = "import sys, orjson\nfor line in open(sys.argv[1], 'rb'):\n    orjson.loads(line)\n"


@dataclass
class Timing:
    """Best wall time and highest peak RSS over the runs of one command."""

    seconds: float
    cpu_seconds: float
    """user + system time of the best run, its own children included."""
    rss_mb: float
    exit_codes: set[int]


def run_once(argv: list[str], ok_codes: set[int]) -> tuple[float, float, float, int]:
    """Run ``argv``; return (wall seconds, CPU seconds, peak RSS MB, exit code).

    The usage ``os.wait4`` reports covers the child and the children it waited for
    (``inspector check`` forks one to read half of a big file): CPU time is their sum,
    peak RSS the larger of the two.
    """
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        code = os.waitstatus_to_exitcode(status)
        proc.returncode = code  # already reaped: keep Popen from waiting again
        err.seek(0)
        stderr = err.read()
    # an uncaught exception also exits with 1: only a clean exit counts as a run
    if code not in ok_codes or b"Traceback (most recent call last)" in stderr:
        tail = stderr[-2000:].decode("utf-8", "replace")
        raise SystemExit(f"{' '.join(argv[:5])} exited with {code}:\n{tail}")
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    rss = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    return elapsed, usage.ru_utime + usage.ru_stime, rss, code


def best_of(argv: list[str], runs: int, ok_codes: set[int]) -> Timing:
    results = [run_once(argv, ok_codes) for _ in range(runs)]
    best = min(results, key=lambda r: r[0])
    return Timing(
        seconds=best[0],
        cpu_seconds=best[1],
        rss_mb=max(r[2] for r in results),
        exit_codes={r[3] for r in results},
    )


def count_lines(path: Path) -> int:
    count = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 22):
            count += chunk.count(b"\n")
    return count


def add_transcript_arguments(parser: argparse.ArgumentParser) -> None:
    """The options :func:`transcript` reads: a file, or what to generate."""
    parser.add_argument("--file", type=Path, help="existing transcript (default: generate one)")
    parser.add_argument("--size-mb", type=float, default=100.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--regenerate", action="store_true", help="rewrite the generated file")


def transcript(args: argparse.Namespace) -> Path:
    if args.file is not None:
        path: Path = args.file
        if not path.is_file():
            raise SystemExit(f"no such file: {path}")
        return path
    path = HERE / "out" / f"bench-{args.size_mb:g}mb-seed{args.seed}.jsonl"
    if args.regenerate or not path.is_file():
        cmd = [
            sys.executable,
            str(HERE / "generate_transcript.py"),
            str(path),
            "--size-mb",
            str(args.size_mb),
            "--seed",
            str(args.seed),
        ]
        subprocess.run(cmd, check=True)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark `inspector check` on a large file.")
    add_transcript_arguments(parser)
    parser.add_argument("--runs", type=int, default=3, help="best of N (default 3)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--module", default="inspector", help="module run with -m (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    compileall.compile_dir(ROOT / "inspector", quiet=1)

    path = transcript(args)
    size_mb = path.stat().st_size / 1e6
    lines = count_lines(path)
    print(f"file: {path} ({size_mb:.1f} MB, {lines} lines); best of {args.runs} runs")

    bare = best_of([sys.executable, "-c", BARE_LOOP, str(path)], args.runs, {0})
    insp = best_of(
        [sys.executable, "-m", args.module, "check", "--json", str(path)], args.runs, {0, 1}
    )
    ratio = insp.seconds / bare.seconds
    ratio_ok = ratio <= TARGET_RATIO
    rss_ok = insp.rss_mb <= TARGET_RSS_MB

    rows = [
        ("file size", f"{size_mb:.1f} MB", ""),
        ("lines", f"{lines}", ""),
        (
            "bare orjson loop",
            f"{bare.seconds:.2f} s",
            f"CPU {bare.cpu_seconds:.2f} s  peak RSS {bare.rss_mb:.0f} MB",
        ),
        (
            "inspector check --json",
            f"{insp.seconds:.2f} s",
            f"CPU {insp.cpu_seconds:.2f} s  exit {','.join(map(str, sorted(insp.exit_codes)))}",
        ),
        ("ratio", f"{ratio:.2f}", f"target ≤ {TARGET_RATIO}  {'ok' if ratio_ok else 'MISSED'}"),
        (
            "inspector peak RSS",
            f"{insp.rss_mb:.0f} MB",
            f"target ≤ {TARGET_RSS_MB:.0f} MB  {'ok' if rss_ok else 'MISSED'}",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    for name, value, note in rows:
        print(f"  {name:<{width}}  {value:>10}  {note}")
    return 1 if args.strict and not (ratio_ok and rss_ok) else 0


if __name__ == "__main__":
    raise SystemExit(main())

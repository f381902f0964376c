"""`inspector check` over many transcripts: the closing line, and only what is broken."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REALWORLD, REPO, SAMPLES

BROKEN = ["orphan-tool-use", "duplicate-id"]
HEALTHY = ["healthy-parallel", "out-of-order"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inspector", "check", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "INSPECTOR_CLAUDE_BIN": "", "PATH": os.defpath},
        cwd=REPO,
        check=False,
    )


def paths(*names: str) -> list[str]:
    return [str(SAMPLES / f"{name}.jsonl") for name in names]


def test_many_transcripts_end_with_one_summary_line() -> None:
    done = run(*paths(*BROKEN, *HEALTHY))
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "4 transcripts · 2 rejected (3 errors) · 1 warning"
    healthy = run(*paths(*HEALTHY))
    assert healthy.stdout.splitlines()[-1] == "2 transcripts · 0 errors · 1 warning"
    one = [line for line in run(*paths("healthy-parallel")).stdout.splitlines() if line]
    assert one[-1].startswith("  ✓")  # one transcript: no summary line


def test_errors_only_prints_the_rejected_transcripts_and_the_summary() -> None:
    done = run("--errors-only", *paths(*BROKEN, *HEALTHY))
    headers = [line for line in done.stdout.splitlines() if line.startswith(str(SAMPLES))]
    assert [h.split()[0] for h in headers] == paths(*BROKEN)
    assert done.stdout.splitlines()[-1] == "4 transcripts · 2 rejected (3 errors) · 1 warning"


def test_in_parallel_the_results_and_their_order_are_those_of_one_process() -> None:
    folders = [str(SAMPLES), str(REALWORLD)] if REALWORLD.is_dir() else [str(SAMPLES)]
    serial = run("--json", "--no-cache", "--jobs", "1", *folders)
    parallel = run("--json", "--no-cache", "--jobs", "2", *folders)
    assert parallel.returncode == serial.returncode == 1
    assert parallel.stdout == serial.stdout
    assert parallel.stderr == serial.stderr
    assert len(serial.stdout.splitlines()) > 8


def test_stream_prints_every_transcript_as_it_is_checked() -> None:
    ordered = run("--json", "--no-cache", str(SAMPLES))
    streamed = run("--json", "--no-cache", "--stream", str(SAMPLES))
    assert streamed.returncode == ordered.returncode
    assert sorted(streamed.stdout.splitlines()) == sorted(ordered.stdout.splitlines())


def test_jobs_must_be_a_positive_number() -> None:
    done = run("--jobs", "0", str(SAMPLES))
    assert done.returncode == 2
    assert "not a positive whole number: '0'" in done.stderr

"""Where one core's time goes when ``inspector check`` reads a config root, stage by stage.

    python benchmarks/bench_stages.py [--root DIR]

Every Claude Code transcript under ``ROOT/projects`` (default: the root ``bench_root.py``
generates) goes through the check's stages one after the other, in this one process,
with the collector off as in ``inspector check``; each stage's CPU time is summed over
the files. Beside them, the floor of ``bench_root.py`` (a bare ``orjson.loads`` of every
line) over the same files, in the same run. The stages:

* decode: the reader alone (every line parsed, nothing kept);
* entries: the lines made into entries (:class:`TranscriptEntries`), less decode;
* rebuild: the conversation Claude Code sends (the projection);
* rules: the API's rules (``validate``);
* resume preview: what resuming would heal;
* report: the ``check --json`` object, serialised.

What it shows: how much work the check does per decoded byte beyond decoding, the
figure that decides how close the cold check of ``bench_root.py`` can come to its floor.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.check import report_dict
from inspector.core.jsonl import JsonlReader
from inspector.resume import preview_resume
from inspector.rules import validate

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "out" / "root-seed0"
STAGES = ("decode", "entries", "rebuild", "rules", "resume preview", "report")


def floor(path: Path) -> None:
    with path.open("rb") as f:
        for line in f:
            try:  # noqa: SIM105 (as bench_root.py's floor: a try is free, a with is not)
                orjson.loads(line)
            except orjson.JSONDecodeError:
                pass


def decode(path: Path) -> None:
    for _ in JsonlReader(path).read(final=True).lines:
        pass


def stages(path: Path, spent: dict[str, float]) -> None:
    """Check one file, adding each stage's CPU time to ``spent``."""

    def timed(stage: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        spent[stage] += time.process_time() - started
        return result

    timed("floor", lambda: floor(path))
    timed("decode", lambda: decode(path))
    transcript = ClaudeCodeTranscript(path)
    timed("entries", lambda: transcript.feed(JsonlReader(path).read(final=True).lines))
    conversation = timed("rebuild", transcript.project)
    report = timed("rules", lambda: validate(conversation))
    preview = timed("resume preview", lambda: preview_resume(report))
    timed("report", lambda: orjson.dumps(report_dict(report, preview)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="config root")
    args = parser.parse_args(argv)
    files = sorted((args.root / "projects").rglob("*.jsonl"))
    if not files:
        raise SystemExit(f"no transcripts under {args.root / 'projects'} (run bench_root.py)")
    gc.freeze()
    gc.disable()
    spent = dict.fromkeys(("floor", *STAGES), 0.0)
    for path in files:
        stages(path, spent)
        gc.collect()  # between files, untimed: the pool's workers free a file's by exiting
    spent["entries"] -= spent["decode"]  # the entries stage reads the file again
    size_mb = sum(path.stat().st_size for path in files) / 1e6
    print(f"{len(files)} transcripts, {size_mb:.0f} MB; CPU seconds, one core\n")
    print(f"  {'floor (bare orjson loop)':<28} {spent['floor']:6.2f} s")
    for stage in STAGES:
        print(f"  {stage:<28} {spent[stage]:6.2f} s  {spent[stage] / spent['decode']:5.2f}x decode")
    beyond = sum(spent[stage] for stage in STAGES[1:])
    print(f"\n  {'beyond decoding':<28} {beyond:6.2f} s  {beyond / spent['decode']:5.2f}x decode")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

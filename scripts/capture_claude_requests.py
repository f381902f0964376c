#!/usr/bin/env python3
"""Capture what the real Claude Code sends when it resumes each main transcript of a folder.

For every main transcript (``*.jsonl`` not named ``agent-*.jsonl``) under ROOT (default
``../shared/realworld`` next to the repository) this runs ``claude -p --resume <id>
--no-session-persistence ping`` fully offline (see ``tests/support/claude_capture.py``) and writes
the captured ``/v1/messages`` request body to ``OUT/<relative path, / -> __, no .jsonl>.json``.
Failures (e.g. "No conversation found" for files without messages) are written to
``….error.txt`` with the diagnostics. ``OUT/summary.json`` lists every file's outcome.

Prints one line per file: messages / tool_use / tool_result counts, or the failure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))

from claude_capture import (  # noqa: E402
    TOOL_USE_TYPES,
    CaptureError,
    capture_resume_request,
    find_claude,
)

DEFAULT_ROOT = REPO.parent / "shared" / "realworld"


def main_transcripts(root: Path) -> list[Path]:
    """Main transcripts under ``root``: every ``*.jsonl`` except subagent ``agent-*`` files."""
    return sorted(
        p
        for p in root.rglob("*.jsonl")
        if p.is_file() and not p.name.startswith("agent-") and "subagents" not in p.parts
    )


def output_stem(root: Path, transcript: Path) -> str:
    rel = transcript.relative_to(root).as_posix()
    rel = rel.removesuffix(".jsonl")
    return rel.replace("/", "__")


def count_blocks(messages: list[Any]) -> dict[str, int]:
    counts = {"messages": len(messages), "system": 0, "tool_use": 0, "tool_result": 0}
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("role") == "system":
            counts["system"] += 1
        content = message.get("content")
        if not isinstance(content, list):
            continue
        for block in content:
            kind = block.get("type") if isinstance(block, dict) else None
            if not isinstance(kind, str):
                continue
            if kind in TOOL_USE_TYPES:
                counts["tool_use"] += 1
            elif kind == "tool_result" or kind.endswith("_tool_result"):
                counts["tool_result"] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("root", nargs="?", type=Path, default=DEFAULT_ROOT)
    parser.add_argument("--out", type=Path, default=Path("/tmp/captures"))
    parser.add_argument("--claude", default=None, help="Claude Code binary (default: find it)")
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args(argv)

    claude = args.claude or find_claude()
    if claude is None:
        print("Claude Code not found: set INSPECTOR_CLAUDE_BIN or put claude on PATH")
        return 2
    root: Path = args.root.resolve()
    if not root.is_dir():
        print(f"no such folder: {root}")
        return 2
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)

    files = main_transcripts(root)
    width = max((len(str(p.relative_to(root))) for p in files), default=10)
    summary: list[dict[str, Any]] = []
    failures = 0
    for transcript in files:
        rel = str(transcript.relative_to(root))
        stem = output_stem(root, transcript)
        started = time.monotonic()
        record: dict[str, Any] = {"file": rel}
        try:
            captured = capture_resume_request(transcript, claude_bin=claude, timeout=args.timeout)
        except (CaptureError, ValueError) as exc:
            elapsed = time.monotonic() - started
            reason = exc.reason if isinstance(exc, CaptureError) else str(exc)
            no_conv = isinstance(exc, CaptureError) and exc.no_conversation
            (out / f"{stem}.error.txt").write_text(str(exc) + "\n", encoding="utf-8")
            (out / f"{stem}.json").unlink(missing_ok=True)
            run = exc.run if isinstance(exc, CaptureError) else None
            record.update(
                ok=False,
                no_conversation=no_conv,
                error=reason,
                exit_code=run.returncode if run else None,
                requests=run.paths if run else [],
                seconds=elapsed,
            )
            if not no_conv:
                failures += 1
            label = "no conversation (Claude Code: No conversation found)" if no_conv else reason
            print(f"{rel:<{width}}  FAILED {label}  [{elapsed:.1f}s]", flush=True)
        else:
            elapsed = time.monotonic() - started
            (out / f"{stem}.json").write_bytes(
                orjson.dumps(captured.body, option=orjson.OPT_INDENT_2) + b"\n"
            )
            (out / f"{stem}.error.txt").unlink(missing_ok=True)
            counts = count_blocks(captured.messages)
            record.update(
                ok=True,
                session_id=captured.run.session_id,
                requests=captured.paths,
                exit_code=captured.returncode,
                seconds=elapsed,
                **counts,
            )
            print(
                f"{rel:<{width}}  messages={counts['messages']:<4} "
                f"tool_use={counts['tool_use']:<4} tool_result={counts['tool_result']:<4} "
                f"system={counts['system']:<3} [{elapsed:.1f}s]",
                flush=True,
            )
        summary.append(record)
    (out / "summary.json").write_bytes(orjson.dumps(summary, option=orjson.OPT_INDENT_2) + b"\n")
    print(f"{len(files)} transcripts, {failures} unexpected failures; outputs in {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

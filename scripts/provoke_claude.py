#!/usr/bin/env python3
"""Make the real Claude Code write its send-time repairs and 400s, and keep the transcripts.

Runs every scenario of ``tests/support/claude_scenarios.py`` (or those named with ``--only``)
offline against the scripted loopback server and writes, into
``tests/fixtures/claude_code/<version>/`` (or ``--out``):

* ``<scenario>.<stage>.jsonl``: the transcript the client wrote at that stage, trimmed of
  bulky lines (``claude_scenarios.trim``; kept lines are the client's bytes);
* ``<scenario>.sent.json``: per run, the tool structure of each ``/v1/messages`` turn the
  client sent (``[role, [[block type, id, is_error, placeholder?]...]]``) and its debug-log
  lines about ``ensureToolResultPairing``;
* ``README.md``: one line per file: how it was produced (command, version, date).

Usage: ``python scripts/provoke_claude.py [--claude BIN] [--out DIR] [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.claude_capture import find_claude  # noqa: E402
from tests.support.claude_scenarios import PLACEHOLDER, SCENARIOS, Outcome, trim  # noqa: E402
from tests.support.claude_server import ClientRun  # noqa: E402


def client_version(claude: str) -> str:
    out = subprocess.run([claude, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.split()[0] if out.stdout.split() else "unknown"


def sent_summary(run: ClientRun) -> dict[str, Any]:
    turns = []
    for messages in run.turn_messages():
        shape = []
        for message in messages:
            content = message.get("content")
            blocks = [
                [
                    b["type"],
                    b.get("id") or b.get("tool_use_id"),
                    bool(b.get("is_error")),
                    b.get("content") == PLACEHOLDER,
                ]
                for b in (content if isinstance(content, list) else [])
                if isinstance(b, dict) and b.get("type") in ("tool_use", "tool_result")
            ]
            shape.append([message.get("role"), blocks])
        turns.append(shape)
    repairs = [line for line in run.debug_log.splitlines() if "ensureToolResultPairing" in line]
    return {"argv": [Path(run.argv[0]).name, *run.argv[1:]], "turns": turns, "repairs": repairs}


def write(name: str, outcome: Outcome, out: Path, version: str, readme: list[str]) -> None:
    today = datetime.date.today().isoformat()
    for stage, data in outcome.stages.items():
        target = out / f"{name}.{stage}.jsonl"
        target.write_bytes(trim(data))
        readme.append(
            f"* `{target.name}`: scenario `{name}`, stage `{stage}`; Claude Code {version}, "
            f"{today}, `python scripts/provoke_claude.py --only {name}`."
        )
    sent = [sent_summary(run) for run in outcome.runs]
    (out / f"{name}.sent.json").write_bytes(orjson.dumps(sent, option=orjson.OPT_INDENT_2))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--claude", default=find_claude())
    parser.add_argument("--out", type=Path)
    parser.add_argument("--only", nargs="*", choices=sorted(SCENARIOS))
    args = parser.parse_args(argv)
    if not args.claude:
        print("no Claude Code: pass --claude or set INSPECTOR_CLAUDE_BIN", file=sys.stderr)
        return 2
    version = client_version(args.claude)
    out: Path = args.out or REPO / "tests" / "fixtures" / "claude_code" / version
    out.mkdir(parents=True, exist_ok=True)
    readme: list[str] = []
    for name in args.only or sorted(SCENARIOS):
        with tempfile.TemporaryDirectory(prefix="cc-provoke-") as work:
            outcome = SCENARIOS[name](args.claude, Path(work) / "w")
            write(name, outcome, out, version, readme)
        print(f"{name}: {', '.join(outcome.stages)}")
    notes = out / "README.md"
    old = notes.read_text().splitlines() if notes.exists() else []
    names = {line.split("`")[1] for line in readme}
    kept = [line for line in old if not (line.startswith("* `") and line.split("`")[1] in names)]
    if not kept:
        kept = [
            f"# What Claude Code {version} writes (real client output)",
            "",
            "Each file below was written by the real client, offline, against the scripted",
            "loopback server of `tests/support/claude_server.py` (scenarios in",
            "`tests/support/claude_scenarios.py`). Lines are the client's bytes; bulky lines",
            "(`api-request-shape`, prompt/skill/agent/deferred-tool listing attachments) are",
            "left out and a line that hung off one has only its `parentUuid` value re-pointed",
            "to the dropped line's parent. `late-result-resumed.late.jsonl` is the one input we",
            "edited: the Bash result line moved last (its `parentUuid` re-pointed).",
            "`*.sent.json`: the tool structure of every request the client sent.",
            "",
        ]
    notes.write_text("\n".join([*kept, *readme]) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

#!/usr/bin/env python3
"""Resume damaged transcripts with the real Claude Code and compare with our resume preview.

The damaged transcripts are the planted samples (``sample_sessions/*.jsonl``) and the
mutations of ``tests/support/mutations.py`` (of ``../shared/realworld`` and the healthy
sample). Each is resumed offline with Claude Code V (``tests/support/claude_capture.py``)
and, when our CLI has it, compared with ``python -m inspector messages --as-resumed
--client-version V PATH`` by tool structure. Without that option only the client's
behaviour is recorded.

Every case is a JSON line in ``--out`` (default ``resume-preview-<V>.jsonl``): the client's
outcome (``sent``, ``no-conversation``, ``error``), what it changed against the transcript
as recorded (``python -m inspector messages``: calls dropped, results dropped or added,
placeholders, where an inserted user text went), a skeleton of both conversations, and
``equal`` (ours vs the client, or null). Prints one line per case and a count per kind.

    scripts/check_resume_preview.py [--client-version V] [--limit N] [--kind K] [--all]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.claude_capture import (  # noqa: E402
    TOOL_USE_TYPES,
    CaptureError,
    capture_resume_request,
    find_claude,
    tool_structure,
)
from tests.support.mutations import (  # noqa: E402
    INSERTED_TEXT,
    KINDS,
    generate,
    realworld_sources,
    sample_sources,
)

DEFAULT_VERSION = "2.1.332"
REALWORLD = Path(os.environ.get("INSPECTOR_REALWORLD", REPO.parent / "shared" / "realworld"))
SAMPLES = REPO / "sample_sessions"
PLACEHOLDER = "Tool result missing"


@dataclass(frozen=True)
class Case:
    id: str
    kind: str
    description: str
    ids: tuple[str, ...]
    path: Path


def claude_for(version: str) -> str | None:
    """``../claude/<V>/node_modules/.bin/claude`` next to the repository, else ``find_claude``."""
    local = REPO.parent / "claude" / version / "node_modules" / ".bin" / "claude"
    return str(local) if local.exists() else find_claude()


def cases(directory: Path, kinds: list[str], per_kind: int) -> Iterator[Case]:
    """Planted samples first (kind ``sample``), then the mutations."""
    if "sample" in kinds:
        for path in sorted(SAMPLES.glob("*.jsonl")):
            yield Case(f"sample/{path.stem}", "sample", "planted sample", (), path)
    wanted = [k for k in kinds if k in KINDS]
    sources = realworld_sources(REALWORLD) + sample_sources(SAMPLES)
    for mutation in generate(sources, per_kind=per_kind, kinds=wanted):
        path = mutation.write(directory)
        yield Case(mutation.id, mutation.kind, mutation.description, mutation.ids, path)


# --------------------------------------------------------------------------------------------
# Our side


def has_as_resumed() -> bool:
    proc = subprocess.run(
        [sys.executable, "-m", "inspector", "messages", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return "--as-resumed" in proc.stdout


def our_messages(path: Path, version: str | None) -> list[dict[str, Any]] | str:
    """``inspector messages [--as-resumed --client-version V]``; a string when it failed."""
    argv = [sys.executable, "-m", "inspector", "messages"]
    if version is not None:
        argv += ["--as-resumed", "--client-version", version]
    proc = subprocess.run(
        [*argv, str(path)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False
    )
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}"
    messages = orjson.loads(proc.stdout).get("messages")
    return messages if isinstance(messages, list) else "no messages list"


# --------------------------------------------------------------------------------------------
# Describing what the client did


def _text_of(block: dict[str, Any]) -> str:
    for key in ("text", "thinking"):
        if isinstance(block.get(key), str):
            return str(block[key])
    content = block.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(_text_of(b) for b in content if isinstance(b, dict))
    return ""


def skeleton(messages: list[dict[str, Any]]) -> list[str]:
    """One short line per message: role and its blocks (``tu:<id>``, ``tr:<id>``, ``tx:…``)."""
    rows = []
    for message in messages:
        content = message.get("content")
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        parts = []
        for block in blocks if isinstance(blocks, list) else []:
            if not isinstance(block, dict):
                continue
            kind = str(block.get("type"))
            if kind in TOOL_USE_TYPES:
                parts.append(f"tu:{block.get('id')}")
            elif kind == "tool_result":
                mark = "!" if PLACEHOLDER in _text_of(block) else ""
                parts.append(f"tr{mark}:{block.get('tool_use_id')}")
            elif kind == "thinking":
                parts.append("th")
            else:
                text = _text_of(block).replace("\n", " ")
                parts.append(f"{kind[:2]}:{text[:30]}")
        rows.append(f"{message.get('role')}: " + " | ".join(parts))
    return rows


def _tool_counts(messages: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    found: Counter[tuple[str, str]] = Counter()
    for _role, pairs in tool_structure(messages):
        for kind, tool_id in pairs:
            found["use" if kind in TOOL_USE_TYPES else "result", tool_id] += 1
    return found


def changes(recorded: list[dict[str, Any]], sent: list[dict[str, Any]]) -> dict[str, Any]:
    """Tool blocks the client dropped or added against the recorded conversation."""
    before, after = _tool_counts(recorded), _tool_counts(sent)
    dropped = before - after
    added = after - before
    placeholders = [
        row for row in skeleton(sent) for part in row.split(" | ") if part.startswith("tr!:")
    ]
    inserted = [i for i, row in enumerate(skeleton(sent)) if INSERTED_TEXT[:30] in row]
    return {
        "dropped_uses": sorted(i for (k, i), n in dropped.items() if k == "use" for _ in range(n)),
        "dropped_results": sorted(
            i for (k, i), n in dropped.items() if k == "result" for _ in range(n)
        ),
        "added_uses": sorted(i for (k, i), n in added.items() if k == "use" for _ in range(n)),
        "added_results": sorted(
            i for (k, i), n in added.items() if k == "result" for _ in range(n)
        ),
        "placeholders": len(placeholders),
        "inserted_text_at": inserted,
        "same_structure": tool_structure(recorded) == tool_structure(sent),
    }


def run_case(
    case: Case, claude: str, version: str, compare: bool, replay: dict[str, Any] | None = None
) -> dict[str, Any]:
    """One case; with ``replay`` (the row of an earlier run) the client is not run again:
    what it sent then is compared with what we say now."""
    if replay is not None:
        return _replayed(case, version, replay)
    row: dict[str, Any] = {
        "id": case.id,
        "kind": case.kind,
        "client": version,
        "description": case.description,
        "ids": list(case.ids),
        "path": str(case.path),
    }
    recorded = our_messages(case.path, None)
    try:
        captured = capture_resume_request(case.path, claude_bin=claude, timeout=120)
    except CaptureError as exc:
        row["outcome"] = "no-conversation" if exc.no_conversation else "error"
        row["reason"] = exc.reason
        sent: list[dict[str, Any]] = []
    else:
        row["outcome"] = "sent"
        sent = captured.messages
        row["structure"] = tool_structure(sent)
        row["skeleton"] = skeleton(sent)
    if isinstance(recorded, list):
        row["recorded_skeleton"] = skeleton(recorded)
        if row["outcome"] == "sent":
            row["changes"] = changes(recorded, sent)
    else:
        row["recorded_error"] = recorded
    row["equal"] = None
    if compare:
        ours = our_messages(case.path, version)
        if isinstance(ours, str):
            row["equal"], row["ours_error"] = False, ours
        else:
            row["ours_structure"] = tool_structure(ours)
            row["equal"] = tool_structure(ours) == tool_structure(sent)
    return row


def _replayed(case: Case, version: str, earlier: dict[str, Any]) -> dict[str, Any]:
    row = dict(earlier)
    ours = our_messages(case.path, version)
    if isinstance(ours, str):
        row["equal"], row["ours_error"] = False, ours
        return row
    structure = orjson.loads(orjson.dumps(tool_structure(ours)))
    row["ours_structure"] = structure
    row["equal"] = structure == (row.get("structure") or [])
    return row


def verdict(row: dict[str, Any]) -> str:
    if row["outcome"] != "sent":
        return str(row["outcome"])
    c = row.get("changes") or {}
    done = [
        f"{name.replace('_', ' ')} {len(c[name])}"
        for name in ("dropped_uses", "dropped_results", "added_uses", "added_results")
        if c.get(name)
    ]
    if c.get("placeholders"):
        done.append(f"placeholders {c['placeholders']}")
    return ", ".join(done) or "unchanged"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--client-version", default=DEFAULT_VERSION)
    parser.add_argument("--claude", help="the binary (default ../claude/V/… or PATH)")
    parser.add_argument("--limit", type=int, help="stop after N cases")
    parser.add_argument("--kind", action="append", help=f"sample or one of {', '.join(KINDS)}")
    parser.add_argument("--all", action="store_true", help="2 mutations per kind and file")
    parser.add_argument("--match", default="", help="only cases whose id contains this")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--replay", type=Path, help="an earlier --out: compare with what the client sent then"
    )
    args = parser.parse_args(argv)
    earlier: dict[str, dict[str, Any]] = {}
    if args.replay is not None:
        for line in args.replay.read_bytes().splitlines():
            row = orjson.loads(line)
            earlier[row["id"]] = row

    claude = args.claude or claude_for(args.client_version)
    if claude is None:
        print("no Claude Code binary: install it or pass --claude", file=sys.stderr)
        return 2
    kinds = args.kind or ["sample", *KINDS]
    unknown = [k for k in kinds if k != "sample" and k not in KINDS]
    if unknown:
        print(f"unknown kind: {', '.join(unknown)}", file=sys.stderr)
        return 2
    compare = has_as_resumed()
    out = args.out or Path(f"resume-preview-{args.client_version}.jsonl")
    if not compare:
        print("`inspector messages --as-resumed` not available: recording the client only")

    totals: dict[str, Counter[str]] = {}
    with tempfile.TemporaryDirectory(prefix="mutations-") as tmp, out.open("wb") as sink:
        todo = [c for c in cases(Path(tmp), kinds, 2 if args.all else 1) if args.match in c.id]
        todo = todo[: args.limit]
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            rows = pool.map(
                lambda c: run_case(c, claude, args.client_version, compare, earlier.get(c.id)),
                todo,
            )
            for row in rows:
                sink.write(orjson.dumps(row) + b"\n")
                sink.flush()
                equal = {None: "-", True: "equal", False: "different"}[row["equal"]]
                print(f"{equal:9} {row['id']}: {verdict(row)}", flush=True)
                count = totals.setdefault(row["kind"], Counter())
                count["cases"] += 1
                count[equal] += 1
                count[verdict(row) if row["outcome"] != "sent" else "sent"] += 1
    print(f"\n{'kind':28} cases  equal  different  (outcomes)")
    for kind, count in totals.items():
        outcomes = ", ".join(
            f"{k} {v}" for k, v in count.items() if k not in ("cases", "equal", "different", "-")
        )
        numbers = f"{count['cases']:5}  {count['equal']:5}  {count['different']:9}"
        print(f"{kind:28} {numbers}  ({outcomes})")
    print(f"written: {out}")
    different = sum(c["different"] for c in totals.values())
    return 1 if compare and different else 0


if __name__ == "__main__":
    sys.exit(main())

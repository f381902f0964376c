#!/usr/bin/env python3
"""Show what changes between two Claude Code versions when they resume the same transcripts.

    scripts/compare_claude_versions.py OLD NEW [PATH ...]

Each version's real client resumes each transcript offline (``tests/support/claude_capture.py``,
a loopback server, nothing leaves the machine). Per transcript it prints whether the
tool-call structure of the two requests is equal, and if not the first difference; then
which messages differ in full content and why (text changed, block dropped or added, tool
name changed, ...). A summary counts both over all transcripts.

PATHs are transcripts or folders (default: every main transcript of ``../shared/realworld``).
Binaries: ``--bin VERSION=PATH``, else ``INSPECTOR_CLAUDE_BINS`` (``VERSION=PATH,...``), else
``../claude/VERSION/node_modules/.bin/claude`` beside the repository. Exit 0 when every
transcript has the same tool structure on both, 1 when one differs, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.claude_capture import (  # noqa: E402
    CaptureError,
    capture_resume_request,
    tool_structure,
)
from tests.support.claude_versions import BINS_VARIABLE, parse_bins  # noqa: E402

DEFAULT_ROOT = REPO.parent / "shared" / "realworld"
CLAUDE_ROOT = REPO.parent / "claude"
SHOWN_REASONS = 6  # content differences printed per transcript (all with --verbose)

Message = dict[str, Any]
Block = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Inputs


def main_transcripts(paths: Sequence[Path]) -> list[Path]:
    """Files as given; folders expanded to their main transcripts (no ``agent-*``, subagents)."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.jsonl")
                if p.is_file() and not p.name.startswith("agent-") and "subagents" not in p.parts
            )
        else:
            found.append(path)
    return found


def find_binary(version: str, given: dict[str, str]) -> str | None:
    if version in given:
        return given[version]
    named = dict(parse_bins(os.environ.get(BINS_VARIABLE, "")))
    if named.get(version):
        return named[version]
    local = CLAUDE_ROOT / version / "node_modules" / ".bin" / "claude"
    return str(local) if local.is_file() else None


# --------------------------------------------------------------------------------------------
# Capturing


@dataclass
class Outcome:
    """What one version sent for one transcript, or why it sent nothing."""

    body: dict[str, Any] | None
    failure: str = ""

    @property
    def messages(self) -> list[Message]:
        messages = (self.body or {}).get("messages")
        return messages if isinstance(messages, list) else []


def capture(transcript: Path, binary: str, timeout: float) -> Outcome:
    try:
        return Outcome(capture_resume_request(transcript, claude_bin=binary, timeout=timeout).body)
    except CaptureError as exc:
        return Outcome(None, "no conversation" if exc.no_conversation else exc.reason)
    except ValueError as exc:
        return Outcome(None, str(exc))


# --------------------------------------------------------------------------------------------
# Comparing


def first_structure_difference(old: list[Message], new: list[Message]) -> str | None:
    """None when the tool structures are equal, else where and how they first differ."""
    a, b = tool_structure(old), tool_structure(new)
    if a == b:
        return None
    at = next(
        (i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b))
    )

    def show(entries: list[Any]) -> str:
        if at >= len(entries):
            return "(nothing)"
        role, pairs = entries[at]
        return f"{role}: " + ", ".join(f"{kind} …{tool_id[-6:]}" for kind, tool_id in pairs)

    return f"entry {at} of {len(a)}/{len(b)}: old {show(a)} | new {show(b)}"


def _blocks(message: Message) -> list[Block]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _describe_block(block: Block) -> str:
    kind = str(block.get("type"))
    text = block.get("text")
    if kind == "text" and isinstance(text, str) and text.lstrip().startswith("<system-reminder>"):
        return "system-reminder text"
    if kind == "tool_use":
        return f"tool_use {block.get('name')}"
    return kind


def _signature(block: Block) -> tuple[str, str]:
    """What aligns two blocks: their kind (reminders apart from other text) and tool id."""
    kind = "tool_use" if block.get("type") == "tool_use" else _describe_block(block)
    return kind, str(block.get("id") or block.get("tool_use_id") or "")


def block_changes(old: Block, new: Block) -> list[str]:
    """Why two blocks of the same type and id differ."""
    if old == new:
        return []
    kind = _describe_block(old) if old.get("type") == "text" else str(old.get("type"))
    reasons: list[str] = []
    if old.get("name") != new.get("name"):
        reasons.append(f"{kind} name {old.get('name')}→{new.get('name')}")
    for key in ("text", "thinking"):
        a, b = old.get(key), new.get(key)
        if a != b and isinstance(a, str) and isinstance(b, str):
            same = a.strip() == b.strip()
            what = kind if kind.endswith(key) else f"{kind} {key}"
            reasons.append(f"{what} changed" + (" (whitespace at the ends)" if same else ""))
    if old.get("input") != new.get("input"):
        reasons.append(f"{kind} input changed")
    if old.get("content") != new.get("content"):
        reasons.append(f"{kind} content changed")
    if old.get("is_error") != new.get("is_error"):
        reasons.append(f"{kind} is_error {old.get('is_error')}→{new.get('is_error')}")
    checked = {"type", "id", "tool_use_id", "name", "text", "thinking", "input", "content"}
    for key in sorted((set(old) | set(new)) - checked - {"is_error"}):
        if key not in new:
            reasons.append(f"{kind} {key} dropped")
        elif key not in old:
            reasons.append(f"{kind} {key} added")
        elif old[key] != new[key]:
            reasons.append(f"{kind} {key} changed")
    return reasons or [f"{kind} changed"]


def message_changes(old: Message, new: Message) -> list[str]:
    """Short reasons why two aligned messages differ."""
    reasons: list[str] = []
    if old.get("role") != new.get("role"):
        reasons.append(f"role {old.get('role')}→{new.get('role')}")
    if isinstance(old.get("content"), str) != isinstance(new.get("content"), str):
        reasons.append("content string↔blocks")
    a, b = _blocks(old), _blocks(new)
    sig_a, sig_b = [_signature(x) for x in a], [_signature(y) for y in b]
    if sig_a != sig_b and sorted(sig_a) == sorted(sig_b):
        moved = sorted(
            {
                kind
                for (kind, _id), other in zip(sig_a, sig_b, strict=True)
                if _id and (kind, _id) != other
            }
        )
        reasons.append(f"{' and '.join(moved) or 'block'} order changed")
        by_signature = {_signature(y): y for y in b}
        b = [by_signature.get(_signature(x), x) for x in a]
    matcher = difflib.SequenceMatcher(
        None, [_signature(x) for x in a], [_signature(y) for y in b], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" or (op == "replace" and i2 - i1 == j2 - j1):
            for x, y in zip(a[i1:i2], b[j1:j2], strict=True):
                reasons += (
                    block_changes(x, y)
                    if _signature(x) == _signature(y)
                    else [f"{_describe_block(x)} → {_describe_block(y)}"]
                )
            continue
        reasons += [f"{_describe_block(x)} block dropped" for x in a[i1:i2]]
        reasons += [f"{_describe_block(y)} block added" for y in b[j1:j2]]
    for key in sorted((set(old) | set(new)) - {"role", "content"}):
        if old.get(key) != new.get(key):
            reasons.append(f"message {key} changed")
    return list(dict.fromkeys(reasons)) or ["changed"]


def _first_text(message: Message) -> str:
    for block in _blocks(message):
        for key in ("text", "thinking", "name"):
            value = block.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:50]
    return "fields " + ", ".join(sorted(message))


@dataclass
class ContentDiff:
    equal: int
    differences: list[tuple[str, list[str]]]  # ("old #i / new #j role", reasons)


def _message_signature(message: Message) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What aligns two messages whose content differs: role and tool ids."""
    pairs = tool_structure([message])
    return str(message.get("role")), pairs[0][1] if pairs else ()


def content_diff(old: list[Message], new: list[Message]) -> ContentDiff:
    """Messages aligned by full content, then by role and tool ids; each unequal one, why."""
    keys_old = [orjson.dumps(m, option=orjson.OPT_SORT_KEYS) for m in old]
    keys_new = [orjson.dumps(m, option=orjson.OPT_SORT_KEYS) for m in new]
    equal, found = 0, []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(
        None, keys_old, keys_new, autojunk=False
    ).get_opcodes():
        if op == "equal":
            equal += i2 - i1
            continue
        inner = difflib.SequenceMatcher(
            None,
            [_message_signature(m) for m in old[i1:i2]],
            [_message_signature(m) for m in new[j1:j2]],
            autojunk=False,
        )
        for op2, a1, a2, b1, b2 in inner.get_opcodes():
            paired = a2 - a1 if op2 == "equal" or (a2 - a1 == b2 - b1) else 0
            for k in range(paired):
                i, j = i1 + a1 + k, j1 + b1 + k
                where = f"old #{i} / new #{j} {old[i].get('role')}"
                found.append((where, message_changes(old[i], new[j])))
            for i in range(i1 + a1 + paired, i1 + a2):
                text = _first_text(old[i])
                found.append((f"old #{i} {old[i].get('role')}", [f"message dropped ({text!r})"]))
            for j in range(j1 + b1 + paired, j1 + b2):
                text = _first_text(new[j])
                found.append((f"new #{j} {new[j].get('role')}", [f"message added ({text!r})"]))
    return ContentDiff(equal, found)


def _kind(reason: str) -> str:
    """A reason without the quoted text, for the summary's tally."""
    return reason.split(" (", 1)[0] if reason.startswith("message ") else reason


def tools_line(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str | None:
    def names(body: dict[str, Any] | None) -> set[str]:
        tools = (body or {}).get("tools")
        if not isinstance(tools, list):
            return set()
        return {str(t.get("name")) for t in tools if isinstance(t, dict)}

    a, b = names(old), names(new)
    if not a and not b:
        return None
    gone, added = sorted(a - b), sorted(b - a)
    return (
        f"tools offered: {len(a)} → {len(b)}"
        + (f"; dropped {', '.join(gone)}" if gone else "")
        + (f"; added {', '.join(added)}" if added else "")
    )


# --------------------------------------------------------------------------------------------
# Main


def _pairs(values: Iterable[str]) -> dict[str, str]:
    given: dict[str, str] = {}
    for value in values:
        given.update(parse_bins(value))
    return given


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("old", help="the older version, e.g. 2.1.197")
    parser.add_argument("new", help="the newer version, e.g. 2.1.332")
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_ROOT])
    parser.add_argument("--bin", action="append", default=[], metavar="VERSION=PATH")
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--workers", type=int, choices=(1, 2), default=2)
    parser.add_argument("--verbose", action="store_true", help="every content difference")
    args = parser.parse_args(argv)

    try:
        given = _pairs(args.bin)
    except ValueError as exc:
        parser.error(str(exc))
    binaries: dict[str, str] = {}
    for version in (args.old, args.new):
        binary = find_binary(version, given)
        if binary is None:
            parser.error(f"no binary for Claude Code {version}: pass --bin {version}=PATH")
        binaries[version] = binary
    transcripts = main_transcripts(args.paths)
    if not transcripts:
        parser.error("no transcripts found")
    root = args.paths[0] if len(args.paths) == 1 and args.paths[0].is_dir() else None

    jobs = [(t, v) for t in transcripts for v in (args.old, args.new)]

    def run(job: tuple[Path, str]) -> Outcome:
        return capture(job[0], binaries[job[1]], args.timeout)

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        outcomes = dict(zip(jobs, pool.map(run, jobs), strict=True))

    print(f"Claude Code {args.old} (old) vs {args.new} (new), {len(transcripts)} transcripts")
    structure_equal = content_equal = neither = 0
    tally: Counter[str] = Counter()
    tools_shown = False
    for transcript in transcripts:
        name = str(transcript.relative_to(root)) if root else str(transcript)
        old, new = outcomes[(transcript, args.old)], outcomes[(transcript, args.new)]
        if not tools_shown and old.body and new.body:
            line = tools_line(old.body, new.body)
            if line:
                print(line)
            tools_shown = True
        if old.failure or new.failure:
            same = old.failure == new.failure
            structure_equal += same
            neither += same
            mark = "=" if same else "✗"
            print(f"{mark} {name}: old {old.failure or 'sent'}; new {new.failure or 'sent'}")
            continue
        difference = first_structure_difference(old.messages, new.messages)
        diff = content_diff(old.messages, new.messages)
        structure_equal += difference is None
        content_equal += not diff.differences
        head = "structure equal" if difference is None else f"structure DIFFERS at {difference}"
        print(
            f"{'=' if difference is None else '✗'} {name}: {head}; content "
            f"{diff.equal}/{len(old.messages)}→{len(new.messages)} messages equal"
        )
        shown = diff.differences if args.verbose else diff.differences[:SHOWN_REASONS]
        for where, reasons in shown:
            print(f"    {where}: {'; '.join(reasons)}")
        if len(shown) < len(diff.differences):
            print(f"    … {len(diff.differences) - len(shown)} more (--verbose)")
        tally.update({_kind(r) for _where, reasons in diff.differences for r in reasons})

    print(
        f"\nsummary: tool structure equal on {structure_equal}/{len(transcripts)}, "
        f"full content equal on {content_equal}/{len(transcripts)}"
        + (f"; {neither} where both failed alike (e.g. no conversation)" if neither else "")
    )
    for reason, count in tally.most_common():
        print(f"  {count:>3} transcript(s): {reason}")
    return 0 if structure_equal == len(transcripts) else 1


if __name__ == "__main__":
    sys.exit(main())

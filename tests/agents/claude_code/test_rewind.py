"""Rewind: a new session cut at the last valid turn (agents.claude_code.rewind, rewrite.plan)."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents.claude_code.lines import patch_line
from inspector.agents.claude_code.lines import with_session_id as _with_session_id
from inspector.agents.claude_code.read import load_transcript
from inspector.agents.claude_code.rewind import plan_rewind
from inspector.agents.claude_code.sidecar import mentioned
from inspector.check import check_file
from inspector.core.model import Conversation
from inspector.core.timestamps import parse_timestamp
from inspector.rewrite.counts import tool_structure
from inspector.rewrite.folders import safe_path_part
from inspector.rewrite.plan import RewriteFailed, apply
from inspector.rewrite.snapshot import read_snapshot
from tests.conftest import SAMPLES, realworld_main_params
from tests.support.synthetic import SessionWriter, bash_call, read_call

DEFECTS = ["orphan-tool-use", "orphan-result", "duplicate-id", "compacted", "api-error"]
HEALTHY = ["healthy-parallel", "out-of-order"]


# ---------------------------------------------------------------------- helpers


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): sha(p) for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    return folder


def lines_of(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(raw) for raw in path.read_bytes().splitlines() if raw.strip()]


def naive_walk(path: Path) -> tuple[list[str], list[str]]:
    """Walk ``parentUuid`` from the newest main entry, one parent at a time (as the simplest
    client does). Returns (walked uuids root first, main chain uuids after the boundary, in
    walk order when they are all walked, else in file order)."""
    chain = [
        e
        for e in lines_of(path)
        if e.get("type") in ("user", "assistant", "system", "attachment", "progress")
        and isinstance(e.get("uuid"), str)
        and not e.get("isSidechain")
    ]
    by_uuid = {e["uuid"]: e for e in chain}
    entries = [e for e in chain if e.get("type") != "progress"]
    named = {e.get("parentUuid") for e in chain}
    leaves = [
        (e.get("timestamp") or "", i) for i, e in enumerate(entries) if e["uuid"] not in named
    ]
    newest = entries[max(leaves)[1]]  # the newest leaf; file order breaks ties
    walked: list[str] = []
    current: dict[str, Any] | None = newest
    while current is not None:
        walked.append(current["uuid"])
        if current.get("subtype") == "compact_boundary":
            break
        parent = current.get("parentUuid")
        if parent is None:
            break
        assert parent in by_uuid, f"{current['uuid']} names a missing parent {parent}"
        current = by_uuid[parent]
    walked = [u for u in reversed(walked) if by_uuid[u].get("type") != "progress"]
    start = next(
        (i for i, e in enumerate(entries) if e.get("uuid") == walked[0]),
        0,
    )
    main = [e["uuid"] for e in entries[start:]]
    if sorted(main) == sorted(walked):
        return walked, walked  # the walk may differ from file order; every entry is on it
    return walked, main


def kept_structure(original: Conversation, cut_index: int, cut_line: int) -> Any:
    """The original's messages[0..cut] in tool structure, without blocks after the cut line."""
    structure = []
    for message in original.messages[: cut_index + 1]:
        pairs = tuple(
            (b.type, b.tool_id or "")
            for b in message.blocks
            if b.origin.line <= cut_line
            and (b.type in ("tool_use", "server_tool_use") or b.type.endswith("tool_result"))
        )
        if pairs:
            structure.append((message.role, pairs))
    return structure


# ---------------------------------------------------------------------- the samples


@pytest.mark.parametrize("name", DEFECTS)
def test_rewind_sample(samples: Path, name: str) -> None:
    source = samples / f"{name}.jsonl"
    before = tree_hashes(samples)
    original = check_file(source)
    plan = plan_rewind(source)
    assert plan.cut is not None
    assert plan.first_error is not None
    result = apply(plan)
    written = result.written
    assert written is not None
    assert written == samples / f"{result.session_id}.jsonl"
    # The original (and every other file) is untouched.
    after = tree_hashes(samples)
    assert {k: v for k, v in after.items() if k in before} == before

    report = check_file(written)
    assert report.ok, report.errors
    conversation = report.conversation
    assert conversation.session_id == result.session_id
    assert all(
        e.get("sessionId") == result.session_id for e in lines_of(written) if "sessionId" in e
    )
    # Claude Code resumes at the cut: the newest entry, reached by a plain walk.
    assert conversation.chain[-1].uuid == plan.cut.uuid
    walked, main = naive_walk(written)
    assert walked[-1] == plan.cut.uuid
    assert walked == main
    # The kept messages are the original's up to the cut, in tool structure.
    assert len(conversation.messages) == plan.cut.message_index + 1
    assert tool_structure(conversation) == kept_structure(
        original.conversation, plan.cut.message_index, plan.cut.line
    )
    assert result.resume == f"claude --resume {result.session_id}"


def test_rewind_lines_are_copied_byte_for_byte(samples: Path) -> None:
    source = samples / "duplicate-id.jsonl"
    plan = plan_rewind(source)
    result = apply(plan)
    assert result.written is not None
    old_id = load_transcript(source).session_id
    assert old_id is not None
    originals = {line.raw for line in read_snapshot(source).lines}
    for raw in result.written.read_bytes().splitlines():
        restored = raw.replace(result.session_id.encode(), old_id.encode())  # type: ignore[union-attr]
        assert restored in originals
        assert b'": ' not in raw[:200]


@pytest.mark.parametrize("name", HEALTHY)
def test_nothing_to_rewind(samples: Path, name: str) -> None:
    before = tree_hashes(samples)
    plan = plan_rewind(samples / f"{name}.jsonl")
    assert plan.nothing_to_fix
    result = apply(plan)
    assert result.written is None
    assert tree_hashes(samples) == before


def test_compacted_keeps_boundary_summary_and_history(samples: Path) -> None:
    source = samples / "compacted.jsonl"
    plan = plan_rewind(source)
    assert plan.cut is not None
    assert plan.cut.line == 25  # the summary, just before the orphan result
    result = apply(plan)
    assert result.written is not None
    kept = lines_of(result.written)
    boundary = [e for e in kept if e.get("subtype") == "compact_boundary"]
    summary = [e for e in kept if e.get("isCompactSummary")]
    assert len(boundary) == 1
    assert boundary[0]["parentUuid"] is None
    assert len(summary) == 1
    assert summary[0]["parentUuid"] == boundary[0]["uuid"]
    # History before the boundary stays (Claude Code does not send it).
    assert len(kept) == 25
    assert plan.kept["history_lines"] == 23


def test_metadata_of_kept_prompts(samples: Path) -> None:
    source = samples / "duplicate-id.jsonl"
    plan = plan_rewind(source)
    result = apply(plan)
    assert result.written is not None
    kept = lines_of(result.written)
    uuids = {e.get("uuid") for e in kept}
    snapshots = [e for e in kept if e.get("type") == "file-history-snapshot"]
    assert len(snapshots) == 2
    assert all(s["messageId"] in uuids for s in snapshots)
    assert any(e.get("type") == "permission-mode" for e in kept)


# ---------------------------------------------------------------------- explicit cuts


def test_explicit_line_relinks_parallel_results(samples: Path) -> None:
    source = samples / "healthy-parallel.jsonl"
    plan = plan_rewind(source, line=33)  # end of the first turn: two parallel batches (DAG)
    result = apply(plan)
    assert result.written is not None
    walked, main = naive_walk(result.written)
    assert walked == main  # every kept entry is on the one parent chain
    original = {e["uuid"]: e for e in lines_of(source) if "uuid" in e}
    relinked = [
        e["uuid"]
        for e in lines_of(result.written)
        if "uuid" in e and e.get("parentUuid") != original[e["uuid"]].get("parentUuid")
    ]
    assert len(relinked) == 2  # the two results that hung off their own tool_use line
    assert check_file(result.written).ok
    assert result.subagents == ()


def test_subagents_of_kept_calls_are_copied(samples: Path) -> None:
    source = samples / "healthy-parallel.jsonl"
    plan = plan_rewind(source, line=44)  # after the Agent call's turn
    result = apply(plan)
    assert result.written is not None
    folder = result.written.with_suffix("")
    names = sorted(p.name for p in (folder / "subagents").iterdir())
    assert names == ["agent-abac5abbba4ed4f36.jsonl", "agent-abac5abbba4ed4f36.meta.json"]
    copied = folder / "subagents" / "agent-abac5abbba4ed4f36.jsonl"
    original = samples / "healthy-parallel" / "subagents" / "agent-abac5abbba4ed4f36.jsonl"
    assert all(e["sessionId"] == result.session_id for e in lines_of(copied))
    assert [{**e, "sessionId": "x"} for e in lines_of(copied)] == [
        {**e, "sessionId": "x"} for e in lines_of(original)
    ]
    assert (folder / "subagents" / "agent-abac5abbba4ed4f36.meta.json").read_bytes() == (
        original.with_name("agent-abac5abbba4ed4f36.meta.json").read_bytes()
    )
    report = check_file(result.written)
    assert [link.path for link in report.conversation.subagents] == [copied]


def test_to_uuid(samples: Path) -> None:
    source = samples / "orphan-tool-use.jsonl"
    prompt = lines_of(source)[2]["uuid"]
    plan = plan_rewind(source, to=prompt)
    assert plan.cut is not None
    assert plan.cut.uuid == prompt


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (1, "permission-mode line"),
        (2, "file-history-snapshot line"),
        (99, "out of range"),
        (9, "still rejected"),  # after the orphan tool_use
        (6, "results come after it"),  # on a tool_use line
    ],
)
def test_bad_explicit_line(samples: Path, line: int, message: str) -> None:
    with pytest.raises(RewriteFailed, match=message):
        plan_rewind(samples / "orphan-tool-use.jsonl", line=line)


def test_unknown_uuid(samples: Path) -> None:
    with pytest.raises(RewriteFailed, match="no entry with uuid nope"):
        plan_rewind(samples / "orphan-tool-use.jsonl", to="nope")


def test_system_line_cuts_after_its_message(samples: Path) -> None:
    plan = plan_rewind(samples / "healthy-parallel.jsonl", line=34)  # turn_duration
    assert plan.cut is not None
    assert plan.cut.line == 33
    assert any("system line" in note for note in plan.notes)


def test_abandoned_branch_target(tmp_path: Path) -> None:
    """A cut on a branch the file no longer resumes (after /rewind) still walks cleanly."""
    w = SessionWriter(seed=3)
    first = w.prompt("first question")
    w.assistant_text("first answer")
    abandoned = w.prompt("abandoned question")
    answer = w.assistant_text("abandoned answer")
    entries = w.entries()
    # /rewind: the next prompt hangs off the first answer, not the abandoned one.
    w._head = entries[3]["uuid"]
    w.prompt("new question")
    w.assistant_text("new answer")
    path = tmp_path / f"{w.session_id}.jsonl"
    w.write(path)
    assert check_file(path).conversation.abandoned
    plan = plan_rewind(path, to=answer)
    result = apply(plan)
    assert result.written is not None
    conversation = check_file(result.written).conversation
    assert [o.uuid for o in conversation.chain][-1] == answer
    assert abandoned in {o.uuid for o in conversation.chain}
    assert first in {o.uuid for o in conversation.chain}
    walked, main = naive_walk(result.written)
    assert walked == main


def test_synthetic_rewind_keeps_structure(tmp_path: Path) -> None:
    w = SessionWriter(seed=11, thinking=True)
    w.prompt("look")
    w.tool_batch([read_call("/a.py", "a"), bash_call("ls", "a.py")], streaming=False)
    w.assistant_text("done")
    w.prompt("again")
    w.tool_batch([read_call("/b.py", "b"), bash_call("pwd", "/")], drop_results=[0])
    w.assistant_text("ok")
    path = tmp_path / f"{w.session_id}.jsonl"
    w.write(path)
    original = check_file(path)
    plan = plan_rewind(path)
    result = apply(plan)
    assert result.written is not None
    report = check_file(result.written)
    assert report.ok
    assert plan.cut is not None
    assert tool_structure(report.conversation) == kept_structure(
        original.conversation, plan.cut.message_index, plan.cut.line
    )
    assert plan.dropped["tool_uses"] == 2


# ---------------------------------------------------------------------- patching lines


def test_patch_line_skips_nested_keys() -> None:
    value = {
        "parentUuid": "p",
        "sessionId": "old",
        "toolUseResult": {"sessionId": "old", "parentUuid": "p"},
        "tail": 1,
    }
    raw = orjson.dumps(value)
    patched = patch_line(raw, value, {"sessionId": "new", "parentUuid": "q"})
    assert orjson.loads(patched) == {**value, "sessionId": "new", "parentUuid": "q"}
    assert patched == raw.replace(b'"sessionId":"old","toolU', b'"sessionId":"new","toolU').replace(
        b'{"parentUuid":"p"', b'{"parentUuid":"q"'
    )


def test_patch_line_nested_key_after_top_level() -> None:
    value = {"sessionId": "old", "parentUuid": None, "data": {"sessionId": "old"}}
    raw = orjson.dumps(value)
    patched = patch_line(raw, value, {"sessionId": "new", "parentUuid": "x"})
    assert orjson.loads(patched) == {**value, "sessionId": "new", "parentUuid": "x"}
    assert patched == b'{"sessionId":"new","parentUuid":"x","data":{"sessionId":"old"}}'


def test_patch_line_falls_back_to_compact_json() -> None:
    value = {"parentUuid": "p", "sessionId": "old", "text": "é"}
    raw = b'{"parentUuid": "p", "sessionId": "old", "text": "\\u00e9"}'
    patched = patch_line(raw, value, {"sessionId": "new"})
    assert patched == orjson.dumps({**value, "sessionId": "new"})
    assert b'": ' not in patched


def test_patch_line_invalid_utf8_is_kept() -> None:
    raw = b'{"parentUuid":"p","sessionId":"old","text":"bad \xff byte"}'
    value = orjson.loads(raw.decode("utf-8", errors="replace"))
    patched = patch_line(raw, value, {"sessionId": "new"})
    assert patched == raw.replace(b'"old"', b'"new"')


def test_patch_line_keeps_a_carriage_return() -> None:
    value = {"parentUuid": "p", "sessionId": "old", "text": "é"}
    raw = b'{"parentUuid": "p", "sessionId": "old", "text": "\\u00e9"}\r'
    assert patch_line(raw, value, {"sessionId": "new"}).endswith(b"}\r")


def test_subagent_copy_keeps_line_ends() -> None:
    data = b'{"sessionId":"old","n":1}\r\nnot json\r\n{"sessionId":"old","n":2}'
    assert _with_session_id(data, "new") == (
        b'{"sessionId":"new","n":1}\r\nnot json\r\n{"sessionId":"new","n":2}'
    )


def test_names_are_found_in_one_pass_as_substrings() -> None:
    names = {"toolu_1.txt", "toolu_1", "toolu_12", "x", "absent"}
    found = mentioned(names, b'see /s/tool-results/toolu_12.txt and "toolu_1.txt"')
    assert found == {"toolu_1.txt", "toolu_1", "toolu_12", "x"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-03-02T09:14:32.953Z", datetime(2026, 3, 2, 9, 14, 32, 953000, tzinfo=UTC)),
        ("2026-03-02T09:14:32", datetime(2026, 3, 2, 9, 14, 32, tzinfo=UTC)),
        ("2026-03-02T10:14:32+01:00", datetime(2026, 3, 2, 9, 14, 32, tzinfo=UTC)),
        ("0001-01-01T00:00:00+14:00", None),
        ("9999-12-31T23:59:59-14:00", None),
        ("yesterday", None),
        ("", None),
        (1700000000, None),
        (None, None),
    ],
)
def test_parse_timestamp(value: object, expected: datetime | None) -> None:
    assert parse_timestamp(value) == expected


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("780c4b16-a510-49fa-a2b2-bbd1c38dbe31", True),
        ("a1b2_c3", True),
        ("/etc", False),
        ("../..", False),
        ("..", False),
        ("a/b", False),
        ("a\\b", False),
        ("$(touch x)", False),
        ("id\n", False),
        ("", False),
        (None, False),
        (7, False),
    ],
)
def test_safe_path_part(value: object, safe: bool) -> None:
    assert (safe_path_part(value) is not None) == safe


# ---------------------------------------------------------------------- real transcripts


@pytest.mark.parametrize("transcript", realworld_main_params())
def test_real_transcript_rewind_to_earlier_line(transcript: Path, tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(transcript.parent, folder)
    source = folder / transcript.name
    before = tree_hashes(folder)
    messages = check_file(source).conversation.messages
    prompts = [
        i
        for i, m in enumerate(messages)
        if m.role == "user" and m.blocks and m.blocks[0].type != "tool_result"
    ]
    if not prompts:
        assert plan_rewind(source).nothing_to_fix
        return
    cut = messages[prompts[len(prompts) // 2]].last_origin.line
    plan = plan_rewind(source, line=cut)
    result = apply(plan)
    assert result.written is not None
    report = check_file(result.written)
    assert report.ok
    assert plan.cut is not None
    assert report.conversation.chain[-1].uuid == plan.cut.uuid
    walked, main = naive_walk(result.written)
    assert walked == main
    after = tree_hashes(folder)
    assert {k: v for k, v in after.items() if k in before} == before

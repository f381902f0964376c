"""Repair: keep everything, change only what the API rejects (agents.claude_code.repair)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest

from inspector.agents.claude_code.repair import plan_repair
from inspector.check import check_file
from inspector.core.model import TOOL_RESULT, TOOL_USE
from inspector.rewrite.fixes import LOST_RESULT
from inspector.rewrite.plan import RewriteFailed, apply
from inspector.rewrite.snapshot import read_snapshot
from inspector.rules import Rule
from tests.agents.claude_code.test_rewind import lines_of, naive_walk, tree_hashes
from tests.conftest import SAMPLES, realworld_main_params
from tests.support.synthetic import SessionWriter, bash_call, read_call

DEFECTS = ["orphan-tool-use", "orphan-result", "duplicate-id", "compacted", "api-error"]
HEALTHY = ["healthy-parallel", "out-of-order"]
SID = "11111111-2222-4333-8444-555555555555"


@pytest.fixture
def samples(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    return folder


def _entry(kind: str, uuid: str, parent: str | None, n: int, **extra: Any) -> dict[str, Any]:
    return {
        "parentUuid": parent,
        "isSidechain": False,
        "type": kind,
        "uuid": uuid,
        "timestamp": f"2026-01-01T00:00:{n:02d}.000Z",
        "sessionId": SID,
        **extra,
    }


def _message(role: str, content: Any, message_id: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": role, "content": content}
    if message_id:
        message["id"] = message_id
    return message


def _write(path: Path, entries: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(e) + b"\n" for e in entries))
    return path


def _tool_use(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "Read", "input": {"file_path": "/x"}}


def _result(tool_id: str, text: str = "ok") -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": text}


# ---------------------------------------------------------------------- the samples


@pytest.mark.parametrize("name", DEFECTS)
def test_repair_sample(samples: Path, name: str) -> None:
    source = samples / f"{name}.jsonl"
    before = tree_hashes(samples)
    original = check_file(source)
    plan = plan_repair(source)
    assert plan.applicable
    assert plan.changes
    result = apply(plan)
    assert result.written is not None
    assert {k: v for k, v in tree_hashes(samples).items() if k in before} == before

    report = check_file(result.written)
    assert report.ok, report.errors
    # Everything the original sent is still sent; no tool call is lost.
    sent = {o.uuid for o in report.conversation.chain}
    assert {o.uuid for o in original.conversation.chain} <= sent
    assert report.tool_use_count >= original.tool_use_count
    # Every original line is still there (same uuid), and only intended keys changed.
    written = {e.get("uuid"): e for e in lines_of(result.written) if "uuid" in e}
    for entry in lines_of(source):
        if "uuid" not in entry:
            continue
        copy = written[entry["uuid"]]
        changed = {k for k in entry.keys() | copy.keys() if entry.get(k) != copy.get(k)}
        assert changed <= {"sessionId", "parentUuid", "message"}
    assert all(
        e["sessionId"] == result.session_id for e in lines_of(result.written) if "sessionId" in e
    )


@pytest.mark.parametrize("name", HEALTHY)
def test_nothing_to_repair(samples: Path, name: str) -> None:
    before = tree_hashes(samples)
    plan = plan_repair(samples / f"{name}.jsonl")
    assert plan.nothing_to_fix
    assert apply(plan).written is None
    assert tree_hashes(samples) == before


def test_missing_result_gets_a_synthetic_line(samples: Path) -> None:
    source = samples / "orphan-tool-use.jsonl"
    plan = plan_repair(source)
    result = apply(plan)
    assert result.written is not None
    entries = lines_of(result.written)
    added = [e for e in entries if LOST_RESULT in orjson.dumps(e).decode()]
    assert len(added) == 1
    line = added[0]
    use_line = next(e for e in entries if e.get("uuid") == line["parentUuid"])
    assert use_line["message"]["content"][0]["id"] == "toolu_01rl2GAu77DnCyJeBIrzFL3C"
    assert line["sourceToolAssistantUUID"] == use_line["uuid"]
    assert line["type"] == "user"
    assert line["message"]["content"] == [
        {
            "tool_use_id": "toolu_01rl2GAu77DnCyJeBIrzFL3C",
            "type": "tool_result",
            "content": LOST_RESULT,
            "is_error": True,
        }
    ]
    assert line["cwd"] == use_line["cwd"]
    assert line["sessionId"] == result.session_id
    # It sits after the first call's result and before the third's: results keep call order.
    order = [
        e["message"]["content"][0]["tool_use_id"]
        for e in entries
        if e.get("type") == "user"
        and isinstance(e["message"]["content"], list)
        and e["message"]["content"][0].get("type") == "tool_result"
    ]
    assert order[:3] == [
        "toolu_01q2WCUbrWrK7Sih2FFTrG2t",
        "toolu_01rl2GAu77DnCyJeBIrzFL3C",
        "toolu_01NWZL9YLLya0xyOy6uArfxI",
    ]
    assert not any(f.rule is Rule.R4 for f in check_file(result.written).findings)
    # Original lines are copied byte for byte (but the session id).
    old = read_snapshot(source).lines
    new = result.written.read_bytes().splitlines()
    assert len(new) == len(old) + 1
    sid = result.session_id
    assert sid is not None
    old_sid = b"780c4b16-a510-49fa-a2b2-bbd1c38dbe31"
    assert {raw.replace(sid.encode(), old_sid) for raw in new} >= {line.raw for line in old}


def test_orphan_result_is_kept_as_text(samples: Path) -> None:
    source = samples / "orphan-result.jsonl"
    orphan = lines_of(source)[7]
    text = orphan["message"]["content"][0]["content"]
    result = apply(plan_repair(source))
    assert result.written is not None
    note = next(e for e in lines_of(result.written) if e.get("uuid") == orphan["uuid"])
    blocks = note["message"]["content"]
    assert [b["type"] for b in blocks] == ["text"]
    assert "toolu_01pheFxzjzsskog7pLdtUGYs" in blocks[0]["text"]
    assert text in blocks[0]["text"]
    assert note["toolUseResult"] == orphan["toolUseResult"]
    walked, _main = naive_walk(result.written)
    assert orphan["uuid"] in walked


def test_duplicate_id_is_renamed_with_its_result(samples: Path) -> None:
    source = samples / "duplicate-id.jsonl"
    result = apply(plan_repair(source))
    assert result.written is not None
    report = check_file(result.written)
    ids = [
        b.tool_id or ""
        for m in report.conversation.messages
        for b in m.blocks
        if b.type == TOOL_USE
    ]
    assert len(ids) == len(set(ids)) == 5
    assert "toolu_016sfTWBakB8V8PG2LoXC35z-dup2" in ids
    results = [
        b.tool_id or ""
        for m in report.conversation.messages
        for b in m.blocks
        if b.type == TOOL_RESULT
    ]
    assert sorted(results) == sorted(ids)


def test_thinking_lines_are_never_touched(tmp_path: Path) -> None:
    w = SessionWriter(seed=5, thinking=True)
    w.prompt("check both")
    w.tool_batch(
        [read_call("/a.py", "a"), bash_call("ls", "a.py")],
        thinking="Look at both.",
        drop_results=[0],
        streaming=False,
    )
    w.assistant_text("done", thinking="All good.")
    path = tmp_path / f"{w.session_id}.jsonl"
    w.write(path)
    result = apply(plan_repair(path))
    assert result.written is not None
    assert check_file(result.written).ok
    sid = result.session_id
    assert sid is not None
    originals = {raw for raw in path.read_bytes().splitlines() if b'"thinking"' in raw}
    assert len(originals) == 2
    copies = {
        raw.replace(sid.encode(), w.session_id.encode())
        for raw in result.written.read_bytes().splitlines()
        if b'"thinking"' in raw
    }
    assert copies == originals


def test_late_result(tmp_path: Path) -> None:
    entries = [
        _entry("user", "u1", None, 1, message=_message("user", "go")),
        _entry("assistant", "a1", "u1", 2, message=_message("assistant", [_tool_use("t1")], "m1")),
        _entry("user", "u2", "a1", 3, message=_message("user", "are you there?")),
        _entry(
            "assistant",
            "a2",
            "u2",
            4,
            message=_message("assistant", [{"type": "text", "text": "yes"}], "m2"),
        ),
        _entry("user", "u3", "a2", 5, message=_message("user", [_result("t1", "late output")])),
        _entry(
            "assistant",
            "a3",
            "u3",
            6,
            message=_message("assistant", [{"type": "text", "text": "ok"}], "m3"),
        ),
    ]
    path = _write(tmp_path / f"{SID}.jsonl", entries)
    plan = plan_repair(path)
    kinds = sorted(change.kind for change in plan.changes)
    assert kinds == ["result_to_text", "synthetic_result"]
    result = apply(plan)
    assert result.written is not None
    assert check_file(result.written).ok
    late = next(e for e in lines_of(result.written) if e.get("uuid") == "u3")
    assert "late output" in late["message"]["content"][0]["text"]


def test_results_moved_first_and_text_before_tool_use(tmp_path: Path) -> None:
    entries = [
        _entry("user", "u1", None, 1, message=_message("user", "go")),
        _entry(
            "assistant",
            "a1",
            "u1",
            2,
            message=_message(
                "assistant", [_tool_use("t1"), {"type": "text", "text": "reading"}], "m1"
            ),
        ),
        _entry(
            "user",
            "u2",
            "a1",
            3,
            message=_message("user", [{"type": "text", "text": "note"}, _result("t1")]),
        ),
        _entry("assistant", "a2", "u2", 4, message=_message("assistant", [_tool_use("t2")], "m2")),
        _entry(
            "user",
            "u3",
            "a2",
            5,
            message=_message("user", [{"type": "text", "text": "hook"}, _result("t2")]),
        ),
        _entry(
            "assistant",
            "a3",
            "u3",
            6,
            message=_message("assistant", [{"type": "text", "text": "ok"}], "m3"),
        ),
    ]
    path = _write(tmp_path / f"{SID}.jsonl", entries)
    assert {f.rule for f in check_file(path).errors} >= {Rule.R3, Rule.R6}
    plan = plan_repair(path)
    assert {c.kind for c in plan.changes} == {"results_first", "text_before_tool_use"}
    result = apply(plan)
    assert result.written is not None
    assert check_file(result.written).ok
    written = {e["uuid"]: e for e in lines_of(result.written)}
    assert [b["type"] for b in written["a1"]["message"]["content"]] == ["text", "tool_use"]
    assert [b["type"] for b in written["u3"]["message"]["content"]] == ["tool_result", "text"]


def test_dangling_parent_is_relinked(tmp_path: Path) -> None:
    entries = [
        _entry("user", "u1", None, 1, message=_message("user", "go")),
        _entry(
            "assistant",
            "a1",
            "u1",
            2,
            message=_message("assistant", [{"type": "text", "text": "hi"}], "m1"),
        ),
        _entry("user", "u2", "lost-uuid", 3, message=_message("user", "more")),
        _entry(
            "assistant",
            "a2",
            "u2",
            4,
            message=_message("assistant", [{"type": "text", "text": "ok"}], "m2"),
        ),
    ]
    path = _write(tmp_path / f"{SID}.jsonl", entries)
    assert any(f.rule is Rule.CHAIN for f in check_file(path).findings)
    plan = plan_repair(path)
    assert [c.kind for c in plan.changes] == ["relinked"]
    result = apply(plan)
    assert result.written is not None
    report = check_file(result.written)
    assert not any(f.rule is Rule.CHAIN for f in report.findings)
    walked, _main = naive_walk(result.written)
    assert walked == ["u1", "a1", "u2", "a2"]


def test_duplicate_in_one_message_needs_two_rounds(tmp_path: Path) -> None:
    entries = [
        _entry("user", "u1", None, 1, message=_message("user", "go")),
        _entry("assistant", "a1", "u1", 2, message=_message("assistant", [_tool_use("t1")], "m1")),
        _entry("assistant", "a2", "a1", 3, message=_message("assistant", [_tool_use("t1")], "m1")),
        _entry("user", "u2", "a2", 4, message=_message("user", [_result("t1")])),
        _entry(
            "assistant",
            "a3",
            "u2",
            5,
            message=_message("assistant", [{"type": "text", "text": "ok"}], "m3"),
        ),
    ]
    path = _write(tmp_path / f"{SID}.jsonl", entries)
    plan = plan_repair(path)
    assert sorted(c.kind for c in plan.changes) == ["renamed_id", "synthetic_result"]
    result = apply(plan)
    assert result.written is not None
    assert check_file(result.written).ok


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("2026-03-02T09:14:50.612", "2026-03-02T09:14:52.157Z"),  # no zone, then UTC
        ("9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"),  # the last moment
        ("0001-01-01T00:00:00+14:00", "2026-03-02T09:14:52.157Z"),  # out of range in UTC
    ],
)
def test_odd_timestamps_around_a_synthetic_result(samples: Path, before: str, after: str) -> None:
    source = samples / "orphan-tool-use.jsonl"
    lines = source.read_bytes().splitlines()
    for number, stamp in ((8, before), (9, after)):  # the result goes between them
        value = orjson.loads(lines[number - 1])
        value["timestamp"] = stamp
        lines[number - 1] = orjson.dumps(value)
    source.write_bytes(b"\n".join(lines) + b"\n")
    plan = plan_repair(source)
    added = [line.replacement for line in plan.lines if line.source is None]
    assert len(added) == 1
    assert added[0] is not None
    stamp = added[0]["timestamp"]
    assert isinstance(stamp, str)
    assert stamp.endswith("Z")
    result = apply(plan)
    assert result.written is not None
    assert check_file(result.written).ok


def test_unfixable_writes_nothing(tmp_path: Path) -> None:
    entries = [
        _entry("user", "u1", None, 1, message=_message("user", [{"type": "text", "text": ""}])),
        _entry(
            "assistant",
            "a1",
            "u1",
            2,
            message=_message("assistant", [{"type": "text", "text": "hi"}], "m1"),
        ),
    ]
    path = _write(tmp_path / f"{SID}.jsonl", entries)
    plan = plan_repair(path)
    assert plan.unfixable
    assert plan.unfixable[0].rule is Rule.R9
    with pytest.raises(RewriteFailed, match="R9"):
        apply(plan)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_subagents_are_copied_with_the_new_session_id(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    shutil.copytree(SAMPLES, folder)
    source = folder / "healthy-parallel.jsonl"
    entries = lines_of(source)
    del entries[7]  # the first result line: R1, and the attachment after it now dangles
    _write(source, entries)
    plan = plan_repair(source)
    assert plan.applicable
    assert sorted(c.kind for c in plan.changes) == ["relinked", "synthetic_result"]
    result = apply(plan)
    assert result.written is not None
    copied = result.written.with_suffix("") / "subagents" / "agent-abac5abbba4ed4f36.jsonl"
    assert copied.is_file()
    assert all(e["sessionId"] == result.session_id for e in lines_of(copied))
    assert (copied.parent / "agent-abac5abbba4ed4f36.meta.json").is_file()


# ---------------------------------------------------------------------- real transcripts


@pytest.mark.parametrize("transcript", realworld_main_params())
def test_real_transcript_has_nothing_to_repair(transcript: Path, tmp_path: Path) -> None:
    copy = tmp_path / transcript.name
    shutil.copyfile(transcript, copy)
    plan = plan_repair(copy)
    assert plan.nothing_to_fix, [c.text for c in plan.changes]
    assert apply(plan).written is None
    assert sorted(p.name for p in tmp_path.iterdir()) == [transcript.name]

"""Damaged variants of real Claude Code transcripts, to hold the resume preview to the client.

``generate(paths)`` yields ``Mutation``s: a named, deterministic edit of one transcript.
Every line the edit does not touch is kept byte for byte (Claude Code does not find a
session whose lines were re-serialised); a changed or new line is written compact, as
orjson writes it (which is how Claude Code writes). Deleting or inserting a line keeps the
chain whole: the children of a deleted line are re-parented to its nearest kept ancestor
(``parentUuid`` and ``sourceToolAssistantUUID``), an inserted line takes over the children
of the line it follows. Only ``dangling-parent`` leaves a missing parent on purpose.

Targets are tool calls of the conversation as rebuilt from the healthy file (so an edit
lands in what is sent, not on an abandoned branch), drawn with a seeded
``random.Random`` per (kind, transcript): the same inputs give the same mutations.
Ids are ``<kind>/<transcript label>/<line>`` with the 1-based line of the original file the
edit is about (the result line, the tool_use line, ...).

Kinds (``KINDS``):

* ``orphan-call``: a call's result line deleted (one block removed when the line holds
  several results);
* ``orphan-result``: one ``tool_use`` line of a parallel batch deleted, its result kept;
* ``orphan-result-message``: every line of an assistant message with calls deleted;
* ``duplicate-id``: a later call (another message) renamed to an earlier call's id, its
  result renamed with it; ``duplicate-id-no-result``: the same, its result line deleted;
  ``duplicate-id-same-message``: the 2nd call of a batch renamed to the 1st's id (and its
  result);
* ``compaction``: a ``compact_boundary`` + summary inserted right after a ``tool_use``
  line, so the call is before the boundary and its result after it;
* ``dangling-parent``: a line's ``parentUuid`` set to a uuid that is in no line;
* ``text-after-call``: a user text line between a ``tool_use`` line and what follows it;
  ``text-in-batch``: a user text line after the first result of a parallel batch;
* ``late-result``: a result line moved after the result of a call of a later message;
* ``pending-end``: the file cut right after a ``tool_use`` line; ``pending-end-batch``:
  cut after the first result of a parallel batch; ``combo-end``: cut after a ``tool_use``
  line and an earlier result line deleted.
"""

from __future__ import annotations

import random
import re
import uuid as uuidlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "KINDS",
    "Mutation",
    "generate",
    "label_of",
    "realworld_sources",
    "sample_sources",
]

KINDS = (
    "orphan-call",
    "orphan-result",
    "orphan-result-message",
    "duplicate-id",
    "duplicate-id-no-result",
    "duplicate-id-same-message",
    "compaction",
    "dangling-parent",
    "text-after-call",
    "text-in-batch",
    "late-result",
    "pending-end",
    "pending-end-batch",
    "combo-end",
)

SEED = 12
#: The text of an inserted user line (easy to find in a captured request).
INSERTED_TEXT = "[inspector mutation] a note typed between the call and its result"
SUMMARY_TEXT = (
    "This session is being continued from a previous conversation that ran out of context. "
    "The summary below covers the earlier portion of the conversation.\n\n"
    "[inspector mutation] summary."
)

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_PARENT_FIELDS = ("parentUuid", "sourceToolAssistantUUID")


@dataclass(frozen=True)
class Mutation:
    """One damaged variant of ``source``: write ``data`` to a ``.jsonl`` file and resume it."""

    id: str
    kind: str
    source: Path
    line: int  # 1-based line of the original the edit is about
    description: str
    ids: tuple[str, ...]  # the tool ids the damage is about
    data: bytes = field(repr=False)

    def write(self, directory: Path) -> Path:
        """Write the file as ``<directory>/<id with / as __>/<stem>.jsonl``; return its path.

        The source's sidecar folder (``<stem>/``: subagents, spilled tool results) is linked
        next to it, so a capture finds it as it would for the original.
        """
        folder = directory / self.id.replace("/", "__")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / self.source.name
        path.write_bytes(self.data)
        sidecar = self.source.parent / self.source.stem
        link = folder / self.source.stem
        if sidecar.is_dir() and not link.exists():
            link.symlink_to(sidecar, target_is_directory=True)
        return path


# --------------------------------------------------------------------------------------------
# Sources


def realworld_sources(root: Path) -> list[Path]:
    """Main transcripts under ``root`` (not ``agent-*.jsonl``), sorted."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.rglob("*.jsonl") if not p.name.startswith("agent-"))


def sample_sources(samples: Path) -> list[Path]:
    """The healthy planted sample (the damaged ones are run as they are)."""
    path = samples / "healthy-parallel.jsonl"
    return [path] if path.is_file() else []


def label_of(path: Path) -> str:
    """A short stable name: ``spotter.8463c716``, ``napoli-matcha-entire.0c-c3173e5050-3``."""
    parts = path.parts
    top = parts[-2] if len(parts) >= 2 else "file"
    for i, part in enumerate(parts):
        if part in ("realworld", "sample_sessions") and i + 1 < len(parts):
            top = "samples" if part == "sample_sessions" else parts[i + 1]
            rest = parts[i + 2 : -1] if part == "realworld" else ()
            break
    else:
        rest = ()
    stem = path.stem
    if _UUID.match(stem):
        return f"{top}.{stem[:8]}"
    if stem == "full":
        return f"{top}.{'-'.join(rest)}"
    return f"{top}.{stem}"


# --------------------------------------------------------------------------------------------
# The file as lines


@dataclass
class _Line:
    raw: bytes  # as read, with its line ending
    entry: dict[str, Any] | None

    @property
    def uuid(self) -> str | None:
        value = self.entry.get("uuid") if self.entry else None
        return value if isinstance(value, str) else None


def _parse(data: bytes) -> list[_Line]:
    lines = []
    for raw in data.splitlines(keepends=True):
        try:
            entry = orjson.loads(raw)
        except orjson.JSONDecodeError:
            entry = None
        lines.append(_Line(raw, entry if isinstance(entry, dict) else None))
    return lines


def _blocks(entry: dict[str, Any] | None) -> list[dict[str, Any]]:
    message = entry.get("message") if entry else None
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def _message_id(entry: dict[str, Any] | None) -> str | None:
    message = entry.get("message") if entry else None
    value = message.get("id") if isinstance(message, dict) else None
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class _Call:
    id: str
    use: int  # index of the tool_use line
    result: int | None  # index of its (only) result line
    message: str  # message.id of the tool_use line


def _calls(lines: list[_Line], sent: set[str] | None) -> list[_Call]:
    """Calls with one tool_use line and at most one result line, in file order."""
    uses: dict[str, list[int]] = {}
    results: dict[str, list[int]] = {}
    messages: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line.entry or line.entry.get("isSidechain"):
            continue
        for block in _blocks(line.entry):
            if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                uses.setdefault(block["id"], []).append(index)
                messages[block["id"]] = _message_id(line.entry) or f"line{index}"
            elif block.get("type") == "tool_result" and isinstance(block.get("tool_use_id"), str):
                results.setdefault(block["tool_use_id"], []).append(index)
    calls = []
    for tool_id, at in uses.items():
        got = results.get(tool_id, [])
        if len(at) != 1 or len(got) > 1 or (sent is not None and tool_id not in sent):
            continue
        calls.append(_Call(tool_id, at[0], got[0] if got else None, messages[tool_id]))
    return sorted(calls, key=lambda c: c.use)


def _batches(calls: list[_Call]) -> list[list[_Call]]:
    by_message: dict[str, list[_Call]] = {}
    for call in calls:
        by_message.setdefault(call.message, []).append(call)
    return [group for group in by_message.values() if len(group) >= 2]


def _sent_tool_ids(path: Path) -> set[str] | None:
    """Tool ids of the conversation our rebuild sends for the healthy file (None: unknown)."""
    try:
        from inspector.agents.claude_code.payloads import message_payloads
        from inspector.agents.claude_code.read import load
    except ImportError:
        return None
    try:
        payloads = message_payloads(load(path))
    except Exception:  # a source we cannot rebuild: target every call
        return None
    found: set[str] = set()
    for message in payloads:
        for block in _blocks({"message": message}):
            if block.get("type") == "tool_use" and isinstance(block.get("id"), str):
                found.add(block["id"])
    return found


# --------------------------------------------------------------------------------------------
# Editing


def _dump(entry: dict[str, Any], like: bytes) -> bytes:
    ending = b"\r\n" if like.endswith(b"\r\n") else b"\n"
    return orjson.dumps(entry) + ending


class _Edit:
    """A copy of the lines being changed; ``render`` keeps untouched lines byte for byte."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines: list[_Line | None] = list(lines)
        self.changed: dict[int, dict[str, Any]] = {}
        self.after: dict[int, list[dict[str, Any]]] = {}  # new lines inserted after index
        self.cut: int | None = None  # keep lines [0, cut]

    def entry(self, index: int) -> dict[str, Any]:
        if index not in self.changed:
            line = self.lines[index]
            assert line is not None
            assert line.entry is not None
            self.changed[index] = orjson.loads(orjson.dumps(line.entry))
        return self.changed[index]

    def rewire(self, old: str, new: str | None, fields: Sequence[str] = _PARENT_FIELDS) -> None:
        """Every line naming ``old`` in ``fields`` names ``new`` instead."""
        for index, line in enumerate(self.lines):
            if line is None or line.entry is None:
                continue
            current = self.changed.get(index, line.entry)
            if any(current.get(name) == old for name in fields):
                entry = self.entry(index)
                for name in fields:
                    if entry.get(name) == old:
                        entry[name] = new
        for inserted in self.after.values():
            for entry in inserted:
                for name in fields:
                    if entry.get(name) == old:
                        entry[name] = new

    def delete(self, index: int) -> None:
        """Drop a line; its children hang on its parent instead."""
        line = self.lines[index]
        assert line is not None
        current = self.changed.get(index, line.entry) or {}
        self.lines[index] = None
        self.changed.pop(index, None)
        if line.uuid:
            parent = current.get("parentUuid")
            self.rewire(line.uuid, parent if isinstance(parent, str) else None)

    def insert_after(
        self, index: int, entry: dict[str, Any], *, take_children: bool, chained: bool = True
    ) -> None:
        """A new line after line ``index`` (after earlier insertions there).

        ``chained``: its ``parentUuid`` is the line before it; ``take_children``: the lines
        whose parent was that line hang on the new one instead.
        """
        anchor = self.after.setdefault(index, [])
        parent_uuid = anchor[-1]["uuid"] if anchor else self.uuid_of(index)
        if take_children and parent_uuid:
            self.rewire(parent_uuid, entry["uuid"], ("parentUuid",))
        if chained:
            entry["parentUuid"] = parent_uuid
        anchor.append(entry)

    def uuid_of(self, index: int) -> str | None:
        line = self.lines[index]
        return line.uuid if line is not None else None

    def render(self) -> bytes:
        out: list[bytes] = []
        for index, line in enumerate(self.lines):
            if self.cut is not None and index > self.cut:
                break
            if line is not None:
                entry = self.changed.get(index)
                out.append(_dump(entry, line.raw) if entry is not None else line.raw)
                if not out[-1].endswith(b"\n"):
                    out[-1] += b"\n"
            for new in self.after.get(index, []):
                out.append(orjson.dumps(new) + b"\n")
        return b"".join(out)


def _uuid(rng: random.Random) -> str:
    return str(uuidlib.UUID(int=rng.getrandbits(128), version=4))


def _context(entry: dict[str, Any]) -> dict[str, Any]:
    """The fields a new line copies from its neighbour."""
    keys = ("isSidechain", "userType", "cwd", "sessionId", "version", "gitBranch", "slug")
    return {key: entry[key] for key in keys if key in entry}


def _user_text(near: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    return {
        "parentUuid": None,
        **_context(near),
        "type": "user",
        "message": {"role": "user", "content": INSERTED_TEXT},
        "uuid": _uuid(rng),
        "timestamp": near.get("timestamp"),
    }


def _remove_result(edit: _Edit, index: int, tool_id: str) -> None:
    """Delete the result of ``tool_id`` on line ``index``: the block, or the whole line."""
    blocks = _blocks(edit.changed.get(index) or (edit.lines[index] or _Line(b"", None)).entry)
    if len(blocks) > 1:
        message = edit.entry(index)["message"]
        message["content"] = [
            b
            for b in message["content"]
            if not (isinstance(b, dict) and b.get("tool_use_id") == tool_id)
        ]
    else:
        edit.delete(index)


def _rename_call(edit: _Edit, call: _Call, new_id: str, result: bool) -> None:
    for block in edit.entry(call.use)["message"]["content"]:
        if isinstance(block, dict) and block.get("id") == call.id:
            block["id"] = new_id
    if call.result is None:
        return
    if result:
        for block in edit.entry(call.result)["message"]["content"]:
            if isinstance(block, dict) and block.get("tool_use_id") == call.id:
                block["tool_use_id"] = new_id
    else:
        _remove_result(edit, call.result, call.id)


def _op_remove_result(at: int, tool_id: str, e: _Edit, r: random.Random) -> None:
    _remove_result(e, at, tool_id)


def _op_delete(at: int, e: _Edit, r: random.Random) -> None:
    e.delete(at)


def _op_rename(call: _Call, new_id: str, result: bool, e: _Edit, r: random.Random) -> None:
    _rename_call(e, call, new_id, result)


def _op_dangle(at: int, e: _Edit, r: random.Random) -> None:
    e.entry(at)["parentUuid"] = _uuid(r)


def _op_insert_text(at: int, e: _Edit, r: random.Random) -> None:
    e.insert_after(at, _user_text(e.entry(at), r), take_children=True)


# --------------------------------------------------------------------------------------------
# Kinds: each returns (line, description, ids, edited bytes) candidates for one transcript


Candidate = tuple[int, str, tuple[str, ...], Callable[[_Edit, random.Random], None]]


@dataclass
class _Source:
    path: Path
    lines: list[_Line]
    calls: list[_Call]

    @property
    def answered(self) -> list[_Call]:
        return [c for c in self.calls if c.result is not None]


def _orphan_call(src: _Source) -> Iterator[Candidate]:
    for call in src.answered:
        assert call.result is not None
        result = call.result
        yield (
            result,
            f"result of {call.id} deleted",
            (call.id,),
            partial(_op_remove_result, result, call.id),
        )


def _orphan_result(src: _Source) -> Iterator[Candidate]:
    for batch in _batches(src.calls):
        for call in batch:
            if call.result is not None and len(_blocks(src.lines[call.use].entry)) == 1:
                yield (
                    call.use,
                    f"tool_use line of {call.id} (batch of {len(batch)}) deleted",
                    (call.id,),
                    partial(_op_delete, call.use),
                )


def _orphan_result_message(src: _Source) -> Iterator[Candidate]:
    seen: set[str] = set()
    for call in src.answered:
        if call.message in seen:
            continue
        seen.add(call.message)
        indexes = [
            i
            for i, line in enumerate(src.lines)
            if line.entry
            and line.entry.get("type") == "assistant"
            and _message_id(line.entry) == call.message
        ]
        ids = tuple(c.id for c in src.calls if c.message == call.message)

        def edit(e: _Edit, r: random.Random, at: list[int] = indexes) -> None:
            for index in at:
                e.delete(index)

        yield indexes[0], f"assistant message {call.message} deleted", ids, edit


def _later_pairs(src: _Source) -> Iterator[tuple[_Call, _Call]]:
    """(call, first answered call of a later message), each later call once."""
    calls = src.answered
    taken: set[str] = set()
    for i, first in enumerate(calls):
        later = next((c for c in calls[i + 1 :] if c.message != first.message), None)
        if later is not None and later.id not in taken:
            taken.add(later.id)
            yield first, later


def _duplicate_id(src: _Source) -> Iterator[Candidate]:
    for first, later in _later_pairs(src):
        yield (
            later.use,
            f"{later.id} renamed {first.id} (the id of line {first.use + 1}) with its result",
            (first.id,),
            partial(_op_rename, later, first.id, True),
        )


def _duplicate_id_no_result(src: _Source) -> Iterator[Candidate]:
    for first, later in _later_pairs(src):
        yield (
            later.use,
            f"{later.id} renamed {first.id} (the id of line {first.use + 1}), result deleted",
            (first.id,),
            partial(_op_rename, later, first.id, False),
        )


def _duplicate_id_same_message(src: _Source) -> Iterator[Candidate]:
    for batch in _batches(src.answered):
        first, second = batch[0], batch[1]
        yield (
            second.use,
            f"{second.id} renamed {first.id} (same message) with its result",
            (first.id,),
            partial(_op_rename, second, first.id, True),
        )


def _compaction(src: _Source) -> Iterator[Candidate]:
    for call in src.answered:

        def edit(e: _Edit, r: random.Random, c: _Call = call) -> None:
            near = e.entry(c.use)
            boundary = {
                "parentUuid": None,
                "logicalParentUuid": e.uuid_of(c.use),
                **_context(near),
                "type": "system",
                "subtype": "compact_boundary",
                "content": "Conversation compacted",
                "isMeta": False,
                "timestamp": near.get("timestamp"),
                "uuid": _uuid(r),
                "level": "info",
                "compactMetadata": {"trigger": "auto", "preTokens": 123456},
            }
            summary = {
                "parentUuid": boundary["uuid"],
                **_context(near),
                "type": "user",
                "message": {"role": "user", "content": SUMMARY_TEXT},
                "isVisibleInTranscriptOnly": True,
                "isCompactSummary": True,
                "uuid": _uuid(r),
                "timestamp": near.get("timestamp"),
            }
            # The lines that followed the call (its result among them) follow the summary.
            e.insert_after(c.use, boundary, take_children=False, chained=False)
            e.insert_after(c.use, summary, take_children=False)
            called = e.uuid_of(c.use)
            if called:
                e.rewire(called, summary["uuid"], ("parentUuid",))

        yield call.use, f"compact_boundary after the tool_use of {call.id}", (call.id,), edit


def _dangling_parent(src: _Source) -> Iterator[Candidate]:
    for call in src.answered:
        for index, what in ((call.use, "tool_use"), (call.result, "result")):
            if index is None or not src.lines[index].entry:
                continue
            yield (
                index,
                f"parentUuid of the {what} line of {call.id} set to a missing uuid",
                (call.id,),
                partial(_op_dangle, index),
            )


def _text_after_call(src: _Source) -> Iterator[Candidate]:
    for call in src.answered:
        yield (
            call.use,
            f"user text inserted after the tool_use line of {call.id}",
            (call.id,),
            partial(_op_insert_text, call.use),
        )


def _text_in_batch(src: _Source) -> Iterator[Candidate]:
    for batch in _batches(src.answered):
        first = min(batch, key=lambda c: c.result or 0)
        assert first.result is not None
        at = first.result
        yield (
            at,
            f"user text inserted after the first result ({first.id}) of a batch of {len(batch)}",
            tuple(c.id for c in batch),
            partial(_op_insert_text, at),
        )


def _late_result(src: _Source) -> Iterator[Candidate]:
    for first, later in _later_pairs(src):
        assert first.result is not None
        assert later.result is not None
        if later.result < first.result:
            continue

        def edit(e: _Edit, r: random.Random, f: _Call = first, c: _Call = later) -> None:
            assert f.result is not None
            assert c.result is not None
            moved = e.entry(f.result)
            e.delete(f.result)
            e.insert_after(c.result, moved, take_children=True)

        yield (
            first.result,
            f"result of {first.id} moved after the result of {later.id} (a later message)",
            (first.id, later.id),
            edit,
        )


def _cut_after(index: int) -> Callable[[_Edit, random.Random], None]:
    def edit(e: _Edit, r: random.Random) -> None:
        e.cut = index

    return edit


def _pending_end(src: _Source) -> Iterator[Candidate]:
    for call in src.answered:
        yield (
            call.use,
            f"file cut after the tool_use of {call.id}",
            (call.id,),
            _cut_after(call.use),
        )


def _pending_end_batch(src: _Source) -> Iterator[Candidate]:
    for batch in _batches(src.answered):
        first = min(batch, key=lambda c: c.result or 0)
        assert first.result is not None
        pending = tuple(c.id for c in batch if (c.result or 0) > first.result)
        yield (
            first.result,
            f"file cut after the first result ({first.id}) of a batch of {len(batch)}",
            (first.id, *pending),
            _cut_after(first.result),
        )


def _combo_end(src: _Source) -> Iterator[Candidate]:
    answered = src.answered
    for i, call in enumerate(answered):
        earlier = [c for c in answered[:i] if c.message != call.message]
        if not earlier:
            continue
        lost = earlier[len(earlier) // 2]
        assert lost.result is not None

        def edit(e: _Edit, r: random.Random, c: _Call = call, x: _Call = lost) -> None:
            assert x.result is not None
            _remove_result(e, x.result, x.id)
            e.cut = c.use

        yield (
            call.use,
            f"file cut after the tool_use of {call.id}; result of {lost.id} deleted",
            (call.id, lost.id),
            edit,
        )


_KIND_FUNCS: dict[str, Callable[[_Source], Iterator[Candidate]]] = {
    "orphan-call": _orphan_call,
    "orphan-result": _orphan_result,
    "orphan-result-message": _orphan_result_message,
    "duplicate-id": _duplicate_id,
    "duplicate-id-no-result": _duplicate_id_no_result,
    "duplicate-id-same-message": _duplicate_id_same_message,
    "compaction": _compaction,
    "dangling-parent": _dangling_parent,
    "text-after-call": _text_after_call,
    "text-in-batch": _text_in_batch,
    "late-result": _late_result,
    "pending-end": _pending_end,
    "pending-end-batch": _pending_end_batch,
    "combo-end": _combo_end,
}
assert tuple(_KIND_FUNCS) == KINDS


def generate(
    paths: Sequence[Path],
    *,
    per_kind: int = 2,
    kinds: Sequence[str] = KINDS,
    seed: int = SEED,
) -> Iterator[Mutation]:
    """Up to ``per_kind`` mutations of each kind for each transcript, in a stable order."""
    for path in paths:
        data = path.read_bytes()
        lines = _parse(data)
        source = _Source(path, lines, _calls(lines, _sent_tool_ids(path)))
        label = label_of(path)
        for kind in kinds:
            candidates = list(_KIND_FUNCS[kind](source))
            rng = random.Random(f"{seed}:{kind}:{label}")
            picked = rng.sample(candidates, min(per_kind, len(candidates)))
            for line, description, ids, apply in sorted(picked, key=lambda c: c[0]):
                edit = _Edit(lines)
                apply(edit, random.Random(f"{seed}:{kind}:{label}:{line}"))
                yield Mutation(
                    id=f"{kind}/{label}/{line + 1}",
                    kind=kind,
                    source=path,
                    line=line + 1,
                    description=description,
                    ids=ids,
                    data=edit.render(),
                )

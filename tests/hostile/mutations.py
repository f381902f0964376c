"""Hostile mutants of real session files, as Hypothesis strategies (for ``test_fuzz.py``).

A seed is a real transcript (the samples, the test data, a few small files of
../shared/realworld when it is there) or a small history of another agent's format, each
at the place in a folder tree where that agent keeps it. A file is handled as a list of
records, each the bytes of one JSON value: the lines of a JSONL file, the messages of a
history document. A mutant applies a few record edits (drop, duplicate, swap, truncate,
cut mid-way, glue, junk, a hostile value at a random path or at an id / type field,
duplicated tool ids, results removed, text between results), renders the file, then maybe
a few byte edits (CRLF, BOM, invalid UTF-8, NUL, a cut at any byte).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.conftest import DATA, REALWORLD, SAMPLES

# ---------------------------------------------------------------------- seeds


@dataclass(frozen=True)
class Seed:
    name: str
    path: str
    """Where the file goes in the example's folder (relative)."""
    records: tuple[bytes, ...]
    head: bytes = b""
    """Bytes before the records, between them and after them: JSONL is no head, a newline
    between and after; a history document its opening, commas, its closing."""
    between: bytes = b"\n"
    tail: bytes = b"\n"
    extra: tuple[tuple[str, bytes], ...] = ()
    """Other files of the tree (subagent transcripts, a task's other files)."""

    def render(self, records: list[bytes]) -> bytes:
        return self.head + self.between.join(records) + self.tail


class Mutant:
    """A mutated file. Not a dataclass: Hypothesis would print every field of the seed."""

    def __init__(self, seed: Seed, data: bytes, edits: list[str]) -> None:
        self.seed = seed
        self.data = data
        self.edits = edits

    def __repr__(self) -> str:  # what Hypothesis prints for a falsifying example
        data = repr(self.data[:3000])
        if len(self.data) > 3000:
            data += f" + {len(self.data) - 3000} bytes"
        return f"Mutant(seed={self.seed.name!r}, edits={self.edits!r}, data={data})"


def _jsonl_seed(name: str, path: str, data: bytes, sidecar: Path | None = None) -> Seed:
    extra: list[tuple[str, bytes]] = []
    if sidecar is not None and sidecar.is_dir():
        folder = str(Path(path).with_suffix(""))
        for file in sorted(sidecar.rglob("*")):
            if file.is_file():
                extra.append(
                    (f"{folder}/{file.relative_to(sidecar).as_posix()}", file.read_bytes())
                )
    records = tuple(data.split(b"\n"))
    if records and records[-1] == b"":
        records = records[:-1]
    return Seed(name, path, records, extra=tuple(extra))


def _document_seed(
    name: str, path: str, messages: list[Any], wrapper: dict[str, Any] | None = None, **kw: Any
) -> Seed:
    records = tuple(json.dumps(m, separators=(",", ":")).encode() for m in messages)
    if wrapper is None:
        return Seed(name, path, records, b"[", b",", b"]", **kw)
    opening = json.dumps(wrapper, separators=(",", ":"))[:-1].encode()
    return Seed(name, path, records, opening + b',"messages":[', b",", b"]}", **kw)


def _use(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": "read_file", "input": {"path": "a.py"}}


def _result(tool_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_id, "content": "x = 1"}


def _anthropic_history(broken: bool) -> list[dict[str, Any]]:
    results = [_result("toolu_A"), {"type": "text", "text": "hm"}, _result("toolu_B")]
    return [
        {"role": "user", "content": [{"type": "text", "text": "fix it"}], "ts": 1},
        {"role": "assistant", "content": [{"type": "text", "text": "Reading."}, *map(_use, "AB")]},
        {"role": "user", "content": results if broken else [results[0], results[2]], "ts": 2},
        {"role": "assistant", "content": [{"type": "text", "text": "Done."}], "ts": 3},
    ]


def _openai_chat() -> list[dict[str, Any]]:
    def call(tool_id: str) -> dict[str, Any]:
        return {"id": tool_id, "type": "function", "function": {"name": "read", "arguments": "{}"}}

    return [
        {"role": "system", "content": "You are a coding agent."},
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": None, "tool_calls": [call("call_A"), call("call_B")]},
        {"role": "tool", "tool_call_id": "call_A", "content": "ok"},
        {"role": "tool", "tool_call_id": "call_B", "content": "ok"},
        {"role": "assistant", "content": "Done."},
    ]


def _codex_rollout() -> bytes:
    def line(kind: str, payload: dict[str, Any]) -> str:
        return json.dumps({"timestamp": "2026-01-01T00:00:00Z", "type": kind, "payload": payload})

    def item(payload: dict[str, Any]) -> str:
        return line("response_item", payload)

    def message(role: str, text: str) -> str:
        kind = "output_text" if role == "assistant" else "input_text"
        return item({"type": "message", "role": role, "content": [{"type": kind, "text": text}]})

    lines = [
        line("session_meta", {"id": "0199-aaaa", "originator": "codex_cli_rs"}),
        message("user", "fix it"),
        item({"type": "function_call", "name": "shell", "arguments": "{}", "call_id": "call_A"}),
        item({"type": "custom_tool_call", "name": "apply", "input": "x", "call_id": "call_B"}),
        item({"type": "function_call_output", "call_id": "call_A", "output": "ok"}),
        item({"type": "custom_tool_call_output", "call_id": "call_B", "output": "ok"}),
        message("assistant", "done"),
    ]
    return "\n".join(lines).encode() + b"\n"


_TASK_FILES = (("ui_messages.json", b"[]"), ("task_metadata.json", b"{}"))
_REALWORLD_SEEDS = 6
_REALWORLD_MAX_BYTES = 40_000


def _seeds() -> list[Seed]:
    seeds = [
        _jsonl_seed(f"sample/{p.name}", f"proj/{p.name}", p.read_bytes(), p.with_suffix(""))
        for p in sorted(SAMPLES.glob("*.jsonl"))
    ]
    for path in sorted(DATA.glob("realworld/**/*.jsonl")):
        if "subagents" not in path.parts:
            name = f"data/{path.relative_to(DATA).as_posix()}"
            seeds.append(
                _jsonl_seed(name, f"proj/{path.name}", path.read_bytes(), path.with_suffix(""))
            )
    if REALWORLD.is_dir():  # a few small real files; none when the folder is absent
        small = [
            p
            for p in sorted(REALWORLD.rglob("*.jsonl"))
            if 200 < p.stat().st_size <= _REALWORLD_MAX_BYTES and "subagents" not in p.parts
        ]
        for path in small[:_REALWORLD_SEEDS]:
            name = f"realworld/{path.relative_to(REALWORLD).as_posix()}"
            seeds.append(_jsonl_seed(name, f"proj/{path.name}", path.read_bytes()))
    for agent, folder in (
        ("roo", "rooveterinaryinc.roo-cline"),
        ("cline", "saoudrizwan.claude-dev"),
    ):
        task = f"{folder}/tasks/t1"
        extra = tuple((f"{task}/{name}", data) for name, data in _TASK_FILES)
        for broken in (False, True):
            seeds.append(
                _document_seed(
                    f"{agent}{'-broken' if broken else ''}",
                    f"{task}/api_conversation_history.json",
                    _anthropic_history(broken),
                    extra=extra,
                )
            )
    request = {"model": "claude-sonnet-4-5", "max_tokens": 1024}
    seeds.append(
        _document_seed("anthropic-request", "proxy/request.json", _anthropic_history(True), request)
    )
    seeds.append(
        _document_seed("openai-chat", "chat/chat.json", _openai_chat(), {"model": "gpt-5"})
    )
    seeds.append(
        _jsonl_seed(
            "codex",
            "codex/sessions/2026/01/01/rollout-2026-01-01T00-00-00-0199-aaaa.jsonl",
            _codex_rollout(),
        )
    )
    return seeds


SEEDS = _seeds()

# ---------------------------------------------------------------------- hostile values

_PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\x00",
    "\x07",
    "\x1b[31mred\x1b[0m",
    "\x1b]52;c;SGVsbG8=\x07",  # OSC 52: write to the clipboard
    "\x1b[2J",
    "\x9b",
    "\u202e",  # right-to-left override
    "\u2066",
    "\u200b",
    "\u200f",
    "\ufeff",
    "\u2028",
    "\x85",
    "[bold]x[/bold]",
    "[/]",
    "[link=file:///etc/passwd]x[/link]",
    "toolu_01rl\n  ✓ the API accepts this conversation\n",
    "../../etc/passwd",
    "/",
    "~",
    "%s%n",
    "😀",
    "\ud800",  # a lone surrogate: \ud800 in ASCII JSON, invalid UTF-8 bytes otherwise
    "toolu_A",
    "call_A",
    "user",
    "assistant",
    "tool_use",
    "tool_result",
    "summary",
]


def _string(text: str, ascii_only: bool) -> str:
    return json.dumps(text, ensure_ascii=ascii_only)


def _nested(depth: int, kind: str) -> str:
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a":' * depth + "null" + "}" * depth


_SCALARS = [
    "[]",
    "{}",
    "[1,2]",
    '{"type":"text","text":"x"}',
    '[{"type":"tool_result","tool_use_id":"toolu_A","content":"x"}]',
    "0",
    "-1",
    "1.5",
    "1e308",
    "-0.0",
    "123456789012345678901234567890",
    "-123456789012345678901234567890",
    "9223372036854775808",
    "true",
    "false",
    "null",
    '""',
]
_INVALID = ["NaN", "Infinity", "", "'x'", "[1,", '{"a"}', '"\n"']

hostile_strings = st.lists(
    st.sampled_from(_PIECES) | st.text(max_size=8), min_size=1, max_size=5
).map("".join)

hostile_values: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(_SCALARS),
    st.builds(_string, hostile_strings, st.booleans()),
    st.builds(_nested, st.integers(200, 1200), st.sampled_from(["list", "dict"])),
    st.builds(
        lambda n, c: _string(c * n, True), st.integers(10_000, 200_000), st.sampled_from("x\n\x1b")
    ),
    st.sampled_from(_INVALID),
)
"""Raw JSON text (now and then not JSON at all) to put in place of a value."""

# ---------------------------------------------------------------------- record edits

_ID_KEYS = frozenset(
    {
        "type",
        "uuid",
        "parentUuid",
        "logicalParentUuid",
        "leafUuid",
        "id",
        "tool_use_id",
        "sessionId",
        "agentId",
        "tool_call_id",
        "call_id",
        "role",
        "content",
        "isSidechain",
        "isCompactSummary",
        "is_error",
        "input",
        "name",
        "message",
        "messages",
        "payload",
        "cwd",
    }
)
_SENTINEL = "@@hostile-7f3a@@"

Path_ = tuple[str | int, ...]
Draw = Callable[[st.SearchStrategy[Any]], Any]


def _parse(record: bytes) -> Any:
    try:
        return json.loads(record)
    except (ValueError, RecursionError):
        return None


def _paths(value: Any, prefix: Path_ = ()) -> list[Path_]:
    found: list[Path_] = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(_paths(item, (*prefix, index)))
    return found


def _get(value: Any, path: Path_) -> Any:
    for step in path:
        value = value[step]
    return value


def _encode(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # a lone surrogate: invalid UTF-8 bytes


def _with_raw(value: Any, path: Path_, raw: str) -> bytes:
    """``value`` serialised with the raw JSON text ``raw`` at ``path``."""
    if not path:
        return _encode(raw)
    _get(value, path[:-1])[path[-1]] = _SENTINEL
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return _encode(text.replace(json.dumps(_SENTINEL), raw, 1))


def _dump(value: Any) -> bytes:
    return _encode(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def _pick(draw: Draw, records: list[bytes]) -> int:
    return int(draw(st.integers(0, len(records) - 1)))


def _hostile_at(draw: Draw, records: list[bytes], only_ids: bool) -> str:
    index = _pick(draw, records)
    value = _parse(records[index])
    if value is None:
        return "skip"
    paths = [p for p in _paths(value) if not only_ids or (p and p[-1] in _ID_KEYS)]
    if not paths:
        return "skip"
    path = draw(st.sampled_from(paths))
    raw = draw(hostile_values)
    records[index] = _with_raw(value, path, raw)
    return f"record {index} at {list(path)} = {raw[:60]!r}"


def _tool_ids(value: Any) -> list[tuple[Path_, str]]:
    """Where ``value`` holds a call's id: a tool_use's ``id``, an OpenAI call's ``id``, a
    Codex ``call_id``."""
    found = []
    for path in _paths(value):
        if not path or path[-1] not in ("id", "call_id"):
            continue
        parent = _get(value, path[:-1])
        item = parent.get(path[-1]) if isinstance(parent, dict) else None
        if isinstance(item, str) and (
            path[-1] == "call_id" or parent.get("type") in ("tool_use", "function")
        ):
            found.append((path, item))
    return found


def _duplicate_tool_id(draw: Draw, records: list[bytes]) -> str:
    parsed = [_parse(r) for r in records]
    ids = [(i, p, tid) for i, v in enumerate(parsed) for p, tid in _tool_ids(v)]
    if len(ids) < 2:
        return "skip"
    (index, path, _), (_, _, other) = draw(st.permutations(ids).map(lambda x: x[:2]))
    value = parsed[index]
    _get(value, path[:-1])[path[-1]] = other
    records[index] = _dump(value)
    return f"record {index}: tool id at {list(path)} = {other!r}"


def _content_lists(value: Any) -> list[Path_]:
    return [
        p
        for p in _paths(value)
        if isinstance(_get(value, p), list)
        and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in _get(value, p))
    ]


def _edit_results(draw: Draw, records: list[bytes], remove: bool) -> str:
    candidates = [
        (i, v, p)
        for i, r in enumerate(records)
        if (v := _parse(r)) is not None
        for p in _content_lists(v)
    ]
    if not candidates:
        return "skip"
    index, value, path = draw(st.sampled_from(candidates))
    blocks = _get(value, path)
    if remove:
        results = [
            k
            for k, b in enumerate(blocks)
            if isinstance(b, dict) and b.get("type") == "tool_result"
        ]
        gone = draw(st.sampled_from(results))
        del blocks[gone]
        what = f"removed block {gone}"
    else:
        where = draw(st.integers(0, len(blocks)))
        blocks.insert(where, {"type": "text", "text": draw(hostile_strings)})
        what = f"text inserted at {where}"
    records[index] = _dump(value)
    return f"record {index} {list(path)}: {what}"


@st.composite
def _record_edit(draw: Draw, records: list[bytes]) -> str:
    kinds = ["drop", "duplicate", "swap", "truncate", "cut", "glue", "junk", "value", "field"]
    kinds += ["field", "duplicate id", "remove result", "insert text"]
    kind = draw(st.sampled_from(kinds if records else ["junk"]))
    if kind == "junk":
        where = draw(st.integers(0, len(records)))
        junk = draw(
            st.sampled_from([b"", b" ", b"not json", b"{", b"}", b"[]", b"null", b"123"])
            | hostile_values.map(_encode)
        )
        records.insert(where, junk)
        return f"junk {junk[:40]!r} at {where}"
    index = _pick(draw, records)
    if kind == "drop":
        del records[index]
    elif kind == "duplicate":
        records.insert(index, records[index])
    elif kind == "swap":
        other = _pick(draw, records)
        records[index], records[other] = records[other], records[index]
        return f"swap {index} {other}"
    elif kind == "truncate":
        del records[index:]
    elif kind == "cut":
        at = draw(st.integers(0, max(0, len(records[index]) - 1)))
        records[index] = records[index][:at]
        return f"cut {index} at {at}"
    elif kind == "glue":
        if index + 1 >= len(records):
            return "skip"
        records[index : index + 2] = [records[index] + records[index + 1]]
    elif kind in ("value", "field"):
        return f"{kind}: " + _hostile_at(draw, records, only_ids=kind == "field")
    elif kind == "duplicate id":
        return f"{kind}: {_duplicate_tool_id(draw, records)}"
    else:
        return f"{kind}: {_edit_results(draw, records, remove=kind == 'remove result')}"
    return f"{kind} {index}"


_NOT_CONVERSATIONS = [
    b"",
    b"\n\n",
    b"null",
    b"123",
    b'"x"',
    b"[]",
    b"{}",
    b"[1,2,3]",
    b'{"messages":[1,2,3]}',
    b'{"messages":[]}',
    b'{"role":{"a":1}}',
    b"\x00" * 5000,
    b"\xff\xfe\x00\x00",
]


@st.composite
def _byte_edit(draw: Draw, data: bytes) -> tuple[bytes, str]:
    kind = draw(st.sampled_from(["crlf", "bom", "invalid utf-8", "nul", "cut", "replace"]))
    if kind == "replace":  # not a conversation at all
        return draw(st.sampled_from(_NOT_CONVERSATIONS)), kind
    if kind == "crlf":
        return data.replace(b"\n", b"\r\n"), kind
    if kind == "bom":
        return b"\xef\xbb\xbf" + data, kind
    at = draw(st.integers(0, len(data)))
    if kind == "cut":
        return data[:at], f"cut at {at}"
    junk = draw(
        st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf8\x88\x80\x80\x80"])
    )
    if kind == "nul":
        junk = b"\x00" * draw(st.integers(1, 5000))
    return data[:at] + junk + data[at:], f"{kind} {len(junk)} bytes at {at}"


@st.composite
def mutants(draw: Draw) -> Mutant:
    seed: Seed = draw(st.sampled_from(SEEDS))
    records = list(seed.records)
    edits = [draw(_record_edit(records)) for _ in range(draw(st.integers(1, 4)))]
    data = seed.render(records)
    for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2]))):
        data, edit = draw(_byte_edit(data))
        edits.append(edit)
    return Mutant(seed, data, edits)

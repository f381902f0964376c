"""Deterministic builder of Claude Code 2.1.x session transcripts.

Used by the demo samples (``scripts/make_samples.py``), the benchmark generator
and unit tests that need to plant a defect. Everything is seeded: the same calls
with the same seed give the same bytes.

The layout copies what Claude Code 2.1.x writes (see
``docs/transcript-format.md``):

* one JSON object per line, compact JSON (orjson's default output);
* an API response with N content blocks is N ``assistant`` lines sharing
  ``message.id`` and ``requestId``, chained by ``parentUuid``;
* one ``user`` line per ``tool_result``, whose ``parentUuid`` and
  ``sourceToolAssistantUUID`` name the assistant line holding its ``tool_use``
  (parallel calls form a DAG);
* with streaming tool execution the lines interleave
  ``asst(tu1) → result1 → asst(tu2) → result2`` under one ``message.id``;
  without it all ``tool_use`` lines come first, then the results.

Example::

    w = SessionWriter(seed=7, thinking=True)
    w.prompt("Why does /orders return 500?")
    w.tool_batch([grep_call("def create_order", ["app/orders.py:41:def create_order(cart):"]),
                  read_call("/srv/app/orders.py", "def create_order(cart):\\n    ...\\n")],
                 text="Let me look at the order code.")
    w.assistant_text("The cart is never checked for emptiness.")
    w.write(Path("session.jsonl"))
"""

from __future__ import annotations

import random
import uuid as uuidlib
from base64 import b64encode
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, Final

import orjson

Entry = dict[str, Any]
"""One transcript line, as a JSON object."""

API_ERROR_CONCURRENCY: Final = (
    "API Error: 400 due to tool use concurrency issues. Run /rewind to recover the conversation."
)
"""Claude Code's rewording of R1, as stored in an ``isApiErrorMessage`` line."""

API_ERROR_DUPLICATE_ID: Final = "API Error: 400 duplicate tool_use ID in conversation history."
"""Claude Code's rewording of R5."""

INTERRUPTED: Final = "[Request interrupted by user]"
INTERRUPTED_FOR_TOOL_USE: Final = "[Request interrupted by user for tool use]"

COMPACT_PREAMBLE: Final = (
    "This session is being continued from a previous conversation that ran out of context. "
    "The summary below covers the earlier portion of the conversation.\n\n"
)
COMPACT_POSTAMBLE: Final = (
    "\n\nPlease continue the conversation from where we left off without asking the user "
    "any further questions. Continue with the last task that you were asked to work on."
)

_BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_DEFAULT_START: Final = datetime(2026, 3, 2, 9, 14, 5, tzinfo=UTC)


class IdFactory:
    """Seeded generator of real-looking Claude Code / Anthropic identifiers."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng

    def uuid(self) -> str:
        """A uuid4 string (version and variant bits set like ``uuid.uuid4()``)."""
        return str(uuidlib.UUID(int=self._rng.getrandbits(128), version=4))

    def _base62(self, n: int) -> str:
        return "".join(self._rng.choices(_BASE62, k=n))

    def tool_use_id(self) -> str:
        """``toolu_01`` + 22 base62 characters."""
        return "toolu_01" + self._base62(22)

    def message_id(self) -> str:
        """``msg_01`` + 22 base62 characters."""
        return "msg_01" + self._base62(22)

    def request_id(self) -> str:
        """``req_011C`` + 20 base62 characters."""
        return "req_011C" + self._base62(20)

    def agent_id(self) -> str:
        """A 2.1.x subagent id: ``a`` + 16 hex digits."""
        return "a" + f"{self._rng.getrandbits(64):016x}"

    def signature(self, n_bytes: int = 240) -> str:
        """A base64 blob shaped like a thinking-block signature."""
        return b64encode(self._rng.randbytes(n_bytes)).decode("ascii")


class Clock:
    """Monotonic seeded clock producing Claude Code's ``…T…:…:….mmmZ`` timestamps."""

    def __init__(self, start: datetime, rng: random.Random) -> None:
        self._ms = int(start.timestamp() * 1000)
        self._rng = rng

    @property
    def ms(self) -> int:
        """Current time in epoch milliseconds."""
        return self._ms

    def now(self) -> str:
        """The current time, formatted."""
        dt = datetime.fromtimestamp(self._ms / 1000, tz=UTC)
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self._ms % 1000:03d}Z"

    def advance(self, lo: float, hi: float) -> str:
        """Move forward by a random ``lo`` to ``hi`` seconds (at least 1 ms); return the time."""
        self._ms += max(1, int(self._rng.uniform(lo, hi) * 1000))
        return self.now()


@dataclass(frozen=True)
class Subagent:
    """What an ``Agent`` tool call runs: the subagent's prompt, work and final report.

    ``script`` receives the subagent's own :class:`SessionWriter` (sidechain lines,
    written to ``subagents/agent-<id>.jsonl``) after its prompt line and before its
    final report; use it to add tool batches.
    """

    description: str
    prompt: str
    report: str
    agent_type: str = "general-purpose"
    script: Callable[[SessionWriter], None] | None = None
    worktree_path: str | None = None


@dataclass(frozen=True)
class ToolCall:
    """One client tool call and its outcome.

    ``output`` is the ``tool_result`` content (string or list of blocks),
    ``tool_use_result`` the structured ``toolUseResult`` (omitted when ``None``).
    Give ``id`` to reuse an existing tool id (plants an R5 duplicate); by default
    a fresh ``toolu_01…`` id is drawn. Build these with :func:`read_call`,
    :func:`bash_call`, … or :func:`agent_tool`.
    """

    name: str
    input: Entry
    output: str | list[Entry] = ""
    tool_use_result: Any = None
    is_error: bool = False
    id: str | None = None
    subagent: Subagent | None = None


@dataclass(frozen=True)
class Batch:
    """What :meth:`SessionWriter.tool_batch` wrote, for assertions and later steps."""

    message_id: str
    request_id: str
    tool_ids: list[str]
    """Tool ids in call order (including calls whose lines were dropped)."""
    tool_use_uuids: dict[str, str]
    """Tool id → uuid of its assistant line (only lines actually written)."""
    result_uuids: dict[str, str]
    """Tool id → uuid of its result line (only lines actually written)."""
    agent_ids: dict[str, str] = field(default_factory=dict)
    """Tool id → subagent id, for ``Agent`` calls."""


@dataclass(frozen=True)
class SubagentTranscript:
    """A subagent's transcript, written next to the main file by :meth:`SessionWriter.write`."""

    agent_id: str
    meta: Entry
    writer: SessionWriter


@dataclass
class _Deferred:
    call: ToolCall
    tool_id: str
    source: str | None
    output: str | list[Entry]
    tool_use_result: Any


class SessionWriter:
    """Builds one Claude Code 2.1.x transcript, line by line.

    Each method appends chain entries after the current *head* (the last chain
    line written) and returns the uuid of the last line it wrote (or a
    :class:`Batch`). Lines are kept in memory (:meth:`entries`, :meth:`lines`,
    :meth:`write`) or, when ``stream`` is given, serialised to it at once (for
    very large files).

    Args:
        seed: seeds every id, timestamp and token count.
        session_id: defaults to a seeded uuid.
        cwd, git_branch, version, model: copied onto the lines.
        thinking: start every API response with a ``thinking`` block
            (empty text + signature, as Claude Code writes them, unless a text is given).
        hooks: write ``hook_success`` attachments after prompts and tool results,
            like a project with ``UserPromptSubmit``/``PostToolUse`` hooks.
        stream: binary file to write lines to instead of keeping them.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        session_id: str | None = None,
        cwd: str = "/home/dev/projects/shop-api",
        git_branch: str = "main",
        version: str = "2.1.114",
        model: str = "claude-opus-4-6",
        start: datetime = _DEFAULT_START,
        thinking: bool = False,
        hooks: bool = False,
        permission_mode: str = "default",
        stream: BinaryIO | None = None,
    ) -> None:
        self._rng = random.Random(seed)
        self._ids = IdFactory(self._rng)
        self._clock = Clock(start, self._rng)
        self.session_id: str = session_id or self._ids.uuid()
        """The ``sessionId`` on every line (Claude Code names the file after it)."""
        self.cwd = cwd
        self.git_branch = git_branch
        self.version = version
        self.model = model
        self.thinking = thinking
        self.hooks = hooks
        self.permission_mode = permission_mode
        self._stream = stream
        self._entries: list[Entry] = []
        self._head: str | None = None
        self._prompt_id: str | None = None
        self._turn_start_ms = self._clock.ms
        self._context_tokens = 12_000
        self._sidechain = False
        self._agent_id: str | None = None
        self._deferred: dict[str, _Deferred] = {}
        self._tool_use_count = 0
        self.subagents: list[SubagentTranscript] = []
        """Subagent transcripts created by ``Agent`` calls, in call order."""
        self.meta(
            {
                "type": "permission-mode",
                "permissionMode": permission_mode,
                "sessionId": self.session_id,
            }
        )

    # ------------------------------------------------------------------ plumbing

    @classmethod
    def _subagent_of(cls, parent: SessionWriter, agent_id: str) -> SessionWriter:
        child = cls.__new__(cls)
        child.__dict__.update(parent.__dict__)
        child._stream = None
        child._entries = []
        child._head = None
        child._sidechain = True
        child._agent_id = agent_id
        child._deferred = {}
        child._tool_use_count = 0
        child._context_tokens = 9_000
        child.subagents = []
        return child

    @property
    def head(self) -> str | None:
        """uuid of the last chain line written (the next line's ``parentUuid``)."""
        return self._head

    @property
    def ids(self) -> IdFactory:
        """The seeded id factory (to pre-draw ids, e.g. for a planted duplicate)."""
        return self._ids

    @property
    def clock(self) -> Clock:
        """The seeded clock."""
        return self._clock

    def _emit(self, entry: Entry) -> None:
        if self._stream is not None:
            self._stream.write(orjson.dumps(entry))
            self._stream.write(b"\n")
        else:
            self._entries.append(entry)

    def _start(self, parent: str | None) -> Entry:
        entry: Entry = {"parentUuid": parent, "isSidechain": self._sidechain}
        return entry

    def _tail(self, entry: Entry) -> Entry:
        entry["userType"] = "external"
        entry["entrypoint"] = "cli"
        entry["cwd"] = self.cwd
        entry["sessionId"] = self.session_id
        entry["version"] = self.version
        entry["gitBranch"] = self.git_branch
        return entry

    def _with_prompt_and_agent(self, entry: Entry) -> Entry:
        if self._prompt_id is not None:
            entry["promptId"] = self._prompt_id
        if self._agent_id is not None:
            entry["agentId"] = self._agent_id
        return entry

    def _usage(self, output_tokens: int) -> Entry:
        fresh = self._rng.randint(3, 900)
        self._context_tokens += fresh + output_tokens
        return {
            "input_tokens": self._rng.randint(1, 8),
            "cache_creation_input_tokens": fresh,
            "cache_read_input_tokens": self._context_tokens,
            "output_tokens": output_tokens,
            "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
            "service_tier": "standard",
            "cache_creation": {"ephemeral_1h_input_tokens": fresh, "ephemeral_5m_input_tokens": 0},
        }

    # ------------------------------------------------------------------ lines

    def meta(self, entry: Entry) -> None:
        """Append a metadata line that is not part of the chain (``last-prompt``, ``tag``, …)."""
        self._emit(entry)

    def prompt(self, text: str, *, snapshot: bool = True) -> str:
        """A user prompt (string content). Preceded by a ``file-history-snapshot`` line."""
        uid = self._ids.uuid()
        if self._sidechain and self._prompt_id is not None:
            ts = self._clock.advance(0.001, 0.01)  # a subagent's prompt: its parent's promptId
        else:
            self._prompt_id = self._ids.uuid()
            ts = self._clock.advance(4, 60)
        self._turn_start_ms = self._clock.ms
        if snapshot and not self._sidechain:
            self.meta(
                {
                    "type": "file-history-snapshot",
                    "messageId": uid,
                    "snapshot": {"messageId": uid, "trackedFileBackups": {}, "timestamp": ts},
                    "isSnapshotUpdate": False,
                }
            )
        entry = self._with_prompt_and_agent(self._start(self._head))
        entry["type"] = "user"
        entry["message"] = {"role": "user", "content": text}
        entry["uuid"] = uid
        entry["timestamp"] = ts
        if not self._sidechain:
            entry["permissionMode"] = self.permission_mode
        self._emit(self._tail(entry))
        self._head = uid
        if self.hooks and not self._sidechain:
            self._hook("UserPromptSubmit", "UserPromptSubmit", self._ids.uuid(), "prompt logged")
        return uid

    def user_text(self, text: str, *, is_meta: bool = False) -> str:
        """A user line whose content is one text block (``isMeta`` for injected text)."""
        uid = self._ids.uuid()
        entry = self._with_prompt_and_agent(self._start(self._head))
        entry["type"] = "user"
        entry["message"] = {"role": "user", "content": [{"type": "text", "text": text}]}
        if is_meta:
            entry["isMeta"] = True
        entry["uuid"] = uid
        entry["timestamp"] = self._clock.advance(0.5, 8)
        self._emit(self._tail(entry))
        self._head = uid
        return uid

    def interrupt(self, *, for_tool_use: bool = False) -> str:
        """The user pressed Esc: ``[Request interrupted by user( for tool use)]``."""
        return self.user_text(INTERRUPTED_FOR_TOOL_USE if for_tool_use else INTERRUPTED)

    def _assistant_line(
        self, block: Entry, msg_id: str, req_id: str, stop: str, usage: Entry, parent: str | None
    ) -> str:
        uid = self._ids.uuid()
        entry = self._start(parent)
        if self._agent_id is not None:
            entry["agentId"] = self._agent_id
        entry["message"] = {
            "model": self.model,
            "id": msg_id,
            "type": "message",
            "role": "assistant",
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        entry["requestId"] = req_id
        entry["type"] = "assistant"
        entry["uuid"] = uid
        entry["timestamp"] = self._clock.advance(0.2, 2.5)
        self._emit(self._tail(entry))
        self._head = uid
        return uid

    def _preamble(
        self,
        msg_id: str,
        req_id: str,
        stop: str,
        usage: Entry,
        thinking: str | None,
        text: str | None,
    ) -> None:
        self._clock.advance(1.5, 12)
        if self.thinking or thinking is not None:
            block = {
                "type": "thinking",
                "thinking": thinking or "",
                "signature": self._ids.signature(self._rng.randint(120, 600)),
            }
            self._assistant_line(block, msg_id, req_id, stop, usage, self._head)
        if text is not None:
            self._assistant_line(
                {"type": "text", "text": text}, msg_id, req_id, stop, usage, self._head
            )

    def assistant_text(self, text: str, *, thinking: str | None = None) -> str:
        """A complete API response ending the turn: (thinking +) one text block."""
        msg_id, req_id = self._ids.message_id(), self._ids.request_id()
        usage = self._usage(max(1, len(text) // 4))
        self._preamble(msg_id, req_id, "end_turn", usage, thinking, text)
        assert self._head is not None
        return self._head

    def tool_batch(
        self,
        calls: Sequence[ToolCall],
        *,
        text: str | None = None,
        thinking: str | None = None,
        streaming: bool = True,
        result_order: Sequence[int] | None = None,
        drop_results: Collection[int] = (),
        drop_tool_uses: Collection[int] = (),
        defer_results: Collection[int] = (),
    ) -> Batch:
        """One API response with (thinking, text and) parallel ``tool_use`` blocks, and results.

        Args:
            calls: the calls, in the order the model emitted them.
            text: a text block before the calls.
            streaming: ``True`` → streaming tool execution, lines interleave
                ``asst(tu1) → result1 → asst(tu2) → result2``; ``False`` → all
                ``tool_use`` lines first, then the results in ``result_order``.
            result_order: indices of ``calls`` in the order their results are
                written (non-streaming only; a permutation of ``range(len(calls))``).
                ``[2, 1, 0]`` plants an R4 warning.
            drop_results: indices whose result line is never written (R1).
            drop_tool_uses: indices whose assistant ``tool_use`` line is lost; the
                result line stays, hung (``parentUuid`` and ``sourceToolAssistantUUID``)
                on the nearest written sibling ``tool_use`` line, the previous one
                first (streaming: only a previous one, else the current head) (R2).
            defer_results: indices whose result is written later by
                :meth:`late_result` (e.g. after a compaction).
        """
        n = len(calls)
        for name, idx in (
            ("drop_results", drop_results),
            ("drop_tool_uses", drop_tool_uses),
            ("defer_results", defer_results),
        ):
            if any(not 0 <= i < n for i in idx):
                raise ValueError(f"{name}: index out of range for {n} calls")
        if result_order is not None:
            if streaming:
                raise ValueError("result_order needs streaming=False")
            if sorted(result_order) != list(range(n)):
                raise ValueError("result_order must be a permutation of range(len(calls))")
        order = list(result_order) if result_order is not None else list(range(n))

        tool_ids = [c.id or self._ids.tool_use_id() for c in calls]
        msg_id, req_id = self._ids.message_id(), self._ids.request_id()
        usage = self._usage(sum(40 + len(orjson.dumps(c.input)) // 4 for c in calls))
        self._preamble(msg_id, req_id, "tool_use", usage, thinking, text)
        tu_uuids: dict[int, str] = {}
        outputs: dict[int, tuple[str | list[Entry], Any]] = {}
        agent_ids: dict[str, str] = {}
        result_uuids: dict[str, str] = {}

        def write_tool_use(i: int) -> None:
            self._tool_use_count += 1
            if i in drop_tool_uses:
                return
            block = {
                "type": "tool_use",
                "id": tool_ids[i],
                "name": calls[i].name,
                "input": calls[i].input,
                "caller": {"type": "direct"},
            }
            tu_uuids[i] = self._assistant_line(block, msg_id, req_id, "tool_use", usage, self._head)

        def run(i: int) -> None:
            call = calls[i]
            if call.subagent is not None:
                out, tur, agent_id = self._run_subagent(call.subagent)
                outputs[i] = (out, tur)
                agent_ids[tool_ids[i]] = agent_id
            else:
                outputs[i] = (call.output, call.tool_use_result)

        def anchor(i: int) -> str | None:
            if i in tu_uuids:
                return tu_uuids[i]
            before = [j for j in tu_uuids if j < i]
            after = [j for j in tu_uuids if j > i]
            if before:
                return tu_uuids[max(before)]
            if after:
                return tu_uuids[min(after)]
            return self._head

        def write_result(i: int) -> None:
            out, tur = outputs[i]
            source = anchor(i)
            if i in defer_results:
                self._deferred[tool_ids[i]] = _Deferred(calls[i], tool_ids[i], source, out, tur)
                return
            if i in drop_results:
                return
            result_uuids[tool_ids[i]] = self._result_line(
                calls[i], tool_ids[i], out, tur, parent=source, source=source
            )

        if streaming:
            for i in range(n):
                write_tool_use(i)
                run(i)
                write_result(i)
        else:
            for i in range(n):
                write_tool_use(i)
            for i in range(n):
                run(i)
            for i in order:
                write_result(i)
        return Batch(
            message_id=msg_id,
            request_id=req_id,
            tool_ids=tool_ids,
            tool_use_uuids={tool_ids[i]: u for i, u in tu_uuids.items()},
            result_uuids=result_uuids,
            agent_ids=agent_ids,
        )

    def _result_line(
        self,
        call: ToolCall,
        tool_id: str,
        output: str | list[Entry],
        tool_use_result: Any,
        *,
        parent: str | None,
        source: str | None,
    ) -> str:
        uid = self._ids.uuid()
        block: Entry = {"tool_use_id": tool_id, "type": "tool_result", "content": output}
        if call.is_error:
            block["is_error"] = True
        entry = self._with_prompt_and_agent(self._start(parent))
        entry["type"] = "user"
        entry["message"] = {"role": "user", "content": [block]}
        entry["uuid"] = uid
        entry["timestamp"] = self._clock.advance(0.05, 6)
        if tool_use_result is not None:
            entry["toolUseResult"] = tool_use_result
        if source is not None:
            entry["sourceToolAssistantUUID"] = source
        self._emit(self._tail(entry))
        self._head = uid
        if self.hooks:
            self._hook("PostToolUse", call.name, tool_id, "ok: logged tool call")
        return uid

    def late_result(self, tool_id: str) -> str:
        """Write the result of a call deferred by ``tool_batch(defer_results=…)``.

        The line hangs on the current head (``parentUuid``) while
        ``sourceToolAssistantUUID`` still names the ``tool_use`` line, which is
        how a result written after a compaction looks.
        """
        d = self._deferred.pop(tool_id)
        return self._result_line(
            d.call, tool_id, d.output, d.tool_use_result, parent=self._head, source=d.source
        )

    def agent_call(
        self, subagent: Subagent, *, text: str | None = None, thinking: str | None = None
    ) -> Batch:
        """An ``Agent`` tool call alone in its response; see :func:`agent_tool`."""
        return self.tool_batch([agent_tool(subagent)], text=text, thinking=thinking)

    def _run_subagent(self, sub: Subagent) -> tuple[list[Entry], Entry, str]:
        agent_id = self._ids.agent_id()
        child = SessionWriter._subagent_of(self, agent_id)
        start = self._clock.ms
        child.prompt(sub.prompt, snapshot=False)
        if sub.script is not None:
            sub.script(child)
        child.assistant_text(sub.report)
        duration = self._clock.ms - start
        meta: Entry = {"agentType": sub.agent_type}
        if sub.worktree_path is not None:
            meta["worktreePath"] = sub.worktree_path
        meta["description"] = sub.description
        self.subagents.append(SubagentTranscript(agent_id, meta, child))
        self.subagents.extend(child.subagents)
        tokens = child._context_tokens
        uses = child._tool_use_count
        output: list[Entry] = [
            {"type": "text", "text": sub.report},
            {
                "type": "text",
                "text": f"agentId: {agent_id} (use SendMessage with to: "
                f"'{agent_id}' to continue this agent)\n<usage>total_tokens: {tokens}\n"
                f"tool_uses: {uses}\nduration_ms: {duration}</usage>",
            },
        ]
        tur: Entry = {
            "status": "completed",
            "prompt": sub.prompt,
            "agentId": agent_id,
            "agentType": sub.agent_type,
            "content": [{"type": "text", "text": sub.report}],
            "totalDurationMs": duration,
            "totalTokens": tokens,
            "totalToolUseCount": uses,
            "usage": {
                "input_tokens": 1,
                "cache_creation_input_tokens": 210,
                "cache_read_input_tokens": tokens - 211,
                "output_tokens": 380,
                "service_tier": "standard",
            },
        }
        return output, tur, agent_id

    def attachment(self, attachment: Entry) -> str:
        """An ``attachment`` chain line (hook output, file or skill context)."""
        uid = self._ids.uuid()
        entry = self._start(self._head)
        if self._agent_id is not None:
            entry["agentId"] = self._agent_id
        entry["attachment"] = attachment
        entry["type"] = "attachment"
        entry["uuid"] = uid
        entry["timestamp"] = self._clock.advance(0.02, 0.3)
        self._emit(self._tail(entry))
        self._head = uid
        return uid

    def _hook(self, event: str, hook_name: str, tool_use_id: str, content: str) -> str:
        if event == "PostToolUse":
            hook_name = f"PostToolUse:{hook_name}"
        return self.attachment(
            {
                "type": "hook_success",
                "hookName": hook_name,
                "toolUseID": tool_use_id,
                "hookEvent": event,
                "content": content,
                "stdout": content + "\n",
                "stderr": "",
                "exitCode": 0,
                "command": "$CLAUDE_PROJECT_DIR/.claude/hooks/audit.sh",
                "durationMs": self._rng.randint(20, 140),
            }
        )

    def system(self, subtype: str, **fields: Any) -> str:
        """A ``system`` chain line of the given subtype (``turn_duration``, ``informational``…)."""
        uid = self._ids.uuid()
        entry = self._start(self._head)
        entry["type"] = "system"
        entry["subtype"] = subtype
        entry.update(fields)
        entry["timestamp"] = self._clock.advance(0.001, 0.05)
        entry["uuid"] = uid
        entry["isMeta"] = False
        self._emit(self._tail(entry))
        self._head = uid
        return uid

    def turn_duration(self) -> str:
        """The ``system``/``turn_duration`` line Claude Code writes when a turn ends."""
        return self.system("turn_duration", durationMs=self._clock.ms - self._turn_start_ms)

    def compact(self, summary: str, *, trigger: str = "auto", pre_tokens: int | None = None) -> str:
        """A ``compact_boundary`` (``parentUuid`` null, ``logicalParentUuid`` = head) + summary.

        Returns the uuid of the ``isCompactSummary`` user line, the new head.
        """
        boundary = self._ids.uuid()
        entry: Entry = {
            "parentUuid": None,
            "logicalParentUuid": self._head,
            "isSidechain": self._sidechain,
            "type": "system",
            "subtype": "compact_boundary",
            "content": "Conversation compacted",
            "isMeta": False,
            "timestamp": self._clock.advance(20, 90),
            "uuid": boundary,
            "level": "info",
            "compactMetadata": {
                "trigger": trigger,
                "preTokens": pre_tokens or self._context_tokens,
            },
        }
        self._emit(self._tail(entry))
        uid = self._ids.uuid()
        summ = self._start(boundary)
        summ["type"] = "user"
        summ["message"] = {
            "role": "user",
            "content": COMPACT_PREAMBLE + summary + COMPACT_POSTAMBLE,
        }
        summ["isVisibleInTranscriptOnly"] = True
        summ["isCompactSummary"] = True
        summ["uuid"] = uid
        summ["timestamp"] = self._clock.now()
        self._emit(self._tail(summ))
        self._head = uid
        self._context_tokens = 14_000
        return uid

    def api_error(self, text: str = API_ERROR_CONCURRENCY) -> str:
        """A failed API call as Claude Code stores it (``isApiErrorMessage``, ``<synthetic>``)."""
        uid = self._ids.uuid()
        entry = self._start(self._head)
        if self._agent_id is not None:
            entry["agentId"] = self._agent_id
        entry["type"] = "assistant"
        entry["uuid"] = uid
        entry["timestamp"] = self._clock.advance(0.4, 3)
        entry["message"] = {
            "id": self._ids.uuid(),
            "container": None,
            "model": "<synthetic>",
            "role": "assistant",
            "stop_reason": "stop_sequence",
            "stop_sequence": "",
            "type": "message",
            "usage": {
                "input_tokens": 0,
                "output_tokens": 0,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "server_tool_use": {"web_search_requests": 0, "web_fetch_requests": 0},
                "service_tier": None,
                "cache_creation": {"ephemeral_1h_input_tokens": 0, "ephemeral_5m_input_tokens": 0},
            },
            "content": [{"type": "text", "text": text}],
            "context_management": None,
        }
        entry["isApiErrorMessage"] = True
        self._emit(self._tail(entry))
        self._head = uid
        return uid

    # ------------------------------------------------------------------ output

    def entries(self) -> list[Entry]:
        """The lines written so far, as objects (not available in stream mode)."""
        if self._stream is not None:
            raise RuntimeError("entries are not kept in stream mode")
        return self._entries

    def lines(self) -> list[bytes]:
        """The lines written so far, serialised exactly as on disk (no trailing newline)."""
        return [orjson.dumps(e) for e in self.entries()]

    def to_bytes(self) -> bytes:
        """The whole transcript file content."""
        return b"".join(line + b"\n" for line in self.lines())

    def write(self, path: Path, *, subagent_dir: Path | None = None) -> list[Path]:
        """Write the transcript to ``path`` and each subagent to ``subagent_dir``.

        ``subagent_dir`` defaults to ``<path without .jsonl>/subagents`` (Claude Code
        itself uses ``<sessionId>/subagents``). Returns the paths written.
        """
        path.write_bytes(self.to_bytes())
        return [path, *self.write_subagents(subagent_dir or path.with_suffix("") / "subagents")]

    def write_subagents(self, directory: Path) -> list[Path]:
        """Write ``agent-<id>.jsonl`` + ``agent-<id>.meta.json`` for every subagent."""
        written: list[Path] = []
        for sub in self.subagents:
            directory.mkdir(parents=True, exist_ok=True)
            jsonl = directory / f"agent-{sub.agent_id}.jsonl"
            meta = directory / f"agent-{sub.agent_id}.meta.json"
            jsonl.write_bytes(sub.writer.to_bytes())
            meta.write_bytes(orjson.dumps(sub.meta))
            written += [jsonl, meta]
        return written


# ---------------------------------------------------------------------- tool calls


def read_call(path: str, text: str, *, offset: int = 1) -> ToolCall:
    """``Read`` of a text file: ``cat -n`` style output (``     1→…``)."""
    lines = text.splitlines()
    numbered = "\n".join(f"{offset + k:>6}→{line}" for k, line in enumerate(lines))
    tur = {
        "type": "text",
        "file": {
            "filePath": path,
            "content": text,
            "numLines": len(lines),
            "startLine": offset,
            "totalLines": offset - 1 + len(lines),
        },
    }
    return ToolCall("Read", {"file_path": path}, numbered, tur)


def bash_call(
    command: str,
    stdout: str,
    *,
    stderr: str = "",
    exit_code: int = 0,
    description: str | None = None,
) -> ToolCall:
    """``Bash``; a non-zero ``exit_code`` gives an ``is_error`` result as Claude Code writes it."""
    tool_input: Entry = {"command": command}
    if description is not None:
        tool_input["description"] = description
    if exit_code:
        body = "\n".join(s for s in (stderr, stdout) if s)
        return ToolCall(
            "Bash",
            tool_input,
            f"Exit code {exit_code}\n{body}",
            f"Error: Exit code {exit_code}\n{body}",
            is_error=True,
        )
    content = "\n".join(s for s in (stdout, stderr) if s)
    tur = {
        "stdout": stdout,
        "stderr": stderr,
        "interrupted": False,
        "isImage": False,
        "noOutputExpected": False,
    }
    return ToolCall("Bash", tool_input, content, tur)


def grep_call(pattern: str, matches: Sequence[str], *, path: str | None = None) -> ToolCall:
    """``Grep`` in content mode; ``matches`` are ``file:line:text`` strings."""
    tool_input: Entry = {"pattern": pattern, "output_mode": "content", "-n": True}
    if path is not None:
        tool_input["path"] = path
    content = "\n".join(matches) if matches else "No matches found"
    tur = {
        "mode": "content",
        "numFiles": 0,
        "filenames": [],
        "content": "\n".join(matches),
        "numLines": len(matches),
    }
    return ToolCall("Grep", tool_input, content, tur)


def grep_files_call(pattern: str, files: Sequence[str], *, path: str | None = None) -> ToolCall:
    """``Grep`` in ``files_with_matches`` mode."""
    tool_input: Entry = {"pattern": pattern}
    if path is not None:
        tool_input["path"] = path
    content = f"Found {len(files)} files\n" + "\n".join(files) if files else "No files found"
    tur = {"mode": "files_with_matches", "filenames": list(files), "numFiles": len(files)}
    return ToolCall("Grep", tool_input, content, tur)


def glob_call(pattern: str, files: Sequence[str], *, duration_ms: int = 41) -> ToolCall:
    """``Glob``: matching paths, one per line."""
    tur = {
        "filenames": list(files),
        "durationMs": duration_ms,
        "numFiles": len(files),
        "truncated": False,
    }
    return ToolCall("Glob", {"pattern": pattern}, "\n".join(files) or "No files found", tur)


def edit_call(path: str, old: str, new: str, *, original: str | None = None) -> ToolCall:
    """``Edit`` replacing ``old`` by ``new`` (``original``: the file before, for the patch)."""
    start = 1
    if original is not None and old in original:
        start = original[: original.index(old)].count("\n") + 1
    old_lines, new_lines = old.splitlines(), new.splitlines()
    patch = [
        {
            "oldStart": start,
            "oldLines": len(old_lines),
            "newStart": start,
            "newLines": len(new_lines),
            "lines": [f"-{x}" for x in old_lines] + [f"+{x}" for x in new_lines],
        }
    ]
    tur = {
        "filePath": path,
        "oldString": old,
        "newString": new,
        "originalFile": original,
        "structuredPatch": patch,
        "userModified": False,
        "replaceAll": False,
    }
    tool_input = {"file_path": path, "old_string": old, "new_string": new, "replace_all": False}
    return ToolCall("Edit", tool_input, f"The file {path} has been updated successfully.", tur)


def write_call(path: str, content: str) -> ToolCall:
    """``Write`` creating a file."""
    tur = {"type": "create", "filePath": path, "content": content, "structuredPatch": []}
    return ToolCall(
        "Write",
        {"file_path": path, "content": content},
        f"File created successfully at: {path}",
        tur,
    )


def agent_tool(subagent: Subagent) -> ToolCall:
    """An ``Agent`` call; its result (with ``toolUseResult.agentId``) and the subagent's
    transcript are produced when the batch runs."""
    tool_input = {
        "description": subagent.description,
        "subagent_type": subagent.agent_type,
        "prompt": subagent.prompt,
    }
    return ToolCall("Agent", tool_input, subagent=subagent)


def batch_being_written(writer: SessionWriter) -> list[str]:
    """A prompt, then a batch of two parallel calls (Read, Bash) of which only the first
    is answered yet, as Claude Code has written it while the second runs; their ids."""
    writer.prompt("Read the config and run the tests")
    calls = [read_call("/srv/app/config.toml", "debug = false"), bash_call("pytest", "3 passed")]
    batch = writer.tool_batch(calls, streaming=False, defer_results=[0, 1])
    writer.late_result(batch.tool_ids[0])
    return batch.tool_ids

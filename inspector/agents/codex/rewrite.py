"""Rewind and repair of a Codex CLI rollout (JSONL lines ``{timestamp, type, payload}``).

**Rewind** keeps the rollout's lines up to the last valid turn (or ``--line N``, the
file line). **Repair**: a call with no output gets the output ``aborted`` right after it,
as Codex does itself (:data:`CODEX_ABORTED`); an output that answers no call becomes a
user message that quotes it. The new copy is ``rollout-<time>-<new uuid>.jsonl`` in the
same folder, its ``session_meta`` id rewritten and kept lines copied byte for byte.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import orjson

from inspector.agents.codex.rollout import codex_conversation
from inspector.agents.history.fixers import MAX_ROUNDS
from inspector.agents.history.plan import HistoryPlan, HistorySource, cut_candidates
from inspector.agents.history.responses import CALL_ITEMS
from inspector.core.agent import Agent
from inspector.core.fields import str_field
from inspector.core.json_out import dumps
from inspector.core.jsonl import parse_object
from inspector.core.model import USER_ROLE, Conversation, Origin
from inspector.rewrite.counts import dropped_counts, kept_counts
from inspector.rewrite.cuts import explain_rejection, search_cut, usable
from inspector.rewrite.fixes import finding_block, kept_as_text, until_accepted
from inspector.rewrite.lines import OutLine, joined, rendered
from inspector.rewrite.plan import Change, RewriteFailed, is_uuid, new_session_id
from inspector.rewrite.snapshot import Snapshot, read_snapshot
from inspector.rules import CallStatus, Cut, Report, Rule, validate

CODEX_ABORTED: Final = "aborted"
"""Codex CLI's output for a call whose output is missing."""
_CODEX_OUTPUT_FOR: Final = {
    "function_call": "function_call_output",
    "custom_tool_call": "custom_tool_call_output",
    "local_shell_call": "function_call_output",
}


@dataclass(slots=True)
class RolloutPlan(HistoryPlan):
    """A rewritten rollout: its new copy carries a new session id, which Codex resumes."""

    carries_id: ClassVar[bool] = True

    def choices_text(self) -> str:
        return (
            f"Fork writes a new rollout {self.target.name} beside the original, which "
            "stays untouched. In place replaces the rollout after a timestamped backup: "
            "close the Codex session first, which appends to its rollout (refused only "
            "when the file was written seconds ago)."
        )


@dataclass(slots=True)
class RolloutSource(HistorySource):
    """A Codex CLI rollout: JSONL lines ``{timestamp, type, payload}``."""

    path: Path
    agent: Agent
    snapshot: Snapshot
    items: list[OutLine] = field(default_factory=list)
    line_meaning: ClassVar[str] = "the file line"
    plan_type: ClassVar[type[HistoryPlan]] = RolloutPlan

    @classmethod
    def read(cls, path: Path, agent: Agent) -> RolloutSource:
        snapshot = read_snapshot(path)
        items = [OutLine(line.number, line.raw, line.value) for line in snapshot.lines]
        return cls(path, agent, snapshot, items)

    def conversation(self) -> Conversation:
        return _codex_conversation(self.path, [(i.source or 0, i.current) for i in self.items])

    def project(self, items: Sequence[OutLine]) -> Conversation:
        """The conversation of ``items`` (line numbers = their positions, from 1)."""
        return _codex_conversation(
            self.path, [(number, item.current) for number, item in enumerate(items, start=1)]
        )

    def rewind(self, plan: HistoryPlan, line: int | None) -> None:
        conversation = plan.report.conversation
        if line is not None:
            if not 1 <= line <= len(self.items):
                raise RewriteFailed(
                    f"line {line} is out of range: {self.path.name} has {len(self.items)}"
                )
            end = line
            kept = self.items[:end]
            result = validate(self.project(kept))
            if not usable(result):
                last = plan.report.last_valid
                raise explain_rejection(result, f"line {line}", last.line if last else None)
        else:

            def attempt(index: int) -> tuple[int, list[OutLine], Report] | None:
                end = conversation.messages[index].last_origin.line
                kept = self.items[:end]
                result = validate(self.project(kept))
                return (end, kept, result) if usable(result) else None

            candidates = cut_candidates(conversation, plan.report)
            _, (end, kept, result) = search_cut(candidates, attempt, plan.report)
        plan.result = result
        plan.cut = Cut(len(result.conversation.messages) - 1, end, None)
        self._set_data(plan, kept)
        plan.kept = kept_counts(result.conversation, lines=len(kept))
        plan.dropped = dropped_counts(
            conversation, result.conversation, lines=len(self.items) - len(kept)
        )

    def repair(self, plan: HistoryPlan) -> None:
        items = list(self.items)
        result = until_accepted(
            lambda: validate(self.project(items)),
            lambda report: self._fix(items, report, plan),
            MAX_ROUNDS,
        )
        plan.result = result
        plan.unfixable = list(result.errors)
        if plan.unfixable:
            return
        self._set_data(plan, items)
        kinds = [change.kind for change in plan.changes]
        plan.kept = {
            **kept_counts(result.conversation, lines=sum(1 for i in items if i.source is not None)),
            "added_lines": sum(1 for item in items if item.source is None),
            "changed_lines": sum(
                1 for item in items if item.source is not None and item.replacement is not None
            ),
        }
        plan.dropped = {"lines": 0, "tool_results_as_text": kinds.count("result_to_text")}
        pending = result.pending
        if pending:
            plan.notes.append(
                "the rollout ends on calls with no output yet (still running, or "
                f"interrupted): left as they are ({', '.join(pending[0].ids)})"
            )

    def _fix(self, items: list[OutLine], report: Report, plan: HistoryPlan) -> bool:
        conversation = report.conversation
        converted = False
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R2 or block is None:
                continue
            item = items[block.origin.line - 1]
            value = item.current or {}
            payload = value.get("payload")
            if value.get("type") != "response_item" or not isinstance(payload, dict):
                continue  # inside a compaction's history: left (reported as unfixable)
            cause = finding.cause or "no call before it"
            text = kept_as_text(
                "tool output", "call_id", payload.get("call_id"), payload.get("output"), cause
            )
            replacement = dict(value)
            replacement["payload"] = {
                "type": "message",
                "role": USER_ROLE,
                "content": [{"type": "input_text", "text": text}],
            }
            item.replacement = replacement
            converted = True
            plan.changes.append(
                Change(
                    "result_to_text",
                    item.source,
                    str(payload.get("call_id")),
                    f"an output that answers no call ({cause}) is kept as a user message",
                )
            )
        inserts: dict[int, list[OutLine]] = {}
        for call in report.calls:
            use = call.use
            if call.status is not CallStatus.MISSING or use is None or not use.tool_id:
                continue
            position = use.origin.line - 1
            call_value = items[position].current or {}
            kind = _call_kind(call_value, use.tool_id)
            output = {
                "type": _CODEX_OUTPUT_FOR.get(kind, "function_call_output"),
                "call_id": use.tool_id,
                "output": CODEX_ABORTED,
            }
            line = {
                "timestamp": call_value.get("timestamp"),
                "type": "response_item",
                "payload": output,
            }
            if line["timestamp"] is None:
                del line["timestamp"]
            inserts.setdefault(position, []).append(OutLine(None, b"", None, replacement=line))
            plan.changes.append(
                Change(
                    "synthetic_result",
                    items[position].source,
                    use.tool_id,
                    f"added an output {CODEX_ABORTED!r} right after the call, as Codex does",
                )
            )
        for position in sorted(inserts, reverse=True):
            items[position + 1 : position + 1] = inserts[position]
        return converted or bool(inserts)

    def _set_data(self, plan: HistoryPlan, items: list[OutLine]) -> None:
        plan.data = joined(rendered(item) for item in items)
        meta = next(
            (
                (index, item)
                for index, item in enumerate(items)
                if (item.current or {}).get("type") == "session_meta"
            ),
            None,
        )
        old_id = plan.session_id
        if meta is None or old_id is None:
            return
        new_id = new_session_id()
        index, item = meta
        patched = _with_meta_id(item, old_id, new_id)
        plan.data_new = joined(
            patched if i == index else rendered(other) for i, other in enumerate(items)
        )
        plan.new_session_id = new_id
        payload = (item.current or {}).get("payload")
        cwd = payload.get("cwd") if isinstance(payload, dict) else None
        plan.cwd = cwd if isinstance(cwd, str) else None

    def finish(self, plan: HistoryPlan) -> None:
        plan.new_path = self.path.with_name(
            _rollout_name(self.path, plan.session_id, plan.new_id or new_session_id())
        )
        plan.notes.append(
            "Codex CLI appends to a running session's rollout: close it before replacing "
            "it with --in-place"
        )


def _call_kind(value: dict[str, Any], call_id: str) -> str:
    payload = value.get("payload")
    if not isinstance(payload, dict):
        return "function_call"
    if value.get("type") == "compacted":
        history = payload.get("replacement_history")
        for item in history if isinstance(history, list) else []:
            if (
                isinstance(item, dict)
                and item.get("call_id") == call_id
                and str_field(item, "type") in CALL_ITEMS
            ):
                return str(item["type"])
        return "function_call"
    return str_field(payload, "type") or "function_call"


def _with_meta_id(item: OutLine, old_id: str, new_id: str) -> bytes:
    """The ``session_meta`` line with ``payload.id`` set to ``new_id``, other bytes kept."""
    value = item.current or {}
    payload = value.get("payload")
    payload = dict(payload) if isinstance(payload, dict) else {}
    payload["id"] = new_id
    expected = {**value, "payload": payload}
    raw = item.raw if item.replacement is None else b""
    old = b'"id":' + orjson.dumps(old_id)
    start = raw.find(old)
    while start >= 0:
        candidate = raw[:start] + b'"id":' + orjson.dumps(new_id) + raw[start + len(old) :]
        if parse_object(candidate.rstrip(b"\r")) == expected:
            return candidate
        start = raw.find(old, start + 1)
    return dumps(expected)


def _rollout_name(source: Path, old_id: str | None, new_id: str) -> str:
    """``rollout-<same time part>-<new id>.jsonl``."""
    stem = source.name.removesuffix(".jsonl")
    if old_id and stem.endswith(f"-{old_id}"):
        return f"{stem[: -len(old_id)]}{new_id}.jsonl"
    if len(stem) > 37 and stem[-37] == "-" and is_uuid(stem[-36:].lower()):
        return f"{stem[:-36]}{new_id}.jsonl"
    return f"{stem}-{new_id}.jsonl"


def _codex_conversation(
    path: Path, lines: Sequence[tuple[int, dict[str, Any] | None]]
) -> Conversation:
    """What :func:`inspector.agents.codex.rollout.load_codex` builds, from lines in memory."""
    return codex_conversation(
        path,
        ((Origin(n, 0, 0, None, v.get("timestamp")), v) for n, v in lines if v is not None),
    )

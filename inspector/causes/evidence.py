"""The lines around a defect: re-read from disk when a cause is looked for, and what each
one shows (:class:`~inspector.causes.model.Evidence`).

Only the lines asked for are read, from the nearest line the conversation knows the start
of (:class:`~inspector.causes.lines.LineReader`); what a line is comes from its agent
(:meth:`Agent.line_event`). A line too long to bear on a cause (a tool's output) or one
that is not JSON is kept as "seen, nothing to say".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import orjson

from inspector.agents import agent_of
from inspector.causes.lines import LineReader, known_lines
from inspector.causes.model import CauseKind, Evidence, Why
from inspector.core.agent import Agent
from inspector.core.line_event import LineEvent, LineEventKind
from inspector.core.model import TOOL_RESULT, TOOL_USE, Block, IssueKind
from inspector.rules.findings import Report, ToolCall

SPAN: Final = 200
"""A window longer than twice this is read at its two ends only."""
LONGEST_PARSED: Final = 1 << 20
"""Longer lines (tool outputs) are not parsed: no line that explains a defect is this big."""


@dataclass(frozen=True, slots=True)
class SeenLine:
    """One line re-read: what its agent says it is (None: nothing it can say)."""

    line: int
    event: LineEvent | None

    def is_a(self, kind: LineEventKind) -> bool:
        return self.event is not None and self.event.kind is kind


def line_event_of(agent: Agent, raw: bytes) -> LineEvent | None:
    """What ``agent`` says one raw line is (None: blank, too long to bear on a cause, not
    JSON, or not one of its lines)."""
    if not raw.strip() or len(raw) > LONGEST_PARSED:
        return None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None
    return agent.line_event(value)


class LinesAround:
    """One report's file, read line by line where causes are looked for."""

    def __init__(self, report: Report) -> None:
        conversation = report.conversation
        self.conversation = conversation
        self.agent = agent_of(conversation)
        origins = known_lines(conversation)
        self.blocks: dict[int, list[Block]] = {}
        """Line → the blocks of the conversation it holds (made-up results aside)."""
        self.roles: dict[int, str] = {}
        for message in conversation.messages:
            for block in message.blocks:
                if block.made_up is None:
                    self.blocks.setdefault(block.origin.line, []).append(block)
                    self.roles[block.origin.line] = message.role
        self.timestamps = {origin.line: origin.timestamp for origin in origins}
        self.reader = LineReader.anchored(conversation.path, origins)
        self.seen: dict[int, SeenLine] = {}
        self._speaks: bool | None = None
        self.calls: dict[str, list[ToolCall]] = {}
        """tool_use id → the calls that use it (more than one: a duplicate id)."""
        for call in report.calls:
            if call.tool_id:
                self.calls.setdefault(call.tool_id, []).append(call)
        self.bad_lines = {
            issue.line: issue.text
            for issue in conversation.issues
            if issue.kind is IssueKind.BADLINE
        }

    # ------------------------------------------------------------------ reading

    def _speaks_lines(self) -> bool:
        """Whether the agent describes its lines (asked of the first message's line, once):
        the files of one that does not (a whole JSON document) are not read here."""
        if self._speaks is None:
            self._speaks = False
            first = next((m.origins[0] for m in self.conversation.messages if m.origins), None)
            if first is not None:
                try:
                    raw = self.reader.read(first.line, first.line).get(first.line, b"")
                except OSError:
                    raw = b""
                seen = self._parse(first.line, raw)
                self.seen[first.line] = seen
                self._speaks = seen.event is not None
        return self._speaks

    def load(self, first: int, last: int | None) -> None:
        """Read lines ``first`` … ``last`` (None: to the end of the file) into :attr:`seen`."""
        if not self._speaks_lines():
            return
        first = max(1, first)
        if last is not None and all(n in self.seen for n in range(first, last + 1)):
            return
        try:
            raw_lines = self.reader.read(first, last)
        except OSError:
            return  # the file went away: no evidence, UNKNOWN
        for number, raw in raw_lines.items():
            if number not in self.seen:
                self.seen[number] = self._parse(number, raw)

    def _parse(self, number: int, raw: bytes) -> SeenLine:
        return SeenLine(number, line_event_of(self.agent, raw))

    def window(self, first: int, last: int | None) -> list[SeenLine]:
        """Lines ``first`` … ``last`` (None: to the end of the file) read, in order; a long
        window at its two ends only."""
        if last is not None and last - first > 2 * SPAN:
            self.load(first, first + SPAN)
            self.load(last - SPAN, last)
        else:
            self.load(first, last)
        end = last if last is not None else (self.reader.last_line or first)
        return [self.seen[n] for n in range(max(1, first), end + 1) if n in self.seen]

    # ------------------------------------------------------------------ evidence

    def evidence(self, line: int) -> Evidence:
        seen = self.seen.get(line)
        event = seen.event if seen is not None else None
        timestamp = (event.timestamp if event is not None else None) or self.timestamps.get(line)
        if line in self.bad_lines:
            reason = self.bad_lines[line]
            return Evidence(line, f"damaged line (glued or cut): {reason}", timestamp)
        blocks = self.blocks.get(line)
        calls = blocks and any(block.type in (TOOL_USE, TOOL_RESULT) for block in blocks)
        if blocks and (calls or event is None):
            return Evidence(line, self._blocks_text(line, blocks), timestamp)
        if event is not None:
            return Evidence(line, event.text, timestamp)
        return Evidence(line, "a line of the file", timestamp)

    def _blocks_text(self, line: int, blocks: list[Block]) -> str:
        said: list[str] = []
        for block in blocks[:3]:
            if block.type == TOOL_USE:
                said.append(f"tool call {block.name or '?'} ({block.tool_id})")
            elif block.type == TOOL_RESULT:
                name = self._name_of(block.tool_id)
                error = ", error" if block.is_error else ""
                said.append(f"tool result for {block.tool_id}{f' ({name}{error})' if name else ''}")
            else:
                said.append(f"{self.roles.get(line, '?')} {block.type}")
        if len(blocks) > 3:
            said.append(f"{len(blocks) - 3} more blocks")
        return "; ".join(said)

    def _name_of(self, tool_id: str | None) -> str | None:
        for call in self.calls.get(tool_id or "", ()):
            if call.use is not None:
                return call.use.name
        return None

    def cause(
        self, kind: CauseKind, summary: str, lines: Iterable[int], version_from: Iterable[int] = ()
    ) -> Why:
        """A :class:`Why` shown by ``lines`` (the cause's own line first), with the client
        version that wrote the first of them (else of ``version_from``) that names one."""
        ordered = list(dict.fromkeys(lines))
        version = None
        for number in [*ordered, *version_from]:
            seen = self.seen.get(number)
            if seen is not None and seen.event is not None and seen.event.version:
                version = seen.event.version
                break
        return Why(kind, summary, tuple(self.evidence(n) for n in sorted(ordered)), version)

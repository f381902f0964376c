"""The cause of each defect, read from the lines around it (:func:`explain`).

Which findings get a :class:`Why`:

* the call defects R1, R3, R4 and R6, from the call's batch to where its results are
  (or should be: the next prompt or answer, else the end of the file). Not PENDING:
  calls the file ends on may still be running, which the file cannot tell;
* R2 (a result without its call), from the message before it to the result;
* R5 and R5b (an id used twice), around the two uses;
* MADEUP (a result the client made up), and any defect of a call whose result it made up;
* BADLINE and CHAIN only where they bear on a call: within two lines of a line holding a
  tool call or result. Other findings get None.

The lines come from :class:`~inspector.causes.evidence.LinesAround`; what is read is only the
lines of those windows, re-read from disk from the nearest line the conversation knows,
so a healthy file costs nothing. The first evidence found, in this order, is the cause:
a client-made result, the file starting mid-session, a damaged line, a user interrupt, a
compaction boundary, a new session or client version appended, the file ending mid-batch,
subagents of the batch still running, hook output (only for a result that exists but
stands after other content or in a later turn: a hook line after every result is how a
healthy session with hooks looks); else UNKNOWN, with the lines that were looked at. A
cause is never claimed without the line that shows it.
"""

from __future__ import annotations

import bisect
from typing import Final

from inspector.causes.evidence import SPAN, LinesAround, SeenLine
from inspector.causes.model import CauseKind, Why
from inspector.core.durations import spoken
from inspector.core.line_event import LineEvent, LineEventKind
from inspector.core.model import TOOL_RESULT, TOOL_USE, Block, MadeUpResult
from inspector.core.timestamps import parse_timestamp
from inspector.rules.findings import Finding, Report, Rule, ToolCall

CALL_RULES: Final = frozenset({Rule.R1, Rule.R3, Rule.R4, Rule.R6})
DUPLICATE_RULES: Final = frozenset({Rule.R5, Rule.R5B})
FILE_RULES: Final = frozenset({Rule.BADLINE, Rule.CHAIN})
EXPLAINED: Final = CALL_RULES | DUPLICATE_RULES | FILE_RULES | {Rule.R2, Rule.MADEUP}
"""The rules whose findings :func:`explain` may give a cause."""
NEAR: Final = 2
"""Lines either side of a window (or of a damaged line) that still bear on it."""


def explain(report: Report, *, order_alone: bool = True) -> list[Why | None]:
    """A :class:`Why` for each defect finding of ``report``, None for the others (aligned
    with ``report.findings``). Reads only lines near defects; nothing without one.

    ``order_alone=False``: R4 warnings are left unexplained (None, nothing read) when no
    other finding needs a cause: results in completion order are how parallel batches of
    healthy files look, and a healthy file is read no further."""
    findings = report.findings
    explained = [finding.rule for finding in findings if finding.rule in EXPLAINED]
    if not explained or (not order_alone and all(rule is Rule.R4 for rule in explained)):
        return [None] * len(findings)
    explainer = _Explainer(report)
    return [explainer.why(finding) for finding in findings]


def tools_and_batches(report: Report) -> list[tuple[list[str], int | None]]:
    """For each finding: the tool names of the calls it names (a result without its call
    names none), and how many tool calls the assistant message of its first call holds."""
    by_id: dict[str, list[ToolCall]] = {}
    for call in report.calls:
        if call.tool_id and call.use is not None:
            by_id.setdefault(call.tool_id, []).append(call)
    messages = report.conversation.messages
    facts: list[tuple[list[str], int | None]] = []
    for finding in report.findings:
        names: list[str] = []
        batch: int | None = None
        for tool_id in finding.ids:
            for call in by_id.get(tool_id, ()):
                name = call.use.name if call.use is not None else None
                if name and name not in names:
                    names.append(name)
                if batch is None and call.use_message is not None:
                    batch = len(messages[call.use_message].tool_uses())
        facts.append((names, batch))
    return facts


class _Explainer:
    def __init__(self, report: Report) -> None:
        self.conversation = report.conversation
        self.lines = LinesAround(report)
        self.made_up: dict[str, MadeUpResult] = {}
        for made_up in self.conversation.made_up_results:
            self.made_up.setdefault(made_up.tool_id, made_up)
        self.subagent_ids = {link.tool_use_id for link in self.conversation.subagents}
        self.starts_midway = {
            issue.line for issue in self.conversation.issues if issue.starts_midway
        }
        self.tool_lines = sorted(
            line
            for line, blocks in self.lines.blocks.items()
            if any(block.type in (TOOL_USE, TOOL_RESULT) for block in blocks)
        )

    def why(self, finding: Finding) -> Why | None:
        rule = finding.rule
        if rule is Rule.MADEUP:
            return self._made_up(finding)
        if rule in FILE_RULES:
            return self._file_issue(finding)
        if rule not in EXPLAINED:
            return None
        faked = [self.made_up[i] for i in finding.ids if i in self.made_up]
        if faked:
            return self._faked(faked[0])
        if rule in DUPLICATE_RULES:
            return self._duplicate(finding)
        if rule is Rule.R2:
            return self._orphan(finding)
        return self._call(finding)

    def _made_up(self, finding: Finding) -> Why:
        made_up = next(
            (m for m in self.conversation.made_up_results if m.line == finding.line),
            None,
        )
        if made_up is None and finding.ids:
            made_up = self.made_up.get(finding.ids[0])
        if made_up is None:
            return self._unknown([finding.line] if finding.line else [], "")
        return self._faked(made_up)

    def _faked(self, made_up: MadeUpResult) -> Why:
        call_lines = self._use_lines(made_up.tool_id)
        self.lines.load(made_up.line, made_up.line)
        for line in call_lines:
            self.lines.load(line, line)
        return self.lines.cause(
            CauseKind.CLIENT_FAKED,
            f"the client made up the result of {made_up.tool_id} {made_up.when} "
            f"(line {made_up.line}): the call's real result was never recorded",
            [made_up.line, *call_lines],
        )

    def _use_lines(self, tool_id: str) -> list[int]:
        return sorted(
            call.use.origin.line
            for call in self.lines.calls.get(tool_id, ())
            if call.use is not None
        )

    def _file_issue(self, finding: Finding) -> Why | None:
        line = finding.line
        if line is None or not self._bears_on_a_call(line):
            return None
        window = self.lines.window(line - NEAR, line + NEAR)
        neighbours = [line - 1, line + 1, line - 2, line + 2]
        calls = [n for n in range(line - NEAR, line + NEAR + 1) if n in self.tool_lines]
        if finding.rule is Rule.BADLINE:
            return self.lines.cause(
                CauseKind.DAMAGED_FILE,
                f"line {line} is damaged (glued to another line or cut short), next to a "
                "tool call or result",
                [line, *calls],
                neighbours,
            )
        if line in self.starts_midway:
            return self._partial(line)
        before = [seen for seen in window if seen.line < line and seen.event is not None]
        here = self.lines.seen.get(line)
        if before and here is not None and here.event is not None:
            changed = _session_change(before[-1].event, here.event)
            if changed:
                return self.lines.cause(
                    CauseKind.RESUMED_ONTO_OLDER,
                    f"the chain breaks at line {line} where {changed}: a resumed session "
                    "was appended onto an older one",
                    [line, before[-1].line, *calls],
                )
        return self._unknown([line, *calls], f"around line {line}")

    def _bears_on_a_call(self, line: int) -> bool:
        return any(abs(line - tool_line) <= NEAR for tool_line in self._tool_lines_near(line))

    def _tool_lines_near(self, line: int) -> list[int]:
        at = bisect.bisect_left(self.tool_lines, line - NEAR)
        return self.tool_lines[at : at + 2 * NEAR + 1]

    def _duplicate(self, finding: Finding) -> Why:
        tool_id = finding.ids[0] if finding.ids else ""
        calls = self.lines.calls.get(tool_id, [])
        uses = {call.use.origin.line for call in calls if call.use is not None}
        results = {call.result.origin.line for call in calls if call.result is not None}
        twice = results if finding.rule is Rule.R5B else uses
        lines = sorted(twice if len(twice) > 1 else uses | results)
        if finding.line is not None and finding.line not in lines:
            lines.append(finding.line)
            lines.sort()
        if len(lines) < 2:
            return self._unknown(lines, "")
        first, last = lines[0], lines[-1]
        self.lines.load(first - NEAR, first + NEAR)
        window = [self.lines.seen[n] for n in range(first, first + 1) if n in self.lines.seen]
        window += self.lines.window(max(first + 1, last - SPAN // 4), last + NEAR)
        damaged = self._damaged(first - NEAR, last + NEAR)
        if damaged:
            return self.lines.cause(
                CauseKind.DAMAGED_FILE,
                f"damaged line(s) {_numbers(damaged)} near the reused id {tool_id}",
                [*damaged, first, last],
            )
        resumed = self._session_changes(window, first, last)
        if resumed is not None:
            at, what = resumed
            return self.lines.cause(
                CauseKind.RESUMED_ONTO_OLDER,
                f"{tool_id} is used at line {first} and again at line {last}, after {what} "
                f"at line {at}: a resumed session appended onto an older one",
                [at, first, last],
            )
        return self._unknown(
            [first, last], f"between the two uses of {tool_id} (lines {first} and {last})"
        )

    def _orphan(self, finding: Finding) -> Why:
        result_line = finding.line or 0
        index = finding.message_index
        messages = self.conversation.messages
        if index is not None and 0 < index <= len(messages):
            start = messages[index - 1].last_origin.line
        else:
            chain = [origin.line for origin in self.conversation.chain]
            start = (min(chain) if chain else result_line) - 1
        if result_line in self.starts_midway:
            return self._partial(result_line)
        window = self.lines.window(start - NEAR, result_line + NEAR)
        inside = [seen for seen in window if start < seen.line < result_line]
        damaged = self._damaged(start - NEAR, result_line + NEAR)
        if damaged:
            return self.lines.cause(
                CauseKind.DAMAGED_FILE,
                f"damaged line(s) {_numbers(damaged)} just before the result: the line of "
                "its call may be the one lost",
                [*damaged, result_line],
            )
        for kind, cause, said in (
            (LineEventKind.INTERRUPT, CauseKind.INTERRUPT, "a user interrupt"),
            (LineEventKind.COMPACTION, CauseKind.COMPACTION, "a compaction boundary"),
        ):
            found = [seen.line for seen in inside if seen.is_a(kind)]
            if found:
                return self.lines.cause(
                    cause,
                    f"{said} (line {found[0]}) comes between the result (line {result_line}) "
                    "and the call it answers, which the request no longer holds",
                    [found[0], result_line],
                )
        resumed = self._session_changes(window, start, result_line)
        if resumed is not None:
            at, what = resumed
            return self.lines.cause(
                CauseKind.RESUMED_ONTO_OLDER,
                f"{what} at line {at}, before the result at line {result_line}: a resumed "
                "session appended onto an older one",
                [at, result_line],
            )
        hooks = [seen.line for seen in inside if seen.is_a(LineEventKind.HOOK_OUTPUT)]
        if hooks and _displaced(finding):
            return self.lines.cause(
                CauseKind.HOOK_OUTPUT,
                f"hook output (line {_numbers(hooks)}) was written just before the result "
                f"at line {result_line}",
                [*hooks, result_line],
            )
        where = f"between line {start} and" if start > 0 else "in the file before"
        return self._unknown([result_line], f"{where} the result at line {result_line}")

    def _partial(self, line: int) -> Why:
        self.lines.load(line, line)
        return self.lines.cause(
            CauseKind.PARTIAL_FILE,
            f"the file starts mid-session: line {line} answers a call, and hangs off a line, "
            "that are not in it (the earlier part of the session was kept elsewhere)",
            [line],
        )

    def _call(self, finding: Finding) -> Why:
        named = [
            call
            for tool_id in finding.ids
            for call in self.lines.calls.get(tool_id, ())
            if call.use is not None and call.use_message is not None
        ]
        if not named:
            return self._unknown([finding.line] if finding.line else [], "")
        first_call = min(named, key=lambda call: _line_of(call.use))
        call_line = _line_of(first_call.use)
        assert first_call.use_message is not None
        message = self.conversation.messages[first_call.use_message]
        batch = [self._call_of(block) for block in message.tool_uses()]
        start = min(origin.line for origin in message.origins)
        answered = [call.result.origin.line for call in named if call.result is not None]
        end: int | None
        end = max(answered) if answered else self._next_turn(first_call.use_message, call_line)
        window = self.lines.window(start - NEAR, None if end is None else end + NEAR)
        if end is None and self.lines.reader.last_line is None:
            end = window[-1].line if window else call_line  # the window stopped short
        last = end if end is not None else (self.lines.reader.last_line or call_line)
        after = [seen for seen in window if call_line < seen.line <= last]
        call_lines = sorted({_line_of(call.use) for call in named})

        damaged = self._damaged(start - NEAR, last + NEAR)
        if damaged:
            return self.lines.cause(
                CauseKind.DAMAGED_FILE,
                f"damaged line(s) {_numbers(damaged)} within the batch: a call or result "
                "line glued to another or cut short",
                [*damaged, *call_lines],
                call_lines,
            )
        # Claude Code writes the results it cut short first, then the interrupt: one
        # right after the window still bears on it.
        interrupts = [
            seen
            for seen in window
            if call_line < seen.line <= last + NEAR and seen.is_a(LineEventKind.INTERRUPT)
        ]
        if interrupts:
            return self._interrupt(interrupts[0], first_call, batch, call_lines)
        compactions = [seen.line for seen in after if seen.is_a(LineEventKind.COMPACTION)]
        if compactions:
            return self.lines.cause(
                CauseKind.COMPACTION,
                f"a compaction boundary (line {compactions[0]}) comes between the call "
                f"(line {call_line}) and where its result belongs",
                [compactions[0], *call_lines],
            )
        resumed = self._session_changes([s for s in window if s.line >= call_line], call_line, last)
        if resumed is not None:
            at, what = resumed
            return self.lines.cause(
                CauseKind.RESUMED_ONTO_OLDER,
                f"{what} at line {at}, with the call of line {call_line} still unanswered: "
                "a resumed session appended onto an older one",
                [at, *call_lines],
            )
        if end is None and self.lines.reader.last_line is not None:
            ended = self._ended(after, first_call, batch, call_lines)
            if ended is not None:
                return ended
        running = self._subagents_running(batch, last)
        if running is not None:
            return running
        hooks = [seen.line for seen in after if seen.is_a(LineEventKind.HOOK_OUTPUT)]
        if hooks and _displaced(finding):
            shown = hooks[:3]
            return self.lines.cause(
                CauseKind.HOOK_OUTPUT,
                f"hook output was written between the call (line {call_line}) and its "
                f"results (line {_numbers(shown)}"
                f"{f' and {len(hooks) - 3} more' if len(hooks) > 3 else ''})",
                [*shown, *call_lines],
            )
        span = f"between the call (line {call_line}) and line {last}"
        return self._unknown([*call_lines, last], span)

    def _call_of(self, block: Block) -> ToolCall | None:
        for call in self.lines.calls.get(block.tool_id or "", ()):
            if call.use is block:
                return call
        return None

    def _next_turn(self, use_message: int, call_line: int) -> int | None:
        """The first line after the call's batch that starts a turn of its own (a prompt,
        an interrupt, the next answer); None: the conversation ends first."""
        for message in self.conversation.messages[use_message + 1 :]:
            lines = [b.origin.line for b in message.blocks if b.type != TOOL_RESULT]
            lines = [line for line in lines if line > call_line]
            if lines:
                return min(lines)
        return None

    def _interrupt(
        self,
        interrupt: SeenLine,
        first: ToolCall,
        batch: list[ToolCall | None],
        call_lines: list[int],
    ) -> Why:
        at = interrupt.line
        calls = [call for call in batch if call is not None]
        pending = [c for c in calls if c.result is None or c.result.origin.line > at]
        before = [
            c.result.origin for c in calls if c.result is not None and c.result.origin.line < at
        ]
        stamp = interrupt.event.timestamp if interrupt.event else None
        when = parse_timestamp(stamp or self.lines.timestamps.get(at))
        sent = parse_timestamp(first.use.origin.timestamp if first.use else None)
        timing = f"line {at}"
        if when is not None and sent is not None:
            timing += f", {spoken((when - sent).total_seconds())} after the call"
        lines = [at, *call_lines]
        if pending:
            state = f"while {len(pending)} of the batch's {len(calls)} calls had no result yet"
        else:
            last_result = max(before, key=lambda origin: origin.line)
            lines.append(last_result.line)
            written = parse_timestamp(last_result.timestamp)
            gap = (
                f", {spoken((when - written).total_seconds())} after it"
                if when is not None and written is not None
                else ""
            )
            state = (
                f"just after the batch's last result (line {last_result.line}{gap}): the calls "
                "it cut short were answered as it stopped them"
            )
        return self.lines.cause(
            CauseKind.INTERRUPT, f"the user interrupted ({timing}) {state}", lines
        )

    def _ended(
        self,
        after: list[SeenLine],
        first: ToolCall,
        batch: list[ToolCall | None],
        call_lines: list[int],
    ) -> Why | None:
        if any(seen.is_a(LineEventKind.TURN_END) for seen in after):
            return None  # the client ended the turn: not cut off
        last_line = self.lines.reader.last_line
        assert last_line is not None
        written = [c.result.origin.line for c in batch if c is not None and c.result is not None]
        missing = [c for c in batch if c is not None and c.result is None]
        lines = [last_line, *call_lines]
        if written:
            lines.append(max(written))
        size = len([c for c in batch if c is not None])
        return self.lines.cause(
            CauseKind.ENDED_MID_BATCH,
            f"the file ends at line {last_line} with {len(missing)} of the batch's {size} "
            "calls unanswered and no end of turn: the client stopped writing mid-batch "
            "(killed or crashed, or still running)",
            lines,
        )

    def _subagents_running(self, batch: list[ToolCall | None], last: int) -> Why | None:
        calls = [call for call in batch if call is not None and call.use is not None]
        if len(calls) < 2:
            return None
        subagents: list[ToolCall] = []
        for call in calls:
            line = _line_of(call.use)
            self.lines.load(line, line)
            seen = self.lines.seen.get(line)
            if call.tool_id in self.subagent_ids or (
                seen is not None and seen.is_a(LineEventKind.SUBAGENT_CALL)
            ):
                subagents.append(call)
        running = [
            call for call in subagents if call.result is None or call.result.origin.line > last
        ]
        if not running:
            return None
        lines = [_line_of(call.use) for call in subagents]
        lines += [call.result.origin.line for call in running if call.result is not None]
        return self.lines.cause(
            CauseKind.SUBAGENTS,
            f"{len(running)} subagent call(s) of this batch of {len(calls)} parallel calls "
            f"had no result yet by line {last}: subagents were still running",
            lines,
        )

    def _damaged(self, first: int, last: int) -> list[int]:
        """The lines ``first`` … ``last`` the agent could not read (its BADLINE issues: a
        line this module fails to parse may be no line of the agent's at all)."""
        return sorted(line for line in self.lines.bad_lines if first <= line <= last)

    def _session_changes(
        self, window: list[SeenLine], first: int, last: int
    ) -> tuple[int, str] | None:
        """The first line after ``first`` (up to ``last``) where another session or client
        version writes, or a client process starts: (line, what changed)."""
        reference = next(
            (seen.event for seen in window if seen.line >= first and seen.event is not None),
            None,
        )
        if reference is None:
            return None
        for seen in window:
            if not first < seen.line <= last or seen.event is None:
                continue
            if seen.event.kind is LineEventKind.SESSION_START:
                return seen.line, "a new client session starts"
            changed = _session_change(reference, seen.event)
            if changed:
                return seen.line, changed
        return None

    def _unknown(self, lines: list[int], where: str) -> Why:
        for line in lines:
            self.lines.load(line, line)
        looked = f" {where}" if where else ""
        return self.lines.cause(
            CauseKind.UNKNOWN,
            "nothing in the transcript shows it: no interrupt, hook output, compaction, "
            f"session change or damaged line{looked}",
            lines,
        )


def _displaced(finding: Finding) -> bool:
    """A result that exists but stands where the API does not take it (after other
    content, or in a later turn): what output written between a call and its result can
    do. A result that is nowhere, or results in another order, hooks do not explain (a
    hook line after every result is how a healthy session with hooks looks)."""
    cause = finding.cause or ""
    if finding.rule is Rule.R3:
        return True
    return finding.rule in (Rule.R1, Rule.R2) and cause.startswith("late result")


def _session_change(before: LineEvent | None, after: LineEvent | None) -> str | None:
    if before is None or after is None:
        return None
    if before.session_id and after.session_id and before.session_id != after.session_id:
        return f"the session id changes ({before.session_id} → {after.session_id})"
    if before.version and after.version and before.version != after.version:
        return f"the client version changes ({before.version} → {after.version})"
    return None


def _line_of(block: Block | None) -> int:
    return block.origin.line if block is not None else 0


def _numbers(lines: list[int]) -> str:
    return ", ".join(str(line) for line in lines)

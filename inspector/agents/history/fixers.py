"""Repairs of a stored message array: fix, check and fix again until the API accepts it.

* a missing result (R1) gets a synthetic one in the client's own shape and words (Roo:
  :data:`ROO_MISSING`; Cline: :data:`CLINE_MISSING`; raw Anthropic: an ``is_error``
  result, OpenAI Chat: a ``tool`` message, both saying the result was lost);
* a result that answers no call (R2) or answers one twice (R5b) becomes plain text that
  quotes it (Roo's own shape ``Tool result:\\n…``);
* results after other content (R3): the answering results move to the start of the user
  turn, into its first stored message (a message they leave empty is removed);
* a tool_use id used again later (R5): the later call and its result get
  ``<id>-dup<n>``, as the Claude Code repair does; text after a tool_use in one message
  (R6) moves before it. Thinking blocks are never edited or moved.

The fixes every agent shares are in :mod:`inspector.rewrite.fixes`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from inspector.agents.history.anthropic import CLINE, ROO_CODE
from inspector.agents.history.document import StoredMessage
from inspector.core.model import (
    ASSISTANT_ROLE,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
)
from inspector.rewrite.fixes import (
    LATE_RESULT,
    LOST_RESULT,
    finding_block,
    kept_as_text,
    quoted_result,
    renames_of,
    result_as_text,
    tool_uses_last,
    until_accepted,
)
from inspector.rewrite.plan import Change
from inspector.rules import CallStatus, Report, Rule, validate
from inspector.rules.turns import merge_turns

if TYPE_CHECKING:
    from inspector.agents.history.arrays import ArraySource

ROO_MISSING: Final = "Tool execution was interrupted before completion."
"""Roo Code's words for a result it adds itself (``validateAndFixToolResultIds``)."""
CLINE_MISSING: Final = "[migration] Tool result missing in legacy conversation history."
"""Cline's placeholder for a missing result (``sanitizeInitialMessagesForSessionStart``)."""
ROO_RESULT_PREFIX: Final = "Tool result:\n"
"""How Roo Code keeps a result that answers no call, as text."""
MAX_ROUNDS: Final = 8


def stored_position(message: Message) -> int:
    """The message's position in the stored array."""
    origin = message.origins[0]
    assert isinstance(origin, StoredMessage)
    return origin.position


class ArrayFixer:
    """Fix, check and fix again until the API accepts the array (or nothing helps)."""

    def __init__(self, source: ArraySource, changes: list[Change]) -> None:
        self.source = source
        self.changes = changes
        self.work: list[Any] = list(source.messages)
        self.removed = 0
        self.added = 0
        self.late: set[str] = set()
        """ids whose result came too late (kept as text where it was)."""

    def run(self) -> tuple[list[Any], Report]:
        report = until_accepted(
            lambda: validate(self.source.project(self.work)),
            lambda report: self.fix(report.conversation, report),
            MAX_ROUNDS,
        )
        return self.work, report

    def fix(self, conversation: Conversation, report: Report) -> bool:
        """One kind of fix per round (positions move): ids, stray results, order."""
        return (
            self.rename(conversation, report)
            or self.to_text(conversation, report)
            or self.text_first(conversation, report)
            or self.restructure(conversation, report)
        )

    def rename(self, conversation: Conversation, report: Report) -> bool:
        return False

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        raise NotImplementedError

    def text_first(self, conversation: Conversation, report: Report) -> bool:
        return False

    def restructure(self, conversation: Conversation, report: Report) -> bool:
        """Move the results of each broken turn to its start and add the missing ones."""
        broken = {
            call.use_message
            for call in report.calls
            if call.use is not None
            and call.use_message is not None
            and call.status in (CallStatus.MISSING, CallStatus.LATE, CallStatus.MISPLACED)
        }
        applied = False
        drops: set[int] = set()
        for turn in reversed(merge_turns(conversation.messages)):
            first, last, role = turn.first_message, turn.last_message, turn.role
            if role != ASSISTANT_ROLE or not any(first <= i <= last for i in broken):
                continue
            following = last + 1
            if following >= len(conversation.messages):
                continue  # still running: nothing to answer yet
            end = following
            while (
                end + 1 < len(conversation.messages)
                and conversation.messages[end + 1].role == USER_ROLE
            ):
                end += 1
            uses = [b for m in conversation.messages[first : last + 1] for b in m.tool_uses()]
            applied |= self.answer_turn(conversation, uses, following, end, drops)
        for position in sorted(drops, reverse=True):
            del self.work[position]
            self.removed += 1
        return applied

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        raise NotImplementedError

    def missing_text(self, tool_id: str) -> str:
        return LATE_RESULT if tool_id in self.late else LOST_RESULT


def block_position(block: Block) -> int:
    origin = block.origin
    assert isinstance(origin, StoredMessage)
    return origin.position


class AnthropicFixer(ArrayFixer):
    """Roo Code, Cline and raw Messages API requests: content blocks in stored messages."""

    def __init__(self, source: ArraySource, changes: list[Change]) -> None:
        super().__init__(source, changes)
        self.used_ids = {
            str(block.get("id") or block.get("tool_use_id"))
            for message in source.messages
            if isinstance(message, dict) and isinstance(message.get("content"), list)
            for block in message["content"]
            if isinstance(block, dict) and (block.get("id") or block.get("tool_use_id"))
        }

    def _content(self, position: int) -> list[Any]:
        """A fresh copy of the stored message's content list (the original is not touched)."""
        content = self.work[position].get("content")
        if isinstance(content, list):
            return list(content)
        if isinstance(content, str) and content:
            return [{"type": "text", "text": content}]
        return []

    def _set(self, position: int, content: list[Any]) -> None:
        self.work[position] = {**self.work[position], "content": content}

    # ------------------------------------------------------------------ R5

    def rename(self, conversation: Conversation, report: Report) -> bool:
        renames: dict[tuple[int, int], str] = {}
        stored = renames_of(conversation, report, self.used_ids, where=lambda b: b.index >= 0)
        for rename in stored:
            use, answer = rename.use, rename.answer
            renames[(block_position(use), use.index)] = rename.new_id
            if answer is not None and answer.index >= 0:
                renames[(block_position(answer), answer.index)] = rename.new_id
            self.changes.append(
                Change("renamed_id", block_position(use) + 1, use.tool_id, rename.said)
            )
        for (position, index), new_id in renames.items():
            content = self._content(position)
            renamed = dict(content[index])
            renamed["id" if renamed.get("type") == TOOL_USE else "tool_use_id"] = new_id
            content[index] = renamed
            self._set(position, content)
        return bool(renames)

    # ------------------------------------------------------------------ R2 / R5b

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        targets: dict[tuple[int, int], str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule not in (Rule.R2, Rule.R5B) or block is None:
                continue
            if block.type != TOOL_RESULT or block.index < 0:
                continue
            targets[(block_position(block), block.index)] = (
                finding.cause or "its call is not in the previous turn"
            )
            if finding.cause and finding.cause.startswith("late result") and block.tool_id:
                self.late.add(block.tool_id)
        for (position, index), cause in sorted(targets.items(), reverse=True):
            content = self._content(position)
            block = content[index]
            content[index : index + 1] = self._as_text(block, cause)
            self._set(position, content)
            self.changes.append(
                Change(
                    "result_to_text",
                    position + 1,
                    str(block.get("tool_use_id")),
                    f"a tool_result that answers no call ({cause}) is kept as text",
                )
            )
        return bool(targets)

    def _as_text(self, block: dict[str, Any], cause: str) -> list[dict[str, Any]]:
        if self.source.fmt != ROO_CODE:
            return result_as_text(block, cause)
        body, media = quoted_result(block.get("content"))
        return [{"type": "text", "text": ROO_RESULT_PREFIX + (body or "(empty)")}, *media]

    # ------------------------------------------------------------------ R6

    def text_first(self, conversation: Conversation, report: Report) -> bool:
        flagged = {tool_id for f in report.errors if f.rule is Rule.R6 for tool_id in f.ids}
        positions = {
            block_position(call.use)
            for call in report.calls
            if call.use is not None and call.tool_id in flagged and call.use.index >= 0
        }
        applied = False
        for position in sorted(positions):
            reordered = tool_uses_last(self._content(position))
            if reordered is None:
                continue  # nothing to move, or thinking would move (left for the user)
            self._set(position, reordered)
            applied = True
            self.changes.append(
                Change(
                    "text_before_tool_use",
                    position + 1,
                    None,
                    "text moved before the tool_use blocks of the message",
                )
            )
        return applied

    # ------------------------------------------------------------------ R1 / R3

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        wanted = list(dict.fromkeys(b.tool_id for b in uses if b.tool_id))
        taken: dict[str, Block] = {}
        for message in conversation.messages[first : last + 1]:
            for block in message.blocks:
                if (
                    block.is_result
                    and block.tool_id in wanted
                    and block.tool_id not in taken
                    and block.index >= 0
                ):
                    taken[block.tool_id] = block
        head = stored_position(conversation.messages[first])
        moved: dict[int, set[int]] = {}
        for block in taken.values():
            moved.setdefault(block_position(block), set()).add(block.index)
        results = [
            self.work[block_position(b)]["content"][b.index]
            for b in sorted(taken.values(), key=lambda b: (block_position(b), b.index))
        ]
        missing = [tool_id for tool_id in wanted if tool_id not in taken]
        synthetic = [self._synthetic(tool_id) for tool_id in missing]
        old_head = self._content(head)
        at_head = moved.get(head, set())
        rest = [b for i, b in enumerate(old_head) if i not in at_head]
        new_head = results + synthetic + rest
        changed = new_head != old_head
        edits: dict[int, list[Any]] = {}
        for position, indices in moved.items():
            if position == head:
                continue
            content = [b for i, b in enumerate(self._content(position)) if i not in indices]
            edits[position] = content
        if not changed and not edits:
            return False
        self._set(head, new_head)
        for position, content in edits.items():
            if content:
                self._set(position, content)
            else:
                drops.add(position)
        by_id = {b.tool_id: b for b in uses}
        words = {ROO_CODE: "Roo Code's", CLINE: "Cline's"}.get(self.source.fmt)
        for tool_id in missing:
            use = by_id[tool_id]
            said = (
                f"in {words} words"
                if words
                else "an is_error result saying the result was "
                + ("recorded too late" if tool_id in self.late else "lost")
            )
            self.changes.append(
                Change(
                    "synthetic_result",
                    block_position(use) + 1,
                    tool_id,
                    f"added a result for the call ({said})",
                )
            )
        sources_moved = any(position != head for position in moved)
        if sources_moved or sorted(at_head) != list(range(len(at_head))):
            sources = sorted(position + 1 for position in moved if position != head)
            self.changes.append(
                Change(
                    "results_first",
                    head + 1,
                    None,
                    "tool_result blocks moved to the start of the turn's first message"
                    + (f" (from lines {', '.join(map(str, sources))})" if sources else ""),
                )
            )
        for position in sorted(p for p, content in edits.items() if not content):
            self.changes.append(
                Change(
                    "results_first",
                    position + 1,
                    None,
                    "this message held only results, all moved: it is removed",
                )
            )
        return True

    def _synthetic(self, tool_id: str) -> dict[str, Any]:
        if self.source.fmt == ROO_CODE:
            return {"type": TOOL_RESULT, "tool_use_id": tool_id, "content": ROO_MISSING}
        if self.source.fmt == CLINE:
            return {"type": TOOL_RESULT, "tool_use_id": tool_id, "content": CLINE_MISSING}
        return {
            "type": TOOL_RESULT,
            "tool_use_id": tool_id,
            "content": self.missing_text(tool_id),
            "is_error": True,
        }


class ChatFixer(ArrayFixer):
    """OpenAI Chat requests: one ``tool`` message per result."""

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        targets: dict[int, str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R2 or block is None or block.type != TOOL_RESULT:
                continue
            targets[block_position(block)] = finding.cause or "no call before it"
            if finding.cause and finding.cause.startswith("late result") and block.tool_id:
                self.late.add(block.tool_id)
        for position, cause in targets.items():
            stored = self.work[position]
            tool_id = stored.get("tool_call_id")
            text = kept_as_text(
                "tool message", "tool_call_id", tool_id, stored.get("content"), cause
            )
            self.work[position] = {"role": USER_ROLE, "content": text}
            self.changes.append(
                Change(
                    "result_to_text",
                    position + 1,
                    str(tool_id),
                    f"a tool message that answers no call ({cause}) is kept as a user message",
                )
            )
        return bool(targets)

    def answer_turn(
        self, conversation: Conversation, uses: list[Block], first: int, last: int, drops: set[int]
    ) -> bool:
        wanted = list(dict.fromkeys(b.tool_id for b in uses if b.tool_id))
        start = stored_position(conversation.messages[first])
        end = stored_position(conversation.messages[last])
        taken: dict[str, int] = {}
        for message in conversation.messages[first : last + 1]:
            for block in message.blocks:
                if block.is_result and block.tool_id in wanted and block.tool_id not in taken:
                    taken[block.tool_id] = block_position(block)
        missing = [tool_id for tool_id in wanted if tool_id not in taken]
        answers = sorted(taken.values())
        others = [p for p in range(start, end + 1) if p not in set(answers)]
        synthetic = [
            {"role": "tool", "tool_call_id": tool_id, "content": self.missing_text(tool_id)}
            for tool_id in missing
        ]
        span = self.work[start : end + 1]
        new_span = [self.work[p] for p in answers] + synthetic + [self.work[p] for p in others]
        if len(new_span) == len(span) and all(a is b for a, b in zip(new_span, span, strict=True)):
            return False
        self.work[start : end + 1] = new_span
        self.added += len(synthetic)
        by_id = {b.tool_id: b for b in uses}
        for tool_id in missing:
            self.changes.append(
                Change(
                    "synthetic_result",
                    block_position(by_id[tool_id]) + 1,
                    tool_id,
                    "added a tool message saying the result was "
                    + ("recorded too late" if tool_id in self.late else "lost"),
                )
            )
        if answers and answers != list(range(start, start + len(answers))):
            self.changes.append(
                Change(
                    "results_first",
                    start + 1,
                    None,
                    "tool messages moved right after the assistant message that called them",
                )
            )
        return True

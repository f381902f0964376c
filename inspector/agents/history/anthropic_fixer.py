"""Repairs of Anthropic-shaped arrays (Roo Code, Cline, raw Messages API requests):
content blocks in stored messages, fixed in each client's own shape and words."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from inspector.agents.history.anthropic import CLINE, ROO_CODE
from inspector.agents.history.fixers import (
    CLINE_MISSING,
    ROO_MISSING,
    ROO_RESULT_PREFIX,
    ArrayFixer,
    block_position,
    stored_position,
)
from inspector.core.model import TOOL_RESULT, TOOL_USE, Block, Conversation
from inspector.rewrite.fixes import (
    finding_block,
    quoted_result,
    renames_of,
    result_as_text,
    tool_uses_last,
)
from inspector.rewrite.plan import Change
from inspector.rules import Report, Rule

if TYPE_CHECKING:
    from inspector.agents.history.arrays import ArraySource


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
            self.note_late(finding.cause, block.tool_id)
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
        wanted, taken = self.answers_in(conversation, uses, first, last)
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
                else f"an is_error result saying the result was {self.lost_or_late(tool_id)}"
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

    def movable(self, block: Block) -> bool:
        return block.index >= 0

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

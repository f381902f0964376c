"""Repairs of OpenAI Chat request arrays: one ``tool`` message per result."""

from __future__ import annotations

from inspector.agents.history.fixers import ArrayFixer, block_position, stored_position
from inspector.core.model import TOOL_RESULT, USER_ROLE, Block, Conversation
from inspector.rewrite.fixes import finding_block, kept_as_text
from inspector.rewrite.plan import Change
from inspector.rules import Report, Rule


class ChatFixer(ArrayFixer):
    """OpenAI Chat requests: one ``tool`` message per result."""

    def to_text(self, conversation: Conversation, report: Report) -> bool:
        targets: dict[int, str] = {}
        for finding in report.errors:
            block = finding_block(conversation, finding)
            if finding.rule is not Rule.R2 or block is None or block.type != TOOL_RESULT:
                continue
            targets[block_position(block)] = finding.cause or "no call before it"
            self.note_late(finding.cause, block.tool_id)
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
        wanted, found = self.answers_in(conversation, uses, first, last)
        start = stored_position(conversation.messages[first])
        end = stored_position(conversation.messages[last])
        taken = {tool_id: block_position(block) for tool_id, block in found.items()}
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
                    f"added a tool message saying the result was {self.lost_or_late(tool_id)}",
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

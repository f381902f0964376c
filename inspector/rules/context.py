"""What the checks of one validation share: the conversation, its turns, what they found."""

from __future__ import annotations

from inspector.core.model import ANTHROPIC, TOOL_USE, Block, Conversation, Message
from inspector.rules.findings import Finding, Rule, Severity, ToolCall
from inspector.rules.memo import Layers, Resume, ValidationMemo, resume_turn, resumes
from inspector.rules.turns import merge_turns

BlockMark = tuple[tuple[Finding, ...], Layers, Layers, int, tuple[Block, ...]]
"""What the block checks had found before the resume point: findings, tool_use and
tool_result ids seen, results counted, repeated calls."""


class Context:
    """One validation run: the checks read the conversation here and add to its findings."""

    def __init__(
        self, conversation: Conversation, memo: ValidationMemo | None, remember: bool
    ) -> None:
        self.conversation = conversation
        dialect = (conversation.api, conversation.format)
        self.old = memo if memo is not None and memo.dialect == dialect else None
        """The previous validation's memo, when it was made for the same API and client."""
        self.memo = ValidationMemo(dialect)
        self.remember = remember
        self.tool_result_count = 0
        self.messages = conversation.messages
        self.findings: list[Finding] = []
        self.calls: list[ToolCall] = []
        self.api = conversation.api
        self.repeated_uses: list[Block] = []
        """tool_use blocks whose id an earlier tool_use already had (R5)."""
        self.notes = conversation.notes
        self.resumed = self._resume_point()
        """Where this validation starts (None: at the first message)."""
        if self.resumed is None:
            self.turns = merge_turns(self.messages)
        else:
            resumed = self.resumed
            self.turns = resumed.turns[: resumed.turn]
            self.turns += merge_turns(self.messages, resumed.first_message)
            self._take_over_memo(resumed)
        self.resume_at = (
            resume_turn(self.turns, len(self.messages))
            if remember and self.api == ANTHROPIC
            else None
        )
        """The turn the next validation may start at, if this one notes what it found
        before it (the passes fill :attr:`pairing_mark` and :attr:`block_mark`)."""
        self.pairing_mark: tuple[tuple[ToolCall, ...], tuple[Finding, ...]] | None = None
        self.block_mark: BlockMark | None = None
        self._first_use: dict[str, int] | None = None

    def _resume_point(self) -> Resume | None:
        resume = self.old.resume if self.old is not None else None
        if resume is None or self.api != ANTHROPIC:
            return None
        compacted = self.conversation.compacted_tool_ids
        return resume if resumes(resume, self.messages, compacted) else None

    def _take_over_memo(self, resumed: Resume) -> None:
        """Hand the previous memo on, without what it held of the messages and turns
        after the resume point (they are checked again)."""
        assert self.old is not None
        old = self.old
        for message in resumed.messages[resumed.first_message :]:
            old.messages.pop(message, None)
        for turn in resumed.turns[resumed.turn - 1 :]:
            old.answers.pop(turn.messages[0], None)
            old.results.pop(turn.messages[0], None)
        self.memo.messages, self.memo.answers, self.memo.results = (
            old.messages,
            old.answers,
            old.results,
        )

    @property
    def first_use(self) -> dict[str, int]:
        """tool_use id → index of the first message that calls it (built when first asked)."""
        if self._first_use is None:
            self._first_use = {}
            for index, message in enumerate(self.messages):
                for block in message.blocks:
                    if block.type == TOOL_USE and block.tool_id:
                        self._first_use.setdefault(block.tool_id, index)
        return self._first_use

    def error(
        self,
        rule: Rule,
        text: str,
        *,
        message_index: int,
        content_index: int | None = None,
        block: Block | None = None,
        origin_message: Message | None = None,
        ids: tuple[str, ...] = (),
        cause: str | None = None,
        note: str | None = None,
    ) -> None:
        """Add an API rejection; the conversation is accepted only before ``message_index``."""
        origin = block.origin if block is not None else None
        if origin is None and origin_message is not None and origin_message.origins:
            origin = origin_message.origins[0]
        self.findings.append(
            Finding(
                rule,
                Severity.ERROR,
                text,
                ids=ids,
                message_index=message_index,
                content_index=content_index,
                line=origin.line if origin else None,
                uuid=origin.uuid if origin else None,
                cause=cause,
                note=note,
                cut_before=message_index,
            )
        )

"""Selected Claude Code entries → API messages, merged the way Claude Code merges them."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import filterfalse
from operator import attrgetter

from inspector.agents.claude_code.entries import ASSISTANT, LOCAL_COMMAND, USER, Entry
from inspector.core.model import TOOL_RESULT, TOOL_USE, ApiErrorRecord, Message

_IS_BLANK = attrgetter("blank")
"""Blank text blocks are not sent."""


class MergedIntoPrefix(Exception):
    """A line would change a message the fold was told to keep as it is."""


class MessageFold:
    """Turns selected entries into API messages, merged the way Claude Code merges them.

    Assistant fragments merge by ``message.id`` (looking back past other messages), with
    thinking/text before tool_use; consecutive user lines merge with results first. Both
    are stable reorderings, so each group keeps the order its lines were put in, or, with
    ``file_order`` (Claude Code 2.1.330 and newer), the order of the lines in the file.

    A fold can resume after ``prefix`` (messages folded earlier and kept as they are,
    shared with an earlier projection): a line that would merge into one of them raises
    :class:`MergedIntoPrefix`, and the caller folds from further back.
    """

    def __init__(
        self,
        api_error_texts: dict[int, str],
        prefix: list[Message] | None = None,
        prefix_ids: dict[str, int] | None = None,
        *,
        file_order: bool = True,
    ) -> None:
        self.api_error_texts = api_error_texts
        self.file_order = file_order
        self.messages: list[Message] = list(prefix or ())
        self.kept = len(self.messages)
        """Messages at the start that must not change."""
        self.prefix_ids = prefix_ids or {}
        """message.id → index of its assistant message; a kept one may not take fragments."""
        self.api_errors: list[ApiErrorRecord] = []
        self.assistant_at: dict[str, int] = {}
        """message.id → index of the assistant message this fold made for it."""
        self._reorder: list[Message] = []

    def add_all(self, entries: Iterable[Entry]) -> MessageFold:
        add = self.add
        for entry in entries:
            add(entry)
        return self

    def add(self, entry: Entry) -> None:
        # Runs once per selected line (50k on 100 MB): locals and plain loops, no generators.
        messages = self.messages
        kind = entry.kind
        if kind == ASSISTANT:
            if entry.api_error:
                text = self.api_error_texts.get(entry.line, "")
                self.api_errors.append(ApiErrorRecord(entry, text, len(messages)))
                return
            blocks = list(filterfalse(_IS_BLANK, entry.blocks))
            if not blocks:
                return
            message_id = entry.message_id
            at = self.assistant_at.get(message_id) if message_id else None
            if at is None:
                if message_id and self.prefix_ids.get(message_id, self.kept) < self.kept:
                    raise MergedIntoPrefix(message_id)
                at = len(messages)
                if message_id:
                    self.assistant_at[message_id] = at
                messages.append(
                    Message(ASSISTANT, blocks, [entry], False, entry.model, entry.stop_reason)
                )
                return
            merged = messages[at]
            if self.file_order and entry.line < merged.origins[-1].line:
                self._reorder.append(merged)  # a sibling recovered after a later line
            elif merged.blocks[-1].type == TOOL_USE:
                for block in blocks:
                    if block.type != TOOL_USE:
                        self._reorder.append(merged)
                        break
            merged.blocks.extend(blocks)
            merged.origins.append(entry)
            merged.stop_reason = entry.stop_reason or merged.stop_reason
        elif kind == USER or entry.subtype == LOCAL_COMMAND:
            previous = messages[-1] if messages else None
            if previous is None or previous.role != USER:
                messages.append(Message(USER, list(entry.blocks), [entry], entry.string_content))
                return
            if len(messages) <= self.kept:
                raise MergedIntoPrefix(entry.uuid)
            if previous.blocks and previous.blocks[-1].type != TOOL_RESULT:
                for block in entry.blocks:
                    if block.type == TOOL_RESULT:
                        self._reorder.append(previous)
                        break
            previous.blocks.extend(entry.blocks)
            previous.origins.append(entry)
            previous.string_content = False

    def finish(self) -> list[Message]:
        for message in self._reorder:
            if message.role == ASSISTANT and self.file_order:
                message.blocks.sort(key=lambda block: (block.type == TOOL_USE, block.origin.line))
            elif message.role == ASSISTANT:
                message.blocks.sort(key=lambda block: block.type == TOOL_USE)
            else:
                message.blocks.sort(key=lambda block: block.type != TOOL_RESULT)
        self._reorder = []
        return self.messages

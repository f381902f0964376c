"""The checks only the Anthropic Messages API makes: single blocks, server tools, thinking.

Its call pairing is :mod:`inspector.rules.next_turn`, shared with OpenAI Chat.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import attrgetter

from inspector.core.model import (
    ASSISTANT_ROLE,
    SERVER_TOOL_USE,
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Message,
)
from inspector.rules import texts
from inspector.rules.context import Context
from inspector.rules.findings import Rule
from inspector.rules.memo import Checked, IdSet, SeenIds, layers_of
from inspector.rules.turns import Turn

_ID_PATTERN = re.compile(r"[a-zA-Z0-9_-]+")
_TOOL_BLOCKS = frozenset({TOOL_USE, TOOL_RESULT, SERVER_TOOL_USE})
_USE_TYPES = frozenset({TOOL_USE, SERVER_TOOL_USE})
_BLOCK_TYPE = attrgetter("type")
_CLAUDE_VERSION = re.compile(r"claude-([a-z]+)(?:-(\d+)(?:-(\d{1,2}))?)?(?=$|[-@.:])")
ADAPTIVE_SINCE = (4, 6)
"""Claude Opus 4.6 and Sonnet 4.6 and every model since think adaptively: the model
decides per turn whether to think, so a turn of a tool loop may start with a tool_use
and no thinking, and the API answers it (seen on real opus-4-6 sessions; Anthropic's
adaptive-thinking docs list Opus 4.6, Sonnet 4.6, Opus 4.7 and the newer families)."""


class BlockChecks:
    """R5, R5b, R7, R8, R9: rules that look at single blocks and messages.

    Counts the conversation's tool_result blocks as it goes, and reuses the memo's
    checks of messages that stand where they stood.
    """

    def __init__(self, context: Context) -> None:
        self.context = context
        self.findings = context.findings
        self.repeated_uses = context.repeated_uses
        self.notes = context.notes

    def run(self) -> None:
        context = self.context
        messages = context.messages
        findings = self.findings
        first_finding = len(findings)
        seen_uses: IdSet = set()
        seen_results: IdSet = set()
        result_count = start = 0
        resumed = context.resumed
        if resumed is not None:
            start = resumed.first_message
            seen_uses = SeenIds(resumed.seen_uses)
            seen_results = SeenIds(resumed.seen_results)
            findings.extend(resumed.block_findings)
            result_count = resumed.result_count
            self.repeated_uses.extend(resumed.repeated_uses)
        mark = -1
        if context.resume_at is not None:
            mark = context.turns[context.resume_at].first_message
        last = len(messages) - 1
        valid_id = _ID_PATTERN.fullmatch
        old = context.old.messages if context.old is not None else {}
        memo = context.memo.messages
        remember = context.remember
        for index in range(start, len(messages)):
            message = messages[index]
            if index == mark:
                context.block_mark = (
                    tuple(findings[first_finding:]),
                    layers_of(seen_uses),
                    layers_of(seen_results),
                    result_count,
                    tuple(self.repeated_uses),
                )
            checked = old.get(message) if old else None
            if (
                checked is not None
                and checked.index == index
                and checked.is_last == (index == last)
                and seen_uses.isdisjoint(checked.use_ids)
                and seen_results.isdisjoint(checked.result_ids)
            ):
                seen_uses.update(checked.use_ids)
                seen_results.update(checked.result_ids)
                findings.extend(checked.findings)
                result_count += checked.result_blocks
                memo[message] = checked
                continue
            findings_before, repeated_before = len(findings), len(self.repeated_uses)
            self._check_message(index, message, last, seen_uses, seen_results, valid_id)
            blocks = message.blocks
            result_blocks = list(map(_BLOCK_TYPE, blocks)).count(TOOL_RESULT)
            result_count += result_blocks
            if not remember:
                continue
            found = findings[findings_before:]
            uses = tuple(b.tool_id for b in blocks if b.tool_id and b.type in _USE_TYPES)
            results = tuple(b.tool_id for b in blocks if b.tool_id and b.type == TOOL_RESULT)
            if len(self.repeated_uses) == repeated_before and not any(
                f.rule is Rule.R5 or f.rule is Rule.R5B for f in found
            ):
                memo[message] = Checked(
                    tuple(found), (), uses, results, result_blocks, index, index == last
                )
        context.tool_result_count += result_count

    def _check_message(
        self,
        index: int,
        message: Message,
        last: int,
        seen_uses: IdSet,
        seen_results: IdSet,
        valid_id: Callable[[str], object],
    ) -> None:
        """R9 (empty message) and the block rules for one message."""
        if not message.blocks and not (message.role == ASSISTANT_ROLE and index == last):
            self.context.error(
                Rule.R9,
                texts.empty_message(index),
                message_index=index,
                origin_message=message,
            )
        # The common cases inline (a 100 MB transcript has tens of thousands of blocks):
        # text and thinking need nothing, a well-formed first pairing only bookkeeping.
        expected = TOOL_USE if message.role == ASSISTANT_ROLE else TOOL_RESULT
        seen = seen_uses if expected == TOOL_USE else seen_results
        for position, block in enumerate(message.blocks):
            tool_id = block.tool_id
            if tool_id is None:
                if not block.blank and block.type not in _TOOL_BLOCKS:
                    continue
            elif block.type == expected and tool_id not in seen and valid_id(tool_id):
                seen.add(tool_id)
                continue
            self._check_block(index, position, message, block, seen_uses, seen_results)

    def _check_block(
        self,
        index: int,
        position: int,
        message: Message,
        block: Block,
        seen_uses: IdSet,
        seen_results: IdSet,
    ) -> None:
        error = self.context.error
        is_use = block.type == TOOL_USE or block.type == SERVER_TOOL_USE
        if block.type == TOOL_USE and message.role != ASSISTANT_ROLE:
            error(
                Rule.R7,
                texts.misplaced(index, TOOL_USE),
                message_index=index,
                content_index=position,
                block=block,
            )
        if block.type == TOOL_RESULT and message.role != USER_ROLE:
            error(
                Rule.R7,
                texts.misplaced(index, TOOL_RESULT),
                message_index=index,
                content_index=position,
                block=block,
            )
        if is_use or block.type == TOOL_RESULT:
            tool_id = block.tool_id or ""
            if not _ID_PATTERN.fullmatch(tool_id):
                error(
                    Rule.R8,
                    texts.bad_id(index, position, is_use),
                    ids=(tool_id,),
                    message_index=index,
                    content_index=position,
                    block=block,
                )
        if is_use and block.tool_id:
            if block.tool_id in seen_uses:
                self.repeated_uses.append(block)
                error(
                    Rule.R5,
                    texts.duplicate_use(index, position),
                    ids=(block.tool_id,),
                    cause="the same id was used by an earlier tool_use in this conversation",
                    note=self.notes.duplicate,
                    message_index=index,
                    content_index=position,
                    block=block,
                )
            seen_uses.add(block.tool_id)
        if block.type == TOOL_RESULT and block.tool_id:
            if block.tool_id in seen_results:
                error(
                    Rule.R5B,
                    texts.duplicate_result(index, position, block.tool_id),
                    ids=(block.tool_id,),
                    cause="an earlier tool_result already answers this id",
                    note=self.notes.duplicate,
                    message_index=index,
                    content_index=position,
                    block=block,
                )
            seen_results.add(block.tool_id)
        if block.blank and block.type == "text" and message.role == USER_ROLE:
            error(
                Rule.R9,
                texts.blank_text(block.empty),
                message_index=index,
                content_index=position,
                block=block,
            )


def check_server_tools(context: Context, turn: Turn, is_final: bool) -> None:
    """R13: server tool calls are answered inside the same assistant turn."""
    if not any(block.type == SERVER_TOOL_USE for _, _, block in turn.blocks):
        return
    answered = {b.tool_id for _, _, b in turn.blocks if b.is_server_result}
    for message_index, position, block in turn.blocks:
        if block.type != SERVER_TOOL_USE or block.tool_id in answered:
            continue
        message = context.messages[message_index]
        if is_final and message.stop_reason in ("tool_use", "pause_turn"):
            continue
        name = block.name or "server"
        context.error(
            Rule.R13,
            texts.unanswered_server_tool(message_index, name, block.tool_id),
            ids=(block.tool_id or "",),
            message_index=message_index,
            content_index=position,
            block=block,
            cause="no server tool result in the same assistant turn",
        )


def thinks_adaptively(model: str | None) -> bool:
    """Whether ``model`` thinks adaptively (no R12 for a turn without thinking).

    Versioned names (``claude-opus-4-6``, ``anthropic.claude-sonnet-4-6``) from 4.6 on;
    a family named without a version (``claude-mythos-preview``) is newer than 4.6. The
    old naming (``claude-3-7-sonnet-…``), unknown names and no model at all: no.
    """
    match = _CLAUDE_VERSION.search(model or "")
    if match is None:
        return False
    major, minor = match.group(2), match.group(3)
    if major is None:
        return True
    return (int(major), int(minor or 0)) >= ADAPTIVE_SINCE


def _request_model(context: Context) -> str | None:
    """The model the next request goes to: the newest assistant turn's (the client's)."""
    for message in reversed(context.messages):
        if message.role == ASSISTANT_ROLE and message.model and message.model != "<synthetic>":
            return message.model
    return None


def check_thinking(context: Context) -> None:
    """R12: with thinking on, the open tool loop's assistant turn starts with thinking.

    The loop is the run of assistant turns answered by tool results only, back to the
    last user turn that brought anything else (a prompt, an interrupt, hook text). A
    model that thinks adaptively is exempt: thinking is its choice on every turn.
    """
    turns = context.turns
    if not context.conversation.thinking_enabled or len(turns) < 2:
        return
    last = turns[-1]
    if last.role != USER_ROLE or not last.blocks or last.blocks[0][2].type != TOOL_RESULT:
        return
    if thinks_adaptively(_request_model(context)):
        return
    loop_start: Turn | None = None
    for position in range(len(turns) - 2, -1, -1):
        turn = turns[position]
        if turn.role == ASSISTANT_ROLE:
            loop_start = turn
        elif any(block.type != TOOL_RESULT for _, _, block in turn.blocks):
            break
    if loop_start is None or not loop_start.blocks:
        return
    message_index, _, first = loop_start.blocks[0]
    if first.type in THINKING_TYPES or first.type != TOOL_USE:
        return
    context.error(
        Rule.R12,
        texts.thinking_first(message_index, first.type),
        message_index=message_index,
        content_index=0,
        block=first,
        cause="the open tool loop's first assistant turn has no leading thinking block",
        note="Thinking blocks must be sent back unmodified; a repair never edits them.",
    )

"""The fixes every repair shares, whatever the agent stores: the loop that checks, fixes
and checks again until the API accepts the conversation, fresh ids for a repeated call,
a stray result kept as quoted text, text moved before the tool calls, and the words of a
synthetic result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from inspector.core.fields import str_field
from inspector.core.json_out import dumps
from inspector.core.model import THINKING_TYPES, TOOL_RESULT, TOOL_USE, Block, Conversation
from inspector.rules import Finding, Report, Rule

LOST_RESULT: Final = (
    "[inspector] The result of this tool call was lost from the session log; the call may "
    "or may not have run."
)
LATE_RESULT: Final = (
    "[inspector] The result of this tool call was not recorded right after it (a later part "
    "of the session holds it, kept there as text); the call may or may not have run."
)
MEDIA_TYPES: Final = frozenset({"image", "document"})
"""Content parts kept as they are when a result is quoted as text."""
TEXT_TYPES: Final = frozenset({"text", "input_text"})
_EMPTY: Final = "(the result was empty)"


def until_accepted(
    check: Callable[[], Report], fix: Callable[[Report], bool], rounds: int
) -> Report:
    """Check, fix what the check finds, and check again: until the API accepts the
    conversation, a round fixes nothing, or ``rounds`` rounds of fixes were applied (a fix
    can reveal the next error: a renamed duplicate may then need a synthetic result)."""
    report = check()
    for _ in range(rounds):
        if report.ok or not fix(report):
            return report
        report = check()
    return report


def finding_block(conversation: Conversation, finding: Finding) -> Block | None:
    """The content block a finding points at (None: it names none, or no longer exists)."""
    index, position = finding.message_index, finding.content_index
    if index is None or position is None or not 0 <= index < len(conversation.messages):
        return None
    blocks = conversation.messages[index].blocks
    return blocks[position] if 0 <= position < len(blocks) else None


# ---------------------------------------------------------------------- R5: fresh ids


@dataclass(frozen=True, slots=True)
class Rename:
    """A later call that reused an id, the result that answers it, and their new id."""

    use: Block
    answer: Block | None
    new_id: str

    @property
    def said(self) -> str:
        """The change, in words."""
        return f"a later tool_use reused this id: it is now {self.new_id}" + (
            ", and so is its result" if self.answer is not None else ""
        )


def renames_of(
    conversation: Conversation,
    report: Report,
    used: set[str],
    where: Callable[[Block], bool] = lambda block: True,
) -> list[Rename]:
    """A fresh id for each repeated call (R5) that ``where`` accepts, in finding order
    (``used`` gains the new ids)."""
    renames: list[Rename] = []
    for finding in report.errors:
        block = finding_block(conversation, finding)
        if finding.rule is not Rule.R5 or block is None or block.type != TOOL_USE:
            continue
        if not block.tool_id or not where(block):
            continue
        new_id = fresh_id(block.tool_id, used)
        answer = answer_of(conversation, finding.message_index or 0, block)
        renames.append(Rename(block, answer, new_id))
    return renames


def fresh_id(old: str, used: set[str]) -> str:
    """``<old>-dup<n>`` not in ``used`` (and now in it): the new id of a repeated call."""
    number = 2
    while f"{old}-dup{number}" in used:
        number += 1
    new_id = f"{old}-dup{number}"
    used.add(new_id)
    return new_id


def answer_of(conversation: Conversation, message_index: int, use: Block) -> Block | None:
    """The result in the user turn after ``use``'s turn that answers this (duplicate) call."""
    messages = conversation.messages
    turn_start = message_index
    while turn_start > 0 and messages[turn_start - 1].role == "assistant":
        turn_start -= 1
    index = message_index + 1
    while index < len(messages) and messages[index].role == "assistant":
        index += 1
    same_turn_earlier = any(
        block.type == TOOL_USE and block.tool_id == use.tool_id and block is not use
        for message in messages[turn_start:index]
        for block in message.blocks
    )
    answers: list[Block] = []
    while index < len(messages) and messages[index].role == "user":
        answers += [
            b for b in messages[index].blocks if b.type == TOOL_RESULT and b.tool_id == use.tool_id
        ]
        index += 1
    if same_turn_earlier:
        return answers[1] if len(answers) > 1 else None
    return answers[0] if answers else None


# ---------------------------------------------------------------------- R2 / R5b: quoted


def quoted_result(content: Any) -> tuple[str, list[dict[str, Any]]]:
    """The text of a tool result's content (other parts as JSON) and its media blocks."""
    parts: list[str] = []
    media: list[dict[str, Any]] = []
    if isinstance(content, str):
        parts.append(content)
    elif isinstance(content, list):
        for item in content:
            if str_field(item, "type") in TEXT_TYPES:
                parts.append(str(item.get("text", "")))
            elif str_field(item, "type") in MEDIA_TYPES:
                media.append(item)
            else:
                parts.append(dumps(item).decode())
    elif content is not None:
        parts.append(dumps(content).decode())
    return "\n".join(part for part in parts if part), media


def result_as_text(block: dict[str, Any], cause: str) -> list[dict[str, Any]]:
    """A tool_result block turned into user content that quotes it (text, plus its images)."""
    tool_id = block.get("tool_use_id")
    flag = ", marked is_error" if block.get("is_error") else ""
    header = (
        f"[inspector] This tool result (tool_use_id {tool_id}{flag}) no longer answers a tool "
        f"call in the conversation ({cause}), so it is kept here as text."
    )
    body, media = quoted_result(block.get("content"))
    return [{"type": "text", "text": _quoted(header, body)}, *media]


def kept_as_text(what: str, id_key: str, tool_id: Any, content: Any, cause: str) -> str:
    """A result that answers no call, as one text that quotes it (its media as JSON): for
    a client that keeps it as a message of its own (a Chat ``tool`` message, a Codex
    output)."""
    body, media = quoted_result(content)
    if media:
        body = "\n".join([body, *(dumps(item).decode() for item in media)])
    header = (
        f"[inspector] This {what} ({id_key} {tool_id}) answers no tool call in the "
        f"conversation ({cause}), so it is kept here as text."
    )
    return _quoted(header, body)


def _quoted(header: str, body: str) -> str:
    return f"{header}\n\n{body or _EMPTY}"


# ---------------------------------------------------------------------- R6


def tool_uses_last(content: list[Any]) -> list[Any] | None:
    """``content`` with its tool_use blocks after the other blocks (R6); None when nothing
    moves, or when a thinking block would have to (thinking is never moved)."""
    kinds = [str_field(block, "type") for block in content]
    if TOOL_USE not in kinds:
        return None
    first_use = kinds.index(TOOL_USE)
    if any(kind in THINKING_TYPES for kind in kinds[first_use:]):
        return None
    reordered = [b for b, k in zip(content, kinds, strict=True) if k != TOOL_USE] + [
        b for b, k in zip(content, kinds, strict=True) if k == TOOL_USE
    ]
    return None if reordered == content else reordered

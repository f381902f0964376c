"""Raw Amazon Bedrock Converse requests: ``{modelId?, messages: [{role, content: [{text} |
{toolUse: {toolUseId, name, input}} | {toolResult: {toolUseId, content, status}} | …]}],
system?, toolConfig?, inferenceConfig?}``, or a JSONL log of them (the last is checked).

A content block is an object with one key naming its kind and no ``type`` (Anthropic's
blocks always have one): that is how a Converse body is told from a Messages body. The
rules are Anthropic's next-turn pairing in Bedrock's words, plus what Converse alone
rejects (same-role neighbours, a first message that is not the user's).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.document import StoredHistory, origin_for
from inspector.core.agent import DISTINCT, NOT_MINE, Sample
from inspector.core.anthropic_blocks import str_or_none, text_block
from inspector.core.model import (
    ASSISTANT_ROLE,
    BEDROCK_CONVERSE,
    TEXT,
    TOOL_RESULT,
    TOOL_USE,
    USER_ROLE,
    Block,
    Conversation,
    Message,
    Origin,
)

BEDROCK = "bedrock-converse"
BLOCK_KEYS = frozenset(
    {
        TEXT,
        "toolUse",
        "toolResult",
        "image",
        "document",
        "video",
        "reasoningContent",
        "citationsContent",
        "guardContent",
        "cachePoint",
    }
)
"""The keys a Converse ``ContentBlock`` is one of."""
_MARKERS = frozenset({"cachePoint"})
"""Blocks that mark the prompt (caching) and hold no content: not part of the pairing."""


class BedrockConverseRequest(DocumentAgent):
    name = BEDROCK
    label = "Bedrock Converse request"
    api = BEDROCK_CONVERSE
    repair_unsupported = (
        "the shared repairs write Anthropic or OpenAI blocks, not toolUse/toolResult ones "
        "(rewind cuts the body in its own shape)"
    )

    def recognise(self, sample: Sample) -> int:
        messages = sample.messages
        return DISTINCT if messages is not None and looks_like_converse(messages) else NOT_MINE

    def from_history(self, path: Path, history: StoredHistory) -> Conversation:
        messages: list[Message] = []
        for position, stored in enumerate(history.messages):
            if not isinstance(stored, dict) or stored.get("role") not in (
                USER_ROLE,
                ASSISTANT_ROLE,
            ):
                continue
            origin = origin_for(history, position, stored)
            content = stored.get("content")
            if isinstance(content, str):  # not Converse's shape, but say what it holds
                messages.append(
                    Message(stored["role"], [text_block(origin, -1, content)], [origin], True)
                )
                continue
            blocks = [
                block
                for index, part in enumerate(content if isinstance(content, list) else [])
                if (block := converse_block(origin, index, part)) is not None
            ]
            messages.append(Message(stored["role"], blocks, [origin]))
        return Conversation(
            path=path,
            format=BEDROCK,
            session_id=None,
            messages=messages,
            api=BEDROCK_CONVERSE,
            has_content=bool(messages),
        )


AGENT = BedrockConverseRequest()


def converse_block(origin: Origin, index: int, part: Any) -> Block | None:
    """One Converse content block, reduced to what the rules need (None: a cache marker)."""
    if not isinstance(part, dict):
        return None
    kind = next((key for key in part if key in BLOCK_KEYS), None)
    if kind is None:
        return Block("unknown", origin, index)
    if kind in _MARKERS:
        return None
    value = part[kind]
    if kind == TEXT:
        return text_block(origin, index, value)
    fields = value if isinstance(value, dict) else {}
    tool_id = str_or_none(fields.get("toolUseId"))
    if kind == "toolUse":
        return Block(TOOL_USE, origin, index, tool_id, str_or_none(fields.get("name")))
    if kind == "toolResult":
        return Block(TOOL_RESULT, origin, index, tool_id, None, fields.get("status") == "error")
    return Block(kind, origin, index)


def looks_like_converse(messages: list[Any]) -> bool:
    """Whether a message array holds Converse content blocks: objects without ``type``
    keyed by one of Converse's block kinds (Anthropic's and OpenAI's parts have a type)."""
    return any(
        isinstance(part, dict) and "type" not in part and not BLOCK_KEYS.isdisjoint(part)
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
    )

"""Raw OpenAI Responses API requests: ``{model, input: [{role, content} | {type: "message",
…} | {type: "function_call", call_id, name, arguments} | {type: "function_call_output",
call_id, output} | {type: "reasoning", …} …], tools?}``, or a JSONL log of them (the last
is checked). Items are paired as Codex CLI's rollouts are
(:mod:`inspector.agents.history.responses`), with the Responses API's rules: an output may
come anywhere after its call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.document import (
    RESPONSES_INPUT,
    StoredHistory,
    history_array_keys,
    origin_for,
    read_history,
    stored_message,
)
from inspector.agents.history.responses import ITEM_TYPES, responses_item
from inspector.core.agent import DISTINCT, NOT_MINE, Sample
from inspector.core.model import OPENAI_RESPONSES, Block, Conversation, Message

RESPONSES = "openai-responses"


class OpenAIResponsesRequest(DocumentAgent):
    name = RESPONSES
    label = "OpenAI Responses request"
    api = OPENAI_RESPONSES
    body_key = "input"
    repair_unsupported = (
        "the shared repairs write Anthropic or Chat messages, not Responses input items "
        "(rewind cuts the input list in its own shape)"
    )

    def recognise(self, sample: Sample) -> int:
        stored = sample.document
        document = stored.document if isinstance(stored, StoredHistory) else sample.first
        return DISTINCT if looks_like_responses(document) else NOT_MINE

    def from_history(self, path: Path, history: StoredHistory) -> Conversation:
        messages: list[Message] = []
        for position, item in enumerate(history.messages):
            if isinstance(item, dict):
                message = responses_item(origin_for(history, position, item), item)
                if message is not None:
                    messages.append(message)
        return Conversation(
            path=path,
            format=RESPONSES,
            session_id=None,
            messages=messages,
            api=OPENAI_RESPONSES,
            has_content=bool(messages),
        )

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        return stored_message(path, block.origin, cache)  # one block per item: the item

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        """The input items as sent, reasoning items included."""
        return list(read_history(conversation.path).messages)


AGENT = OpenAIResponsesRequest()


def looks_like_responses(document: Any) -> bool:
    """A request whose ``input`` list holds Responses items (and no message array)."""
    if history_array_keys(document) != RESPONSES_INPUT:
        return False
    return any(
        isinstance(item, dict) and (item.get("type") in ITEM_TYPES or "role" in item)
        for item in document["input"]
    )

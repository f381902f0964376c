"""Raw Anthropic Messages API requests (a proxy's log, a saved body): ``{model, system?,
messages: [...], tools?}``, a bare array, or a JSONL log of requests (the last one is
checked). Any Anthropic-shaped message array no other agent claims is read as one."""

from __future__ import annotations

from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.anthropic import ANTHROPIC_MESSAGES
from inspector.core.agent import GENERIC, NOT_MINE, Sample


class AnthropicRequest(DocumentAgent):
    name = ANTHROPIC_MESSAGES
    label = "Anthropic Messages API request"

    def recognise(self, sample: Sample) -> int:
        return GENERIC if sample.messages is not None else NOT_MINE


AGENT = AnthropicRequest()

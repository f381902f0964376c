"""Raw Gemini ``generateContent`` request bodies: ``{contents: [{role, parts}], tools?,
systemInstruction?, generationConfig?, …}`` (from a proxy log or a recorded exchange),
checked as sent: every content is one message, thought parts included."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from inspector.agents.history.agent import ReadWhole, RefusesRewrite
from inspector.agents.history.gemini import ROLES, ContentOrigin, part_blocks
from inspector.core.agent import DISTINCT, NOT_MINE, Sample, SessionFile
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.model import GEMINI, NO_NOTES, Block, Conversation, Message
from inspector.core.safe_read import read_whole
from inspector.core.verdict import NotATranscript, describe_value

if TYPE_CHECKING:
    pass

GEMINI_REQUEST = "gemini-request"
_REQUEST_KEYS = ("tools", "systemInstruction", "generationConfig", "toolConfig", "safetySettings")
_REWRITE_REFUSED = (
    "not supported for Gemini request bodies: a body is a record of what was sent, "
    "not a session a client resumes"
)


def looks_like_request(value: Any) -> bool:
    """A generateContent body: ``contents`` a list of ``{role?, parts: [...]}`` objects."""
    if not isinstance(value, dict) or not isinstance(value.get("contents"), list):
        return False
    contents = value["contents"]
    shaped = all(isinstance(c, dict) and isinstance(c.get("parts"), list) for c in contents)
    return shaped and (bool(contents) or any(key in value for key in _REQUEST_KEYS))


class GeminiRequest(ReadWhole, RefusesRewrite):
    name = GEMINI_REQUEST
    label = "Gemini generateContent request"
    api = GEMINI
    notes = NO_NOTES
    rewrite_refused = _REWRITE_REFUSED

    def recognise(self, sample: Sample) -> int:
        if looks_like_request(sample.first):
            return DISTINCT
        head = sample.head
        if sample.first is None and head[:1] == b"{" and b'"contents"' in head:
            try:
                return DISTINCT if looks_like_request(_document(sample.path)) else NOT_MINE
            except (OSError, NotATranscript):
                return NOT_MINE
        return NOT_MINE

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        body = _document(path)
        if not looks_like_request(body):
            raise NotATranscript(path, describe_value(body))
        messages: list[Message] = []
        for position, content in enumerate(body["contents"]):
            named = content.get("role", "user")
            role = ROLES.get(named) if isinstance(named, str) else None
            if role is None:
                continue
            origin = ContentOrigin(position + 1, -1, 0, None, None, position, position)
            messages.append(Message(role, part_blocks(origin, content["parts"]), [origin]))
        return Conversation(
            path=path,
            format=GEMINI_REQUEST,
            session_id=None,
            messages=messages,
            api=GEMINI,
            has_content=bool(messages),
        )

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        origin = block.origin
        if not isinstance(origin, ContentOrigin):
            raise TypeError("not a Gemini request origin")
        body = cache.get(-1)
        if body is None:
            body = cache[-1] = _document(path)
        return body["contents"][origin.record]["parts"][block.index]

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        body = _document(conversation.path)
        return list(body["contents"]) if looks_like_request(body) else []

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        return []  # bodies are kept wherever a proxy or a recorder put them

    def resume_command(self, session_id: str) -> str | None:
        return None


def _document(path: Path) -> Any:
    data, _ = read_whole(path)
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as error:
        raise NotATranscript(path, "not one JSON document") from error


AGENT = GeminiRequest()

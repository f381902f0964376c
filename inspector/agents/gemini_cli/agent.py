"""Gemini CLI as an :class:`~inspector.core.agent.Agent`: sessions under
``~/.gemini/tmp/<project>/chats/`` (the home is ``$GEMINI_CLI_HOME`` when set, as Gemini CLI
reads it), checked against the Gemini API's rules."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.agents.gemini_cli.history import SentContent, as_text, client_history
from inspector.agents.gemini_cli.session import GeminiSession, looks_like_session, read_session
from inspector.agents.history.agent import ReadWhole, RefusesRewrite
from inspector.agents.history.gemini import ROLES, ContentOrigin, part_blocks
from inspector.core.agent import DISTINCT, NOT_MINE, Sample, SessionFile, is_dir
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.model import (
    GEMINI,
    ApiErrorRecord,
    Block,
    ClientNotes,
    Conversation,
    Message,
    Origin,
)

if TYPE_CHECKING:
    pass

GEMINI_CLI = "gemini-cli"
_DOCUMENT_START = re.compile(rb'\A\{\s*"sessionId"\s*:\s*"[^"]*"\s*,\s*"projectHash"\s*:\s*"')
"""How Gemini CLI writes a whole session document (its first two keys, in its order)."""
_REWRITE_REFUSED = (
    "not supported for Gemini CLI: a call and its response are one record there (a "
    "`gemini` message's toolCalls), so a cut or a fix means rewriting records the inspector "
    "does not write yet; use Gemini CLI's own /rewind, or start a new session"
)
NOTES = ClientNotes(
    missing=(
        "Gemini CLI sends a call with no stored result without a response (the API then "
        "rejects every later request of the session); only with its experimental context "
        'management on does it answer it with "The tool execution result was lost due to '
        'context management truncation."'
    ),
    orphan=(
        "Gemini CLI sends an orphan response as stored (with context management on, it "
        "makes up a call for it)."
    ),
)


def chats_roots(home: Path, environ: Mapping[str, str]) -> Path:
    """``$GEMINI_CLI_HOME/.gemini/tmp``, else ``~/.gemini/tmp`` (Gemini CLI's ``homedir()``)."""
    override = environ.get("GEMINI_CLI_HOME")
    return (Path(override) if override else home) / ".gemini" / "tmp"


class GeminiCli(ReadWhole, RefusesRewrite):
    name = GEMINI_CLI
    label = "Gemini CLI"
    api = GEMINI
    notes = NOTES
    rewrite_refused = _REWRITE_REFUSED

    def recognise(self, sample: Sample) -> int:
        if looks_like_session(sample.first) or (
            sample.first is None and _DOCUMENT_START.match(sample.head)
        ):
            return DISTINCT
        return NOT_MINE

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        return session_conversation(path, read_session(path))

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        origin = block.origin
        if not isinstance(origin, ContentOrigin):
            raise TypeError("not a Gemini CLI origin")
        return _sent(path, cache)[origin.turn].parts[block.index]

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        contents: list[dict[str, Any]] = []
        for content in _sent(conversation.path, {}):
            if contents and contents[-1]["role"] == content.role:
                contents[-1]["parts"].extend(content.parts)  # merged as Gemini CLI sends
            else:
                contents.append({"role": content.role, "parts": list(content.parts)})
        return contents

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        root = chats_roots(home, environ)
        if not is_dir(root):
            return []
        found: list[SessionFile] = []
        for pattern in ("*/chats/session-*.json", "*/chats/*.jsonl"):
            for path in root.glob(pattern):
                try:
                    info = path.stat()
                except OSError:
                    continue
                project = path.parent.parent.name
                found.append(
                    SessionFile(path, project, path.stem, info.st_size, info.st_mtime, self.label)
                )
        return found

    def resume_command(self, session_id: str) -> str | None:
        return f"gemini --resume {session_id}"


def _sent(path: Path, cache: dict[int, Any]) -> list[SentContent]:
    sent = cache.get(-1)
    if sent is None:
        sent = cache[-1] = client_history(read_session(path).records)
    return list(sent)


def session_conversation(path: Path, session: GeminiSession) -> Conversation:
    """The conversation Gemini CLI sends of a session already read."""
    records = session.records
    sent = client_history(records)
    messages: list[Message] = []
    api_errors: list[ApiErrorRecord] = []
    chain: list[Origin] = []
    by_record: dict[int, list[int]] = {}
    for turn, content in enumerate(sent):
        by_record.setdefault(content.record, []).append(turn)
    for position, record in enumerate(records):
        value = record.value
        plain = _origin(record, position, -1)
        chain.append(plain)
        if value.get("type") == "error" and "API Error" in as_text(value.get("content")):
            api_errors.append(ApiErrorRecord(plain, as_text(value.get("content")), len(messages)))
        for turn in by_record.get(position, []):
            content = sent[turn]
            origin = _origin(record, position, turn)
            model = value.get("model") if content.role == "model" else None
            messages.append(
                Message(
                    ROLES[content.role],
                    part_blocks(origin, content.parts),
                    [origin],
                    model=model if isinstance(model, str) else None,
                )
            )
    session_id = session.metadata.get("sessionId")
    return Conversation(
        path=path,
        format=GEMINI_CLI,
        session_id=session_id if isinstance(session_id, str) else None,
        messages=messages,
        api=GEMINI,
        chain=chain,
        issues=list(session.issues),
        api_errors=api_errors,
        has_content=bool(records),
        notes=NOTES,
    )


def _origin(record: Any, position: int, turn: int) -> ContentOrigin:
    value = record.value
    stamp = value.get("timestamp")
    return ContentOrigin(
        record.line,
        record.offset,
        record.length,
        value.get("id"),
        stamp if isinstance(stamp, str) else None,
        position,
        turn,
    )


AGENT = GeminiCli()

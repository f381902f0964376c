"""Cline: ``tasks/<taskId>/api_conversation_history.json`` in an editor's global storage
and, from Cline 4, ``~/.cline/data/sessions/<id>/<id>.messages.json``: Anthropic-shaped
arrays it rewrites whole. A Cline 3.x task with native tool calls whose results are stored
as text is rebuilt as Cline 3.x sends it (:mod:`inspector.agents.history.cline3`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inspector.agents.history import cline3
from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.anthropic import CLINE, history_conversation, payload
from inspector.agents.history.document import StoredHistory
from inspector.agents.history.editors import extension_tasks
from inspector.agents.history.tasks import CLINE_SESSION_SUFFIX, HISTORY_FILE
from inspector.core.agent import NAMED, NOT_MINE, Sample, SessionFile, is_dir, session_files
from inspector.core.model import Block, ClientNotes, Conversation

EXTENSION = "saoudrizwan.claude-dev"


class Cline(DocumentAgent):
    name = CLINE
    label = "Cline"
    notes = ClientNotes(
        missing=(
            "Cline 3.35+ sends the results first in tool_use order, with "
            '"result missing" for a missing one; Cline ≥ 4 does the same with '
            '"[migration] Tool result missing in legacy conversation history." when it '
            "resumes a task"
        ),
        orphan=("Cline 3.35+ drops an orphan result from a turn it rebuilds; Cline ≥ 4 keeps it."),
        moved=(
            "Cline 3.35+ moves the results first and keeps the other blocks after them; "
            "Cline ≥ 4 moves the other blocks to a follow-up user message."
        ),
    )

    def recognise(self, sample: Sample) -> int:
        if sample.messages is None:
            return NOT_MINE
        path = sample.path
        parts = {part.lower() for part in path.parts}
        named = path.name == HISTORY_FILE or path.name.endswith(CLINE_SESSION_SUFFIX)
        return NAMED if EXTENSION in parts or named else NOT_MINE

    def from_history(self, path: Path, history: StoredHistory) -> Conversation:
        conversation = history_conversation(path, self.name, history, self.notes)
        legacy = not path.name.endswith(CLINE_SESSION_SUFFIX)  # Cline ≥ 4 writes those
        if legacy and cline3.sends_text_results(conversation, history.messages):
            cline3.as_sent(conversation, history.messages)
        return conversation

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        if block.made_up is not None:
            return cline3.made_up_payload(block)
        return payload(path, block, cache)

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        if conversation.client is not cline3.RELEASE:
            return super().message_payloads(conversation)
        cache: dict[int, Any] = {}
        sent: list[Any] = []
        for message in conversation.messages:
            blocks = [self.block_payload(conversation.path, b, cache) for b in message.blocks]
            content = blocks[0] if message.string_content and blocks else blocks
            sent.append({"role": message.role, "content": content})
        return sent

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        found = extension_tasks(EXTENSION, self.label, home, environ)
        folder = home / ".cline" / "data" / "sessions"
        if is_dir(folder):
            files = folder.glob(f"*/*{CLINE_SESSION_SUFFIX}")
            found.extend(session_files(files, self.label, lambda path: path.parent.name))
        return found


AGENT = Cline()

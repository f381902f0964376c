"""Cline: ``tasks/<taskId>/api_conversation_history.json`` in an editor's global storage
and, from Cline 4, ``~/.cline/data/sessions/<id>/<id>.messages.json``: Anthropic-shaped
arrays it rewrites whole."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.anthropic import CLINE
from inspector.agents.history.editors import extension_tasks
from inspector.agents.history.tasks import CLINE_SESSION_SUFFIX, HISTORY_FILE
from inspector.core.agent import NAMED, NOT_MINE, Sample, SessionFile, is_dir, session_files
from inspector.core.model import ClientNotes

EXTENSION = "saoudrizwan.claude-dev"


class Cline(DocumentAgent):
    name = CLINE
    label = "Cline"
    notes = ClientNotes(
        missing=(
            "Cline rebuilds the user turn with results in tool_use order and the placeholder "
            '"[migration] Tool result missing in legacy conversation history."'
        ),
        orphan="Cline drops an orphan result.",
        moved="Cline moves other blocks to a follow-up user message.",
    )

    def recognise(self, sample: Sample) -> int:
        if sample.messages is None:
            return NOT_MINE
        path = sample.path
        parts = {part.lower() for part in path.parts}
        named = path.name == HISTORY_FILE or path.name.endswith(CLINE_SESSION_SUFFIX)
        return NAMED if EXTENSION in parts or named else NOT_MINE

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        found = extension_tasks(EXTENSION, self.label, home, environ)
        folder = home / ".cline" / "data" / "sessions"
        if is_dir(folder):
            files = folder.glob(f"*/*{CLINE_SESSION_SUFFIX}")
            found.extend(session_files(files, self.label, lambda path: path.parent.name))
        return found


AGENT = Cline()

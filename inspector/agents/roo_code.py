"""Roo Code: ``tasks/<taskId>/api_conversation_history.json`` in an editor's global
storage, an Anthropic-shaped array it rewrites whole. Roo sends its *effective* history
(:func:`inspector.agents.history.anthropic.effective_positions`).

Kilo Code, a fork of Roo Code, keeps the same task files under its own extension id: they
are read as Roo Code's and listed as Kilo Code's."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.anthropic import ROO_CODE
from inspector.agents.history.editors import extension_tasks
from inspector.core.agent import NAMED, NOT_MINE, Sample, SessionFile
from inspector.core.model import ClientNotes

EXTENSION = "rooveterinaryinc.roo-cline"
KILO_EXTENSION = "kilocode.kilo-code"
KILO_CODE = "Kilo Code"
ROO_KEYS = frozenset({"isSummary", "condenseParent", "truncationParent"})
"""Keys only Roo Code adds to the messages it stores."""


class RooCode(DocumentAgent):
    name = ROO_CODE
    label = "Roo Code"
    notes = ClientNotes(
        missing=(
            'Roo Code fills a missing result with "Tool execution was interrupted before '
            'completion." (on resume: "Task was interrupted before this tool call could be '
            'completed.") — when its repair runs; the history on disk is sent as stored.'
        ),
        orphan='Roo Code converts an orphan result to text ("Tool result: …") or drops it.',
        duplicate="Roo Code de-duplicates results.",
    )

    def recognise(self, sample: Sample) -> int:
        if sample.messages is None:
            return NOT_MINE
        parts = {part.lower() for part in sample.path.parts}
        keys = {key for m in sample.messages if isinstance(m, dict) for key in m}
        named = EXTENSION in parts or KILO_EXTENSION in parts
        return NAMED if named or keys & ROO_KEYS else NOT_MINE

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        found = extension_tasks(EXTENSION, self.label, home, environ)
        return found + extension_tasks(KILO_EXTENSION, KILO_CODE, home, environ)


AGENT = RooCode()

"""Claude Code transcripts: entries on disk → the conversation Claude Code sends.

:class:`ClaudeCodeTranscript` accumulates entries line by line (:mod:`.entries`; so a
live view feeds it only new lines) and :meth:`ClaudeCodeTranscript.project` rebuilds
the conversation from what it holds (:mod:`.projection`: the walk back and the
siblings; :mod:`.fold`: fragments merged into messages; :mod:`.subagents`: the calls'
subagents). :mod:`.payloads` re-reads a projected message's content from disk.
"""

from __future__ import annotations

from inspector.agents.claude_code.entries import TranscriptEntries
from inspector.agents.claude_code.projection import Projector
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.core.model import Conversation


class ClaudeCodeTranscript(TranscriptEntries):
    """The entries of one Claude Code transcript file, and the conversation they make."""

    def project(
        self, leaf: str | None = None, behaviour: ClaudeCodeBehaviour = NEWEST
    ) -> Conversation:
        """Rebuild the conversation Claude Code would send on resume.

        ``leaf`` (a uuid) resumes from that entry instead of the newest leaf: what Claude
        Code would load if it were the newest entry (a rewind's cut point). ``behaviour``:
        the release followed where releases differ.
        """
        return Projector(self, leaf, behaviour).run()

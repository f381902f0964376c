"""Claude Code: transcripts (:mod:`.transcript` and its parts, :mod:`.read`, :mod:`.tail`),
where they are kept (:mod:`.layout`), and their rewind and repair (:mod:`.rewind`,
:mod:`.repair`)."""

from inspector.agents.claude_code.agent import AGENT

__all__ = ["AGENT"]

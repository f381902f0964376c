"""Claude Code as an :class:`~inspector.core.agent.Agent`: JSONL transcripts it appends
to, under ``<config root>/projects/<project>/``; rewound and repaired line by line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.agents.claude_code import (
    checkpoints,
    entries,
    layout,
    line_events,
    payloads,
    projection,
    read,
    resume,
)
from inspector.agents.claude_code.follow import TailFollower
from inspector.agents.claude_code.releases import behaviour_for, release_for
from inspector.agents.claude_code.title import session_title
from inspector.core.agent import FALLBACK, Checkpoint, Follower, Loaded, Sample, SessionFile
from inspector.core.client import NEWEST_KNOWN, ClientChoice, ClientRelease
from inspector.core.line_event import LineEvent
from inspector.core.model import ANTHROPIC, Block, Conversation
from inspector.core.resume import Resumed

if TYPE_CHECKING:
    from inspector.rewrite.plan import RewritePlan


class ClaudeCode:
    name = entries.FORMAT
    label = layout.LABEL
    api = ANTHROPIC
    notes = projection.NOTES

    def recognise(self, sample: Sample) -> int:
        return FALLBACK  # what is no one else's: a line log of objects, or empty

    def client_release(self, client: ClientChoice) -> ClientRelease | None:
        return release_for(client)

    def follower(self, path: Path, client: ClientChoice = NEWEST_KNOWN) -> Follower | None:
        return TailFollower(path, behaviour_for(client))

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        return read.load_checked(path, behaviour_for(client))

    def load_from(
        self,
        path: Path,
        checkpoint: Checkpoint | None,
        client: ClientChoice = NEWEST_KNOWN,
        sample: Sample | None = None,
    ) -> Loaded:
        return checkpoints.load_from(path, checkpoint, behaviour_for(client))

    def heal_on_resume(self, conversation: Conversation) -> Resumed | None:
        return resume.heal_on_resume(conversation)

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        return payloads.block_payload(path, block, cache)

    def message_payloads(self, conversation: Conversation) -> list[Any]:
        return list(payloads.message_payloads(conversation))

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        return layout.all_sessions(layout.config_root(home, environ))

    def title(self, path: Path) -> str:
        return session_title(path)

    def watches(self, session: Path, session_id: str | None, changed: Path) -> bool:
        return layout.watches(session, session_id, changed)

    def plan_rewind(
        self, path: Path, *, to: str | None = None, line: int | None = None
    ) -> RewritePlan:
        from inspector.agents.claude_code.rewind import plan_rewind

        return plan_rewind(path, to=to, line=line)

    def plan_repair(self, path: Path) -> RewritePlan:
        from inspector.agents.claude_code.repair import plan_repair

        return plan_repair(path)

    def resume_command(self, session_id: str) -> str | None:
        return f"claude --resume {session_id}"

    def line_event(self, entry: Any) -> LineEvent | None:
        return line_events.line_event(entry)


AGENT = ClaudeCode()

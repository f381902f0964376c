"""Codex CLI as an :class:`~inspector.core.agent.Agent`: rollouts it appends to, stored
under ``$CODEX_HOME/sessions`` (else ``~/.codex/sessions``)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inspector.agents.codex.rollout import CODEX, NOTES, codex_payload, load_codex, looks_like_codex
from inspector.agents.history.agent import RewrittenWhole
from inspector.core.agent import (
    DISTINCT,
    NOT_MINE,
    Sample,
    SessionFile,
    is_dir,
    session_files,
)
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.model import OPENAI_RESPONSES, Block, Conversation

if TYPE_CHECKING:
    from inspector.agents.codex.rewrite import RolloutSource


def sessions_root(home: Path, environ: Mapping[str, str]) -> Path:
    """``$CODEX_HOME/sessions``, else ``~/.codex/sessions``."""
    codex_home = environ.get("CODEX_HOME")
    return (Path(codex_home) if codex_home else home / ".codex") / "sessions"


class CodexCli(RewrittenWhole):
    """Codex CLI appends to its rollouts, but they are small enough to read again whole,
    and its rewriter is the history one."""

    name = CODEX
    label = "Codex CLI"
    api = OPENAI_RESPONSES
    notes = NOTES

    def recognise(self, sample: Sample) -> int:
        first = sample.first
        return DISTINCT if isinstance(first, dict) and looks_like_codex(first) else NOT_MINE

    def load(
        self, path: Path, sample: Sample | None = None, client: ClientChoice = NEWEST_KNOWN
    ) -> Conversation:
        return load_codex(path)

    def block_payload(self, path: Path, block: Block, cache: dict[int, Any]) -> Any:
        return codex_payload(path, block, cache)

    def sessions(self, home: Path, environ: Mapping[str, str]) -> list[SessionFile]:
        root = sessions_root(home, environ)
        if not is_dir(root):
            return []
        return session_files(root.rglob("rollout-*.jsonl"), self.label, lambda p: p.stem)

    def read_source(self, path: Path) -> RolloutSource:
        """The rollout at ``path`` read to be rewritten. Raises OSError."""
        from inspector.agents.codex.rewrite import RolloutSource

        return RolloutSource.read(path, self)

    def resume_command(self, session_id: str) -> str | None:
        return f"codex resume {session_id}"


AGENT = CodexCli()

"""Codex CLI: rollouts (:mod:`.rollout`) and where they are kept (:mod:`.agent`)."""

from inspector.agents.codex.agent import AGENT

__all__ = ["AGENT"]

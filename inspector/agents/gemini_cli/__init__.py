"""Gemini CLI: its session files, read as it sends them to the Gemini API."""

from inspector.agents.gemini_cli.agent import AGENT

__all__ = ["AGENT"]

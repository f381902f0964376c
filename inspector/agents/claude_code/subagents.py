"""Which subagent each Task/Agent call of a Claude Code session started: its own file
(named by the call's result), or an inline sidechain (≤ 1.0.x, matched by prompt)."""

from __future__ import annotations

from pathlib import Path

import orjson

from inspector.agents.claude_code.entries import TranscriptEntries
from inspector.agents.claude_code.layout import subagent_path
from inspector.core.anthropic_blocks import str_or_none
from inspector.core.model import SubagentLink
from inspector.core.safe_read import SMALL_RECORD_LIMIT, read_whole


def subagent_links(transcript: TranscriptEntries) -> list[SubagentLink]:
    """Every Task/Agent call of the main conversation (compacted ones too) and its subagent."""
    links: list[SubagentLink] = []
    prompt_roots = {prompt: uuid for uuid, prompt in transcript.sidechain_prompts.items()}
    for block in transcript.agent_calls:
        if block.origin in transcript.superseded:
            continue
        tool_id = block.tool_id or ""
        agent_id = transcript.agent_ids.get(tool_id)
        if agent_id is not None:
            path = subagent_path(transcript.path, transcript.session_id, agent_id)
            agent_type, description = _subagent_meta(path)
            links.append(SubagentLink(tool_id, agent_id, path, None, agent_type, description))
            continue
        prompt = transcript.agent_prompts.get(tool_id)
        root = prompt_roots.get(prompt) if prompt is not None else None
        if root is not None:
            links.append(SubagentLink(tool_id, None, None, root))
    return links


def _subagent_meta(path: Path | None) -> tuple[str | None, str | None]:
    if path is None:
        return None, None
    meta_path = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    try:
        meta = orjson.loads(read_whole(meta_path, SMALL_RECORD_LIMIT)[0])
    except (OSError, orjson.JSONDecodeError):
        return None, None
    if not isinstance(meta, dict):
        return None, None
    return str_or_none(meta.get("agentType")), str_or_none(meta.get("description"))

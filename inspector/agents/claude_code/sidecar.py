"""The files beside a transcript that go with a rewritten session (its sidecar).

* **Repair** keeps the whole session: everything in its folders, and the 2.0.x subagent
  transcripts beside it (:func:`repair_sidecar`).
* **Rewind** keeps what the kept conversation refers to: the subagents of kept
  ``Task``/``Agent`` calls (with their metadata) and the spilled tool results its lines
  still mention (:func:`rewind_sidecar`).

Subagent transcripts are marked to be patched (they follow the new session); the other
files are copied as they are.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from inspector.agents.claude_code.layout import (
    SUBAGENT_META,
    SUBAGENTS,
    subagent_file,
    subagent_meta,
)
from inspector.agents.claude_code.lines import EntryLine
from inspector.agents.claude_code.plan import ClaudeCodePlan, session_folders
from inspector.core.model import Conversation
from inspector.rewrite.confined import confined_file
from inspector.rewrite.folders import folder_files, safe_path_part
from inspector.rewrite.plan import SidecarFile


def repair_sidecar(plan: ClaudeCodePlan, conversation: Conversation) -> list[SidecarFile]:
    """Everything of the session's folder, and 2.0.x subagent files beside it."""
    files: dict[Path, SidecarFile] = {}
    parent = plan.source.parent
    for folder in session_folders(plan.source, plan.session_id):
        for path, relative in folder_files(folder):
            patch = relative.parts[0] == SUBAGENTS and path.suffix == ".jsonl"
            files.setdefault(relative, SidecarFile(path, relative, patch))
    for link in conversation.subagents:
        if (
            link.path is not None
            and link.path.parent == parent
            and confined_file(parent, link.path)
        ):
            relative = Path(SUBAGENTS) / link.path.name
            files.setdefault(relative, SidecarFile(link.path, relative, True))
    return list(files.values())


def rewind_sidecar(
    plan: ClaudeCodePlan, conversation: Conversation, tool_ids: set[str], out: list[EntryLine]
) -> list[SidecarFile]:
    """The subagents of the calls ``tool_ids``, and the spilled results ``out`` mentions."""
    files: dict[Path, SidecarFile] = {}
    for link in conversation.subagents:
        agent_id = safe_path_part(link.agent_id)
        if link.path is None or link.tool_use_id not in tool_ids or agent_id is None:
            continue
        if not confined_file(plan.source.parent, link.path):
            continue
        relative = Path(SUBAGENTS) / subagent_file(agent_id)
        files.setdefault(relative, SidecarFile(link.path, relative, True))
        meta = subagent_meta(link.path)
        if confined_file(plan.source.parent, meta):
            meta_relative = Path(SUBAGENTS) / subagent_file(agent_id, SUBAGENT_META)
            files.setdefault(meta_relative, SidecarFile(meta, meta_relative, False))
    spilled = [
        (path, Path("tool-results") / relative)
        for folder in session_folders(plan.source, plan.session_id)
        for path, relative in folder_files(folder / "tool-results")
    ]
    if spilled:
        # A mention of the stem (the name without its suffix) counts; the whole name
        # contains it, so looking for stems finds both.
        written = b"\n".join(line.raw for line in out)
        found = mentioned({path.stem for path, _ in spilled}, written)
        for path, relative in spilled:
            if path.stem in found:
                files.setdefault(relative, SidecarFile(path, relative, False))
    return list(files.values())


def mentioned(names: set[str], data: bytes) -> set[str]:
    """The names that occur anywhere in ``data`` (as substrings), found in one pass.

    At each position the longest name that starts there is matched (the alternatives are
    tried longest first); every shorter name that starts there is a prefix of it, so the
    prefixes of the matches that are names complete the set.
    """
    encoded = {os.fsencode(name): name for name in names if name}
    if not encoded:
        return set()
    wanted = sorted(encoded, key=len, reverse=True)
    pattern = re.compile(b"(?=(" + b"|".join(re.escape(name) for name in wanted) + b"))")
    matches = {match.group(1) for match in pattern.finditer(data)}
    lengths = {len(name) for name in wanted}
    return {
        encoded[match[:size]] for match in matches for size in lengths if match[:size] in encoded
    }

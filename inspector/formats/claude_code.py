"""Claude Code transcripts: entries on disk → the conversation Claude Code sends.

Follows ``docs/transcript-format.md`` ("How Claude Code rebuilds the conversation
on resume"): bridge legacy ``progress`` entries, take the newest non-sidechain
leaf, walk ``parentUuid`` back (cycle guard; a missing parent continues with the
entry before it in file order; stop at the last compaction boundary), re-attach
off-chain parallel siblings and their results, drop what is not sent, merge
one-block-per-line assistant fragments by ``message.id`` and consecutive user
lines with their tool results first.

:class:`ClaudeCodeTranscript` accumulates entries line by line (so a live view
feeds it only new lines) and :meth:`ClaudeCodeTranscript.project` rebuilds the
conversation from what it holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from inspector.discovery import is_safe_id
from inspector.formats.anthropic_blocks import anthropic_block, str_or_none, text_block
from inspector.model import (
    TEXT,
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    ApiErrorRecord,
    Block,
    Branch,
    Conversation,
    IssueKind,
    Message,
    Origin,
    SubagentLink,
    TranscriptIssue,
)
from inspector.reader import BadLine, JsonlReader, ParsedLine, read_line

FORMAT = "claude-code"

USER = "user"
ASSISTANT = "assistant"
SYSTEM = "system"
ATTACHMENT = "attachment"
PROGRESS = "progress"
CHAIN_KINDS = frozenset({USER, ASSISTANT, SYSTEM, ATTACHMENT, PROGRESS})
"""Entry types that take part in the ``parentUuid`` chain."""
KNOWN_METADATA_KINDS = frozenset(
    {
        "summary",
        "custom-title",
        "ai-title",
        "last-prompt",
        "tag",
        "permission-mode",
        "pr-link",
        "file-history-snapshot",
        "queue-operation",
        "content-replacement",
    }
)
AGENT_TOOLS = frozenset({"Task", "Agent"})
COMPACT_BOUNDARY = "compact_boundary"
LOCAL_COMMAND = "local_command"


@dataclass(slots=True, eq=False)
class Entry(Origin):
    """One chain entry: a transcript line reduced to what reconstruction needs."""

    kind: str
    parent: str | None
    sidechain: bool
    message_id: str | None = None
    subtype: str | None = None
    model: str | None = None
    stop_reason: str | None = None
    string_content: bool = False
    api_error: bool = False
    blocks: list[Block] = field(default_factory=list)

    @property
    def is_message(self) -> bool:
        return self.kind == USER or self.kind == ASSISTANT

    def has_results(self) -> bool:
        return any(block.type == TOOL_RESULT for block in self.blocks)


class ClaudeCodeTranscript:
    """The entries of one Claude Code transcript file, fed line by line."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.reset()

    def reset(self) -> None:
        """Forget every line (also: the file was truncated or replaced)."""
        self.entries: list[Entry] = []
        self.by_uuid: dict[str, Entry] = {}
        self.session_id: str | None = None
        self.bad_lines: list[BadLine] = []
        self.line_count = 0
        self.object_lines = 0
        self.recognised_lines = 0
        """Lines that look like Claude Code's (chain entries or known metadata)."""
        self.thinking_enabled = False
        self.agent_ids: dict[str, str] = {}
        """tool_use id of a Task/Agent call → agentId named by its result line."""
        self.agent_prompts: dict[str, str] = {}
        """tool_use id of a Task/Agent call → its prompt (links ≤ 1.0.x inline sidechains)."""
        self.sidechain_prompts: dict[str, str] = {}
        """uuid of an inline sidechain's first entry → its prompt text."""
        self.api_error_texts: dict[int, str] = {}
        """line number → text of a stored API error."""

    def feed(self, lines: Iterable[ParsedLine | BadLine]) -> None:
        """Take parsed lines in file order."""
        for line in lines:
            if isinstance(line, BadLine):
                self.bad_lines.append(line)
            else:
                self.object_lines += 1
                self._add(line)
            self.line_count = line.number

    def _add(self, line: ParsedLine) -> None:
        value = line.value
        kind = value.get("type")
        if not isinstance(kind, str) or kind not in CHAIN_KINDS:
            known = isinstance(kind, str) and kind in KNOWN_METADATA_KINDS
            if known or "sessionId" in value or "leafUuid" in value:
                self.recognised_lines += 1
            return
        uuid = value.get("uuid")
        if not isinstance(uuid, str):
            return
        self.recognised_lines += 1
        if self.session_id is None:
            session_id = value.get("sessionId")
            if isinstance(session_id, str):
                self.session_id = session_id
        parent = value.get("parentUuid")
        entry = Entry(
            line.number,
            line.offset,
            line.length,
            uuid,
            str_or_none(value.get("timestamp")),
            kind,
            parent if isinstance(parent, str) else None,
            value.get("isSidechain") is True,
        )
        if kind in (USER, ASSISTANT):
            message = value.get("message")
            if isinstance(message, dict):
                self._read_message(entry, value, message)
        elif kind == SYSTEM:
            entry.subtype = str_or_none(value.get("subtype"))
            if entry.subtype == LOCAL_COMMAND:
                content = value.get("content")
                entry.blocks.append(text_block(entry, -1, content))
                entry.string_content = True
        self.entries.append(entry)
        self.by_uuid.setdefault(uuid, entry)

    def _read_message(self, entry: Entry, value: dict[str, Any], message: dict[str, Any]) -> None:
        entry.message_id = str_or_none(message.get("id"))
        if entry.kind == ASSISTANT:
            entry.model = str_or_none(message.get("model"))
            entry.stop_reason = str_or_none(message.get("stop_reason"))
            entry.api_error = value.get("isApiErrorMessage") is True
        content = message.get("content")
        if isinstance(content, str):
            entry.blocks.append(text_block(entry, -1, content))
            entry.string_content = True
        elif isinstance(content, list):
            for index, raw in enumerate(content):
                if isinstance(raw, dict):
                    entry.blocks.append(self._block(entry, index, raw))
        if entry.api_error:
            self.api_error_texts[entry.line] = _first_text(content)
        if entry.kind == USER:
            self._note_links(entry, value, content)

    def _block(self, entry: Entry, index: int, raw: dict[str, Any]) -> Block:
        block = anthropic_block(entry, index, raw)
        if block.type in THINKING_TYPES:
            self.thinking_enabled = True
        elif block.name in AGENT_TOOLS and block.tool_id and not entry.sidechain:
            tool_input = raw.get("input")
            if isinstance(tool_input, dict) and isinstance(tool_input.get("prompt"), str):
                self.agent_prompts[block.tool_id] = tool_input["prompt"]
        return block

    def _note_links(self, entry: Entry, value: dict[str, Any], content: Any) -> None:
        tool_result = value.get("toolUseResult")
        if isinstance(tool_result, dict):
            agent_id = tool_result.get("agentId")
            if isinstance(agent_id, str):
                for block in entry.blocks:
                    if block.type == TOOL_RESULT and block.tool_id:
                        self.agent_ids[block.tool_id] = agent_id
        if entry.sidechain and entry.parent is None and entry.uuid:
            self.sidechain_prompts[entry.uuid] = _first_text(content)

    # ------------------------------------------------------------------ projection

    def project(self, leaf: str | None = None) -> Conversation:
        """Rebuild the conversation Claude Code would send on resume.

        ``leaf`` (a uuid) resumes from that entry instead of the newest leaf: what Claude
        Code would load if it were the newest entry (a rewind's cut point).
        """
        return _Projector(self, leaf).run()

    @property
    def is_transcript(self) -> bool:
        """Whether the file looks like a Claude Code transcript (an empty file does)."""
        return self.recognised_lines > 0 or (self.object_lines == 0 and not self.bad_lines)


@dataclass(slots=True)
class _Projector:
    """One run of the reconstruction over a transcript's entries."""

    transcript: ClaudeCodeTranscript
    leaf: str | None = None
    issues: list[TranscriptIssue] = field(default_factory=list)
    progress: dict[str, Entry] = field(default_factory=dict)

    def run(self) -> Conversation:
        transcript = self.transcript
        self.issues = [
            TranscriptIssue(IssueKind.BADLINE, bad.number, f"line {bad.number}: {bad.reason}")
            for bad in transcript.bad_lines
        ]
        self.progress = {e.uuid: e for e in transcript.entries if e.kind == PROGRESS and e.uuid}
        sidechain = not any(not e.sidechain for e in transcript.entries)
        candidates = [
            e for e in transcript.entries if e.sidechain == sidechain and e.kind != PROGRESS
        ]
        if self.progress:
            named = {self._effective_parent(entry) for entry in candidates}
        else:
            named = {entry.parent for entry in candidates}
        leaves = [entry for entry in candidates if entry.uuid not in named]
        if self.leaf is not None:
            chosen = transcript.by_uuid.get(self.leaf)
            start = self._message_ancestor(chosen) if chosen is not None else None
        else:
            start = self._newest_leaf(leaves)
        chain = self._walk(start, candidates)
        selected = self._with_siblings(chain, candidates)
        messages, api_errors = _build_messages(selected, transcript.api_error_texts)
        chain_ids = {id(entry) for entry in selected}
        boundary = chain[0] if chain and chain[0].subtype == COMPACT_BOUNDARY else None
        conversation = Conversation(
            path=transcript.path,
            format=FORMAT,
            session_id=transcript.session_id,
            messages=messages,
            chain=list(selected),
            issues=self.issues,
            api_errors=api_errors,
            thinking_enabled=transcript.thinking_enabled,
            has_content=any(e.is_message for e in transcript.entries),
        )
        if boundary is not None:
            conversation.compacted_tool_ids = frozenset(
                block.tool_id
                for entry in candidates
                if entry.line < boundary.line and id(entry) not in chain_ids
                for block in entry.blocks
                if block.type == TOOL_USE and block.tool_id
            )
        conversation.abandoned = self._abandoned(leaves, chain_ids, boundary)
        conversation.subagents = _subagent_links(transcript)
        return conversation

    def _effective_parent(self, entry: Entry) -> str | None:
        """The entry's parent, with legacy progress entries bridged over."""
        parent = entry.parent
        hops = 0
        while parent is not None and parent in self.progress and hops < len(self.progress):
            parent = self.progress[parent].parent
            hops += 1
        return parent

    def _newest_leaf(self, leaves: list[Entry]) -> Entry | None:
        """The newest leaf by timestamp (file order breaks ties) that stands for a message."""
        leaf: Entry | None = None
        for entry in leaves:
            standing = self._message_ancestor(entry)
            if standing is None:
                continue
            if leaf is None or (entry.timestamp or "") >= (leaf.timestamp or ""):
                leaf = entry
        return self._message_ancestor(leaf) if leaf is not None else None

    def _message_ancestor(self, entry: Entry) -> Entry | None:
        """The entry itself if it is a user/assistant entry, else its nearest such ancestor."""
        seen: set[str] = set()
        current: Entry | None = entry
        by_uuid = self.transcript.by_uuid
        while current is not None and not current.is_message:
            if current.uuid in seen:
                return None
            seen.add(current.uuid or "")
            parent = self._effective_parent(current)
            current = by_uuid.get(parent) if parent else None
        return current

    def _walk(self, leaf: Entry | None, candidates: list[Entry]) -> list[Entry]:
        """Entries from the root (or the last compaction boundary) down to ``leaf``."""
        by_uuid = self.transcript.by_uuid
        position: dict[int, int] = {}
        chain: list[Entry] = []
        seen: set[int] = set()
        breaks: list[tuple[Entry, str, int]] = []
        current = leaf
        while current is not None:
            if id(current) in seen:
                self.issues.append(
                    TranscriptIssue(
                        IssueKind.CYCLE,
                        current.line,
                        f"the parentUuid chain loops back to line {current.line}; "
                        "the walk stops there",
                        current.uuid,
                    )
                )
                break
            seen.add(id(current))
            if current.kind != PROGRESS:
                chain.append(current)
            if current.subtype == COMPACT_BOUNDARY:
                break
            parent = current.parent
            if parent is None:
                break
            following = by_uuid.get(parent)
            if following is None:
                if not position:
                    position = {id(entry): index for index, entry in enumerate(candidates)}
                index = position.get(id(current), 0)
                following = candidates[index - 1] if index > 0 else None
                breaks.append((current, parent, len(chain)))
            current = following
        chain.reverse()
        if chain and chain[0].sidechain:
            # Subagent files hang off entries of their parent session's file by design,
            # and they are not what `claude --resume` walks.
            return chain
        for entry, parent, walked in breaks:
            cut_off = len(chain) - walked
            if cut_off > 0:
                self.issues.append(_chain_issue(entry, parent, cut_off))
        return chain

    def _with_siblings(self, chain: list[Entry], candidates: list[Entry]) -> list[Entry]:
        """Add off-chain lines of the chain's assistant messages and results hanging off them.

        Measured against Claude Code's own requests: the recovered lines go right after
        the last chain line of their message, in file order among themselves.
        """
        on_chain = {id(entry) for entry in chain}
        last_in_chain: dict[str, int] = {}
        for position, entry in enumerate(chain):
            if entry.kind == ASSISTANT and entry.message_id:
                last_in_chain[entry.message_id] = position
        if not last_in_chain:
            return chain
        first_line = chain[0].line
        off_chain = [e for e in candidates if e.line > first_line and id(e) not in on_chain]
        group_of_line = {
            e.uuid: e.message_id
            for e in chain + off_chain
            if e.kind == ASSISTANT and e.message_id in last_in_chain
        }
        recovered: dict[int, list[Entry]] = {}
        for entry in off_chain:
            group: str | None = None
            if entry.kind == ASSISTANT and entry.message_id in last_in_chain:
                group = entry.message_id
            elif entry.kind == USER and entry.has_results():
                group = group_of_line.get(self._effective_parent(entry))
            if group is not None:
                recovered.setdefault(last_in_chain[group], []).append(entry)
        if not recovered:
            return chain
        selected: list[Entry] = []
        for position, entry in enumerate(chain):
            selected.append(entry)
            selected.extend(recovered.get(position, ()))
        return selected

    def _abandoned(
        self, leaves: list[Entry], selected: set[int], boundary: Entry | None
    ) -> list[Branch]:
        """Branches of the file that the projection leaves out (not compacted history)."""
        by_uuid = self.transcript.by_uuid
        claimed = set(selected)
        branches: list[Branch] = []
        for leaf in leaves:
            if id(leaf) in claimed:
                continue
            if boundary is not None and leaf.line < boundary.line:
                continue
            path: list[Entry] = []
            current: Entry | None = leaf
            fork: str | None = None
            while current is not None and id(current) not in claimed:
                claimed.add(id(current))
                if current.is_message and not current.api_error:
                    path.append(current)
                parent = self._effective_parent(current)
                current = by_uuid.get(parent) if parent else None
                if current is not None and id(current) in selected:
                    fork = current.uuid
            if path:
                path.reverse()
                branches.append(Branch(fork, tuple(path)))
        return branches


def _chain_issue(entry: Entry, parent: str, cut_off: int) -> TranscriptIssue:
    return TranscriptIssue(
        IssueKind.CHAIN,
        entry.line,
        f"parentUuid {parent} names an entry that is not in this file: "
        f"{cut_off} earlier entries are cut off from resume by clients that stop the walk here",
        entry.uuid,
        note=(
            "Claude Code 2.1.330 goes on with the entry just before in file order, so it still "
            "sends them; older versions resume without them."
        ),
    )


def _build_messages(
    selected: list[Entry], api_error_texts: dict[int, str]
) -> tuple[list[Message], list[ApiErrorRecord]]:
    """Turn the selected entries into API messages, merged the way Claude Code merges them.

    Assistant fragments merge by ``message.id`` (looking back past other messages), with
    thinking/text before tool_use; consecutive user lines merge with results first. Both
    are stable reorderings, so each group keeps the order its lines were put in.
    """
    messages: list[Message] = []
    api_errors: list[ApiErrorRecord] = []
    assistant_by_id: dict[str, Message] = {}
    reorder: list[Message] = []
    for entry in selected:
        if entry.kind == ASSISTANT:
            if entry.api_error:
                text = api_error_texts.get(entry.line, "")
                api_errors.append(ApiErrorRecord(entry, text, len(messages)))
                continue
            blocks = [block for block in entry.blocks if not block.blank]
            if not blocks:
                continue
            merged = assistant_by_id.get(entry.message_id) if entry.message_id else None
            if merged is None:
                message = Message(ASSISTANT, blocks, [entry], False, entry.model, entry.stop_reason)
                if entry.message_id:
                    assistant_by_id[entry.message_id] = message
                messages.append(message)
                continue
            if merged.blocks[-1].type == TOOL_USE and any(b.type != TOOL_USE for b in blocks):
                reorder.append(merged)
            merged.blocks.extend(blocks)
            merged.origins.append(entry)
            merged.stop_reason = entry.stop_reason or merged.stop_reason
        elif entry.kind == USER or entry.subtype == LOCAL_COMMAND:
            previous = messages[-1] if messages else None
            if previous is None or previous.role != USER:
                messages.append(Message(USER, list(entry.blocks), [entry], entry.string_content))
                continue
            if (
                previous.blocks
                and previous.blocks[-1].type != TOOL_RESULT
                and any(block.type == TOOL_RESULT for block in entry.blocks)
            ):
                reorder.append(previous)
            previous.blocks.extend(entry.blocks)
            previous.origins.append(entry)
            previous.string_content = False
    for message in reorder:
        if message.role == ASSISTANT:
            message.blocks.sort(key=lambda block: block.type == TOOL_USE)
        else:
            message.blocks.sort(key=lambda block: block.type != TOOL_RESULT)
    return messages, api_errors


def _subagent_links(transcript: ClaudeCodeTranscript) -> list[SubagentLink]:
    """Every Task/Agent call of the main conversation (compacted ones too) and its subagent."""
    links: list[SubagentLink] = []
    prompt_roots = {prompt: uuid for uuid, prompt in transcript.sidechain_prompts.items()}
    for entry in transcript.entries:
        if entry.sidechain or entry.kind != ASSISTANT:
            continue
        for block in entry.blocks:
            if block.type != TOOL_USE or block.name not in AGENT_TOOLS or not block.tool_id:
                continue
            agent_id = transcript.agent_ids.get(block.tool_id)
            if agent_id is not None:
                path = subagent_path(transcript.path, transcript.session_id, agent_id)
                agent_type, description = _subagent_meta(path)
                links.append(
                    SubagentLink(block.tool_id, agent_id, path, None, agent_type, description)
                )
                continue
            prompt = transcript.agent_prompts.get(block.tool_id)
            root = prompt_roots.get(prompt) if prompt is not None else None
            if root is not None:
                links.append(SubagentLink(block.tool_id, None, None, root))
    return links


def subagent_path(transcript: Path, session_id: str | None, agent_id: str) -> Path | None:
    """Find a subagent's transcript in the 2.1.x or 2.0.x layout (safe ids only)."""
    if not is_safe_id(agent_id):
        return None
    folder = transcript.parent
    name = f"agent-{agent_id}.jsonl"
    candidates = [folder / transcript.stem / "subagents" / name, folder / name]
    if session_id and is_safe_id(session_id):
        candidates.insert(0, folder / session_id / "subagents" / name)
    return next((candidate for candidate in candidates if candidate.is_file()), None)


def _subagent_meta(path: Path | None) -> tuple[str | None, str | None]:
    if path is None:
        return None, None
    meta_path = path.with_name(path.name.removesuffix(".jsonl") + ".meta.json")
    try:
        meta = orjson.loads(meta_path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None, None
    if not isinstance(meta, dict):
        return None, None
    return str_or_none(meta.get("agentType")), str_or_none(meta.get("description"))


def _first_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                return str(block["text"])
    return ""


class NotClaudeCode(ValueError):
    """No line of the file reads as a Claude Code entry."""


def load_checked(path: Path) -> Conversation:
    """Like :func:`load`, but refuse a file that is not a Claude Code transcript."""
    transcript = load_transcript(path)
    if not transcript.is_transcript:
        raise NotClaudeCode(f"{path}: not a Claude Code transcript (no line reads as one)")
    return transcript.project()


def load(path: Path) -> Conversation:
    """Read a whole Claude Code transcript and rebuild its conversation."""
    return load_transcript(path).project()


def load_transcript(path: Path) -> ClaudeCodeTranscript:
    """Read a whole Claude Code transcript file (treating its end as final)."""
    transcript = ClaudeCodeTranscript(path)
    transcript.feed(JsonlReader(path).read(final=True).lines)
    return transcript


def block_payload(path: Path, block: Block, cache: dict[int, dict[str, Any]]) -> Any:
    """The block as it appears in the file: a content dict, or the string content."""
    origin = block.origin
    value = cache.get(origin.line)
    if value is None:
        value = read_line(path, origin.offset, origin.length)
        cache[origin.line] = value
    if isinstance(origin, Entry) and origin.kind == SYSTEM:
        return value.get("content", "")
    content = value.get("message", {}).get("content")
    if block.index < 0:
        return content
    return content[block.index]


def message_payloads(conversation: Conversation) -> list[dict[str, Any]]:
    """The projected conversation as API message dicts, with content re-read from disk."""
    cache: dict[int, dict[str, Any]] = {}
    payloads: list[dict[str, Any]] = []
    for message in conversation.messages:
        if message.string_content and len(message.blocks) == 1:
            content: Any = block_payload(conversation.path, message.blocks[0], cache)
        else:
            content = []
            for block in message.blocks:
                raw = block_payload(conversation.path, block, cache)
                content.append({"type": TEXT, "text": raw} if block.index < 0 else raw)
        payloads.append({"role": message.role, "content": content})
    return payloads

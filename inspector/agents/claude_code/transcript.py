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

import sys
from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from itertools import filterfalse
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson

from inspector.agents.claude_code.layout import subagent_path
from inspector.core.anthropic_blocks import anthropic_block, str_or_none, text_block
from inspector.core.jsonl import BadLine, ParsedLine, read_line
from inspector.core.model import (
    TEXT,
    THINKING_TYPES,
    TOOL_RESULT,
    TOOL_USE,
    ApiErrorRecord,
    Block,
    Branch,
    ClientNotes,
    Conversation,
    IssueKind,
    Message,
    Origin,
    SubagentLink,
    TranscriptIssue,
)
from inspector.core.safe_read import SMALL_RECORD_LIMIT, read_whole

FORMAT = "claude-code"
NOTES = ClientNotes(
    missing=(
        "Claude Code 2.1.x drops this tool_use silently when it resumes the session (the "
        "model forgets a call that may have changed files) and, at send time, would "
        'insert an is_error result "[Tool result missing due to internal error]". Other '
        "clients and older versions send it as recorded and get this 400."
    ),
    orphan=(
        "Claude Code 2.1.x strips an orphan result when it resumes the session; other "
        "clients and older versions send it as recorded and get this 400."
    ),
    duplicate=(
        "Claude Code 2.1.x strips a tool_use id that repeats in a later message, with its "
        "result, when it resumes; other clients send it and get this 400."
    ),
    moved=(
        "Claude Code moves tool_result blocks before other blocks when it sends a user "
        "turn; a client that sends the turn as recorded gets this 400."
    ),
    compacted="Claude Code 2.1.x strips a result whose call was compacted away.",
    pending=(
        "If the call is not running any more, Claude Code 2.1.x drops it silently on "
        "resume; a client that sends it with a new prompt and no result gets R1."
    ),
)
"""What Claude Code does with each defect when it resumes and sends a session."""

USER = "user"
ASSISTANT = "assistant"
SYSTEM = "system"
ATTACHMENT = "attachment"
PROGRESS = "progress"
CHAIN_KINDS = frozenset({USER, ASSISTANT, SYSTEM, ATTACHMENT, PROGRESS})
"""Entry types that take part in the ``parentUuid`` chain."""
_CANONICAL = {kind: kind for kind in CHAIN_KINDS}
"""Each kind as one shared string (a parsed line brings its own copy)."""
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
_IS_BLANK = attrgetter("blank")
"""Blank text blocks are not sent."""


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
        """Every entry read, in file order (superseded ones too)."""
        self.by_uuid: dict[str, Entry] = {}
        """uuid → its entry: the last line with that uuid, as Claude Code keeps it."""
        self.superseded: set[Entry] = set()
        """Entries whose uuid a later line has: Claude Code keeps one entry per uuid."""
        self.main_entries: list[Entry] = []
        """Entries of the main conversation that can be a leaf (no sidechain, no progress)."""
        self.side_entries: list[Entry] = []
        """The same for sidechain entries (a subagent file holds only these)."""
        self.progress: dict[str, Entry] = {}
        """Legacy ``progress`` entries by uuid: bridged over by the parent walk."""
        self.agent_calls: list[Block] = []
        """Task/Agent tool_use blocks of the main conversation, in file order."""
        self.has_messages = False
        self.has_main_line = False
        """Any entry of the main conversation (else: a subagent's file, all sidechain)."""
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
        add = self._add
        objects = 0
        last: ParsedLine | BadLine | None = None
        try:
            for last in lines:
                if type(last) is ParsedLine:
                    objects += 1
                    add(last)
                else:
                    self.bad_lines.append(last)  # type: ignore[arg-type]
        finally:  # counted once, not per line: this loop runs 50k times on 100 MB
            self.object_lines += objects
            if last is not None:
                self.line_count = last.number

    def _add(self, line: ParsedLine) -> None:
        # The hot path of reading: written for speed (50k lines per 100 MB).
        value = line.value
        raw_kind = value.get("type")
        # one look-up both recognises a chain kind and gives its shared string
        kind = _CANONICAL.get(raw_kind) if type(raw_kind) is str else None
        if kind is None:
            known = type(raw_kind) is str and raw_kind in KNOWN_METADATA_KINDS
            if known or "sessionId" in value or "leafUuid" in value:
                self.recognised_lines += 1
            return
        uuid = value.get("uuid")
        if type(uuid) is not str:
            return
        self.recognised_lines += 1
        if self.session_id is None:
            session_id = value.get("sessionId")
            if type(session_id) is str:
                self.session_id = session_id
        parent = value.get("parentUuid")
        if type(parent) is str:
            # Share the parent's own uuid string: one copy of each id in memory.
            known_parent = self.by_uuid.get(parent)
            parent = known_parent.uuid if known_parent is not None else parent
        else:
            parent = None
        timestamp = value.get("timestamp")
        sidechain = value.get("isSidechain") is True
        entry = Entry(
            line.number,
            line.offset,
            line.length,
            uuid,
            timestamp if type(timestamp) is str else None,
            kind,
            parent,
            sidechain,
        )
        if kind in (USER, ASSISTANT):
            message = value.get("message")
            if type(message) is dict:
                self._read_message(entry, value, message)
        elif kind == SYSTEM:
            entry.subtype = str_or_none(value.get("subtype"))
            if entry.subtype == LOCAL_COMMAND:
                content = value.get("content")
                entry.blocks.append(text_block(entry, -1, content))
                entry.string_content = True
        self.index(entry)

    def index(self, entry: Entry) -> None:
        """Add an entry (read from the next line) to the indexes the projection uses."""
        self.entries.append(entry)
        uuid = entry.uuid or ""
        earlier = self.by_uuid.get(uuid)
        self.by_uuid[uuid] = entry
        if earlier is not None:
            self._supersede(earlier)
        if entry.kind == PROGRESS:
            self.progress[uuid] = entry
        elif entry.sidechain:
            self.side_entries.append(entry)
        else:
            self.main_entries.append(entry)
        if not entry.sidechain:
            self.has_main_line = True
        if entry.kind == USER or entry.kind == ASSISTANT:
            self.has_messages = True

    def _supersede(self, earlier: Entry) -> None:
        """A later line has ``earlier``'s uuid. Measured against Claude Code: it keeps one
        entry per uuid, the later line's (a line written twice is sent once)."""
        self.superseded.add(earlier)
        if earlier.kind == PROGRESS and self.progress.get(earlier.uuid or "") is earlier:
            del self.progress[earlier.uuid or ""]

    def candidates(self) -> list[Entry]:
        """The entries that can be a leaf or a sibling: the main conversation's (a
        subagent's file: its sidechain), without superseded ones."""
        entries = self.main_entries if self.has_main_line else self.side_entries
        if self.superseded:
            return [entry for entry in entries if entry not in self.superseded]
        return entries

    def bad_line_issues(self) -> list[TranscriptIssue]:
        """A BADLINE issue for every line that could not be read."""
        return [
            TranscriptIssue(IssueKind.BADLINE, bad.number, f"line {bad.number}: {bad.reason}")
            for bad in self.bad_lines
        ]

    def _read_message(self, entry: Entry, value: dict[str, Any], message: dict[str, Any]) -> None:
        message_id = message.get("id")
        if type(message_id) is str:
            entry.message_id = message_id
        if entry.kind == ASSISTANT:
            model = message.get("model")
            stop_reason = message.get("stop_reason")
            # A handful of distinct values over thousands of lines: keep one copy of each.
            entry.model = sys.intern(model) if type(model) is str else None
            entry.stop_reason = sys.intern(stop_reason) if type(stop_reason) is str else None
            entry.api_error = value.get("isApiErrorMessage") is True
        content = message.get("content")
        if type(content) is list:
            blocks = entry.blocks
            for index, raw in enumerate(content):
                if type(raw) is dict:
                    block = anthropic_block(entry, index, raw)
                    blocks.append(block)
                    if block.name in AGENT_TOOLS or block.type in THINKING_TYPES:
                        self._note_block(entry, block, raw)
        elif isinstance(content, str):
            entry.blocks.append(text_block(entry, -1, content))
            entry.string_content = True
        if entry.api_error:
            self.api_error_texts[entry.line] = _first_text(content)
        if entry.kind == USER:
            self._note_links(entry, value, content)

    def _note_block(self, entry: Entry, block: Block, raw: dict[str, Any]) -> None:
        if block.type in THINKING_TYPES:
            self.thinking_enabled = True
        elif block.name in AGENT_TOOLS and block.tool_id and not entry.sidechain:
            if entry.kind == ASSISTANT and block.type == TOOL_USE:
                self.agent_calls.append(block)
            tool_input = raw.get("input")
            if isinstance(tool_input, dict) and isinstance(tool_input.get("prompt"), str):
                self.agent_prompts[block.tool_id] = tool_input["prompt"]

    def _note_links(self, entry: Entry, value: dict[str, Any], content: Any) -> None:
        tool_result = value.get("toolUseResult")
        if type(tool_result) is dict:
            agent_id = tool_result.get("agentId")
            if isinstance(agent_id, str):
                for block in entry.blocks:
                    if block.type == TOOL_RESULT and block.tool_id:
                        self.agent_ids[block.tool_id] = agent_id
        if entry.sidechain and entry.parent is None and entry.uuid:
            self.sidechain_prompts[entry.uuid] = _first_text(content)

    def absorb(self, later: ClaudeCodeTranscript) -> None:
        """Append what ``later`` read from the rest of the same file (its line numbers
        already counted from the start of the file), as if fed here in one go."""
        self.entries.extend(later.entries)
        # The later line with a uuid supersedes the earlier, as in index().
        for uuid in later.by_uuid.keys() & self.by_uuid.keys():
            self._supersede(self.by_uuid[uuid])
        self.by_uuid.update(later.by_uuid)
        self.superseded |= later.superseded
        self.main_entries.extend(later.main_entries)
        self.side_entries.extend(later.side_entries)
        self.progress.update(later.progress)
        self.agent_calls.extend(later.agent_calls)
        self.has_messages = self.has_messages or later.has_messages
        self.has_main_line = self.has_main_line or later.has_main_line
        self.session_id = self.session_id if self.session_id is not None else later.session_id
        self.bad_lines.extend(later.bad_lines)
        self.line_count = max(self.line_count, later.line_count)
        self.object_lines += later.object_lines
        self.recognised_lines += later.recognised_lines
        self.thinking_enabled = self.thinking_enabled or later.thinking_enabled
        self.agent_ids.update(later.agent_ids)
        self.agent_prompts.update(later.agent_prompts)
        self.sidechain_prompts.update(later.sidechain_prompts)
        self.api_error_texts.update(later.api_error_texts)

    # ------------------------------------------------------------------ projection

    def project(self, leaf: str | None = None) -> Conversation:
        """Rebuild the conversation Claude Code would send on resume.

        ``leaf`` (a uuid) resumes from that entry instead of the newest leaf: what Claude
        Code would load if it were the newest entry (a rewind's cut point).
        """
        return Projector(self, leaf).run()


@dataclass(slots=True)
class Projector:
    """One run of the reconstruction over a transcript's entries.

    Sets of entries rely on identity (``Entry`` has ``eq=False``): membership tests
    stay in C, which matters on 50k-entry transcripts.
    """

    transcript: ClaudeCodeTranscript
    leaf: str | None = None
    issues: list[TranscriptIssue] = field(default_factory=list)
    # What the run worked out, for :mod:`inspector.agents.claude_code.tail` to extend later.
    named: set[str | None] = field(default_factory=set)
    leaves: list[Entry] = field(default_factory=list)
    newest_leaf: Entry | None = None
    chain: list[Entry] = field(default_factory=list)
    walk_breaks: int = 0
    selected: list[Entry] = field(default_factory=list)
    last_in_chain: dict[str, int] = field(default_factory=dict)
    """message.id → position of its last line on the chain."""
    chain_positions: list[int] = field(default_factory=list)
    """Position in :attr:`selected` of each chain entry."""
    on_selection: set[Entry] = field(default_factory=set)
    """The entries of :attr:`selected`."""
    fold: MessageFold | None = None

    def run(self) -> Conversation:
        transcript = self.transcript
        self.issues = transcript.bad_line_issues()
        candidates = transcript.candidates()
        if transcript.progress:
            named = {self.effective_parent(entry) for entry in candidates}
        else:
            named = {entry.parent for entry in candidates}
        leaves = [entry for entry in candidates if entry.uuid not in named]
        self.named, self.leaves = named, leaves
        if self.leaf is not None:
            chosen = transcript.by_uuid.get(self.leaf)
            start = self.message_ancestor(chosen) if chosen is not None else None
        else:
            # Every entry named as a parent (a uuid on two lines, or a loop) leaves no
            # leaf: Claude Code then resumes from the file's last line, and so does this.
            start = self._newest_leaf(leaves or candidates[-1:])
        chain = self.chain = self._walk(start, candidates)
        selected = self.selected = self._with_siblings(chain, candidates)
        fold = self.fold = MessageFold(transcript.api_error_texts).add_all(selected)
        messages, api_errors = fold.finish(), fold.api_errors
        on_chain = self.on_selection
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
            has_content=transcript.has_messages,
            notes=NOTES,
        )
        if boundary is not None:
            conversation.compacted_tool_ids = frozenset(
                block.tool_id
                for entry in candidates
                if entry.line < boundary.line and entry not in on_chain
                for block in entry.blocks
                if block.type == TOOL_USE and block.tool_id
            )
        conversation.abandoned = self._abandoned(leaves, on_chain, boundary)
        conversation.subagents = subagent_links(transcript)
        return conversation

    def effective_parent(self, entry: Entry) -> str | None:
        """The entry's parent, with legacy progress entries bridged over."""
        parent = entry.parent
        progress = self.transcript.progress
        hops = 0
        while parent is not None and parent in progress and hops < len(progress):
            parent = progress[parent].parent
            hops += 1
        return parent

    def _newest_leaf(self, leaves: list[Entry]) -> Entry | None:
        """The newest leaf by timestamp (file order breaks ties) that stands for a message."""
        leaf: Entry | None = None
        for entry in leaves:
            standing = self.message_ancestor(entry)
            if standing is None:
                continue
            if leaf is None or (entry.timestamp or "") >= (leaf.timestamp or ""):
                leaf = entry
        self.newest_leaf = leaf
        return self.message_ancestor(leaf) if leaf is not None else None

    def message_ancestor(self, entry: Entry) -> Entry | None:
        """The entry itself if it is a user/assistant entry, else its nearest such ancestor."""
        seen: set[str] = set()
        current: Entry | None = entry
        by_uuid = self.transcript.by_uuid
        while current is not None and not current.is_message:
            if current.uuid in seen:
                return None
            seen.add(current.uuid or "")
            parent = self.effective_parent(current)
            current = by_uuid.get(parent) if parent else None
        return current

    def _walk(self, leaf: Entry | None, candidates: list[Entry]) -> list[Entry]:
        """Entries from the root (or the last compaction boundary) down to ``leaf``."""
        # Lines are written after their parents, so a walk normally goes back in the file
        # at every step and cannot loop: only a walk that does not is kept in check with a
        # set of the entries seen (a third of the walk's time on a big transcript).
        walk = self._walk_back(leaf, candidates, guarded=False)
        if walk is None:
            walk = self._walk_back(leaf, candidates, guarded=True)
        assert walk is not None
        chain, breaks = walk
        chain.reverse()
        self.walk_breaks = len(breaks)
        if chain and chain[0].sidechain:
            # Subagent files hang off entries of their parent session's file by design,
            # and they are not what `claude --resume` walks.
            return chain
        for entry, parent, walked in breaks:
            cut_off = len(chain) - walked
            if cut_off > 0:
                self.issues.append(_chain_issue(entry, parent, cut_off))
        return chain

    def _walk_back(
        self, leaf: Entry | None, candidates: list[Entry], *, guarded: bool
    ) -> tuple[list[Entry], list[tuple[Entry, str, int]]] | None:
        """The entries from ``leaf`` back, and where a parent was missing (the entry,
        the parent's uuid, entries walked before it). Unguarded, None as soon as a step
        does not go back in the file."""
        by_uuid = self.transcript.by_uuid
        position: dict[Entry, int] = {}
        chain: list[Entry] = []
        seen: set[Entry] = set()
        breaks: list[tuple[Entry, str, int]] = []
        current = leaf
        last_line = current.line + 1 if current is not None else 0
        while current is not None:
            if not guarded:
                if current.line >= last_line:
                    return None
                last_line = current.line
            elif current in seen:
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
            else:
                seen.add(current)
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
                    position = {entry: index for index, entry in enumerate(candidates)}
                index = position.get(current, 0)
                following = candidates[index - 1] if index > 0 else None
                breaks.append((current, parent, len(chain)))
            current = following
        return chain, breaks

    def _with_siblings(self, chain: list[Entry], candidates: list[Entry]) -> list[Entry]:
        """Add off-chain lines of the chain's assistant messages and results hanging off them.

        Measured against Claude Code's own requests: the recovered lines go right after
        the last chain line of their message, in file order among themselves.
        """
        last_in_chain = self.last_in_chain = {
            entry.message_id: position
            for position, entry in enumerate(chain)
            if entry.kind == ASSISTANT and entry.message_id
        }
        self.chain_positions = list(range(len(chain)))
        on_chain = self.on_selection = set(chain)
        if not last_in_chain:
            return chain
        first_line = chain[0].line
        recovered: dict[int, list[Entry]] = {}
        for entry in [entry for entry in candidates if entry not in on_chain]:
            if entry.line <= first_line:
                continue
            group = self.sibling_group(entry, first_line, on_chain)
            if group is not None and group in last_in_chain:
                recovered.setdefault(last_in_chain[group], []).append(entry)
        if not recovered:
            return chain
        # Copy the chain in runs between the insertion points: most of it moves as a whole.
        selected: list[Entry] = []
        positions = self.chain_positions
        copied = 0
        for position in sorted(recovered):
            siblings = recovered[position]
            shift = len(selected) - copied
            positions[copied : position + 1] = range(copied + shift, position + 1 + shift)
            selected += chain[copied : position + 1]
            selected += siblings
            self.on_selection.update(siblings)
            copied = position + 1
        shift = len(selected) - copied
        positions[copied:] = range(copied + shift, len(chain) + shift)
        selected += chain[copied:]
        return selected

    def sibling_group(self, entry: Entry, first_line: int, on_chain: set[Entry]) -> str | None:
        """The message an off-chain line belongs with: its own (an assistant fragment),
        or that of the assistant line it answers (a tool result)."""
        if entry.kind == ASSISTANT:
            return entry.message_id
        if entry.kind != USER or not entry.has_results():
            return None
        parent_uuid = self.effective_parent(entry)
        parent = self.transcript.by_uuid.get(parent_uuid) if parent_uuid else None
        if (
            parent is not None
            and parent.kind == ASSISTANT
            and parent.sidechain == entry.sidechain
            and (parent.line > first_line or parent in on_chain)
        ):
            return parent.message_id
        return None

    def _abandoned(
        self, leaves: list[Entry], selected: set[Entry], boundary: Entry | None
    ) -> list[Branch]:
        """Branches of the file that the projection leaves out (not compacted history)."""
        claimed: set[Entry] = set()
        branches: list[Branch] = []
        for leaf in leaves:
            if leaf in selected or leaf in claimed:
                continue
            if boundary is not None and leaf.line < boundary.line:
                continue
            branch = self.branch_from(leaf, claimed, selected)
            if branch is not None:
                branches.append(branch)
        return branches

    def branch_from(
        self, leaf: Entry, claimed: set[Entry], selected: Container[Entry]
    ) -> Branch | None:
        """The unsent message lines from ``leaf`` up to what is ``selected`` (sent) or
        ``claimed`` by another branch (claiming them), and the sent entry it forks from;
        None: no message lines."""
        by_uuid = self.transcript.by_uuid
        path: list[Entry] = []
        current: Entry | None = leaf
        fork: str | None = None
        while current is not None and current not in claimed and current not in selected:
            claimed.add(current)
            if current.is_message and not current.api_error:
                path.append(current)
            parent = self.effective_parent(current)
            current = by_uuid.get(parent) if parent else None
            if current is not None and current in selected:
                fork = current.uuid
        if not path:
            return None
        path.reverse()
        return Branch(fork, tuple(path))


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


class MergedIntoPrefix(Exception):
    """A line would change a message the fold was told to keep as it is."""


class MessageFold:
    """Turns selected entries into API messages, merged the way Claude Code merges them.

    Assistant fragments merge by ``message.id`` (looking back past other messages), with
    thinking/text before tool_use; consecutive user lines merge with results first. Both
    are stable reorderings, so each group keeps the order its lines were put in.

    A fold can resume after ``prefix`` (messages folded earlier and kept as they are,
    shared with an earlier projection): a line that would merge into one of them raises
    :class:`MergedIntoPrefix`, and the caller folds from further back.
    """

    def __init__(
        self,
        api_error_texts: dict[int, str],
        prefix: list[Message] | None = None,
        prefix_ids: dict[str, int] | None = None,
    ) -> None:
        self.api_error_texts = api_error_texts
        self.messages: list[Message] = list(prefix or ())
        self.kept = len(self.messages)
        """Messages at the start that must not change."""
        self.prefix_ids = prefix_ids or {}
        """message.id → index of its assistant message; a kept one may not take fragments."""
        self.api_errors: list[ApiErrorRecord] = []
        self.assistant_at: dict[str, int] = {}
        """message.id → index of the assistant message this fold made for it."""
        self._reorder: list[Message] = []

    def add_all(self, entries: Iterable[Entry]) -> MessageFold:
        add = self.add
        for entry in entries:
            add(entry)
        return self

    def add(self, entry: Entry) -> None:
        # Runs once per selected line (50k on 100 MB): locals and plain loops, no generators.
        messages = self.messages
        kind = entry.kind
        if kind == ASSISTANT:
            if entry.api_error:
                text = self.api_error_texts.get(entry.line, "")
                self.api_errors.append(ApiErrorRecord(entry, text, len(messages)))
                return
            blocks = list(filterfalse(_IS_BLANK, entry.blocks))
            if not blocks:
                return
            message_id = entry.message_id
            at = self.assistant_at.get(message_id) if message_id else None
            if at is None:
                if message_id and self.prefix_ids.get(message_id, self.kept) < self.kept:
                    raise MergedIntoPrefix(message_id)
                at = len(messages)
                if message_id:
                    self.assistant_at[message_id] = at
                messages.append(
                    Message(ASSISTANT, blocks, [entry], False, entry.model, entry.stop_reason)
                )
                return
            merged = messages[at]
            if merged.blocks[-1].type == TOOL_USE:
                for block in blocks:
                    if block.type != TOOL_USE:
                        self._reorder.append(merged)
                        break
            merged.blocks.extend(blocks)
            merged.origins.append(entry)
            merged.stop_reason = entry.stop_reason or merged.stop_reason
        elif kind == USER or entry.subtype == LOCAL_COMMAND:
            previous = messages[-1] if messages else None
            if previous is None or previous.role != USER:
                messages.append(Message(USER, list(entry.blocks), [entry], entry.string_content))
                return
            if len(messages) <= self.kept:
                raise MergedIntoPrefix(entry.uuid)
            if previous.blocks and previous.blocks[-1].type != TOOL_RESULT:
                for block in entry.blocks:
                    if block.type == TOOL_RESULT:
                        self._reorder.append(previous)
                        break
            previous.blocks.extend(entry.blocks)
            previous.origins.append(entry)
            previous.string_content = False

    def finish(self) -> list[Message]:
        for message in self._reorder:
            if message.role == ASSISTANT:
                message.blocks.sort(key=lambda block: block.type == TOOL_USE)
            else:
                message.blocks.sort(key=lambda block: block.type != TOOL_RESULT)
        self._reorder = []
        return self.messages


def subagent_links(transcript: ClaudeCodeTranscript) -> list[SubagentLink]:
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


def _first_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        for block in content:
            if isinstance(block, dict) and isinstance(block.get("text"), str):
                return str(block["text"])
    return ""


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

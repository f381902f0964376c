"""Claude Code transcript entries → the conversation Claude Code sends on resume.

Follows ``docs/transcript-format.md`` ("How Claude Code rebuilds the conversation
on resume"): bridge legacy ``progress`` entries, take the newest non-sidechain
leaf, walk ``parentUuid`` back (cycle guard; a missing parent continues with the
entry before it in file order; stop at the last compaction boundary), re-attach
off-chain parallel siblings and their results, and fold what is sent into messages
(:mod:`.fold`). What the projection leaves out is reported as abandoned branches.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from inspector.agents.claude_code.entries import (
    ASSISTANT,
    COMPACT_BOUNDARY,
    FORMAT,
    PROGRESS,
    USER,
    Entry,
    TranscriptEntries,
)
from inspector.agents.claude_code.fold import MessageFold
from inspector.agents.claude_code.releases import (
    EVERY_CHECKED,
    HEALS,
    NEWEST,
    ClaudeCodeBehaviour,
)
from inspector.agents.claude_code.subagents import subagent_links
from inspector.core.model import (
    TOOL_RESULT,
    TOOL_USE,
    Branch,
    ClientNotes,
    Conversation,
    IssueKind,
    MadeUpResult,
    Message,
    TranscriptIssue,
)

NOTES = ClientNotes(
    missing=(
        f"Claude Code {HEALS} do not send this call as recorded when they resume the "
        "session (see resume); a client that sends it as recorded gets this 400."
    ),
    orphan=(
        f"Claude Code {HEALS} strip an orphan result when they resume the session; a "
        "client that sends it as recorded gets this 400."
    ),
    duplicate=(
        f"Claude Code {HEALS} drop a repeated call and its result when they resume the "
        "session; a client that sends it as recorded gets this 400."
    ),
    moved=(
        f"Claude Code {EVERY_CHECKED} sends tool_result blocks before the other blocks of "
        "a user turn; a client that sends the turn as recorded gets this 400."
    ),
    compacted=f"Claude Code {HEALS} strip a result whose call was compacted away.",
    pending=(
        "If the call is not running any more, Claude Code 2.1.332 answers it with a "
        "placeholder when it resumes, 2.1.197 drops it (checked); a client that sends it "
        "with a new prompt and no result gets R1."
    ),
)
"""What Claude Code does with each defect when it resumes and sends a session."""


@dataclass(slots=True)
class Projector:
    """One run of the reconstruction over a transcript's entries.

    Sets of entries rely on identity (``Entry`` has ``eq=False``): membership tests
    stay in C, which matters on 50k-entry transcripts.
    """

    transcript: TranscriptEntries
    leaf: str | None = None
    behaviour: ClaudeCodeBehaviour = NEWEST
    """The Claude Code release the rebuild follows where releases differ."""
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
        fold = self.fold = self.new_fold().add_all(selected)
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
            written_by=transcript.written_by,
            has_content=transcript.has_messages,
            notes=NOTES,
            client=self.behaviour.release,
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
        conversation.made_up_results = made_up_results(transcript, messages)
        conversation.subagents = subagent_links(transcript)
        return conversation

    def new_fold(
        self, kept: list[Message] | None = None, prefix_ids: dict[str, int] | None = None
    ) -> MessageFold:
        """A fold of this transcript's lines (after ``kept``), for the release followed."""
        return MessageFold(
            self.transcript.api_error_texts,
            kept,
            prefix_ids,
            file_order=self.behaviour.tool_uses_in_file_order,
        )

    def effective_parent(self, entry: Entry) -> str | None:
        """The entry's parent, with legacy progress entries bridged over."""
        parent = entry.parent
        progress = self.transcript.progress
        hops = 0
        while parent is not None and parent in progress and hops < len(progress):
            parent = progress[parent].parent
            hops += 1
        return parent

    def later_leaf(self, entry: Entry, than: Entry) -> bool:
        """Whether a leaf wins over another: the later in the file (Claude Code 2.1.197 and
        newer), or the newer by timestamp, file order breaking ties (2.0.x)."""
        if self.behaviour.leaf_in_file_order:
            return entry.line >= than.line
        return (entry.timestamp or "") >= (than.timestamp or "")

    def _newest_leaf(self, leaves: list[Entry]) -> Entry | None:
        """The leaf Claude Code resumes from (:meth:`later_leaf`), of those that stand for a
        message."""
        leaf: Entry | None = None
        for entry in leaves:
            standing = self.message_ancestor(entry)
            if standing is None:
                continue
            if leaf is None or self.later_leaf(entry, leaf):
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
            elif (answered := self._answers_absent_calls(entry)) is not None:
                self.issues.append(_midway_issue(entry, parent, answered))
        return chain

    def _answers_absent_calls(self, root: Entry) -> list[str] | None:
        """The ids ``root`` answers whose calls are nowhere in the file (None: not a
        result turn, or its calls are here)."""
        results = [b.tool_id for b in root.blocks if b.type == TOOL_RESULT and b.tool_id]
        if root.kind != USER or not results:
            return None
        calls = {
            block.tool_id
            for entry in self.transcript.entries
            for block in entry.blocks
            if block.type == TOOL_USE
        }
        absent = [tool_id for tool_id in results if tool_id not in calls]
        return absent or None

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


def made_up_results(transcript: TranscriptEntries, messages: list[Message]) -> list[MadeUpResult]:
    """The results Claude Code says it made up, for calls the conversation sends."""
    if not transcript.made_up:
        return []
    calls = {block.tool_id for m in messages for block in m.blocks if block.type == TOOL_USE}
    return [made_up for made_up in transcript.made_up if made_up.tool_id in calls]


def _midway_issue(entry: Entry, parent: str, absent: list[str]) -> TranscriptIssue:
    return TranscriptIssue(
        IssueKind.CHAIN,
        entry.line,
        f"the file starts mid-session: line {entry.line} answers a call that is not in it "
        f"({', '.join(absent)}), and its parent {parent} is not in the file either",
        entry.uuid,
        note=(
            "The lines before it were kept elsewhere (a checkpoint that saved only the slice "
            "since the last one, say): sent as is, the API rejects the result (R2); with the "
            "earlier part of the session it is whole."
        ),
        starts_midway=True,
    )


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

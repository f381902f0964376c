"""Rebuilding a growing Claude Code conversation from where the last rebuild left off.

A live session grows at its end: new lines hang off the newest leaf. Rebuilding the
whole conversation after every append costs time in proportion to the file (0.1 s on
100 MB); this extends the previous rebuild instead, in time proportional to what
changed (plus a copy of the selection, and the subagent links: a file look-up per
Task/Agent call, as a subagent's file may appear at any time). :func:`project` gives
exactly what
:meth:`~inspector.agents.claude_code.transcript.ClaudeCodeTranscript.project` gives (the tests
feed every real transcript line by line and compare the two after each line), and
falls back to the full rebuild whenever the new lines do anything but extend:

* the newest leaf must be one of the new lines or the previous one;
* the walk back from it must reach the previous chain, at its end or before lines
  that are then left off it (parallel results, when the next fragment of the message
  they answer arrives after them: they are recovered as siblings), with no
  compaction, gap or loop on the way and no gap in the previous walk;
* no old line names a parent that only arrives now (a line, or a ``progress`` line
  bridging it);
* every new line hangs off the sent conversation, off another new line, or off the
  previous newest leaf when only unsent lines (attachments, system lines) stand between
  it and the conversation;
* nothing on an abandoned branch comes back into the conversation;
* no new line merges into a message before the ones rebuilt (see
  :class:`~inspector.agents.claude_code.fold.MessageFold`).

The extension rebuilds the selection from the first chain position whose message
gained lines, and the messages from the first one those lines touch; everything
before is shared with the previous conversation (the same objects), which lets
the validator and the views reuse their work for it too.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from inspector.agents.claude_code.entries import (
    ASSISTANT,
    COMPACT_BOUNDARY,
    FORMAT,
    PROGRESS,
    Entry,
)
from inspector.agents.claude_code.fold import MergedIntoPrefix
from inspector.agents.claude_code.projection import NOTES, Projector, made_up_results
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.agents.claude_code.subagents import subagent_links
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.model import (
    ApiErrorRecord,
    Branch,
    Conversation,
    IssueKind,
    Message,
    Origin,
)


@dataclass(slots=True)
class ProjectionState:
    """What the last rebuild of one transcript worked out, to be extended."""

    entry_count: int
    """Entries of the transcript it saw."""
    last_line: int
    """Line number of the last of them (later lines are new)."""
    has_main: bool
    named: set[str | None]
    leaf: Entry | None
    chain: list[Entry]
    chain_set: set[Entry]
    last_in_chain: dict[str, int]
    chain_positions: list[int]
    selected: list[Entry]
    selected_index: dict[Entry, int]
    """Entry → its position in :attr:`selected`."""
    messages: list[Message]
    api_errors: list[ApiErrorRecord]
    message_of: dict[Origin, int]
    """Entry → index of the message it went into."""
    assistant_index: dict[str, int]
    """message.id → index of its assistant message."""
    abandoned: list[Branch]
    abandoned_entries: set[Entry]
    abandoned_message_ids: set[str]
    compacted_tool_ids: frozenset[str]
    extensible: bool
    """The rebuild can be extended (a chain without gaps or loops)."""
    superseded: int
    """Entries superseded by a later line with their uuid, when it was made."""


def project(
    transcript: ClaudeCodeTranscript,
    previous: ProjectionState | None,
    behaviour: ClaudeCodeBehaviour = NEWEST,
) -> tuple[Conversation, ProjectionState]:
    """The conversation as the client sends it, and the state to extend next time."""
    if previous is not None and previous.extensible:
        extended = _Extension(transcript, previous, behaviour).run()
        if extended is not None:
            return extended
    return _full(transcript, behaviour)


def _full(
    transcript: ClaudeCodeTranscript, behaviour: ClaudeCodeBehaviour
) -> tuple[Conversation, ProjectionState]:
    projector = Projector(transcript, behaviour=behaviour)
    conversation = projector.run()
    fold = projector.fold
    assert fold is not None
    abandoned_entries, abandoned_ids = _branch_members(conversation.abandoned)
    state = ProjectionState(
        entry_count=len(transcript.entries),
        last_line=transcript.entries[-1].line if transcript.entries else 0,
        has_main=transcript.has_main_line,
        named=projector.named,
        leaf=projector.newest_leaf,
        chain=list(projector.chain),  # the selection may be this very list: keep them apart
        chain_set=set(projector.chain),
        last_in_chain=projector.last_in_chain,
        chain_positions=projector.chain_positions,
        selected=projector.selected,
        selected_index={entry: index for index, entry in enumerate(projector.selected)},
        messages=conversation.messages,
        api_errors=conversation.api_errors,
        message_of=_message_of(conversation.messages),
        assistant_index=fold.assistant_at,
        abandoned=list(conversation.abandoned),  # extended in place: not the conversation's
        abandoned_entries=abandoned_entries,
        abandoned_message_ids=abandoned_ids,
        compacted_tool_ids=conversation.compacted_tool_ids,
        superseded=len(transcript.superseded),
        extensible=(
            projector.walk_breaks == 0
            and bool(projector.chain)
            and not any(issue.kind is IssueKind.CYCLE for issue in conversation.issues)
        ),
    )
    return conversation, state


def _message_of(messages: list[Message], start: int = 0) -> dict[Origin, int]:
    """Line → index of the message it went into, for the messages from ``start`` on."""
    return {
        origin: index for index in range(start, len(messages)) for origin in messages[index].origins
    }


def _branch_members(branches: list[Branch]) -> tuple[set[Entry], set[str]]:
    entries = {origin for branch in branches for origin in branch.origins}
    ids = {
        entry.message_id
        for entry in entries
        if isinstance(entry, Entry) and entry.kind == ASSISTANT and entry.message_id
    }
    return entries, ids  # type: ignore[return-value]


LEAF_RUN_LONGEST = 32
"""Unsent lines between the chain's end and the newest leaf that an extension walks."""
LOOKED_BACK = 256
"""Lines after the chain's end an extension looks through for another unsent one."""


class _CannotExtend(Exception):
    """The new lines do more than extend the conversation: rebuild it whole."""


class _Extension:
    """One extension of a previous rebuild; :meth:`run` returns None to fall back.

    It updates the previous state in place: once it has run, that state is either
    replaced by what it returns or dropped for a full rebuild.
    """

    def __init__(
        self,
        transcript: ClaudeCodeTranscript,
        state: ProjectionState,
        behaviour: ClaudeCodeBehaviour,
    ) -> None:
        self.transcript = transcript
        self.state = state
        self.projector = Projector(transcript, behaviour=behaviour)
        self.dropped: set[Entry] = set()
        """Lines that left the chain in this extension."""
        self.leaf_run: list[Entry] = []
        """The previous newest leaf and the unsent lines up to the chain (:meth:`_leaf_run`)."""

    def run(self) -> tuple[Conversation, ProjectionState] | None:
        try:
            return self._extend()
        except _CannotExtend:
            return None

    def _extend(self) -> tuple[Conversation, ProjectionState]:
        transcript, state = self.transcript, self.state
        if transcript.has_main_line != state.has_main:
            raise _CannotExtend
        if len(transcript.superseded) != state.superseded:
            raise _CannotExtend  # a new line reuses an old uuid: the old part changes
        side = not state.has_main
        new = transcript.entries[state.entry_count :]
        fresh = [entry for entry in new if entry.sidechain == side and entry.kind != PROGRESS]
        if any(entry.uuid in state.named for entry in new):
            # An old line names a parent that only arrives now (or a progress line that
            # bridges it): the leaves, and maybe the walk, change in the old part.
            raise _CannotExtend
        self.leaf_run = self._leaf_run()
        self._check_hanging_off_the_conversation(fresh)
        leaf = self._newest_leaf(fresh)
        start = self.projector.message_ancestor(leaf) if leaf is not None else None
        junction, tail = self._walk_to_chain(start)
        first_changed = self._extend_chain(junction, tail, fresh)
        selection_start = self._reselect(first_changed, fresh)
        messages, api_errors = self._refold(selection_start, fresh)
        state.leaf = leaf
        state.entry_count = len(transcript.entries)
        state.last_line = transcript.entries[-1].line if transcript.entries else 0
        self._add_branches(fresh)
        conversation = Conversation(
            path=transcript.path,
            format=FORMAT,
            session_id=transcript.session_id,
            messages=messages,
            chain=list(state.selected),
            issues=transcript.bad_line_issues(),
            api_errors=api_errors,
            thinking_enabled=transcript.thinking_enabled,
            written_by=transcript.written_by,
            has_content=transcript.has_messages,
            compacted_tool_ids=state.compacted_tool_ids,
            abandoned=list(state.abandoned),
            subagents=subagent_links(transcript),
            notes=NOTES,
            client=self.projector.behaviour.release,
            made_up_results=made_up_results(transcript, messages),
        )
        state.messages, state.api_errors = messages, api_errors
        return conversation, state

    # ------------------------------------------------------------------ leaves and walk

    def _check_hanging_off_the_conversation(self, fresh: list[Entry]) -> None:
        """Every new line must hang off a sent line or another new line."""
        state, by_uuid = self.state, self.transcript.by_uuid
        selected = state.selected_index
        allowed = set(fresh)
        effective_parent = self.projector.effective_parent
        if self.leaf_run:
            # The previous newest leaf (an attachment or a system line after the last
            # message) is where the next line hangs: fine if nothing else hangs there.
            allowed.add(self.leaf_run[0])
        for entry in fresh:
            parent_uuid = effective_parent(entry)
            parent = by_uuid.get(parent_uuid) if parent_uuid is not None else None
            if parent is None or (parent not in allowed and parent not in selected):
                raise _CannotExtend

    def _leaf_run(self) -> list[Entry]:
        """The previous newest leaf when it is not sent, and the unsent lines between it
        and the end of the chain (attachments and system lines written after the last
        message: a prompt's hook output, say), from the leaf back; empty if there are
        others. Lines between must be the only unsent lines written after the chain's end:
        another child of one of them would fork there once it is on the chain."""
        state, by_uuid = self.state, self.transcript.by_uuid
        end, selected = state.chain[-1], state.selected_index
        run: list[Entry] = []
        current = state.leaf
        while current is not None and len(run) <= LEAF_RUN_LONGEST:
            if current in selected or current.is_message:
                return []
            run.append(current)
            parent = self.projector.effective_parent(current)
            current = by_uuid.get(parent) if parent is not None else None
            if current is end:
                return run if len(run) == 1 or self._only_unsent_after(end, run) else []
        return []

    def _only_unsent_after(self, end: Entry, run: list[Entry]) -> bool:
        """Whether ``run`` holds every unsent line written after ``end`` (progress lines
        aside: they are walked through)."""
        state, entries = self.state, self.transcript.entries
        side = not state.has_main
        members = set(run)
        at = state.entry_count - 1
        lowest = max(-1, at - LOOKED_BACK)
        while at >= 0 and entries[at].line > end.line:
            if at == lowest:
                return False  # too far to look: rebuild whole
            entry = entries[at]
            counts = entry.sidechain == side and entry.kind != PROGRESS
            if counts and entry not in members and entry not in state.selected_index:
                return False
            at -= 1
        return True

    def _newest_leaf(self, fresh: list[Entry]) -> Entry | None:
        """The newest leaf, as the full rebuild picks it (unless an old leaf might win)."""
        state = self.state
        parents = {self.projector.effective_parent(entry) for entry in fresh}
        state.named |= parents
        named = state.named
        new_leaves = [entry for entry in fresh if entry.uuid not in named]
        previous = state.leaf
        still_leaf = previous is not None and previous.uuid not in parents
        best = previous if still_leaf else None
        for entry in new_leaves:
            if self.projector.message_ancestor(entry) is None:
                continue
            if best is None or self.projector.later_leaf(entry, best):
                best = entry
        # If the previous leaf is gone, another old leaf may be newer than every new one.
        if (previous is not None and not still_leaf) and (
            best is None or not self.projector.later_leaf(best, previous)
        ):
            raise _CannotExtend
        return best

    def _walk_to_chain(self, start: Entry | None) -> tuple[int, list[Entry]]:
        """Walk back from ``start`` to the previous chain: the chain position reached
        (usually its end) and the entries walked, in chain order."""
        state = self.state
        tail: list[Entry] = []
        seen: set[Entry] = set()
        current = start
        by_uuid = self.transcript.by_uuid
        while current not in state.chain_set:
            if current is None or current in seen or current in state.abandoned_entries:
                raise _CannotExtend
            if current.subtype == COMPACT_BOUNDARY:
                raise _CannotExtend
            seen.add(current)
            if current.kind != PROGRESS:
                tail.append(current)
            current = by_uuid.get(current.parent) if current.parent is not None else None
        tail.reverse()
        junction = bisect_left(state.chain_positions, state.selected_index[current])
        return junction, tail

    # ------------------------------------------------------------------ selection

    def _extend_chain(self, junction: int, tail: list[Entry], fresh: list[Entry]) -> int:
        """Put ``tail`` on the chain after position ``junction``; return the first chain
        position whose recovered siblings may change.

        Lines after the junction leave the chain (parallel results, when the next
        fragment of the message they answer arrives after them): they are recovered as
        siblings or, if they are not messages, simply not sent any more.
        """
        state = self.state
        chain, last_in_chain = state.chain, state.last_in_chain
        dropped = chain[junction + 1 :]
        self.dropped = set(dropped)
        first_changed = junction + 1
        for staying, position in self._fragments_left(junction, dropped).items():
            # Fragments of a message that stays on the chain: recovered after its last
            # fragment left there (a parallel call's result hangs off its own tool_use).
            last_in_chain[staying] = position
            first_changed = min(first_changed, position)
        for entry in tail:
            if entry.line <= state.last_line:  # an old line moving onto the chain
                if entry in state.selected_index:
                    # A recovered sibling leaves its place among the siblings of the
                    # chain entry it was put after: re-select from there.
                    placed_after = bisect_right(state.chain_positions, state.selected_index[entry])
                    first_changed = min(first_changed, placed_after - 1)
                elif entry not in self.leaf_run:
                    # An unsent line: an abandoned branch may run through it (its fork
                    # would move). The previous newest leaf has no children, and the
                    # lines up to it only the next one of them: those are fine.
                    raise _CannotExtend
        del chain[junction + 1 :]
        state.chain_set.difference_update(dropped)
        for position, entry in enumerate(tail, len(chain)):
            message_id = entry.message_id if entry.kind == ASSISTANT else None
            if message_id:
                if message_id in state.abandoned_message_ids:
                    raise _CannotExtend  # an abandoned branch comes back
                first_changed = min(first_changed, last_in_chain.get(message_id, position))
                last_in_chain[message_id] = position
        chain.extend(tail)
        state.chain_set.update(tail)
        first_line = chain[0].line
        for entry in (*fresh, *dropped):
            if entry in state.chain_set:
                continue
            group = self.projector.sibling_group(entry, first_line, state.chain_set)
            if group is None or group not in last_in_chain:
                continue
            if group in state.abandoned_message_ids:
                raise _CannotExtend
            first_changed = min(first_changed, last_in_chain[group])
        return first_changed

    def _fragments_left(self, junction: int, dropped: list[Entry]) -> dict[str, int]:
        """Message id of each assistant fragment leaving the chain → the position of the
        last fragment of its message that stays (refused if none does: the message
        would leave the conversation)."""
        missing = {e.message_id for e in dropped if e.kind == ASSISTANT and e.message_id}
        found: dict[str, int] = {}
        chain = self.state.chain
        for position in range(junction, -1, -1):
            if not missing:
                break
            entry = chain[position]
            message_id = entry.message_id
            if entry.kind == ASSISTANT and message_id is not None and message_id in missing:
                missing.discard(message_id)
                found[message_id] = position
        if missing:
            raise _CannotExtend
        return found

    def _reselect(self, first_changed: int, fresh: list[Entry]) -> int:
        """Rebuild the selection from chain position ``first_changed``; return the
        position in the selection where it changed."""
        state = self.state
        chain, selected = state.chain, state.selected
        positions = state.chain_positions
        start = positions[first_changed] if first_changed < len(positions) else len(selected)
        first_line = chain[0].line
        members = [e for e in selected[start:] if e not in state.chain_set]
        members.extend(e for e in fresh if e not in state.chain_set)
        members.sort(key=lambda entry: entry.line)
        recovered: dict[int, list[Entry]] = {}
        for entry in members:
            group = self.projector.sibling_group(entry, first_line, state.chain_set)
            position = state.last_in_chain.get(group) if group is not None else None
            if position is None:
                if entry in self.dropped and not entry.is_message:
                    self._unselect(entry)  # off the chain now, and not sent
                    continue
                if entry in state.selected_index:
                    raise _CannotExtend  # a sent message would turn into a branch
                continue
            if position < first_changed:
                raise _CannotExtend
            recovered.setdefault(position, []).append(entry)
        del selected[start:]
        del positions[first_changed:]
        index = state.selected_index
        for position in range(first_changed, len(chain)):
            positions.append(len(selected))
            for entry in (chain[position], *recovered.get(position, ())):
                index[entry] = len(selected)
                selected.append(entry)
        return start

    def _unselect(self, entry: Entry) -> None:
        """Drop a line that is no longer sent (a branch forking there would change)."""
        if any(branch.fork_uuid == entry.uuid for branch in self.state.abandoned):
            raise _CannotExtend
        del self.state.selected_index[entry]

    # ------------------------------------------------------------------ messages

    def _refold(
        self, selection_start: int, fresh: list[Entry]
    ) -> tuple[list[Message], list[ApiErrorRecord]]:
        """Messages from the first one the changed selection touches, on the kept ones."""
        state = self.state
        old_messages = state.messages
        first_message = len(old_messages) - 1 if old_messages else 0
        for entry in fresh:
            if entry.kind == ASSISTANT and entry.message_id in state.assistant_index:
                first_message = min(first_message, state.assistant_index[entry.message_id])
        start = selection_start
        selected, message_of, index = state.selected, state.message_of, state.selected_index
        while True:
            touched = [message_of[e] for e in selected[start:] if e in message_of]
            first_message = min(first_message, min(touched, default=first_message))
            if first_message >= len(old_messages):
                break
            first_origin = old_messages[first_message].origins[0]
            origin_at = index.get(first_origin)  # type: ignore[call-overload]
            if origin_at is None:
                raise _CannotExtend
            if origin_at >= start:
                break
            start = origin_at
        kept = old_messages[:first_message]
        fold = self.projector.new_fold(kept, state.assistant_index)
        try:
            fold.add_all(selected[start:])
        except MergedIntoPrefix as merged:
            raise _CannotExtend from merged
        messages = fold.finish()
        message_of.update(_message_of(messages, first_message))
        state.assistant_index.update(fold.assistant_at)
        api_errors = [
            record
            for record in state.api_errors
            if index.get(record.origin, start) < start  # type: ignore[call-overload]
        ]
        api_errors.extend(fold.api_errors)
        return messages, api_errors

    # ------------------------------------------------------------------ branches

    def _add_branches(self, fresh: list[Entry]) -> None:
        """Branches that start at a new leaf and are not sent (old ones stay as they are)."""
        state = self.state
        claimed: set[Entry] = set()
        selected = state.selected_index
        new_leaves = [entry for entry in fresh if entry.uuid not in state.named]
        for leaf in new_leaves:
            if leaf in selected or leaf in claimed:
                continue
            branch = self.projector.branch_from(leaf, claimed, selected)
            if branch is not None:
                state.abandoned.append(branch)
                members, ids = _branch_members([branch])
                state.abandoned_entries |= members
                state.abandoned_message_ids |= ids

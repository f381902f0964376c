"""Following a Claude Code transcript by its tail: only appended bytes are read, and the
conversation is rebuilt by extending the previous rebuild
(:mod:`inspector.agents.claude_code.tail`).

A session followed for hours need not be held whole. :meth:`TailFollower.forget_settled`
cuts it before a prompt that opens a turn after a finished one (the answer before it
calls no tool, every message before it comes from lines before it), and from then on
holds only the lines from that prompt on: the prompt is the root of what is held. Of the
lines before, it keeps a hash of each id they carry (8 bytes each). A new line that names
one (a uuid written again, a message id, a tool id: a duplicate id, a late result)
reaches back into what was forgotten, and so do a line whose parent is not held (a
rewind; or a parent in no line, after which the walk goes on in file order) and a
compaction (the conversation then starts at its boundary): the file is then read again
whole. So what is rebuilt never differs from a rebuild of the whole file (the tests let
go of every sample and real transcript as they are appended, and compare).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable
from pathlib import Path

from inspector.agents.claude_code import tail
from inspector.agents.claude_code.entries import ASSISTANT, COMPACT_BOUNDARY, USER, Entry
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.agents.claude_code.tail import ProjectionState
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.agent import Followed, Kept
from inspector.core.jsonl import JsonlReader
from inspector.core.model import SERVER_TOOL_USE, TOOL_RESULT, TOOL_USE, Message
from inspector.core.verdict import require_transcript


class TailFollower:
    """One transcript, read as it grows."""

    def __init__(self, path: Path, behaviour: ClaudeCodeBehaviour = NEWEST) -> None:
        self._path = path
        self._behaviour = behaviour
        self._whole()

    def _whole(self) -> None:
        """Hold the whole file, from its first line (nothing read yet)."""
        self._reader = JsonlReader(self._path)
        self._transcript = ClaudeCodeTranscript(self._path)
        self._projection: ProjectionState | None = None
        """The last rebuild, extended as lines are appended."""
        self._kept: Kept | None = None
        self._root: str | None = None
        """The uuid of the first line held, when the start was forgotten."""
        self._forgotten = _Hashes()
        """The ids carried by the lines before :attr:`_kept` (empty: the whole file)."""

    def read(self, *, changed_only: bool) -> Followed | None:
        result = self._reader.read()
        restarted = result.restarted
        if restarted:
            self._transcript.reset()
            self._projection = None
            self._kept, self._forgotten = None, _Hashes()  # the reader is at line 1 again
        transcript = self._transcript
        before, entries_before = transcript.line_count, len(transcript.entries)
        made_up_before = len(transcript.made_up)
        transcript.feed(result.lines)
        if self._kept is not None and not self._holds_alone(entries_before, made_up_before):
            self._whole()  # a line reaches back into what was forgotten
            return self._read_whole()
        # followed live, a file with no line yet is a session just started: wait for it
        require_transcript(transcript, complete=False)
        lines_read = transcript.line_count - before
        if changed_only and not restarted and lines_read == 0:
            return None
        # The extension updates the previous state in place: if it fails for any reason
        # the state is gone, and the next refresh rebuilds in full.
        previous, self._projection = self._projection, None
        conversation, self._projection = tail.project(transcript, previous, self._behaviour)
        return Followed(conversation, restarted, lines_read, self._reader.offset, self._kept)

    def _read_whole(self) -> Followed:
        followed = self.read(changed_only=False)
        assert followed is not None
        return followed

    def _holds_alone(self, entries_from: int, made_up_from: int) -> bool:
        """Whether the lines just read stand without what was forgotten; the first line
        held becomes the root of what is held."""
        transcript = self._transcript
        fresh = transcript.entries[entries_from:]
        if entries_from == 0 and (fresh or transcript.bad_lines):
            root = fresh[0] if fresh else None
            kept = self._kept
            if (
                root is None
                or kept is None
                or root.line != kept.line
                or root.uuid != self._root
                or not (root.parent is None or root.parent in self._forgotten)
            ):
                return False  # the file is not what it was when it was cut
            root.parent = None
        forgotten, held = self._forgotten, transcript.by_uuid
        for entry in fresh:
            if entry.uuid in forgotten or (entry.parent is not None and entry.parent not in held):
                return False  # a parent forgotten, or in no line (the walk goes on in file order)
            if entry.subtype == COMPACT_BOUNDARY:
                return False  # the conversation now starts there: the rest goes
            if entry.message_id is not None and entry.message_id in forgotten:
                return False
            for block in entry.blocks:
                if block.tool_id is not None and block.tool_id in forgotten:
                    return False
        made_up = transcript.made_up[made_up_from:]
        return not any(result.tool_id in forgotten for result in made_up)

    def forget_settled(self, after_line: int) -> Kept | None:
        state = self._projection
        if state is None or not state.extensible:
            return None
        cut = _settled_cut(self._transcript, state, after_line)
        if cut is None:
            return None
        index, root = cut
        transcript = self._transcript
        forgotten = self._forgotten.adding(_ids_before(transcript, root.line))
        messages_before = index + (self._kept.messages_before if self._kept else 0)
        self._reader = JsonlReader(self._path, start=root.offset)
        self._reader.line_count = root.line - 1
        transcript.continue_after(root.line - 1)
        self._projection = None
        self._kept = Kept(root.line, messages_before)
        self._root = root.uuid
        self._forgotten = forgotten
        return self._kept


def _settled_cut(
    transcript: ClaudeCodeTranscript, state: ProjectionState, after_line: int
) -> tuple[int, Entry] | None:
    """The last message that can start what is held, and its first line: a prompt after
    ``after_line`` that follows a finished answer, with every message before it made of
    earlier lines and every message from it on of later ones, and no abandoned branch
    after it (a branch hangs off the lines before)."""
    messages = state.messages
    if len(messages) < 2:
        return None
    earliest_after = _earliest_lines_from(messages)
    latest_before = _latest_lines_before(messages)
    abandoned_after = max(
        (origin.line for branch in state.abandoned for origin in branch.origins), default=0
    )
    for index in range(len(messages) - 1, 0, -1):
        root = messages[index].origins[0]
        if root.line <= after_line or root.line <= abandoned_after:
            return None
        if (
            isinstance(root, Entry)
            and _is_prompt(root)
            and _finished_answer(messages[index - 1])
            and latest_before[index] < root.line
            and earliest_after[index] == root.line
            and _before(transcript, root.parent, root.line)
        ):
            return index, root
    return None


def _before(transcript: ClaudeCodeTranscript, parent: str | None, line: int) -> bool:
    """Whether ``parent`` is no line, or one before ``line``."""
    if parent is None:
        return True
    entry = transcript.by_uuid.get(parent)
    return entry is not None and entry.line < line


def _earliest_lines_from(messages: list[Message]) -> list[int]:
    """For each message, the first line of it and of every message after it."""
    earliest: list[int] = [0] * len(messages)
    lowest = None
    for index in range(len(messages) - 1, -1, -1):
        first = min(origin.line for origin in messages[index].origins)
        lowest = first if lowest is None else min(lowest, first)
        earliest[index] = lowest
    return earliest


def _latest_lines_before(messages: list[Message]) -> list[int]:
    """For each message, the last line of every message before it (0: none)."""
    latest: list[int] = []
    highest = 0
    for message in messages:
        latest.append(highest)
        highest = max(highest, max(origin.line for origin in message.origins))
    return latest


def _is_prompt(entry: Entry) -> bool:
    return entry.kind == USER and not any(block.type == TOOL_RESULT for block in entry.blocks)


def _finished_answer(message: Message) -> bool:
    return message.role == ASSISTANT and not any(
        block.type == TOOL_USE or block.type == SERVER_TOOL_USE for block in message.blocks
    )


def _ids_before(transcript: ClaudeCodeTranscript, line: int) -> Iterable[str]:
    """Every id the lines before ``line`` carry."""
    for entry in transcript.entries:
        if entry.line >= line:
            break
        if entry.uuid is not None:
            yield entry.uuid
        if entry.message_id is not None:
            yield entry.message_id
        for block in entry.blocks:
            if block.tool_id is not None:
                yield block.tool_id
    for made_up in transcript.made_up:
        if made_up.line < line:
            yield made_up.tool_id


class _Hashes:
    """A set of strings kept as their 64-bit hashes, sorted (8 bytes each): a hash shared
    by two strings only ever makes the file be read whole when it need not."""

    __slots__ = ("_sorted",)

    def __init__(self, hashes: array[int] | None = None) -> None:
        self._sorted = hashes if hashes is not None else array("q")

    def __contains__(self, value: object) -> bool:
        if value is None or not self._sorted:
            return False
        wanted = hash(value)
        at = bisect_left(self._sorted, wanted)
        return at < len(self._sorted) and self._sorted[at] == wanted

    def adding(self, values: Iterable[str]) -> _Hashes:
        merged = set(self._sorted)
        merged.update(hash(value) for value in values)
        return _Hashes(array("q", sorted(merged)))

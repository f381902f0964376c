"""Checking a grown Claude Code transcript from where the last check left it.

Claude Code only appends to a transcript, and what the rebuild needs of its lines fits
in a frame of compact JSON (:mod:`.frames`: entries and blocks without content). A
checkpoint keeps that frame for the bytes read; the next read of the grown file decodes
it (a quarter of the time reading those lines takes) and reads only the new bytes. The
transcript it gives is the one a read of the whole file gives (the tests cut every
sample and real transcript at many lines and compare the two).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import orjson

from inspector.agents.claude_code import frames
from inspector.agents.claude_code.read import load_transcript
from inspector.agents.claude_code.releases import NEWEST, ClaudeCodeBehaviour
from inspector.agents.claude_code.transcript import ClaudeCodeTranscript
from inspector.core.agent import Checkpoint, Loaded
from inspector.core.jsonl import JsonlReader
from inspector.core.safe_read import open_regular
from inspector.core.verdict import require_transcript

KEEP_MIN_BYTES = 512 * 1024
"""Below this a file is read again whole: as quick as decoding a checkpoint."""
KEEP_WRITTEN_WITHIN_SECONDS = 24 * 3600.0
"""Only a transcript written this recently gets a checkpoint: a live session, or one just
resumed. Most of a config root is finished sessions, and a checkpoint costs a tenth of
the read (encoding it, and its room in the cache); one that grows again after a day is
read whole once, and has a checkpoint from then on."""
_SEPARATOR = b"\n"
"""Between the entries frame and the last frame (compact JSON holds no line break)."""
_TAIL_BYTES = 4096


def load_from(
    path: Path, checkpoint: Checkpoint | None, behaviour: ClaudeCodeBehaviour = NEWEST
) -> Loaded:
    """Read the transcript (only the bytes after ``checkpoint``, given one), rebuild its
    conversation, and keep a checkpoint of what was read when it is worth keeping."""
    before = os.stat(path)
    transcript = None if checkpoint is None else _continue(path, checkpoint)
    if transcript is None:
        transcript = load_transcript(path)
    require_transcript(transcript)
    conversation = transcript.project(behaviour=behaviour)
    return Loaded(conversation, _keep(path, transcript, before))


def _continue(path: Path, checkpoint: Checkpoint) -> ClaudeCodeTranscript | None:
    """The transcript as the checkpoint left it, plus the lines after it (None: the
    checkpoint cannot be read: the caller reads the whole file)."""
    transcript = ClaudeCodeTranscript(path)
    entries, separator, last = checkpoint.data.partition(_SEPARATOR)
    if not separator:
        return None
    try:
        frames.take_entries(transcript, orjson.loads(entries), 0, {})
        frames.take_last(transcript, orjson.loads(last), 0)
    except frames.FrameError:
        return None
    rest = ClaudeCodeTranscript(path)
    reader = JsonlReader(path, start=checkpoint.size)
    rest.feed(reader.read(final=True).lines)
    # A checkpoint is only kept when the last line counted is not blank (:func:`_keep`):
    # the line count is then the number of lines before the new ones.
    frames.shift(rest, transcript.line_count)
    transcript.absorb(rest)
    return transcript


def _keep(
    path: Path, transcript: ClaudeCodeTranscript, before: os.stat_result
) -> Checkpoint | None:
    """A checkpoint of everything read, if the file did not change while it was read, is
    big and recent enough to be worth one, and ends with a whole line that is not blank."""
    size = before.st_size
    if size < KEEP_MIN_BYTES or time.time() - before.st_mtime > KEEP_WRITTEN_WITHIN_SECONDS:
        return None
    with open_regular(path) as handle:
        after = os.fstat(handle.fileno())
        tail = os.pread(handle.fileno(), min(size, _TAIL_BYTES), size - min(size, _TAIL_BYTES))
    if _stamp(after) != _stamp(before) or not tail.endswith(b"\n"):
        return None
    if not tail[:-1].rsplit(b"\n", 1)[-1].strip():
        return None  # a blank last line is counted by the reader, not by the transcript
    data = frames.entries_frame(transcript) + _SEPARATOR + frames.last_frame(transcript)
    return Checkpoint(size, data)


def _stamp(found: os.stat_result) -> tuple[int, int, int, int]:
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns)

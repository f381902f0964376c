"""The agents the inspector reads, one line each: the only door to them.

Each agent implements :class:`inspector.core.agent.Agent` in its own folder or module.
A file's agent is recognised from its content (:class:`~inspector.core.agent.Sample`:
every agent scores the same sample; the file name only breaks ties between Roo Code and
Cline), or named (``--format``). Shared code asks these functions, never an agent module.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from inspector.agents import (
    anthropic_request,
    bedrock_converse,
    claude_code,
    cline,
    codex,
    gemini_cli,
    gemini_request,
    openai_chat,
    openai_responses,
    roo_code,
)
from inspector.agents.history.agent import DocumentAgent
from inspector.agents.history.document import read_history, request_messages
from inspector.core.agent import (
    Agent,
    Checkpoint,
    Loaded,
    Sample,
    SessionFile,
    is_dir,
    newest_first,
)
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.fields import is_safe_id
from inspector.core.model import Block, Conversation
from inspector.core.resume import Resumed
from inspector.core.safe_read import TooLarge, open_regular
from inspector.core.verdict import NotATranscript

if TYPE_CHECKING:
    from inspector.rewrite.plan import Action, RewritePlan

__all__ = [
    "AGENTS",
    "FORMATS",
    "Agent",
    "NotATranscript",
    "agent_named",
    "detect_format",
    "load_conversation",
    "plan_rewrite",
]

AGENTS: tuple[Agent, ...] = (
    claude_code.AGENT,
    roo_code.AGENT,
    cline.AGENT,
    codex.AGENT,
    anthropic_request.AGENT,
    openai_chat.AGENT,
    openai_responses.AGENT,
    bedrock_converse.AGENT,
    gemini_cli.AGENT,
    gemini_request.AGENT,
)
"""Every agent, in the order ties are broken and names are listed."""
FORMATS: dict[str, Agent] = {agent.name: agent for agent in AGENTS}
FORMAT_NAMES: tuple[str, ...] = tuple(FORMATS)
HOME_AGENT: Agent = AGENTS[0]
"""The agent whose config root the app and ``check`` list project by project."""
_SNIFF_BYTES = 1 << 16


def agent_named(name: str) -> Agent:
    """The agent of a format name. Raises KeyError."""
    return FORMATS[name]


def agent_of(conversation: Conversation) -> Agent:
    return FORMATS[conversation.format]


def detect_format(path: Path) -> str:
    """The format of a history file, recognised from its content. Raises NotATranscript."""
    return recognise(sample_of(path)).name


def sample_of(path: Path) -> Sample:
    """What recognition needs of a file, read once: the whole document only when the
    first line is not one JSON value and the file starts like a JSON document."""
    with open_regular(path) as handle:
        head = handle.read(_SNIFF_BYTES)
    start = head.lstrip()
    if not start:
        return Sample(path, start, None, None)
    try:
        first = orjson.loads(start.split(b"\n", 1)[0])
    except orjson.JSONDecodeError:
        first = None
    messages = request_messages(first)
    if messages is not None or isinstance(first, dict) or start[:1] not in (b"[", b"{"):
        return Sample(path, start, first, messages)
    try:
        history = read_history(path)  # a JSON document over several lines
    except (NotATranscript, TooLarge):
        # Not one document after all: JSON lines whose first line is cut or broken, say.
        # The agents that read lines decide.
        return Sample(path, start, first, None)
    # Responses ``input`` items are no message array: only their own agent reads them.
    return Sample(path, start, first, request_messages(history.document), history)


def recognise(sample: Sample) -> Agent:
    """The agent that scores the sample highest (the first listed, on a tie)."""
    return max(AGENTS, key=lambda agent: agent.recognise(sample))


def load_conversation(
    path: Path, format_name: str | None = None, client: ClientChoice = NEWEST_KNOWN
) -> Conversation:
    """Read a session file and rebuild its conversation, as the client release ``client``
    tells sends it. Raises OSError, or NotATranscript when the file is not a conversation
    (:mod:`inspector.core.verdict` decides)."""
    if format_name:
        if format_name not in FORMATS:
            known = ", ".join(FORMATS)
            raise NotATranscript(path, f"no format named {format_name!r} (known: {known})")
        return FORMATS[format_name].load(path, client=client)
    sample = sample_of(path)
    return recognise(sample).load(path, sample, client)


def load_continued(
    path: Path,
    format_name: str | None,
    checkpoint: Checkpoint | None,
    client: ClientChoice = NEWEST_KNOWN,
) -> tuple[str, Loaded]:
    """Like :func:`load_conversation`, continuing from ``checkpoint`` (kept by an earlier
    read of the same file as ``format_name``) where one is given: the format read as, and
    what was read (with what to continue from next time)."""
    sample = None
    if format_name is None:
        sample = sample_of(path)
        agent = recognise(sample)
    elif format_name in FORMATS:
        agent = FORMATS[format_name]
    else:
        known = ", ".join(FORMATS)
        raise NotATranscript(path, f"no format named {format_name!r} (known: {known})")
    return agent.name, agent.load_from(path, checkpoint, client, sample)


def block_payload(conversation: Conversation, block: Block, cache: dict[int, Any]) -> Any:
    """A block's full JSON as stored in the file (re-read from disk, cached per caller)."""
    return agent_of(conversation).block_payload(conversation.path, block, cache)


def heal_on_resume(conversation: Conversation) -> Resumed | None:
    """What the client sends when it resumes the conversation (None: the history as
    recorded) and what it removed to get there."""
    return agent_of(conversation).heal_on_resume(conversation)


def message_payloads(conversation: Conversation) -> list[Any]:
    """The conversation as the client sends it, with content re-read from disk."""
    return agent_of(conversation).message_payloads(conversation)


def request_body(conversation: Conversation) -> dict[str, list[Any]]:
    """The conversation as the client sends it, under the request field it is sent in
    (``messages``; a Responses request body: ``input``)."""
    agent = agent_of(conversation)
    key = agent.body_key if isinstance(agent, DocumentAgent) else "messages"
    return {key: agent.message_payloads(conversation)}


def session_folders(home_projects: Path) -> list[Path]:
    """Where sessions are written: ``home_projects`` (the home agent's, under the config
    root the front end uses) and the folders every other agent keeps its sessions in."""
    folders = {home_projects}
    folders.update(session.path.parent for session in stored_sessions(besides=HOME_AGENT))
    return sorted(folder for folder in folders if is_dir(folder))


def stored_sessions(
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
    *,
    besides: Agent | None = None,
) -> list[SessionFile]:
    """Every agent's sessions where it keeps them (but ``besides``'), newest first."""
    home = home or Path.home()
    env = os.environ if environ is None else environ
    return newest_first(
        s for agent in AGENTS if agent is not besides for s in agent.sessions(home, env)
    )


def session_title(session: SessionFile) -> str:
    """The title of a listed session, as its agent finds it ("" when none is found).
    Reads the file: call it off the UI thread."""
    agent = next((agent for agent in AGENTS if agent.label == session.agent), None)
    return agent.title(session.path) if agent is not None else ""


def find_stored_session(
    session_id: str, home: Path | None = None, environ: Mapping[str, str] | None = None
) -> Path | None:
    """The file of the session with this id in any agent's storage (the newest, if several
    hold it); None when none does or the id could not name a file."""
    if not is_safe_id(session_id):
        return None
    for session in stored_sessions(home, environ):
        if session.session_id == session_id:
            return session.path
    return None


def plan_rewrite(
    action: Action, path: Path, *, to: str | None = None, line: int | None = None
) -> RewritePlan:
    """Plan a rewind or repair of any supported history, by its agent.

    Writes nothing. Raises RewriteFailed (unreadable, not a history, no usable cut) and
    OSError (the file cannot be opened).
    """
    from inspector.rewrite.plan import Action, RewriteFailed

    try:
        agent = FORMATS[detect_format(path)]
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error
    if action is Action.REWIND:
        return agent.plan_rewind(path, to=to, line=line)
    return agent.plan_repair(path)

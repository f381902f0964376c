"""Capture, fully offline, what the real Claude Code client sends when it resumes a transcript.

How it works (see ``../shared/docs/transcript-format.md``, "Seeing exactly what Claude Code
sends"):

* a temporary ``CLAUDE_CONFIG_DIR`` gets ``projects/<folder>/<sessionId>.jsonl``: a
  byte-for-byte copy of the transcript (Claude Code does not find re-serialised lines), plus
  the transcript's sidecar folder ``<stem>/`` (``subagents/``, ``tool-results/``) copied as
  ``<sessionId>/`` and, for the 2.0.x layout, sibling ``agent-*.jsonl`` files of that session;
* the transcript's ``cwd`` is recreated *under a temporary root* (``/Users/x/p`` becomes
  ``<tmp>/root/Users/x/p``) and ``<folder>`` is derived from that real path. Claude Code looks
  the session up only in the project folder of its own working directory (run from anywhere
  else it answers "No conversation found with session ID") but it does not compare that
  directory with the ``cwd`` written in the entries, so nothing has to be created at the
  original absolute path (some recorded cwds are not even absolute, e.g.
  ``-experiments/worktrees``);
* a loopback HTTP server (127.0.0.1, ephemeral port) records every request and answers
  HTTP 400 with an Anthropic-style JSON error, so the client gives up after one call;
* ``claude -p --resume <sessionId> --no-session-persistence ping`` runs in a scrubbed
  environment (temporary ``HOME``, ``ANTHROPIC_BASE_URL`` pointing at the server, a dummy
  key, non-essential traffic disabled, no proxy variables inherited), stdin at EOF, and a
  timeout after which its whole process group is killed.

The conversation is the first ``POST /v1/messages`` whose last user message carries the
prompt. Claude Code 2.1.197 sends a ``HEAD /`` connectivity probe first and then exactly one
``POST /v1/messages?beta=true``; a capture takes about one second.

Stdlib only, plus orjson.
"""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "CaptureError",
    "CapturedRequest",
    "ClaudeRun",
    "RecordedRequest",
    "TranscriptInfo",
    "capture_resume_request",
    "find_claude",
    "project_folder_name",
    "read_transcript_info",
    "tool_counts",
    "tool_structure",
]

#: Block types that open a tool call.
TOOL_USE_TYPES = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})

#: Marker Claude Code prints when it cannot find (or finds nothing to resume in) a session.
NO_CONVERSATION_MARKER = "No conversation found"

_FOLDER_UNSAFE = re.compile(r"[^A-Za-z0-9]")
_PATH_PART_UNSAFE = re.compile(r"[^A-Za-z0-9._ @+=,-]")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_MAX_FOLDER_LEN = 200

ToolStructure = list[tuple[str, tuple[tuple[str, str], ...]]]


# --------------------------------------------------------------------------------------------
# Locating the binary


def find_claude() -> str | None:
    """The Claude Code binary: ``$INSPECTOR_CLAUDE_BIN`` if set, else ``claude`` on PATH."""
    explicit = os.environ.get("INSPECTOR_CLAUDE_BIN")
    if explicit:
        return explicit
    return shutil.which("claude")


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the client made to the loopback server."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def route(self) -> str:
        """The path without its query string (``/v1/messages?beta=true`` -> ``/v1/messages``)."""
        return self.path.split("?", 1)[0]

    def json(self) -> Any:
        """The body decoded as JSON, or None when it is empty or not JSON."""
        if not self.body:
            return None
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def summary(self) -> str:
        return f"{self.method} {self.path} ({len(self.body)} bytes)"


@dataclass
class ClaudeRun:
    """Diagnostics of one ``claude --resume`` run."""

    argv: list[str]
    cwd: str
    session_id: str
    transcript_copy: str
    returncode: int | None
    timed_out: bool
    elapsed: float
    stdout: str
    stderr: str
    requests: list[RecordedRequest] = field(default_factory=list)

    @property
    def paths(self) -> list[str]:
        """``METHOD path`` of every request seen, in arrival order."""
        return [f"{r.method} {r.path}" for r in self.requests]

    @property
    def no_conversation(self) -> bool:
        """Claude Code said it found no conversation for the session id."""
        return NO_CONVERSATION_MARKER in self.stdout or NO_CONVERSATION_MARKER in self.stderr

    def describe(self) -> str:
        lines = [
            f"command: {' '.join(self.argv)}",
            f"cwd: {self.cwd}",
            f"session id: {self.session_id}",
            f"exit code: {self.returncode}" + (" (timed out, killed)" if self.timed_out else ""),
            f"elapsed: {self.elapsed:.1f}s",
            "requests: " + (", ".join(r.summary() for r in self.requests) or "none"),
            "stdout: " + _clip(self.stdout),
            "stderr: " + _clip(self.stderr),
        ]
        return "\n".join(lines)


@dataclass
class CapturedRequest:
    """The ``/v1/messages`` body Claude Code built from the resumed transcript."""

    body: dict[str, Any]
    run: ClaudeRun
    request: RecordedRequest

    @property
    def messages(self) -> list[dict[str, Any]]:
        messages = self.body.get("messages")
        return messages if isinstance(messages, list) else []

    @property
    def paths(self) -> list[str]:
        return self.run.paths

    @property
    def stderr(self) -> str:
        return self.run.stderr

    @property
    def returncode(self) -> int | None:
        return self.run.returncode


class CaptureError(RuntimeError):
    """Nothing usable was captured; ``run`` holds the diagnostics."""

    def __init__(self, message: str, run: ClaudeRun | None = None) -> None:
        detail = f"{message}\n{run.describe()}" if run is not None else message
        super().__init__(detail)
        self.reason = message
        self.run = run

    @property
    def no_conversation(self) -> bool:
        """Claude Code answered "No conversation found" (e.g. a file without messages)."""
        return self.run is not None and self.run.no_conversation


def _clip(text: str, limit: int = 2000) -> str:
    text = text.strip()
    if not text:
        return "(empty)"
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} more chars]"


# --------------------------------------------------------------------------------------------
# Reading the transcript


@dataclass(frozen=True)
class TranscriptInfo:
    """What the capture needs from a transcript: the first ``sessionId`` and ``cwd``."""

    session_id: str | None
    cwd: str | None


def read_transcript_info(transcript: Path) -> TranscriptInfo:
    """First ``sessionId`` and first ``cwd`` found in the transcript's lines (lenient)."""
    session_id: str | None = None
    cwd: str | None = None
    with transcript.open("rb") as fh:
        for raw in fh:
            if session_id is not None and cwd is not None:
                break
            if b'"sessionId"' not in raw and b'"cwd"' not in raw:
                continue
            try:
                entry = orjson.loads(raw)
            except orjson.JSONDecodeError:
                continue
            if not isinstance(entry, dict):
                continue
            sid = entry.get("sessionId")
            if session_id is None and isinstance(sid, str) and sid:
                session_id = sid
            entry_cwd = entry.get("cwd")
            if cwd is None and isinstance(entry_cwd, str) and entry_cwd:
                cwd = entry_cwd
    return TranscriptInfo(session_id=session_id, cwd=cwd)


def project_folder_name(cwd: str) -> str:
    """Claude Code's project folder for an absolute cwd (short paths only, no hash suffix)."""
    return _FOLDER_UNSAFE.sub("-", cwd)


def _mirror_cwd(root: Path, cwd: str | None) -> Path:
    """``cwd`` recreated under ``root`` (``/a/b`` -> ``root/a/b``); ``root/cwd`` without one."""
    if not cwd:
        return root / "cwd"
    parts = [
        _PATH_PART_UNSAFE.sub("-", part)
        for part in re.split(r"[\\/]+", cwd)
        if part not in ("", ".", "..")
    ]
    return root.joinpath(*parts) if parts else root / "cwd"


def _session_siblings(transcript: Path, session_id: str) -> list[Path]:
    """2.0.x project-level ``agent-*.jsonl`` files next to the transcript, of this session."""
    found: list[Path] = []
    for sibling in sorted(transcript.parent.glob("agent-*.jsonl")):
        if sibling == transcript:
            continue
        with contextlib.suppress(OSError):
            if read_transcript_info(sibling).session_id == session_id:
                found.append(sibling)
    return found


# --------------------------------------------------------------------------------------------
# The loopback server


_ERROR_BODY = orjson.dumps(
    {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "message": "inspector capture server: request recorded, not answered",
        },
    }
)


class _RecordingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.recorded: list[RecordedRequest] = []
        self.lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def handle_error(self, request: Any, client_address: Any) -> None:
        # 2.0.x resets its idle keep-alive connections when it exits: not worth a traceback.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _RecordingHandler(http.server.BaseHTTPRequestHandler):
    server: _RecordingServer
    protocol_version = "HTTP/1.1"

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size_line = self.rfile.readline()
                size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        body = self._read_body() if self.command != "HEAD" else b""
        request = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k: v for k, v in self.headers.items()},
            body=body,
        )
        with self.server.lock:
            self.server.recorded.append(request)
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(_ERROR_BODY)))
        self.send_header("request-id", "req_inspector_capture")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(_ERROR_BODY)

    do_POST = _handle
    do_GET = _handle
    do_HEAD = _handle
    do_PUT = _handle
    do_PATCH = _handle
    do_DELETE = _handle
    do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def serving(server: http.server.HTTPServer, name: str) -> Iterator[None]:
    """Run ``server`` in a daemon thread for the ``with`` block, then shut it down."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def _recording_server() -> Iterator[_RecordingServer]:
    server = _RecordingServer()
    with serving(server, "claude-capture"):
        yield server


# --------------------------------------------------------------------------------------------
# Running Claude Code


def _scrubbed_env(home: Path, config: Path, tmp: Path, cwd: Path, port: int) -> dict[str, str]:
    """A from-scratch environment: nothing of the caller's Anthropic/Claude/proxy settings."""
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(home),
        "USERPROFILE": str(home),
        "TMPDIR": str(tmp),
        "PWD": str(cwd),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "CLAUDE_CONFIG_DIR": str(config),
        "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ANTHROPIC_API_KEY": "dummy",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "DISABLE_TELEMETRY": "1",
        "DISABLE_ERROR_REPORTING": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }


def _run(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], timeout: float
) -> tuple[int | None, bool, str, str]:
    """Run ``argv`` in its own process group; kill the whole group on timeout."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    return (
        proc.returncode,
        timed_out,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
    )


def _last_user_text(body: Mapping[str, Any]) -> str:
    messages = body.get("messages")
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if not isinstance(message, dict) or message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, str):
            return content
        if isinstance(content, list):
            return "\n".join(
                str(b.get("text", ""))
                for b in content
                if isinstance(b, dict) and b.get("type") == "text"
            )
        return ""
    return ""


def _pick_conversation(
    requests: Sequence[RecordedRequest], prompt: str
) -> tuple[RecordedRequest, dict[str, Any]] | None:
    """First ``POST /v1/messages`` whose last user message carries ``prompt``.

    Falls back to the first ``/v1/messages`` body with a ``messages`` list (other requests,
    such as ``count_tokens`` or small title/quota calls, are never picked).
    """
    candidates: list[tuple[RecordedRequest, dict[str, Any]]] = []
    for request in requests:
        if request.method != "POST" or request.route != "/v1/messages":
            continue
        body = request.json()
        if isinstance(body, dict) and isinstance(body.get("messages"), list):
            candidates.append((request, body))
    for request, body in candidates:
        if prompt in _last_user_text(body):
            return request, body
    return candidates[0] if candidates else None


def capture_resume_request(
    transcript: Path,
    *,
    claude_bin: str,
    timeout: float = 60,
    session_id: str | None = None,
    prompt: str = "ping",
    extra_args: Sequence[str] = (),
    keep_dir: Path | None = None,
    configure: Callable[[Path], None] | None = None,
) -> CapturedRequest:
    """Resume ``transcript`` with the real Claude Code, offline, and return what it sent.

    ``session_id`` defaults to the first ``sessionId`` in the file's lines, else the file's
    stem when it is a UUID; the copy is named ``<session_id>.jsonl`` whatever the original
    name (``full.jsonl`` checkpoints). ``keep_dir``: do the work there and leave it in place
    (for debugging) instead of a deleted temporary directory. ``configure``: called with the
    client's config folder before it starts (to install hooks there, say).

    Raises ``CaptureError`` (``.run`` holds stdout, stderr, exit code and every request
    seen; ``.no_conversation`` tells "No conversation found") when no conversation request
    arrived, and ``ValueError`` when no session id can be determined.
    """
    transcript = Path(transcript)
    info = read_transcript_info(transcript)
    sid = session_id or info.session_id
    if sid is None and _UUID.match(transcript.stem):
        sid = transcript.stem
    if not sid:
        raise ValueError(f"{transcript}: no sessionId in its lines; pass session_id=")

    with contextlib.ExitStack() as stack:
        if keep_dir is None:
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cc-capture-")))
        else:
            work = Path(keep_dir)
            work.mkdir(parents=True, exist_ok=True)
        work = work.resolve()
        home, config, tmp = work / "home", work / "config", work / "tmp"
        for directory in (home, config, tmp):
            directory.mkdir(parents=True, exist_ok=True)
        if configure is not None:
            configure(config)

        cwd = _mirror_cwd(work / "root", info.cwd)
        cwd.mkdir(parents=True, exist_ok=True)
        cwd = cwd.resolve()
        if len(project_folder_name(str(cwd))) > _MAX_FOLDER_LEN:
            # Long folder names get a hash suffix we do not reproduce: use a short cwd.
            cwd = work / "cwd"
            cwd.mkdir(exist_ok=True)
        project = config / "projects" / project_folder_name(str(cwd))
        project.mkdir(parents=True, exist_ok=True)

        copy = project / f"{sid}.jsonl"
        shutil.copyfile(transcript, copy)
        sidecar = transcript.parent / transcript.stem
        if sidecar.is_dir():
            shutil.copytree(sidecar, project / sid, dirs_exist_ok=True)
        for sibling in _session_siblings(transcript, sid):
            shutil.copyfile(sibling, project / sibling.name)

        argv = [claude_bin, "-p", "--resume", sid, "--no-session-persistence", *extra_args]
        argv.append(prompt)
        with _recording_server() as server:
            env = _scrubbed_env(home, config, tmp, cwd, server.port)
            started = time.monotonic()
            returncode, timed_out, stdout, stderr = _run(argv, cwd, env, timeout)
            elapsed = time.monotonic() - started
            with server.lock:
                recorded = list(server.recorded)

        run = ClaudeRun(
            argv=argv,
            cwd=str(cwd),
            session_id=sid,
            transcript_copy=str(copy),
            returncode=returncode,
            timed_out=timed_out,
            elapsed=elapsed,
            stdout=stdout,
            stderr=stderr,
            requests=recorded,
        )
        picked = _pick_conversation(recorded, prompt)
        if picked is None:
            if run.no_conversation:
                reason = f"Claude Code found no conversation to resume in {transcript}"
            elif timed_out:
                reason = f"claude timed out after {timeout:g}s without sending a conversation"
            else:
                reason = f"no /v1/messages request captured for {transcript}"
            raise CaptureError(reason, run)
        request, body = picked
        return CapturedRequest(body=body, run=run, request=request)


# --------------------------------------------------------------------------------------------
# Normalisation for comparisons


def _block_pair(block: object) -> tuple[str, str] | None:
    if not isinstance(block, dict):
        return None
    kind = block.get("type")
    if not isinstance(kind, str):
        return None
    if kind in TOOL_USE_TYPES:
        return kind, str(block.get("id"))
    if kind == "tool_result" or kind.endswith("_tool_result"):
        return kind, str(block.get("tool_use_id"))
    return None


def tool_structure(messages: list[dict[str, Any]]) -> ToolStructure:
    """Tool-call skeleton of a conversation, to compare two of them message for message.

    For each message that contains at least one tool block: its role and the ordered
    ``(block type, tool id)`` pairs of its ``tool_use`` / ``server_tool_use`` /
    ``mcp_tool_use`` blocks (``id``) and ``tool_result`` / ``*_tool_result`` blocks
    (``tool_use_id``). Everything else is normalised away, because Claude Code adds or
    reshapes it at resume without touching tool calls (observed with 2.1.197 on every
    transcript in ``../shared/realworld``):

    * text, thinking, image and document blocks, and string contents: the last user turn
      carries Claude Code's ``<system-reminder>`` blocks (date, agent types, skills) and the
      new prompt ``ping``, merged into the last user message when the transcript ends on
      one; the first user message gets a ``currentDate`` reminder; ``local_command`` output
      and interrupt markers become text;
    * messages without tool blocks, e.g. ``role: "system"`` environment notes (and the
      empty system message sent for 1.0.x subtype-less ``system`` lines), the synthetic
      ``"Continue from where you left off."`` user text and ``"No response requested."``
      assistant reply Claude Code inserts when a transcript ends on an interrupted turn,
      and the ``ping`` turn itself. Keeping them would compare Claude Code's prompt
      scaffolding, which changes between releases, not the reconstruction.

    Nothing about tool calls is normalised: ids, block order inside a message, which
    message (and role) a block is in, and the order of those messages all stay, so a
    parallel batch split over two messages, a result moved to another user turn, results in
    a different order, a dropped call or an extra orphan all show up as differences.
    Messages are not merged after dropping, so two adjacent same-role entries stay visible.
    """
    structure: ToolStructure = []
    for message in messages:
        content = message.get("content")
        if not isinstance(content, list):
            continue
        pairs = tuple(pair for pair in map(_block_pair, content) if pair is not None)
        if pairs:
            structure.append((str(message.get("role")), pairs))
    return structure


def tool_counts(messages: list[dict[str, Any]]) -> tuple[int, int]:
    """(tool-use blocks, tool-result blocks) in ``messages``."""
    uses = results = 0
    for _role, pairs in tool_structure(messages):
        for kind, _id in pairs:
            if kind in TOOL_USE_TYPES:
                uses += 1
            else:
                results += 1
    return uses, results

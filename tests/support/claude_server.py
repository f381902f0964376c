"""A scripted loopback server that plays the Anthropic Messages API for the real Claude Code.

Each ``POST /v1/messages`` that carries ``tools`` (a turn of the conversation) takes the next
``Reply`` of the script; other requests (side calls such as titles or quota checks, ``HEAD``
probes, ``count_tokens``) get a short ``end_turn`` text and are recorded too. When the script
is used up, every further turn gets ``FALLBACK`` (an ``end_turn`` text), so the client stops.

A reply is streamed as server-sent events when the request says ``"stream": true`` and sent as
one JSON message otherwise. Replies:

* ``Turn(blocks, stop_reason)``: an assistant message; blocks are ``text(...)`` and
  ``tool_use(...)`` dicts; ``cut_after`` ends the stream (connection closed, no
  ``message_stop``) after that many blocks;
* ``ApiError(status, message)``: the Anthropic error body
  ``{"type":"error","error":{"type":"invalid_request_error","message":...}}``.

Stdlib only, plus orjson. Used by ``scripts/provoke_claude.py`` and
``tests/claude/test_client_writes.py``.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tests.support.claude_capture import RecordedRequest, _scrubbed_env, serving

__all__ = [
    "FALLBACK",
    "ApiError",
    "ClientRun",
    "Interrupt",
    "Reply",
    "ScriptedServer",
    "Turn",
    "client_dirs",
    "r1_text",
    "r2_text",
    "r5_text",
    "run_client",
    "scripted_server",
    "text",
    "tool_use",
]

MODEL = "claude-sonnet-4-5-20250929"


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def tool_use(tool_id: str, name: str, **tool_input: Any) -> dict[str, Any]:
    return {"type": "tool_use", "id": tool_id, "name": name, "input": tool_input}


@dataclass(frozen=True)
class Turn:
    """An assistant message.

    ``cut_after``: stream only that many blocks, then wait ``hold`` seconds (the client sees a
    stalled response) and close the connection without ``message_stop``; with ``cut_inside``
    the next block is opened and half its input sent before that.
    """

    blocks: Sequence[dict[str, Any]]
    stop_reason: str = "end_turn"
    cut_after: int | None = None
    hold: float = 0.0
    cut_inside: bool = False


@dataclass(frozen=True)
class ApiError:
    status: int
    message: str
    error_type: str = "invalid_request_error"

    def body(self) -> bytes:
        error = {"type": self.error_type, "message": self.message}
        return orjson.dumps({"type": "error", "error": error})


Reply = Turn | ApiError

FALLBACK = Turn([text("done")])


# The API's own wordings (../shared/docs/api-rules.md), for ApiError messages.
def r1_text(index: int, *ids: str) -> str:
    return (
        f"messages.{index}: `tool_use` ids were found without `tool_result` blocks immediately "
        f"after: {', '.join(ids)}. Each `tool_use` block must have a corresponding "
        "`tool_result` block in the next message."
    )


def r2_text(index: int, content: int, tool_id: str) -> str:
    return (
        f"messages.{index}.content.{content}: unexpected `tool_use_id` found in `tool_result` "
        f"blocks: {tool_id}. Each `tool_result` block must have a corresponding `tool_use` "
        "block in the previous message."
    )


def r5_text(index: int, content: int) -> str:
    return f"messages.{index}.content.{content}: `tool_use` ids must be unique"


@dataclass
class _Script:
    replies: list[Reply]
    then: Reply
    served: list[tuple[RecordedRequest, Reply]] = field(default_factory=list)

    def next_reply(self, request: RecordedRequest) -> Reply:
        reply = self.replies.pop(0) if self.replies else self.then
        self.served.append((request, reply))
        return reply


class ScriptedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, replies: Sequence[Reply], then: Reply = FALLBACK) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.script = _Script(list(replies), then)
        self.recorded: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self._ids = itertools.count(1)

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def turns(self) -> list[tuple[RecordedRequest, Reply]]:
        """Every conversation turn request with the reply it got, in order."""
        with self.lock:
            return list(self.script.served)

    def turn_bodies(self) -> list[dict[str, Any]]:
        return [body for r, _ in self.turns if isinstance(body := r.json(), dict)]

    def message_id(self) -> str:
        """Unique across servers too, as the API's are: a resumed session is served by a new
        server, and a repeated id would make its reply a fragment of an earlier message."""
        return f"msg_scripted{next(self._ids):04d}_{uuid.uuid4().hex[:12]}"


def _is_turn(request: RecordedRequest, body: Any) -> bool:
    return (
        request.method == "POST"
        and request.route == "/v1/messages"
        and isinstance(body, dict)
        and bool(body.get("tools"))
    )


def _sse(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def _usage(output: int = 1) -> dict[str, int]:
    return {
        "input_tokens": 10,
        "output_tokens": output,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


class _Handler(http.server.BaseHTTPRequestHandler):
    server: ScriptedServer
    protocol_version = "HTTP/1.1"

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        body = self._read_body() if self.command != "HEAD" else b""
        request = RecordedRequest(self.command, self.path, dict(self.headers.items()), body)
        decoded = request.json()
        with self.server.lock:
            self.server.recorded.append(request)
            if _is_turn(request, decoded):
                reply: Reply = self.server.script.next_reply(request)
            else:
                reply = FALLBACK
        if request.route != "/v1/messages" or self.command != "POST":
            self._send_json(200, b"{}")
            return
        if isinstance(reply, ApiError):
            self._send_json(reply.status, reply.body())
            return
        # Answer as the model asked for, so the client has no retired model to complain about.
        model = decoded.get("model") if isinstance(decoded, dict) else None
        model = model if isinstance(model, str) else MODEL
        if isinstance(decoded, dict) and decoded.get("stream"):
            self._stream(reply, model)
        else:
            self._send_json(200, orjson.dumps(self._message(reply, reply.blocks, model)))

    def _message(self, reply: Turn, blocks: Sequence[dict[str, Any]], model: str) -> dict[str, Any]:
        return {
            "id": self.server.message_id(),
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": list(blocks),
            "stop_reason": reply.stop_reason,
            "stop_sequence": None,
            "usage": _usage(5),
        }

    def _send_json(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("request-id", "req_scripted")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _stream(self, reply: Turn, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("request-id", "req_scripted")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        start = self._message(reply, [], model)
        start["stop_reason"] = None
        self.wfile.write(_sse("message_start", {"type": "message_start", "message": start}))
        for index, block in enumerate(reply.blocks):
            if reply.cut_after is not None and index >= reply.cut_after:
                if reply.cut_inside:
                    self.wfile.write(b"".join(_block_events(index, block, half=True)))
                    self.wfile.flush()
                break
            self.wfile.write(b"".join(_block_events(index, block)))
            self.wfile.flush()
        if reply.cut_after is not None:
            time.sleep(reply.hold)
            return
        delta = {"stop_reason": reply.stop_reason, "stop_sequence": None}
        self.wfile.write(
            _sse("message_delta", {"type": "message_delta", "delta": delta, "usage": _usage(5)})
        )
        self.wfile.write(_sse("message_stop", {"type": "message_stop"}))
        self.wfile.flush()

    do_POST = _handle
    do_GET = _handle
    do_HEAD = _handle

    def log_message(self, format: str, *args: Any) -> None:
        return


def _block_events(index: int, block: dict[str, Any], half: bool = False) -> Iterator[bytes]:
    """The events of one content block; ``half``: its start and half its content, no stop."""
    if block["type"] == "tool_use":
        opening = {**block, "input": {}}
        partial = orjson.dumps(block["input"]).decode()
        partial = partial[: len(partial) // 2] if half else partial
        delta = {"type": "input_json_delta", "partial_json": partial}
    else:
        opening = {"type": "text", "text": ""}
        partial = block["text"][: len(block["text"]) // 2] if half else block["text"]
        delta = {"type": "text_delta", "text": partial}
    yield _sse(
        "content_block_start",
        {"type": "content_block_start", "index": index, "content_block": opening},
    )
    yield _sse(
        "content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta}
    )
    yield _sse("content_block_stop", {"type": "content_block_stop", "index": index})


@contextlib.contextmanager
def scripted_server(replies: Sequence[Reply], then: Reply = FALLBACK) -> Iterator[ScriptedServer]:
    server = ScriptedServer(replies, then)
    with serving(server, "claude-scripted"):
        yield server


# --------------------------------------------------------------------------------------------
# Running the client against the script


@dataclass(frozen=True)
class Interrupt:
    """Send ``signal`` to the client ``delay`` seconds after it got turn number ``after_turn``."""

    signal: int
    after_turn: int = 1
    delay: float = 1.5


@dataclass
class ClientRun:
    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    config: Path
    debug_log: str
    turns: list[tuple[RecordedRequest, Reply]]

    def transcripts(self) -> list[Path]:
        """Every transcript the client wrote under ``config/projects`` (subagents included)."""
        return sorted((self.config / "projects").rglob("*.jsonl"))

    def turn_messages(self) -> list[list[dict[str, Any]]]:
        """The ``messages`` of each conversation turn the client sent, in order."""
        found: list[list[dict[str, Any]]] = []
        for request, _ in self.turns:
            body = request.json()
            messages = body.get("messages") if isinstance(body, dict) else None
            found.append(messages if isinstance(messages, list) else [])
        return found


def client_dirs(work: Path) -> tuple[Path, Path, Path, Path]:
    """``home``, ``config``, ``tmp`` and ``cwd`` under ``work`` (created)."""
    dirs = tuple(work / name for name in ("home", "config", "tmp", "cwd"))
    for directory in dirs:
        directory.mkdir(parents=True, exist_ok=True)
    return dirs[0], dirs[1], dirs[2], dirs[3].resolve()


def run_client(
    claude_bin: str,
    work: Path,
    replies: Sequence[Reply],
    *,
    prompt: str,
    then: Reply = FALLBACK,
    resume: str | None = None,
    interrupt: Interrupt | None = None,
    tools: str = "Bash,Read",
    timeout: float = 90,
) -> ClientRun:
    """Run ``claude -p`` (with session persistence) in ``work`` against a scripted server.

    The transcript goes to ``work/config/projects/<cwd folder>/``; ``resume`` continues the
    session of that id found there. The debug log (``--debug-file``) is returned whole.
    """
    home, config, tmp, cwd = client_dirs(work)
    debug = work / f"debug-{len(list(work.glob('debug-*.txt')))}.txt"
    argv = [claude_bin, "-p", f"--allowedTools={tools}", "--debug-file", str(debug)]
    if resume is not None:
        argv += ["--resume", resume]
    argv.append(prompt)
    with scripted_server(replies, then) as server:
        env = _scrubbed_env(home, config, tmp, cwd, server.port)
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            if interrupt is not None:
                _interrupt_when_due(proc, server, interrupt, timeout)
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            out, err = b"", b"(timed out)"
        finally:
            # The client's children (a running Bash tool) may outlive it: end its group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            if proc.returncode is None:
                more_out, more_err = proc.communicate()
                out, err = out + more_out, err + more_err
        turns = server.turns
    return ClientRun(
        argv=argv,
        returncode=proc.returncode,
        stdout=out.decode("utf-8", "replace"),
        stderr=err.decode("utf-8", "replace"),
        config=config,
        debug_log=debug.read_text("utf-8", "replace") if debug.exists() else "",
        turns=turns,
    )


def _interrupt_when_due(
    proc: subprocess.Popen[bytes], server: ScriptedServer, interrupt: Interrupt, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while len(server.turns) < interrupt.after_turn and proc.poll() is None:
        if time.monotonic() > deadline:
            return
        time.sleep(0.05)
    time.sleep(interrupt.delay)
    if proc.poll() is None:
        proc.send_signal(interrupt.signal)

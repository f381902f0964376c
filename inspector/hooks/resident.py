"""A running ``inspector watch`` answers hooks: the fast path of ``inspector hook``.

A hook runs in a fresh process on every ``Stop``: reading a 100 MB transcript again (even
from its checkpoint) takes most of a second there. ``inspector watch`` already follows the
session by its tail, so it listens on a Unix socket in the cache folder, and the hook hands
it its input and prints its answer; the hook's process then imports nothing of the
inspector but this module (standard library only) and :mod:`inspector.core.cache_folder`.
Without a watcher (or where Unix sockets do not exist) the hook answers on its own.

The socket is in the user's own cache folder; the protocol is one request per
connection: the hook input, the writer's end shut, then the answer (a JSON object, ``{}``
for nothing to say) until the end.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Final

from inspector.core.cache_folder import cache_root

SOCKET_NAME: Final = "watch.sock"
_PATH_LIMIT = 100
"""Unix socket paths are limited (108 bytes on Linux, 104 on macOS)."""
REQUEST_LIMIT: Final = 1 << 20
ANSWER_WAIT: Final = 20.0
"""Seconds the hook waits for a watcher's answer (a session it does not follow yet is
read whole first)."""
_READ_WAIT = 1.0
"""Seconds the watcher waits for a hook to send its input."""


def socket_path() -> Path | None:
    """Where a watcher listens (None: no Unix sockets here, or a path too long for one)."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    path = cache_root() / SOCKET_NAME
    return path if len(os.fsencode(path)) <= _PATH_LIMIT else None


def ask(request: bytes, path: Path | None = None, wait: float = ANSWER_WAIT) -> bytes | None:
    """The watcher's answer to a hook input (None: no watcher answered)."""
    path = path or socket_path()
    if path is None:
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(wait)
            client.connect(os.fspath(path))
            client.sendall(request)
            client.shutdown(socket.SHUT_WR)
            return _read_all(client, REQUEST_LIMIT)
    except OSError:
        return None


class HookServer:
    """The listening end, in the watcher's loop (never blocking it for long)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._socket.setblocking(False)

    @classmethod
    def start(cls, path: Path | None = None) -> HookServer | None:
        """Listen, unless another watcher does (None: not serving)."""
        path = path or socket_path()
        if path is None:
            return None
        if _listening(path):
            return None  # another watcher answers
        server = cls(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()  # left by a watcher that is gone
            server._socket.bind(os.fspath(path))
            os.chmod(path, 0o600)
            server._socket.listen(16)
        except OSError:
            server._socket.close()
            return None
        return server

    def fileno(self) -> int:
        return self._socket.fileno()

    def serve_waiting(self, handle: Callable[[bytes], bytes]) -> int:
        """Answer every hook waiting now; how many."""
        served = 0
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:  # none waiting (BlockingIOError), or the socket is gone
                return served
            with connection:
                try:
                    connection.settimeout(_READ_WAIT)
                    request = _read_all(connection, REQUEST_LIMIT)
                    if request:  # empty: another watcher making sure we are here
                        connection.sendall(handle(request))
                except OSError:
                    pass
            served += 1

    def close(self) -> None:
        self._socket.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def _listening(path: Path) -> bool:
    """Whether a process accepts connections there (a busy one too: it may be reading
    a big session, and answers when it is done)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True


def _read_all(connection: socket.socket, limit: int) -> bytes:
    """Until the other end shuts its side (each read waits the socket's timeout)."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = connection.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)

"""The console script and ``python -m inspector``.

``inspector hook`` runs on every ``Stop`` of every session: it first hands its input to a
running ``inspector watch`` (:mod:`inspector.hooks.resident`), importing nothing else of
the inspector, and only without one answers on its own. Every other command goes to
:mod:`inspector.cli`.
"""

from __future__ import annotations

import io
import os
import sys
from typing import NoReturn


def entry() -> NoReturn:
    if sys.argv[1:] == ["hook"]:
        _hook()
    from inspector.cli import entry as command_line

    command_line()


def _hook() -> NoReturn:
    from inspector.hooks.resident import REQUEST_LIMIT, ask

    request = sys.stdin.buffer.read(REQUEST_LIMIT)
    answer = ask(request)
    if answer is not None:
        if answer.strip() not in (b"", b"{}"):
            sys.stdout.buffer.write(answer + b"\n")
        code = 0
    else:
        from inspector.cli.hook import run_hook

        code = run_hook(io.BytesIO(request), sys.stdout)
    sys.stdout.flush()
    os._exit(code)

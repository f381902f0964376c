"""``inspector hook``: Claude Code's hook input on stdin, our answer on stdout.

A hook must never get in the way of the user's work: whatever goes wrong here (no
input, a transcript that cannot be read, a bug) ends quietly, with exit 1, which Claude
Code treats as a non-blocking error; exit 2 (which would block) is never used.
"""

from __future__ import annotations

import os
import sys
from typing import BinaryIO, TextIO

import orjson

from inspector.batch import FileChecker, Settings
from inspector.core.cache_folder import cache_root
from inspector.core.client import ClientChoice
from inspector.core.safe_text import one_line
from inspector.hooks.respond import STATE_FOLDER, HookInput, answer

INPUT_LIMIT = 1 << 20
"""A hook input is a few hundred bytes; more is not one."""


def run_hook(stdin: BinaryIO, stdout: TextIO) -> int:
    try:
        hook = HookInput.parse(stdin.read(INPUT_LIMIT))
        if hook is None:
            return 0  # not an event we answer: nothing to say
        root = cache_root()
        checker = FileChecker(Settings(client=ClientChoice(environ=os.environ), cache_root=root))
        reply = answer(hook, checker, root / STATE_FOLDER)
        if reply is not None:
            stdout.write(orjson.dumps(reply.wire(hook.event)).decode() + "\n")
        return 0
    except Exception as error:  # never a traceback in the user's session
        print(
            f"inspector hook: {one_line(f'{type(error).__name__}: {error}', 300)}", file=sys.stderr
        )
        return 1

"""Whether a process may still be running, for guards that must err on the safe side."""

from __future__ import annotations

import os


def may_be_running(pid: int) -> bool:
    """False only when process ``pid`` is known not to exist here; True when it exists, is
    another user's, or cannot be asked (Windows: ``os.kill(pid, 0)`` would end it; a pid
    this OS cannot even represent raises OverflowError)."""
    if pid <= 0:
        return False
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):
        return True
    return True

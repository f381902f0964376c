"""Rewind and repair of a history its agent reads whole or line by line: Roo Code,
Cline, raw requests (:mod:`inspector.agents.history.arrays`), Codex CLI rollouts
(:mod:`inspector.agents.codex.rewrite`).

:func:`inspector.agents.plan_rewrite` is the one entry point: it asks the file's agent,
which reads its history into a :class:`~inspector.agents.history.plan.HistorySource` and
plans with :func:`plan_history_rewind` / :func:`plan_history_repair`. Every plan is applied
by :func:`inspector.rewrite.plan.apply` (staged write, fsync, read back and re-checked with
:func:`inspector.check.check_file`, atomic rename; ``in_place`` after a backup); a
:class:`~inspector.agents.history.plan.HistoryPlan` only says which bytes to write, where,
and how to check them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from inspector.agents.history.fixers import CLINE_MISSING, ROO_MISSING, ROO_RESULT_PREFIX
from inspector.agents.history.plan import HistoryPlan, HistorySource
from inspector.agents.history.tasks import TASK_FILE_LIMIT, task_folder
from inspector.core.os_errors import describe_failure
from inspector.core.verdict import NotATranscript
from inspector.rewrite.plan import Action, RewriteFailed

SourceReader = Callable[[Path], HistorySource]
"""An agent's reader of one of its histories (raises OSError, NotATranscript)."""

# ---------------------------------------------------------------------- entry points


def plan_history_rewind(
    read: SourceReader, path: Path, *, to: str | None = None, line: int | None = None
) -> HistoryPlan:
    """Plan a rewind of the history ``read`` reads at ``path``. Writes nothing."""
    source = _read(read, path)
    plan = source.new_plan(Action.REWIND)
    if to is not None:
        raise RewriteFailed(
            f"--to names a Claude Code entry uuid; a {source.agent.label} history has "
            f"none: use --line N ({source.line_meaning})"
        )
    if not plan.report.conversation.has_content and line is None:
        plan.nothing_to_fix = True
        plan.notes.append("the file holds no conversation: nothing to rewind")
        return plan
    if plan.report.ok and line is None:
        plan.nothing_to_fix = True
        plan.notes.append("the API accepts this conversation: nothing to rewind")
        return plan
    source.rewind(plan, line)
    source.finish(plan)
    return plan


def plan_history_repair(read: SourceReader, path: Path) -> HistoryPlan:
    """Plan a repair of the history ``read`` reads at ``path``. Writes nothing."""
    source = _read(read, path)
    plan = source.new_plan(Action.REPAIR)
    if not plan.report.conversation.has_content:
        plan.nothing_to_fix = True
        plan.notes.append("the file holds no conversation: nothing to repair")
        return plan
    if plan.report.ok:
        plan.nothing_to_fix = True
        plan.notes.append("the API accepts this conversation: nothing to repair")
        return plan
    source.repair(plan)
    if not plan.unfixable:
        source.finish(plan)
    return plan


# ---------------------------------------------------------------------- reading


def _read(read: SourceReader, path: Path) -> HistorySource:
    try:
        return read(path)
    except OSError as error:
        raise RewriteFailed(describe_failure(error, path)) from error
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error


__all__ = [
    "CLINE_MISSING",
    "ROO_MISSING",
    "ROO_RESULT_PREFIX",
    "TASK_FILE_LIMIT",
    "HistoryPlan",
    "SourceReader",
    "plan_history_repair",
    "plan_history_rewind",
    "task_folder",
]

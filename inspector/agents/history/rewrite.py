"""Rewind and repair for the other agents: Roo Code, Cline, Codex CLI, raw requests.

:func:`inspector.agents.plan_rewrite` is the one entry point: it asks the file's agent,
and the agents here plan with :func:`plan_history_rewind` / :func:`plan_history_repair`.
Every plan is applied by
:func:`inspector.rewrite.plan.apply` (staged write, fsync, read back and re-checked with
:func:`inspector.check.check_file`, atomic rename; ``in_place`` after a backup); a
:class:`~inspector.agents.history.plan.HistoryPlan` only says which bytes to write, where,
and how to check them.

The pieces: message arrays (Roo Code, Cline, request files) in
:mod:`inspector.agents.history.arrays`, their repairs in
:mod:`inspector.agents.history.fixers`, where a new copy goes in
:mod:`inspector.agents.history.tasks`, Codex rollouts in
:mod:`inspector.agents.codex.rewrite`.
"""

from __future__ import annotations

from pathlib import Path

from inspector.agents import FORMATS, NotATranscript, agent_named, detect_format
from inspector.agents.claude_code.entries import FORMAT as CLAUDE_CODE
from inspector.agents.codex.rewrite import CODEX_ABORTED, RolloutSource
from inspector.agents.codex.rollout import CODEX
from inspector.agents.history.arrays import ArraySource
from inspector.agents.history.fixers import CLINE_MISSING, ROO_MISSING, ROO_RESULT_PREFIX
from inspector.agents.history.plan import HistoryPlan, HistorySource
from inspector.agents.history.tasks import TASK_FILE_LIMIT, task_folder
from inspector.core.os_errors import describe_failure
from inspector.rewrite.plan import Action, RewriteFailed

# ---------------------------------------------------------------------- entry points


def plan_history_rewind(
    path: Path,
    *,
    to: str | None = None,
    line: int | None = None,
    format_name: str | None = None,
) -> HistoryPlan:
    """Plan a rewind of a Roo Code, Cline, Codex or raw-request history. Writes nothing."""
    source = _read(path, format_name)
    plan = source.new_plan(Action.REWIND)
    if to is not None:
        raise RewriteFailed(
            f"--to names a Claude Code entry uuid; a {agent_named(source.fmt).label} history has "
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


def plan_history_repair(path: Path, format_name: str | None = None) -> HistoryPlan:
    """Plan a repair of a Roo Code, Cline, Codex or raw-request history. Writes nothing."""
    source = _read(path, format_name)
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


def _read(path: Path, format_name: str | None) -> HistorySource:
    try:
        name = format_name or detect_format(path)
        if name == CLAUDE_CODE or name not in FORMATS:
            raise RewriteFailed(f"{path.name} is not a Roo Code, Cline, Codex or request history")
        if name == CODEX:
            return RolloutSource.read(path)
        return ArraySource.read(path, name)
    except OSError as error:
        raise RewriteFailed(describe_failure(error, path)) from error
    except NotATranscript as error:
        raise RewriteFailed(str(error)) from error


__all__ = [
    "CLINE_MISSING",
    "CODEX_ABORTED",
    "ROO_MISSING",
    "ROO_RESULT_PREFIX",
    "TASK_FILE_LIMIT",
    "HistoryPlan",
    "plan_history_repair",
    "plan_history_rewind",
    "task_folder",
]

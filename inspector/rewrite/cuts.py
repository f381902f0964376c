"""Choosing where a rewind cuts: the candidates are tried newest first, a bounded number
of them, and the first whose conversation can be written wins."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Final, TypeVar

from inspector.rewrite.plan import RewriteFailed
from inspector.rules import Report

MAX_SEARCH: Final = 40
"""Candidate cuts tried at most (each is a projection and a check)."""

Candidate = TypeVar("Candidate")
Outcome = TypeVar("Outcome")


def search_cut(
    candidates: Iterable[Candidate],
    attempt: Callable[[Candidate], Outcome | None],
    report: Report,
) -> tuple[Candidate, Outcome]:
    """The first of ``candidates`` (newest first) that ``attempt`` accepts (not None), and
    what it gave; at most :data:`MAX_SEARCH` are tried. RewriteFailed when none is."""
    for candidate in itertools.islice(candidates, MAX_SEARCH):
        outcome = attempt(candidate)
        if outcome is not None:
            return candidate, outcome
    raise no_cut(report)


def usable(result: Report) -> bool:
    """Whether a cut's conversation can be written: accepted, not empty, no call waiting."""
    return result.ok and bool(result.conversation.messages) and not result.pending


def explain_rejection(result: Report, where: str, last_valid_line: int | None) -> RewriteFailed:
    """Why the conversation up to ``where`` cannot be kept (``result`` is not usable)."""
    hint = (
        f"; its last valid turn ends at line {last_valid_line}"
        if last_valid_line is not None
        else ""
    )
    if not result.ok:
        return RewriteFailed(
            f"the conversation up to {where} is still rejected ({result.errors[0].headline}){hint}"
        )
    pending = result.pending
    if pending:
        return RewriteFailed(
            f"the conversation up to {where} ends on tool calls whose results come after it "
            f"({', '.join(pending[0].ids)}){hint}"
        )
    return RewriteFailed(f"nothing would be left of the conversation up to {where}")


def no_cut(report: Report) -> RewriteFailed:
    """No turn before the first error can end a rewind."""
    first = report.errors[0]
    return RewriteFailed(
        f"no valid turn to rewind to: the conversation is rejected from its start "
        f"({first.rule.value} at line {first.line}); try `inspector repair`"
    )

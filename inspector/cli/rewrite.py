"""``inspector rewind`` and ``inspector repair``: plan, say what changes, write safely.

Exit codes: 0 done (or nothing to fix, or a dry run), 1 refused (the session is live, or
changed meanwhile), 2 error (one line on stderr; nothing was written).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

import orjson

from inspector.agents import NotATranscript, plan_rewrite
from inspector.check import cut_dict, finding_dict
from inspector.core.json_out import path_text
from inspector.core.os_errors import describe_failure
from inspector.core.safe_text import escaped, one_line
from inspector.rewrite.counts import describe_counts, split_changes
from inspector.rewrite.plan import (
    Action,
    RewriteFailed,
    RewritePlan,
    RewriteRefused,
    RewriteResult,
    SessionLive,
    apply,
)

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_ERROR = 2


def run_rewrite(
    options: argparse.Namespace, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run ``inspector rewind|repair`` with parsed options; return the exit code."""
    stream = out or sys.stdout
    errors = err or sys.stderr
    action = Action(options.command)
    path: Path = options.path
    as_json: bool = bool(options.json)
    try:
        plan = _plan(action, options)
    except (OSError, NotATranscript, RewriteFailed) as error:
        return _fail(
            stream, errors, action, path, describe_failure(error, path), EXIT_ERROR, as_json
        )
    except Exception as error:  # never a traceback
        return _fail(
            stream, errors, action, path, f"internal error: {error!r}", EXIT_ERROR, as_json
        )

    if plan.nothing_to_fix:
        _report(stream, plan, None, as_json, status="nothing to fix")
        return EXIT_OK
    if plan.unfixable:
        first = plan.unfixable[0]
        reason = (
            f"cannot {action.value} {first.rule.value} at line {first.line} automatically "
            f"({one_line(first.text, 160)}); nothing was written"
        )
        if action is Action.REPAIR:
            reason += "; `inspector rewind` can cut the conversation before it"
        return _stop(stream, errors, plan, as_json, "error", reason, EXIT_ERROR)
    if options.dry_run:
        _report(stream, plan, None, as_json, status="dry run", in_place=options.in_place)
        return EXIT_OK
    try:
        result = apply(plan, in_place=options.in_place, force=options.force)
    except SessionLive as error:
        reason = (
            f"refused: {error}. Close it, or pass --force to replace it anyway (a backup is "
            "written first)"
        )
        return _stop(stream, errors, plan, as_json, "refused", reason, EXIT_REFUSED)
    except RewriteRefused as error:
        return _stop(stream, errors, plan, as_json, "refused", f"refused: {error}", EXIT_REFUSED)
    except (RewriteFailed, OSError) as error:
        reason = describe_failure(error, path)
        return _stop(stream, errors, plan, as_json, "error", reason, EXIT_ERROR)
    except Exception as error:  # never a traceback
        reason = f"internal error: {error!r}; the original is untouched"
        print(f"inspector: {escaped(reason)}", file=errors)
        return EXIT_ERROR
    _report(stream, plan, result, as_json, status="written", in_place=options.in_place)
    return EXIT_OK


def _stop(
    stream: TextIO,
    errors: TextIO,
    plan: RewritePlan,
    as_json: bool,
    status: str,
    reason: str,
    code: int,
) -> int:
    """Report a plan that was not written (JSON on stdout, or nothing there) and why, on
    stderr; return the exit code."""
    _report(stream, plan, None, as_json, status=status, reason=reason, quiet=not as_json)
    print(f"inspector: {escaped(reason)}", file=errors)
    return code


def _plan(action: Action, options: argparse.Namespace) -> RewritePlan:
    if action is Action.REWIND:
        return plan_rewrite(action, options.path, to=options.to, line=options.line)
    return plan_rewrite(action, options.path)


def _fail(
    stream: TextIO,
    errors: TextIO,
    action: Action,
    path: Path,
    reason: str,
    code: int,
    as_json: bool,
) -> int:
    if as_json:
        payload = {
            "action": action.value,
            "source": path_text(path),
            "status": "error",
            "error": reason,
        }
        stream.write(orjson.dumps(payload).decode() + "\n")
    print(f"inspector: {escaped(reason)}", file=errors)
    return code


# ---------------------------------------------------------------------- output


def result_dict(
    plan: RewritePlan,
    result: RewriteResult | None,
    *,
    status: str,
    reason: str | None = None,
) -> dict[str, Any]:
    """The ``--json`` document (also what the app can show)."""
    written = result.written if result is not None else None
    grew_by = result.grew_by if result is not None else 0
    return {
        "action": plan.action.value,
        "source": path_text(plan.source),
        "status": status,
        "written": path_text(written) if written is not None else None,
        "session_id": result.session_id if result is not None else None,
        "backup": path_text(result.backup) if result is not None and result.backup else None,
        "cut": cut_dict(plan.cut),
        "kept": plan.kept,
        "dropped": plan.dropped,
        "resume": result.resume if result is not None else None,
        "cwd": plan.cwd,
        "first_error": finding_dict(plan.first_error) if plan.first_error else None,
        "changes": [
            {"kind": c.kind, "line": c.line, "tool_id": c.tool_id, "text": c.text}
            for c in plan.changes
        ],
        "notes": plan.notes,
        "snapshot": {
            "bytes": plan.snapshot.size,
            "lines": len(plan.snapshot.lines),
            "grew_by": grew_by,
        },
        "error": reason,
    }


def _report(
    stream: TextIO,
    plan: RewritePlan,
    result: RewriteResult | None,
    as_json: bool,
    *,
    status: str,
    reason: str | None = None,
    in_place: bool = False,
    quiet: bool = False,
) -> None:
    if as_json:
        stream.write(orjson.dumps(result_dict(plan, result, status=status, reason=reason)).decode())
        stream.write("\n")
        return
    if quiet:
        return
    stream.write("".join(_human(plan, result, status, in_place)))


def _human(
    plan: RewritePlan, result: RewriteResult | None, status: str, in_place: bool
) -> list[str]:
    session = one_line(plan.session_id, 80) if plan.session_id else "no session id"
    lines = [f"{plan.action.value} {escaped(str(plan.source))}  (session {session})\n"]
    first = plan.first_error
    if first is not None:
        lines.append(
            f"  first error: {first.rule.value} at line {first.line}: {one_line(first.text, 140)}\n"
        )
    if status == "nothing to fix":
        lines.extend(f"  {escaped(note)}\n" for note in plan.notes)
        lines.append("  nothing written\n")
        return lines
    if plan.cut is not None:
        uuid = f" (uuid {one_line(plan.cut.uuid, 80)})" if plan.cut.uuid else ""
        lines.append(
            f"  cut: after line {plan.cut.line}{uuid}; the conversation "
            f"keeps messages.0 to messages.{plan.cut.message_index}\n"
        )
    for change in plan.changes:
        where = f"line {change.line}" if change.line is not None else "new line"
        tool = f" {escaped(change.tool_id)}" if change.tool_id else ""
        lines.append(f"  {where}{tool}: {escaped(change.text)}\n")
    verb = "would keep" if status == "dry run" else "kept"
    lines.append(f"  {verb}: {describe_counts(plan.kept)}\n")
    left_out, changed = split_changes(plan.dropped)
    dropped = describe_counts(left_out)
    if dropped:
        lines.append(f"  {'would drop' if status == 'dry run' else 'dropped'}: {dropped}\n")
    if describe_counts(changed):
        verb = "would change" if status == "dry run" else "changed"
        lines.append(f"  {verb}: {describe_counts(changed)}\n")
    lines.extend(f"  note: {escaped(note)}\n" for note in plan.notes)
    if status == "dry run":
        destination = plan.source if in_place else plan.target
        lines.append(
            f"  dry run: would write {escaped(str(destination))}"
            + (" (after a backup)" if in_place else "")
            + "; nothing written\n"
        )
        return lines
    if result is None or result.written is None:
        return lines
    if result.backup is not None:
        lines.append(f"  backup: {escaped(str(result.backup))}\n")
    lines.append(
        f"  wrote: {escaped(str(result.written))} (read back and checked: the API accepts it)\n"
    )
    for path in result.subagents:
        lines.append(f"  wrote: {escaped(str(path))}\n")
    if result.grew_by:
        lines.append(
            f"  note: the session grew by {result.grew_by} bytes while this ran; the "
            "new lines are not in the written session\n"
        )
    if result.resume:
        where = f"  (in {escaped(plan.cwd)})" if plan.cwd else ""
        lines.append(f"  resume: {escaped(result.resume)}{where}\n")
    elif result.resume_note:
        lines.append(f"  note: {escaped(result.resume_note)}\n")
    return lines

"""``inspector stats``: how many sessions broke, by cause, client version, tool and number
of parallel calls, as bar charts (or ``--json``). Stats are not a verdict: exit 0 when it
ran, 2 when a path does not exist or nothing could be read."""

from __future__ import annotations

import gc
import shutil
import sys
from collections import Counter
from pathlib import Path
from typing import TextIO

import orjson

from inspector.batch import Settings, check_many
from inspector.cli.bars import Row, chart
from inspector.cli.check import expand_paths
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.safe_text import escaped
from inspector.core.wording import counted
from inspector.stats import SessionStats, collect, most_first

EXIT_OK = 0
EXIT_UNCHECKABLE = 2

MIN_WIDTH = 40
MAX_WIDTH = 100
"""Wider than this, bars stop saying more and the eye has to travel."""
_UNREADABLE_SHOWN = 5


def run_stats(
    paths: list[Path],
    *,
    as_json: bool,
    client: ClientChoice = NEWEST_KNOWN,
    cache_root: Path | None = None,
    jobs: int | None = None,
    width: int | None = None,
    out: TextIO | None = None,
) -> int:
    """Check every session the paths name (every stored one for none) and print the stats;
    return the exit code. ``width``: the columns to fit (default: the terminal's)."""
    stream = out or sys.stdout
    files, problems = expand_paths(paths)
    for problem in problems:
        print(f"inspector: {escaped(problem)}", file=sys.stderr)
    collecting = gc.isenabled()
    gc.disable()  # as in ``check``: the collector would walk every entry read, again and again
    try:  # (check_many collects what it read now and then itself)
        stats = collect(check_many(files, Settings(None, client, cache_root), jobs=jobs))
    finally:
        if collecting:
            gc.enable()
    nothing_read = stats.checked == 0
    if nothing_read and not problems:
        print(f"inspector: {_nothing_read(stats)}", file=sys.stderr)
    if as_json:
        stream.write(orjson.dumps(stats.as_dict()).decode() + "\n")
    elif not nothing_read:
        columns = width or shutil.get_terminal_size((80, 24)).columns
        stream.write("\n".join(report_lines(stats, min(max(columns, MIN_WIDTH), MAX_WIDTH))))
        stream.write("\n")
    return EXIT_UNCHECKABLE if problems or nothing_read else EXIT_OK


def _nothing_read(stats: SessionStats) -> str:
    """One line for a run that read no session at all."""
    failures = sorted(stats.unreadable)
    if not failures:
        return "no session to read"
    if len(failures) == 1:
        return escaped(failures[0][1])
    return f"none of the {len(failures)} files could be read; the first: " + escaped(failures[0][1])


def report_lines(stats: SessionStats, width: int) -> list[str]:
    """The stats for people: a summary line, then one chart per breakdown."""
    lines = [escaped(_summary(stats), width)]
    if stats.defects:
        lines += ["", *_count_chart("Defects by cause", stats.by_cause, width)]
        lines += ["", *_count_chart("Defects by client version", stats.by_version, width)]
        lines += ["", *_count_chart("Defects by tool", stats.by_tool, width)]
        batches = stats.batch_counts()
        rows = [Row(size, count, str(count)) for size, count in batches.items()]
        lines += ["", *chart("Defects by parallel calls in the batch", rows, width=width)]
    rates = [
        Row(rate.version, rate.rate, f"{rate.broken}/{rate.sessions} {rate.rate:6.1%}")
        for rate in stats.version_rates()
    ]
    lines += ["", *chart("Broken sessions by client version", rates, width=width, scale=1.0)]
    if stats.unreadable:
        lines += ["", "Could not be read"]
        failures = sorted(stats.unreadable)
        lines += [
            f"  {_tail(escaped(failure), width - 2)}" for _, failure in failures[:_UNREADABLE_SHOWN]
        ]
        if len(failures) > _UNREADABLE_SHOWN:
            lines.append(f"  … and {len(failures) - _UNREADABLE_SHOWN} more (--json lists all)")
    return lines


def _tail(line: str, limit: int) -> str:
    """``line`` cut at its start to ``limit`` characters: a failure names the path first,
    and its end (the file name, why it could not be read) is what tells."""
    return line if len(line) <= limit else "…" + line[len(line) - limit + 1 :]


def _summary(stats: SessionStats) -> str:
    """ "41 sessions checked · 3 broke (7.3%) · 5 defects · 1 could not be read"."""
    share = stats.broken / stats.checked if stats.checked else 0.0
    parts = [
        f"{counted(stats.checked, 'session')} checked",
        f"{stats.broken} broke ({share:.1%})",
        counted(stats.defects, "defect"),
    ]
    if stats.unreadable:
        parts.append(f"{len(stats.unreadable)} could not be read")
    return " · ".join(parts)


def _count_chart(title: str, counts: Counter[str], width: int) -> list[str]:
    rows = [Row(key, count, str(count)) for key, count in most_first(counts).items()]
    return chart(title, rows, width=width)

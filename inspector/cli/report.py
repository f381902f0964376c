"""``inspector report PATH``: one transcript's defects, causes, timeline and nearby lines,
as Markdown or HTML, redacted unless told otherwise. Reads only; writes only ``-o FILE``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from inspector.agents import NotATranscript
from inspector.cache import replace_atomically
from inspector.core.client import NEWEST_KNOWN, ClientChoice
from inspector.core.os_errors import describe_failure
from inspector.core.safe_text import escaped
from inspector.report import html, markdown
from inspector.report.build import report_of
from inspector.report.redact import Redactor, redact_report

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNCHECKABLE = 2


def run_report(
    path: Path,
    *,
    as_html: bool = False,
    redact: bool = True,
    output: Path | None = None,
    format_name: str | None = None,
    client: ClientChoice = NEWEST_KNOWN,
    out: TextIO | None = None,
) -> int:
    """Write the report of ``path``; return 0 (accepted), 1 (errors found) or 2 (unread)."""
    try:
        report = report_of(path, format_name, client)
    except (OSError, NotATranscript) as error:
        print(f"inspector: {escaped(describe_failure(error, path))}", file=sys.stderr)
        return EXIT_UNCHECKABLE
    report = redact_report(report, Redactor(enabled=redact))
    text = html.render(report) if as_html else markdown.render(report)
    if output is None:
        (out or sys.stdout).write(text)
    else:
        try:
            replace_atomically(output, [text.encode()])
        except OSError as error:
            print(f"inspector: {escaped(describe_failure(error, output))}", file=sys.stderr)
            return EXIT_UNCHECKABLE
    return EXIT_OK if report.ok else EXIT_FINDINGS

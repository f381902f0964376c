"""The report as Markdown, for a bug report or a post-mortem.

Text from the transcript never becomes Markdown: in prose its punctuation is escaped
(no link, emphasis or HTML it could carry), and the tables sit in fenced blocks whose
fence is longer than any run of backticks inside.
"""

from __future__ import annotations

import re

from inspector.core.safe_text import one_line
from inspector.report import layout
from inspector.report.model import SessionReport

_SPECIAL = re.compile(r"([\\`*_\[\]<>|]|~~)")
_TICKS = re.compile(r"`+")


def escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def render(report: SessionReport) -> str:
    out: list[str] = [
        f"# {escape(layout.title(report))}",
        "",
        f"**{escape(layout.verdict(report))}**",
        "",
    ]
    out += [f"- **{label}:** {escape(value)}" for label, value in layout.facts(report)]
    out.append("")
    if report.defects:
        out += ["## Defects", ""]
    for number, defect in enumerate(report.defects, start=1):
        out += [f"### {escape(layout.defect_heading(number, defect))}", ""]
        out += [f"> {escape(one_line(defect.text, 600))}", ""]
        out.append(f"- **Cause:** {escape(layout.cause_text(defect))}")
        out += [f"  - evidence: {escape(line)}" for line in layout.evidence_lines(defect)]
        out += [f"- **{label}:** {escape(value)}" for label, value in layout.details(defect)]
        out.append("")
        if defect.context:
            out += ["Transcript lines around it (→ marks the defect's line):", ""]
            rows = [layout.context_row(line) for line in defect.context]
            out += _fenced(layout.text_table(layout.CONTEXT_HEADER, rows))
    if report.timelines:
        out += ["## Timeline of the turns with a defect", ""]
        out.append("Each tool call of the turn: when the call was written → when its result was")
        out += ["(times in UTC; ✗ marks the calls an error names, ⚠ those a warning names).", ""]
    for turn in report.timelines:
        out += [f"### {escape(layout.timeline_heading(turn))}", ""]
        rows = [layout.timeline_row(span) for span in turn.calls]
        out += _fenced(layout.text_table(layout.TIMELINE_HEADER, rows))
        if turn.chart:
            out += _fenced(turn.chart.splitlines())
    out += _removed(report)
    return "\n".join(out).rstrip("\n") + "\n"


def _removed(report: SessionReport) -> list[str]:
    if not report.redacted:
        return ["---", "", "*Not redacted (--no-redact): check it before you share it.*"]
    out = ["## Removed by redaction", ""]
    if not report.removed:
        return [*out, "Nothing needed removing."]
    out += ["| what | how many |", "|---|---:|"]
    out += [f"| {escape(kind)} | {count} |" for kind, count in layout.removed_rows(report)]
    out += ["", "*The values themselves appear nowhere in this report.*"]
    return out


def _fenced(lines: list[str]) -> list[str]:
    longest = max((len(run) for line in lines for run in _TICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *lines, fence, ""]

"""The report as one self-contained HTML page: inline CSS, no script, nothing fetched.

Every piece of text goes through :func:`html.escape`; the only markup is ours. Each turn's
timeline is a table whose last column draws the calls as bars in time (call written →
result written), placed with inline percentages.
"""

from __future__ import annotations

import re
from html import escape

from inspector.core.safe_text import one_line
from inspector.core.timestamps import parse_timestamp
from inspector.report import layout
from inspector.report.model import CallSpan, Defect, SessionReport, TurnTimeline

_CODE_SPAN = re.compile(r"`([^`\n]+)`")

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2328;
  background:#fff;max-width:1100px;margin:24px auto;padding:0 20px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 8px;
  border-bottom:1px solid #d0d7de;padding-bottom:4px}h3{font-size:16px;margin:18px 0 6px}
.verdict{font-weight:600;padding:8px 12px;border-radius:6px;margin:8px 0 14px}
.bad{background:#ffebe9;color:#82071e;border:1px solid #ff8182}
.good{background:#dafbe1;color:#116329;border:1px solid #4ac26b}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:0}
dl.facts dt{font-weight:600;color:#57606a}dl.facts dd{margin:0;overflow-wrap:anywhere}
.defect{border:1px solid #d0d7de;border-radius:6px;padding:4px 14px 10px;margin:12px 0}
.defect.error{border-left:5px solid #cf222e}.defect.warning{border-left:5px solid #bf8700}
blockquote{margin:6px 0;padding:4px 10px;background:#f6f8fa;border-left:3px solid #d0d7de;
  overflow-wrap:anywhere}
.cause{margin:8px 0}.cause b{color:#82071e}ul{margin:4px 0 4px 18px;padding:0}
table{border-collapse:collapse;font:13px/1.35 ui-monospace,SFMono-Regular,Menlo,monospace;
  width:100%;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 6px;text-align:left;vertical-align:top}
.wide{overflow-x:auto}table.lines td:nth-child(-n+3){white-space:nowrap}
table.lines td:nth-child(4){overflow-wrap:anywhere;min-width:12ch}
th{background:#f6f8fa}td.excerpt{overflow-wrap:anywhere;color:#57606a}
tr.here td{background:#fff8c5}tr.named td{background:#ffebe9}tr.warned td{background:#fff8c5}
td.bar{width:100%;min-width:160px;padding:3px 4px}
.lane{position:relative;height:12px;background:#f6f8fa}
.lane span{position:absolute;top:0;height:12px;border-radius:2px;background:#54aeff;
  min-width:3px}.lane span.open{background:repeating-linear-gradient(45deg,#cf222e,
  #cf222e 4px,#ff8182 4px,#ff8182 8px)}
table.timeline td,table.timeline th{white-space:nowrap}
pre.chart{font:13px/1.3 ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;
  padding:8px 10px;overflow-x:auto;margin:6px 0}
table.removed{width:auto;min-width:280px}.removed td:last-child{text-align:right}
.small{color:#57606a;font-size:13px}
code{font:0.9em ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;
  padding:0 3px;border-radius:3px}
"""


def render(report: SessionReport) -> str:
    state = "good" if report.ok else "bad"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(layout.title(report))}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{escape(layout.title(report))}</h1>",
        f'<div class="verdict {state}">{_prose(layout.verdict(report))}</div>',
        '<dl class="facts">',
    ]
    for label, value in layout.facts(report):
        parts.append(f"<dt>{escape(label)}</dt><dd>{_prose(value)}</dd>")
    parts.append("</dl>")
    if report.defects:
        parts.append('<h2 id="defects">Defects</h2>')
    for number, defect in enumerate(report.defects, start=1):
        parts += _defect(number, defect)
    if report.timelines:
        parts.append('<h2 id="timeline">Timeline of the turns with a defect</h2>')
        parts.append(
            '<p class="small">Each tool call of the turn: call written → result written '
            "(UTC). Red rows: the calls an error names; yellow: a warning; a hatched bar: "
            "no result.</p>"
        )
    for turn in report.timelines:
        parts += _timeline(turn)
    parts += _removed(report)
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _prose(text: str) -> str:
    """``text`` escaped, its `code spans` (commands, the API's field names) set as code."""
    return _CODE_SPAN.sub(r"<code>\1</code>", escape(text))


def _defect(number: int, defect: Defect) -> list[str]:
    severity = "error" if defect.severity == "error" else "warning"
    parts = [
        f'<section class="defect {severity}">',
        f"<h3>{escape(layout.defect_heading(number, defect))}</h3>",
        f"<blockquote>{_prose(one_line(defect.text, 600))}</blockquote>",
        f'<div class="cause"><b>Cause:</b> {_prose(layout.cause_text(defect))}',
    ]
    evidence = layout.evidence_lines(defect)
    if evidence:
        parts.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in evidence) + "</ul>")
    parts.append("</div>")
    details = layout.details(defect)
    if details:
        parts.append('<dl class="facts">')
        parts += [f"<dt>{escape(k)}</dt><dd>{_prose(v)}</dd>" for k, v in details]
        parts.append("</dl>")
    if defect.context:
        parts.append('<p class="small">Transcript lines around it (highlighted: its line)</p>')
        parts.append(
            '<div class="wide"><table class="lines"><tr>'
            + "".join(f"<th>{h}</th>" for h in layout.CONTEXT_HEADER)
            + "</tr>"
        )
        for line in defect.context:
            cells = layout.context_row(line)
            row_class = ' class="here"' if line.is_defect else ""
            parts.append(
                f"<tr{row_class}>"
                + "".join(f"<td>{escape(cell)}</td>" for cell in cells[:-1])
                + f'<td class="excerpt">{escape(cells[-1])}</td></tr>'
            )
        parts.append("</table></div>")
    parts.append("</section>")
    return parts


def _timeline(turn: TurnTimeline) -> list[str]:
    bounds = _bounds(turn.calls)
    parts = [
        f"<h3>{escape(layout.timeline_heading(turn))}</h3>",
        '<div class="wide"><table class="timeline"><tr>'
        + "".join(f"<th>{h}</th>" for h in layout.TIMELINE_HEADER)
        + "<th>in time</th></tr>",
    ]
    for span in turn.calls:
        row_class = {"error": ' class="named"', "warning": ' class="warned"'}.get(
            span.named_by or "", ""
        )
        cells = "".join(f"<td>{escape(cell)}</td>" for cell in layout.timeline_row(span))
        parts.append(f'<tr{row_class}>{cells}<td class="bar">{_bar(span, bounds)}</td></tr>')
    parts.append("</table></div>")
    if turn.chart:
        parts.append(f'<pre class="chart">{escape(turn.chart)}</pre>')
    return parts


def _bounds(calls: tuple[CallSpan, ...]) -> tuple[float, float] | None:
    moments = [
        moment.timestamp()
        for span in calls
        for moment in (parse_timestamp(span.called), parse_timestamp(span.answered))
        if moment is not None
    ]
    if not moments:
        return None
    return min(moments), max(moments)


def _bar(span: CallSpan, bounds: tuple[float, float] | None) -> str:
    start = parse_timestamp(span.called)
    if bounds is None or start is None:
        return '<div class="lane"></div>'
    first, last = bounds
    width_of_all = max(last - first, 0.001)
    end = parse_timestamp(span.answered)
    left = (start.timestamp() - first) / width_of_all * 100
    if end is None:  # no result: the bar runs to the end of the turn, hatched
        return (
            f'<div class="lane"><span class="open" style="left:{left:.1f}%;right:0"></span></div>'
        )
    width = max((end.timestamp() - start.timestamp()) / width_of_all * 100, 0.0)
    return f'<div class="lane"><span style="left:{left:.1f}%;width:{width:.1f}%"></span></div>'


def _removed(report: SessionReport) -> list[str]:
    if not report.redacted:
        return [
            '<p class="small"><b>Not redacted (--no-redact):</b> check it before you share it.</p>'
        ]
    parts = ['<h2 id="removed">Removed by redaction</h2>']
    if not report.removed:
        return [*parts, "<p>Nothing needed removing.</p>"]
    parts.append('<table class="removed"><tr><th>what</th><th>how many</th></tr>')
    parts += [
        f"<tr><td>{escape(kind)}</td><td>{escape(count)}</td></tr>"
        for kind, count in layout.removed_rows(report)
    ]
    parts.append("</table>")
    parts.append('<p class="small">The values themselves appear nowhere in this report.</p>')
    return parts

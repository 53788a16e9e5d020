"""The review as one self-contained HTML page.

Everything is inline: the CSS, and the charts as SVG written straight by
:mod:`collector.review.chart_kit` (text stays text in the page's own fonts). There
are no scripts, no external fonts and no URLs at all, so the file works offline and
can be mailed or archived as it is. A print stylesheet lays it out on A4 with a page
break before every section and never splits a chart or a table row.

The top of the page is the two-minute read: the flags first, then a few figures;
the sections follow in the order a physiotherapist asks the questions. This module
holds the page (its head, its order, the CSS); the charts are in
:mod:`collector.review.charts`, the sections in :mod:`collector.review.sections`.
"""

from __future__ import annotations

from collections.abc import Sequence

from analytics.review_records import Review
from collector.plural import counted
from collector.review.chart_kit import Chart
from collector.review.charts import charts
from collector.review.html_kit import esc, figure_html, html_section
from collector.review.meta import ReportMeta
from collector.review.saddle_html import saddle_section
from collector.review.sections import (
    adherence_section,
    bouts_section,
    days_section,
    longest_section,
    methods_section,
    pain_section,
    summary_section,
    weeks_section,
)

_CSS = """
:root{--ink:#1d1d1d;--muted:#5b5b5b;--line:#d9d9d9;--alert:#b03a00;--alert-bg:#fff1e8;
--note-bg:#eef5fb;--accent:#0072B2}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"DejaVu Sans",sans-serif;color:var(--ink);background:#fff;font-size:15px;line-height:1.45}
body{margin:0 auto;max-width:1060px;padding:18px 22px 40px}
header.top{border-bottom:3px solid var(--accent);padding-bottom:8px;margin-bottom:10px}
h1{font-size:1.55rem;margin:0 0 4px}
h2{font-size:1.2rem;margin:26px 0 8px;border-bottom:1px solid var(--line);padding-bottom:3px}
h3{font-size:1rem;margin:12px 0 6px}
.meta{color:var(--muted);margin:0;font-size:.92rem}
.banner{background:#fde2e2;border:2px solid #b00020;padding:10px 14px;margin:10px 0;
font-size:1.05rem}
ul.flags{list-style:none;padding:0;margin:0}
.flag{padding:7px 10px;margin:0 0 6px;border-left:5px solid var(--accent);background:var(--note-bg)}
.flag.alert{border-left-color:var(--alert);background:var(--alert-bg);font-weight:500}
.tag{display:inline-block;min-width:6.8em;font-size:.75rem;font-weight:700;text-transform:uppercase;
letter-spacing:.03em;color:var(--muted)}
.flag.alert .tag{color:var(--alert)}
dl.tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:8px;
margin:14px 0}
dl.tiles div{border:1px solid var(--line);border-radius:6px;padding:6px 10px}
dl.tiles dt{font-size:.78rem;color:var(--muted)}
dl.tiles dd{margin:0;font-size:1.15rem;font-weight:600}
nav.toc ol{columns:3;font-size:.9rem;margin:8px 0;padding-left:1.4em}
nav.toc a{color:var(--accent)}
figure{margin:8px 0 12px}
svg.chart{display:block;width:100%;height:auto;max-width:1000px}
figcaption{font-size:.85rem;color:var(--muted);margin-top:2px}
table{border-collapse:collapse;margin:10px 0;font-size:.85rem;width:100%}
caption{text-align:left;font-weight:600;padding:4px 0;color:var(--ink)}
th,td{border-bottom:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
thead th{border-bottom:2px solid #999;font-weight:600;background:#f6f6f6}
table.num td,table.num thead th+th{text-align:right;font-variant-numeric:tabular-nums}
tbody th{font-weight:500;white-space:nowrap}
tr.flagged th,tr.flagged td{background:var(--alert-bg)}
tr.lowwear th,tr.lowwear td{color:#8a8a8a;font-style:italic}
tr.high td:nth-child(3){font-weight:700}
.note{font-size:.85rem;color:var(--muted)}
.correlation{border-left:4px solid var(--accent);padding:4px 10px;background:var(--note-bg)}
ul.methods li{margin-bottom:5px;font-size:.9rem}
footer{margin-top:30px;border-top:1px solid var(--line);padding-top:6px;font-size:.8rem;
color:var(--muted)}
@page{size:A4;margin:13mm 12mm 14mm}
@media print{
html{font-size:10.5pt;-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{max-width:none;padding:0}
section{break-before:page;page-break-before:always}
section#summary{break-before:auto;page-break-before:auto}
h2{break-after:avoid;page-break-after:avoid}
figure,svg.chart,dl.tiles,.flag,.banner{break-inside:avoid;page-break-inside:avoid}
tr,caption{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
nav.toc{display:none}
svg.chart{max-width:100%}
a{color:inherit;text-decoration:none}
}
"""


def render_html(r: Review, meta: ReportMeta, drawn: Sequence[Chart] | None = None) -> str:
    """The whole page. ``drawn``: the charts if already drawn (else drawn now)."""
    cs = {c.key: c for c in (drawn if drawn is not None else charts(r))}
    n_days = len(r.days)
    span = f"{r.first_day.strftime('%a %d %b %Y')} – {r.last_day.strftime('%a %d %b %Y')}"
    title = f"sitload review · {meta.user} · {r.first_day} to {r.last_day}"
    body = [
        '<header class="top"><h1>Sitting-compression review</h1>'
        f'<p class="meta">User <strong>{esc(meta.user)}</strong> · {esc(span)} '
        f"({counted(n_days, 'day')}, {esc(r.tz)}) · generated {esc(meta.generated_text)} · "
        f"sitload {esc(meta.version)}"
        + (f" · from {esc(meta.source)}" if meta.source else "")
        + "</p></header><main>",
        summary_section(r, meta),
        html_section("daily", figure_html(cs["daily"])),
        bouts_section(r, cs["bouts"]),
        longest_section(r),
        html_section("hip", figure_html(cs["hip"])),
        adherence_section(r, cs.get("adherence")),
    ]
    if r.any_riding and "saddle" in cs:
        body.append(saddle_section(r, cs["saddle"]))
    body += [
        weeks_section(r),
        pain_section(r, cs["pain"]),
        days_section(r),
        methods_section(r),
        "</main>",
        f"<footer>Pseudonymous user id {esc(meta.user)}; no names are stored. sitload "
        f"{esc(meta.version)}, generated {esc(meta.generated_text)}"
        + (f" from the {esc(meta.store)} history" if meta.store else "")
        + ".</footer>",
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="sitload {esc(meta.version)}">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )

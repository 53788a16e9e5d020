"""The clinic overview as one self-contained HTML page: a table with one row per
patient, each linking to the patient's report in the same folder.

Inline CSS and one small inline script (no URLs, nothing fetched): a click on a
column's heading sorts the rows by it (numbers descending first, text ascending; a
second click reverses; unknown values stay last). Every cell carries its sort key in
``data-sort``. Without scripts (printed, or opened where scripts are off) the table
stays in its first order: most alerts first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from analytics.durations import format_h_colon_min, format_h_min
from analytics.review_wording import HIP_LIMIT
from collector.plural import counted
from collector.review.clinic_rows import ClinicRow, days_since
from collector.review.html_kit import esc, flag_label


@dataclass(frozen=True, slots=True)
class ClinicMeta:
    generated_at: dt.datetime
    """Aware, in the overview's time zone."""
    version: str
    tz: str
    source: str
    """Where the history is (collector.review.range.describe_store)."""
    range_text: str
    """Which days the rows cover, in words."""


COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("patient", "Patient", "text"),
    ("last_data", "Last data", "text"),
    ("valid_days", "Valid days", "num"),
    ("compression", "Compression per valid day", "num"),
    ("trend", "Trend (last week)", "num"),
    ("long_bouts", "Bouts > 1 h", "num"),
    ("hip", f"Hip > {HIP_LIMIT} per valid day", "num"),
    ("breaks", "Breaks after prompts", "num"),
    ("pain", "Mornings above pain baseline", "num"),
    ("flags", "Flags", "num"),
)
"""(key, heading, sort type) of each column, in order."""

_CSS = """
:root{--ink:#1d1d1d;--muted:#5b5b5b;--line:#d9d9d9;--alert:#b03a00;--alert-bg:#fff1e8;
--accent:#0072B2}
*{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"DejaVu Sans",sans-serif;color:var(--ink);background:#fff;font-size:15px;line-height:1.45}
body{margin:0 auto;max-width:1280px;padding:18px 22px 40px}
header.top{border-bottom:3px solid var(--accent);padding-bottom:8px;margin-bottom:10px}
h1{font-size:1.55rem;margin:0 0 4px}
.meta,.note{color:var(--muted);margin:0;font-size:.9rem}
table{border-collapse:collapse;margin:12px 0;font-size:.88rem;width:100%}
th,td{border-bottom:1px solid var(--line);padding:4px 7px;text-align:right;vertical-align:top;
font-variant-numeric:tabular-nums}
th:first-child,td.flags,td.last,th[data-key=flags],th[data-key=last_data]{text-align:left}
caption{text-align:left}
td small{color:var(--muted);white-space:nowrap}
thead th{border-bottom:2px solid #999;background:#f6f6f6;position:sticky;top:0}
thead button{font:inherit;font-weight:600;background:none;border:0;padding:0;cursor:pointer;
color:inherit;text-align:inherit}
thead th[aria-sort=ascending] button::after{content:" \\25B2"}
thead th[aria-sort=descending] button::after{content:" \\25BC"}
tbody th{font-weight:600;white-space:nowrap}
tbody th a{color:var(--accent)}
tr.alert th,tr.alert td{background:var(--alert-bg)}
tr.problem th,tr.problem td{color:#8a8a8a;font-style:italic}
.up{color:var(--alert);font-weight:600}
.tag{display:inline-block;font-size:.75rem;font-weight:700;text-transform:uppercase;
margin-right:6px;color:var(--muted)}
.tag.alert{color:var(--alert)}
footer{margin-top:24px;border-top:1px solid var(--line);padding-top:6px;font-size:.8rem;
color:var(--muted)}
@media print{html{font-size:9pt}thead button::after{content:""}a{color:inherit}}
"""

_SCRIPT = """
(function () {
  var table = document.getElementById("patients");
  var heads = table.tHead.rows[0].cells;
  function key(cell, numeric) {
    var v = cell.getAttribute("data-sort");
    if (v === null || v === "") { return null; }
    return numeric ? parseFloat(v) : v;
  }
  function sortBy(i) {
    var th = heads[i];
    var numeric = th.getAttribute("data-type") === "num";
    var now = th.getAttribute("aria-sort");
    var dir = now === "descending" ? "ascending" : now === "ascending" ? "descending"
      : numeric ? "descending" : "ascending";
    for (var j = 0; j < heads.length; j++) { heads[j].removeAttribute("aria-sort"); }
    th.setAttribute("aria-sort", dir);
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[i], numeric), y = key(b.cells[i], numeric);
      if (x === null || y === null) { return (x === null) - (y === null); }
      return x < y ? -sign : x > y ? sign : 0;
    });
    for (var k = 0; k < rows.length; k++) { body.appendChild(rows[k]); }
  }
  for (var i = 0; i < heads.length; i++) {
    heads[i].querySelector("button").addEventListener("click", sortBy.bind(null, i));
  }
})();
"""


def _cell(text: str, sort: object, cls: str = "", title: str = "") -> str:
    key = "" if sort is None else str(sort)
    attrs = f' data-sort="{esc(key)}"'
    if cls:
        attrs += f' class="{cls}"'
    if title:
        attrs += f' title="{esc(title)}"'
    return f"<td{attrs}>{text}</td>"


def _trend(row: ClinicRow) -> str:
    if row.trend is None:
        return _cell("–", None)
    pct = round(row.trend * 100)
    arrow = "\u2191" if pct > 0 else "\u2193" if pct < 0 else "\u2192"
    text = f"{arrow} {pct:+d} %"
    if row.trend_flagged:
        text = f'<span class="up">{esc(text)}</span>'
    return _cell(
        text, f"{row.trend:.4f}", title=f"week of {row.trend_week} against the week before"
    )


def _flags(row: ClinicRow) -> str:
    if not row.flag_kinds:
        return _cell("–", 0, "flags")
    tags = "".join(
        f'<span class="tag{" alert" if i < row.alerts else ""}">{esc(flag_label(k))}</span>'
        for i, k in enumerate(row.flag_kinds)
    )
    return _cell(tags, row.alerts * 100 + row.notes, "flags", "\n".join(row.flag_texts))


def _row(row: ClinicRow, today: dt.date) -> str:
    name = esc(row.user)
    link = f'<a href="{esc(quote(row.report))}">{name}</a>' if row.report else name
    head = f'<th scope="row" data-sort="{esc(row.user)}">{link}</th>'
    if row.problem is not None:
        blanks = "".join(_cell("", None) for _ in COLUMNS[1:-1])
        return f'<tr class="problem">{head}{blanks}{_cell(esc(row.problem), None, "flags")}</tr>'
    ago = days_since(row.last_data_day, today)
    last = (
        _cell("no data in the range", None, "last")
        if row.last_data_day is None
        else _cell(
            f"{esc(row.last_data_day)}<br><small>"
            + (f"{counted(ago, 'day')} ago" if ago else "today")
            + "</small>",
            row.last_data_day,
            "last",
        )
    )
    share = row.breaks_after_prompts
    breaks = (
        _cell("–", None)
        if row.prompted is None
        else _cell(
            f"{row.taken} of {row.prompted}"
            + (f" ({round(share * 100)} %)" if share is not None else ""),
            None if share is None else f"{share:.4f}",
        )
    )
    baseline = "–" if row.pain_baseline is None else f"{row.pain_baseline:g}/10"
    pain = (
        _cell("no scores", None)
        if row.mornings == 0
        else _cell(
            f"{row.mornings_above} of {row.mornings} (baseline {baseline})",
            f"{row.mornings_above / row.mornings:.4f}",
        )
    )
    comp = row.compression_per_valid_day_s
    hip = row.hip_gt90_per_valid_day_s
    cells = [
        last,
        _cell(f"{row.valid_days} of {row.days}", row.valid_days),
        _cell(format_h_colon_min(comp), None if comp is None else f"{comp:.0f}"),
        _trend(row),
        _cell(
            str(row.long_bouts),
            row.long_bouts,
            title=f"longest {format_h_min(row.longest_bout_s)}" if row.longest_bout_s else "",
        ),
        _cell(format_h_colon_min(hip), None if hip is None else f"{hip:.0f}"),
        breaks,
        pain,
        _flags(row),
    ]
    cls = ' class="alert"' if row.alerts else ""
    return f"<tr{cls}>{head}{''.join(cells)}</tr>"


def render_index(rows: Sequence[ClinicRow], meta: ClinicMeta) -> str:
    """The overview page; ``rows`` in the order the table starts with."""
    today = meta.generated_at.date()
    generated = meta.generated_at.strftime("%Y-%m-%d %H:%M %Z").strip()
    head = "".join(
        f'<th scope="col" data-key="{key}" data-type="{kind}"><button type="button">'
        f"{esc(title)}</button></th>"
        for key, title, kind in COLUMNS
    )
    flagged = sum(1 for r in rows if r.alerts)
    body = "".join(_row(r, today) for r in rows)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="generator" content="sitload {esc(meta.version)}">'
        f"<title>sitload clinic overview · {counted(len(rows), 'patient')}</title>"
        f"<style>{_CSS}</style></head><body>"
        '<header class="top"><h1>Clinic overview</h1>'
        f'<p class="meta">{counted(len(rows), "patient")}, {flagged} with alerts · '
        f"{esc(meta.range_text)} ({esc(meta.tz)}) · from {esc(meta.source)} · generated "
        f"{esc(generated)} · sitload {esc(meta.version)}</p></header><main>"
        '<table id="patients"><caption class="note">One row per patient, from the '
        "figures of the patient's own report (click a name to open it). Click a heading "
        "to sort by it. Compression is sitting plus seated riding; a day is valid with "
        "enough wear; the trend is the last week's compression per valid day against "
        "the week before.</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></main>"
        "<footer>Pseudonymous user ids only; no names are stored.</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )

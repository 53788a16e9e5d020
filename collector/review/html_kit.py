"""The HTML building blocks of the review page: escaping, the sections (ids and
titles, in page order), tables with header cells, figures with captions, and the
flags' short labels."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from analytics.review_wording import HIP_LIMIT
from collector.review.chart_kit import Chart

SECTIONS = (
    ("summary", "Summary"),
    ("daily", "Daily sitting and compression"),
    ("bouts", "Bout lengths"),
    ("longest", "Longest compression bouts"),
    ("hip", f"Hip flexion above {HIP_LIMIT}"),
    ("adherence", "Breaks against prompts"),
    ("saddle", "Saddle time"),
    ("weeks", "Week over week"),
    ("pain", "Next-morning pain and the previous day"),
    ("days", "Day by day"),
    ("methods", "How the figures are made"),
)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_table(
    caption: str,
    head: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    row_classes: Iterable[str] | None = None,
    cls: str = "",
) -> str:
    classes = list(row_classes) if row_classes is not None else None
    out = [
        f'<table class="{esc(cls)}">' if cls else "<table>",
        f"<caption>{esc(caption)}</caption>",
    ]
    out.append(
        "<thead><tr>"
        + "".join(f'<th scope="col">{esc(h)}</th>' for h in head)
        + "</tr></thead><tbody>"
    )
    for i, row in enumerate(rows):
        rc = classes[i] if classes is not None and i < len(classes) else ""
        tr = f'<tr class="{rc}">' if rc else "<tr>"
        cells = [f'<th scope="row">{esc(row[0])}</th>', *(f"<td>{esc(c)}</td>" for c in row[1:])]
        out.append(tr + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def figure_html(c: Chart) -> str:
    return (
        f'<figure id="fig-{c.key}" class="chart-figure">{c.svg}'
        f"<figcaption>{esc(c.caption)}</figcaption></figure>"
    )


def html_section(key: str, body: str) -> str:
    title = dict(SECTIONS)[key]
    return (
        f'<section id="{key}" aria-labelledby="h-{key}"><h2 id="h-{key}">{esc(title)}</h2>'
        f"{body}</section>"
    )


def flag_label(kind: str) -> str:
    return {
        "no_data": "No data",
        "pain": "Pain",
        "correlation": "Pain vs load",
        "load_change": "Load swing",
        "saddle_load": "Saddle swing",
        "long_bouts": "Long bouts",
        "hip": f"Hip > {HIP_LIMIT}",
        "adherence": "Breaks",
        "wear": "Wear",
    }.get(kind, kind)
